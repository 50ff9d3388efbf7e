"""What Mijn DUO provides: the student loan's catalogue attributes."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "STUDENT_DEBT_MONTHLY_REPAYMENT",
    "STUDENT_DEBT_OUTSTANDING",
    "STUDENT_DEBT_REPAYMENT_REGIME",
    "STUDENT_DEBT_STATUTORY_MONTHLY_REPAYMENT",
]

STUDENT_DEBT_OUTSTANDING = Attribute(
    "student_debt.outstanding",
    ValueType.MONEY,
    "Outstanding student debt at DUO today, interest included (EUR 0 without one)",
    "Huidige studieschuld bij DUO, inclusief rente (EUR 0 zonder studieschuld)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
)

STUDENT_DEBT_MONTHLY_REPAYMENT = Attribute(
    "student_debt.monthly_repayment",
    ValueType.MONEY,
    "Monthly repayment of the student debt as DUO collects it outside a repayment "
    "pause (reduced for income where DUO reduced it)",
    "Maandbedrag van de studieschuld zoals DUO het buiten een aflosvrije periode "
    "int (verlaagd op basis van inkomen als DUO het verlaagde)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
)

STUDENT_DEBT_STATUTORY_MONTHLY_REPAYMENT = Attribute(
    "student_debt.statutory_monthly_repayment",
    ValueType.MONEY,
    "Statutory monthly repayment of the student debt, before any reduction for income or "
    "pause: what the Dutch income norm counts (none when DUO shows no way to know it)",
    "Wettelijk maandbedrag van de studieschuld, vóór verlaging op basis van inkomen of een "
    "aflosvrije periode: wat de inkomensnorm meetelt (leeg als DUO het niet laat zien)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
)

STUDENT_DEBT_REPAYMENT_REGIME = Attribute(
    "student_debt.repayment_regime",
    ValueType.STRING,
    "Repayment rules of the student debt: SF15 (15 years) or SF35 (35 years); "
    "none without a student debt",
    "Terugbetalingsregels van de studieschuld: SF15 (15 jaar) of SF35 (35 jaar); "
    "leeg zonder studieschuld",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    STUDENT_DEBT_OUTSTANDING,
    STUDENT_DEBT_MONTHLY_REPAYMENT,
    STUDENT_DEBT_STATUTORY_MONTHLY_REPAYMENT,
    STUDENT_DEBT_REPAYMENT_REGIME,
)
