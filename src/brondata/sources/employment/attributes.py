"""What UWV (the employee insurance agency) provides: its catalogue attributes."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "EMPLOYMENT_CURRENT",
    "EMPLOYMENT_HISTORY",
    "EMPLOYMENT_PERMANENT_CONTRACT",
    "EMPLOYMENT_SV_WAGE_12M",
    "EMPLOYMENT_TAXABLE_INCOME_ANNUAL",
]

EMPLOYMENT_CURRENT = Attribute(
    "employment.current",
    ValueType.ARRAY,
    "Current employment relations: employer, start, contract type, hours",
    "Huidige dienstverbanden: werkgever, begindatum, soort contract, uren",
    Sensitivity.PERSONAL,
    category="dpv-pd:EmploymentHistory",
)

EMPLOYMENT_HISTORY = Attribute(
    "employment.history",
    ValueType.ARRAY,
    "Employment relations of the last five years",
    "Dienstverbanden van de afgelopen vijf jaar",
    Sensitivity.PERSONAL,
    category="dpv-pd:EmploymentHistory",
    raw=True,
)

EMPLOYMENT_PERMANENT_CONTRACT = Attribute(
    "employment.permanent_contract",
    ValueType.BOOLEAN,
    "Whether the person has a permanent contract now",
    "Of de persoon nu een vast contract heeft",
    Sensitivity.PERSONAL,
    category="dpv-pd:EmploymentHistory",
    derived=True,
)

EMPLOYMENT_SV_WAGE_12M = Attribute(
    "employment.sv_wage_12m",
    ValueType.MONEY,
    "Social-insurance wage (SV-loon) of the last 12 months",
    "SV-loon over de afgelopen 12 maanden",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Salary",
    derived=True,
)

EMPLOYMENT_TAXABLE_INCOME_ANNUAL = Attribute(
    "employment.taxable_income_annual",
    ValueType.MONEY,
    "Taxable wage (loon voor de loonheffing) of the latest month in the UWV polis "
    "administration, made a year's (a monthly period times 12, four weeks times 13, a week "
    "times 52)",
    "Fiscaal loon (loon voor de loonheffing) van de laatste maand in de polisadministratie "
    "van UWV, herleid tot een jaar (een maandperiode maal 12, vier weken maal 13, een week "
    "maal 52)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Salary",
    derived=True,
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    EMPLOYMENT_CURRENT,
    EMPLOYMENT_HISTORY,
    EMPLOYMENT_PERMANENT_CONTRACT,
    EMPLOYMENT_SV_WAGE_12M,
    EMPLOYMENT_TAXABLE_INCOME_ANNUAL,
)
