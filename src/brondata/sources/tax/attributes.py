"""What the tax authority's pre-filled return provides: its catalogue attributes."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType
from brondata.sources.population.attributes import HOUSEHOLD_PARTNER

__all__ = [
    "ATTRIBUTES",
    "INCOME_EMPLOYERS",
    "INCOME_TAXABLE_ANNUAL",
    "INCOME_TAX_YEAR",
    "TAX_MORTGAGE_INTEREST_PAID",
    "TAX_STUDENT_DEBT",
]

INCOME_EMPLOYERS = Attribute(
    "income.employers",
    ValueType.ARRAY,
    "Employers and benefit agencies with wages of the last complete tax year",
    "Werkgevers en uitkeringsinstanties met loon over het laatste volledige belastingjaar",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Employer",
)

INCOME_TAX_YEAR = Attribute(
    "income.tax_year",
    ValueType.INTEGER,
    "The tax year the income attributes describe",
    "Het belastingjaar waarop de inkomensgegevens betrekking hebben",
    Sensitivity.PERSONAL,
    category="dpv-pd:Tax",
)

INCOME_TAXABLE_ANNUAL = Attribute(
    "income.taxable_annual",
    ValueType.MONEY,
    "Taxable income from work and home (box 1) of the last complete tax year",
    "Belastbaar inkomen uit werk en woning (box 1) van het laatste volledige belastingjaar",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Income",
    derived=True,
)

TAX_MORTGAGE_INTEREST_PAID = Attribute(
    "tax.mortgage_interest_paid",
    ValueType.MONEY,
    "Mortgage interest on the own home of the last complete tax year",
    "Hypotheekrente eigen woning over het laatste volledige belastingjaar",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Tax",
)

TAX_STUDENT_DEBT = Attribute(
    "tax.student_debt",
    ValueType.BOOLEAN,
    "Whether a student debt (DUO) is reported",
    "Of er een studieschuld (DUO) is opgegeven",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
    derived=True,
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    INCOME_EMPLOYERS,
    INCOME_TAX_YEAR,
    INCOME_TAXABLE_ANNUAL,
    TAX_MORTGAGE_INTEREST_PAID,
    TAX_STUDENT_DEBT,
    HOUSEHOLD_PARTNER,
)
