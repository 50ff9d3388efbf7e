"""What Mijnpensioenoverzicht (the pension registry) provides: its catalogue attributes."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "PENSION_ACCRUED_ANNUAL",
    "PENSION_AOW_AGE",
    "PENSION_EXPECTED_ANNUAL",
    "PENSION_PROVIDERS",
]

PENSION_ACCRUED_ANNUAL = Attribute(
    "pension.accrued_annual",
    ValueType.MONEY,
    "Accrued gross pension a year to date, AOW included",
    "Opgebouwd bruto pensioen per jaar tot nu, inclusief AOW",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Income",
    derived=True,
)

PENSION_AOW_AGE = Attribute(
    "pension.aow_age",
    ValueType.STRING,
    "The age at which the state pension (AOW) starts, e.g. '67 years 3 months'",
    "De AOW-leeftijd, bijvoorbeeld '67 jaar 3 maanden'",
    Sensitivity.PERSONAL,
    category="dpv-pd:Age",
)

PENSION_EXPECTED_ANNUAL = Attribute(
    "pension.expected_annual",
    ValueType.MONEY,
    "Reachable gross pension a year at retirement age, AOW included",
    "Te bereiken bruto pensioen per jaar op pensioenleeftijd, inclusief AOW",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Income",
    derived=True,
)

PENSION_PROVIDERS = Attribute(
    "pension.providers",
    ValueType.ARRAY,
    "Pension providers with accrued and reachable amounts",
    "Pensioenuitvoerders met opgebouwde en te bereiken bedragen",
    Sensitivity.FINANCIAL,
    category="dpv-pd:FinancialStatus",
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    PENSION_ACCRUED_ANNUAL,
    PENSION_AOW_AGE,
    PENSION_EXPECTED_ANNUAL,
    PENSION_PROVIDERS,
)
