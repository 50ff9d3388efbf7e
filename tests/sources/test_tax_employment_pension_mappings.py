"""The tax, UWV and pension mappings on hand-built answers."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from brondata import sources as source_kinds
from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import MapFunction


def mapping(kind: str) -> MapFunction:
    """The registered mapping function of ``kind``."""
    return source_kinds.get(kind).mapping.map


TODAY = date(2026, 11, 2)


def tax_return(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "belastingjaar": 2025,
        "belastingplichtige": {"naam": "A", "geboortedatum": "1980-01-01"},
        "fiscaalPartner": {"naam": "B C", "geboortedatum": "1982-02-02"},
        "inkomsten": {
            "loonEnUitkeringen": [
                {
                    "naamInhoudingsplichtige": "Werk B.V.",
                    "codeInkomstenverhouding": "15",
                    "loon": 50000,
                }
            ],
            "winstUitOnderneming": None,
        },
        "eigenWoning": {"hypotheekrenteBetaald": 6000},
        "schulden": [{"soort": "studieschuld", "bedrag": 12000}],
        "belastbaarInkomenWerkEnWoning": 45400,
    }
    body.update(changes)
    return {"belastingjaren": [2025], "aangifte": body}


def test_tax_return() -> None:
    names = [
        "income.tax_year",
        "income.taxable_annual",
        "income.employers",
        "tax.mortgage_interest_paid",
        "tax.student_debt",
        "household.partner",
    ]
    values = mapping("tax")(tax_return(), names, TODAY)
    assert values == {
        "income.tax_year": 2025,
        "income.taxable_annual": {"amount": "45400.00", "currency": "EUR"},
        "income.employers": [
            {"name": "Werk B.V.", "income_code": "15", "amount": "50000.00", "currency": "EUR"}
        ],
        "tax.mortgage_interest_paid": {"amount": "6000.00", "currency": "EUR"},
        "tax.student_debt": True,
        "household.partner": {"name": "B C", "birth_date": "1982-02-02"},
    }
    tenant = mapping("tax")(tax_return(eigenWoning=None, schulden=[]), names[3:5], TODAY)
    assert tenant == {
        "tax.mortgage_interest_paid": {"amount": "0.00", "currency": "EUR"},
        "tax.student_debt": False,
    }


def test_no_complete_tax_year_gives_none() -> None:
    raw = {"belastingjaren": [2026], "aangifte": None}
    assert mapping("tax")(raw, ["income.taxable_annual"], TODAY) == {"income.taxable_annual": None}


def test_tax_shape_errors() -> None:
    with pytest.raises(SourceProtocolError):
        mapping("tax")(tax_return(belastbaarInkomenWerkEnWoning="much"), ["income.tax_year"], TODAY)


def period(month: int, year: int = 2026, amount: str = "4000.00") -> dict[str, Any]:
    return {
        "datumAanvang": f"{year}-{month:02d}-01",
        "datumEinde": f"{year}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}",
        "svLoon": amount,
        "fiscaalLoon": str(Decimal(amount) - 200),
    }


def uwv() -> dict[str, Any]:
    old = {
        "werkgever": {"naam": "Oud B.V."},
        "datumAanvang": "2020-01-01",
        "datumEinde": "2026-01-31",
        "soortContract": "onbepaald",
        "urenPerWeek": 40,
        "perioden": [period(m, 2025) for m in range(1, 13)] + [period(1)],
    }
    new = {
        "werkgever": {"naam": "Nieuw B.V."},
        "datumAanvang": "2026-02-01",
        "datumEinde": None,
        "soortContract": "bepaald",
        "urenPerWeek": 32,
        "perioden": [period(m, amount="3000.00") for m in range(2, 12)],
    }
    return {"verzekeringsbericht": {"inkomstenverhoudingen": [old, new]}}


def test_employment() -> None:
    names = [
        "employment.current",
        "employment.history",
        "employment.sv_wage_12m",
        "employment.permanent_contract",
    ]
    values = mapping("employment")(uwv(), names, TODAY)
    assert values["employment.current"] == [
        {
            "employer": "Nieuw B.V.",
            "start": "2026-02-01",
            "end": None,
            "contract": "temporary",
            "hours_per_week": 32,
        }
    ]
    assert len(values["employment.history"]) == 2
    # Nov 2025 .. Oct 2026: Nov, Dec 2025 and Jan 2026 at 4000, Feb..Oct 2026 at 3000.
    assert values["employment.sv_wage_12m"] == {"amount": "39000.00", "currency": "EUR"}
    assert values["employment.permanent_contract"] is False


def test_taxable_income_is_the_latest_polis_month_annualised() -> None:
    # Rv art. 475d lid 1: C is computed from the latest monthly income in the polis
    # administration. The latest month in the answer is November 2026: 2,800 x 12.
    name = "employment.taxable_income_annual"
    values = mapping("employment")(uwv(), [name], TODAY)
    assert values == {name: {"amount": "33600.00", "currency": "EUR"}}
    # Two relations in the latest month (and the three before it) add up.
    raw = uwv()
    raw["verzekeringsbericht"]["inkomstenverhoudingen"][0]["perioden"].extend(
        period(m, amount="1000.00") for m in range(8, 12)
    )
    assert mapping("employment")(raw, [name], TODAY)[name]["amount"] == "43200.00"


def test_taxable_income_of_a_four_weekly_payroll_counts_thirteen_periods() -> None:
    # A payroll of four weeks has 13 periods a year; two may start in one month: the latest
    # period of the relation is its latest income, times 13.
    name = "employment.taxable_income_annual"
    weeks = {
        "werkgever": {"naam": "Vier Weken B.V."},
        "datumAanvang": "2026-01-01",
        "soortContract": "onbepaald",
        "perioden": [
            {
                "datumAanvang": start,
                "datumEinde": end,
                "svLoon": "2000.00",
                "fiscaalLoon": wage,
            }
            for start, end, wage in (
                ("2026-07-13", "2026-08-09", "1800.00"),
                ("2026-08-10", "2026-09-06", "1800.00"),
                ("2026-09-07", "2026-10-04", "1800.00"),
                ("2026-10-05", "2026-11-01", "1800.00"),
                ("2026-11-02", "2026-11-29", "1900.00"),
            )
        ],
    }
    raw = {"verzekeringsbericht": {"inkomstenverhoudingen": [weeks]}}
    assert mapping("employment")(raw, [name], TODAY)[name]["amount"] == "24700.00"
    # Beside a monthly relation in the same latest month: 1,900 x 13 + 2,800 x 12.
    raw["verzekeringsbericht"]["inkomstenverhoudingen"].append(
        uwv()["verzekeringsbericht"]["inkomstenverhoudingen"][1]
    )
    assert mapping("employment")(raw, [name], TODAY)[name]["amount"] == "58300.00"


@pytest.mark.parametrize(
    "change",
    [
        "none_in_the_latest_months",  # the last job ended long ago: no current polis month
        "no_fiscal_wage",  # an answer without the fiscal wage: unknown, not 0
        "no_relations",  # benefits and self-employment are not in the report
    ],
)
def test_taxable_income_unknown_is_none(change: str) -> None:
    raw = uwv()
    relations = raw["verzekeringsbericht"]["inkomstenverhoudingen"]
    if change == "none_in_the_latest_months":
        relations[1]["perioden"] = [period(m, amount="3000.00") for m in range(2, 7)]
        relations[0]["perioden"] = []
    elif change == "no_fiscal_wage":
        for p in relations[1]["perioden"]:
            del p["fiscaalLoon"]
    else:
        relations.clear()
    name = "employment.taxable_income_annual"
    assert mapping("employment")(raw, [name], TODAY) == {name: None}


def steady(periods: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "verzekeringsbericht": {
            "inkomstenverhoudingen": [
                {
                    "werkgever": {"naam": "Vast B.V."},
                    "datumAanvang": "2020-01-01",
                    "datumEinde": None,
                    "soortContract": "onbepaald",
                    "urenPerWeek": 40,
                    "perioden": periods,
                }
            ]
        }
    }


def test_a_holiday_allowance_month_is_not_annualised_twelve_times() -> None:
    # Fiscal wage 2,800 a month; the holiday allowance, 8% of 36,000 = 2,880, paid in May. On
    # 10 June the latest polis month is May. Rv art. 475d lid 1: the latest month counts
    # "tenzij dit maandinkomen geen reele afspiegeling vormt ... omdat het maandinkomen
    # fluctueert of er sprake is van een incidentele betaling", judged on the four most
    # recent months. x12 it gave 68,160; the year's taxable wage is about 36,480. Until the
    # order in council is applied: unknown.
    periods = [period(m, amount="3000.00") for m in range(1, 6)]
    periods[-1]["fiscaalLoon"] = str(Decimal("2800.00") + Decimal("2880.00"))
    name = "employment.taxable_income_annual"
    assert mapping("employment")(steady(periods), [name], date(2026, 6, 10)) == {name: None}
    # In July the latest month, June, is like the three before it (not May's): 2,800 x 12.
    periods.append(period(6, amount="3000.00"))
    value = mapping("employment")(steady(periods), [name], date(2026, 7, 10))[name]
    assert value == {"amount": "33600.00", "currency": "EUR"}


@pytest.mark.parametrize(
    ("latest", "known"),
    [
        ("2800.00", True),  # the three months before: 2,800
        ("3080.00", True),  # +10%: a rise within the tolerance
        ("3081.00", False),  # beyond it: a fluctuating month
        ("2519.00", False),  # and below
    ],
)
def test_a_latest_month_unlike_the_three_before_is_unknown(latest: str, known: bool) -> None:
    periods = [period(m, amount="3000.00") for m in range(7, 12)]
    periods[-1]["fiscaalLoon"] = latest
    name = "employment.taxable_income_annual"
    value = mapping("employment")(steady(periods), [name], TODAY)[name]
    assert (value is not None) is known


def test_a_job_of_two_months_cannot_show_the_latest_month_is_real() -> None:
    # Judged on the four most recent months: a job of three months, like its two before, is
    # judged real (the median of the three before is its wage); one of two months is not.
    name = "employment.taxable_income_annual"
    periods = [period(m, amount="3000.00") for m in range(9, 12)]
    assert mapping("employment")(steady(periods), [name], TODAY)[name] is not None
    assert mapping("employment")(steady(periods[1:]), [name], TODAY) == {name: None}


def pension_export(periods: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "export": {
            "Pensioenaanspraken": {
                "AOWLeeftijd": {"Jaren": 67, "Maanden": 3},
                "StandPer": "2026-01-01",
                "Details": {"OuderdomsPensioenDetails": {"OuderdomsPensioen": periods}},
            }
        }
    }


def line(provider: str, accrued: int, reachable: int) -> dict[str, Any]:
    return {
        "PensioenUitvoerder": provider,
        "HerkenningsNummer": "1",
        "Opgebouwd": accrued,
        "TeBereiken": reachable,
    }


def test_pension_figures_at_the_aow_age() -> None:
    aow = {
        "AOWDetailsOpbouw": {
            "OpgebouwdSamenwonend": 5000,
            "TeBereikenSamenwonend": 14000,
            "OpgebouwdAlleenstaand": 7000,
            "TeBereikenAlleenstaand": 20000,
        }
    }
    periods = [
        {
            "Van": {"Jaren": 65, "Maanden": 0},
            "Tot": {"Jaren": 67, "Maanden": 3},
            "Pensioen": [line("Early", 100, 200)],
        },
        {
            "Van": {"Jaren": 67, "Maanden": 3},
            "Tot": None,
            "AOW": aow,
            "Pensioen": [line("ABP", 10000, 20000), line("PMT", 1000, 3000)],
        },
    ]
    names = [
        "pension.expected_annual",
        "pension.accrued_annual",
        "pension.providers",
        "pension.aow_age",
    ]
    values = mapping("pension")(pension_export(periods), names, TODAY)
    assert values["pension.expected_annual"] == {"amount": "37000.00", "currency": "EUR"}
    assert values["pension.accrued_annual"] == {"amount": "16000.00", "currency": "EUR"}
    assert [p["provider"] for p in values["pension.providers"]] == ["ABP", "PMT"]
    assert values["pension.aow_age"] == "67 years 3 months"


def test_pension_without_a_period_at_the_aow_age() -> None:
    periods = [{"Van": {"Jaren": 60}, "Tot": {"Jaren": 62}, "Pensioen": []}]
    with pytest.raises(MappingError, match="AOW age"):
        mapping("pension")(pension_export(periods), ["pension.expected_annual"], TODAY)
    with pytest.raises(SourceProtocolError):
        mapping("pension")({"export": {}}, ["pension.expected_annual"], TODAY)


def test_tax_and_uwv_answer_for_the_bsn_their_data_are_of() -> None:
    """Who the tax return and the verzekeringsbericht are of, and the fiscal partner the
    return names, as BSN digests: what the identity checks compare (a partner's session
    must answer for the partner the applicant's return names)."""
    from types import SimpleNamespace

    from brondata.connectors._base import bsn_digest
    from brondata.testing import MockSources

    connectors = MockSources(seed=1).connectors()
    api: Any = SimpleNamespace(bsn=None)
    raw = tax_return(
        belastingplichtige={"burgerservicenummer": "111222333", "naam": "A"},
        fiscaalPartner={"burgerservicenummer": "123456782", "naam": "B C"},
    )
    # ``identity`` is the OAuth connectors' (not of the ``SourceConnector`` protocol).
    identity = connectors["tax"].identity(api, raw)
    assert identity.bsn_digest == bsn_digest("111222333")
    assert identity.partner_digest == bsn_digest("123456782")
    alone = connectors["tax"].identity(api, tax_return(fiscaalPartner=None))
    assert (alone.bsn_digest, alone.partner_digest) == (None, None)

    report = {"verzekeringsbericht": {"burgerservicenummer": "111222333"}}
    employment = connectors["employment"].identity(api, report)
    assert employment.bsn_digest == bsn_digest("111222333")
    assert connectors["employment"].identity(api, uwv()).bsn_digest is None
