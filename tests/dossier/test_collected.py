"""dossier_input: from the mappings' catalogue values (per instance) to the checks' input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from brondata.dossier import check_dossier, decision_inputs, dossier_input
from brondata.errors import DossierInputError

AS_OF = date(2026, 6, 15)


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def collected(**change: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Values in the shapes brondata.mappings produce, for a salaried person."""
    out: dict[str, tuple[str, dict[str, Any]]] = {
        "population": ("population", {"person.birth_date": "1990-04-01"}),
        "bank": ("bank", {"bank.salary_monthly_average": money("3000.00")}),
        "employment": (
            "employment",
            {
                "employment.current": [
                    {"employer": "Acme Logistics B.V.", "start": "2019-03-01", "end": None}
                ],
                "employment.history": [
                    {"employer": "Acme Logistics B.V.", "start": "2019-03-01", "end": None},
                    {"employer": "Old Job", "start": "2015-01-01", "end": "2019-02-28"},
                ],
                "employment.sv_wage_12m": money("48000.00"),
            },
        ),
        "tax": (
            "tax",
            {
                "income.tax_year": 2025,
                "income.employers": [
                    {"name": "Acme Logistics B.V.", "income_code": "11", **money("47000.00")}
                ],
                "tax.student_debt": True,
                "household.partner": None,
            },
        ),
        "pension": (
            "pension",
            {
                "pension.providers": [{"provider": "PFZW", "as_of": "2026-01-01"}],
                "pension.aow_age": "67 years 3 months",
            },
        ),
        "land_registry": ("land_registry", {"property.count": 1}),
        "duo": ("duo", {"student_debt.outstanding": money("12000.00")}),
    }
    out.update(change)
    return out


EXTRA = {
    "bank": {"history_months": 6, "salary_payers": ["ACME LOGISTICS"]},
    "land_registry": {"without_woz": 0},
}


def test_salaried_person_has_no_finding() -> None:
    data = dossier_input(AS_OF, collected(), EXTRA)
    assert data.tax is not None
    assert data.tax.wages_total == Decimal("47000.00")
    assert data.employment is not None
    assert data.employment.history_months > 12
    assert data.pension is not None
    assert data.pension.reference_date == date(2026, 1, 1)
    assert check_dossier("mortgage", data).findings == ()


def test_salary_elsewhere_and_a_second_bank() -> None:
    extra = {**EXTRA, "bank": {"history_months": 6, "salary_payers": []}}
    report = check_dossier("mortgage", dossier_input(AS_OF, collected(), extra))
    assert "salary_not_in_bank" in report.codes()
    # The consumer adds the bank where the salary goes: the checks run again, clean.
    second = collected(**{"bank-2": ("bank", {"bank.salary_monthly_average": money("0")})})
    extra2 = {**extra, "bank-2": {"history_months": 7, "salary_payers": ["Acme Logistics"]}}
    assert (
        "salary_not_in_bank"
        not in check_dossier("mortgage", dossier_input(AS_OF, second, extra2)).codes()
    )


def test_a_bank_whose_facts_could_not_be_computed_is_left_out_of_the_bank_checks() -> None:
    """Not "0 months" (a misleading bank_history_short) nor "no salary there": unknown."""
    extra = {k: v for k, v in EXTRA.items() if k != "bank"}  # the bank's facts failed
    data = dossier_input(AS_OF, collected(), extra)
    assert data.bank[0].history_months is None
    assert data.bank[0].salary_payers is None
    codes = check_dossier("mortgage", data).codes()
    assert "bank_history_short" not in codes
    assert "salary_not_in_bank" not in codes
    # Beside a bank whose facts are known and show no salary: still not judged.
    second = collected(**{"bank-2": ("bank", {"bank.salary_monthly_average": money("0")})})
    extra2 = {**extra, "bank-2": {"history_months": 7, "salary_payers": []}}
    codes2 = check_dossier("mortgage", dossier_input(AS_OF, second, extra2)).codes()
    assert "salary_not_in_bank" not in codes2
    assert "bank_history_short" not in codes2


def test_kinds_not_consulted_are_absent() -> None:
    only_tax = {"tax": collected()["tax"]}
    data = dossier_input(AS_OF, only_tax)
    assert data.bank == ()
    assert data.duo is None
    assert check_dossier("mortgage", data).codes() == ("student_debt_unverified",)


def test_fiscal_partner_from_the_tax_return() -> None:
    tax = dict(collected()["tax"][1], **{"household.partner": {"name": "X", "birth_date": "1990"}})
    data = dossier_input(AS_OF, collected(tax=("tax", tax)), EXTRA)
    assert "partner_data_missing" in check_dossier("mortgage", data).codes()
    with_partner = dossier_input(
        AS_OF, collected(tax=("tax", tax)), EXTRA, partner_data_present=True
    )
    assert check_dossier("mortgage", with_partner).findings == ()


def test_a_provider_without_date_makes_the_overview_undated() -> None:
    lines = [{"as_of": "2026-01-01"}, {"as_of": None}]
    data = dossier_input(AS_OF, collected(pension=("pension", {"pension.providers": lines})))
    assert data.pension is not None
    assert data.pension.reference_date is None


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("bank", {"bank.salary_monthly_average": "3000"}),
        ("employment", {"employment.current": "Acme"}),
        ("pension", {"pension.providers": [{"as_of": "01-01-2026"}]}),
    ],
)
def test_unexpected_shapes_are_typed_errors(kind: str, values: dict[str, Any]) -> None:
    with pytest.raises(DossierInputError) as caught:
        dossier_input(AS_OF, {kind: (kind, values)})
    assert "Acme" not in str(caught.value)
    assert "3000" not in str(caught.value)


def test_years_until_the_aow_age_from_the_birth_date_alone() -> None:
    # The AOW age is the law's (the aow_age table), not the pension registry's: the BRP
    # birth date is enough, with or without a pension login.
    values = collected()
    del values["pension"]
    data = dossier_input(AS_OF, values, EXTRA)
    assert data.employment is not None
    assert data.employment.years_until_aow_age is not None
    # born 1990-04-01: AOW at (at least) 67 years 3 months, 2057-07-01, 31 years on
    assert Decimal("31") < data.employment.years_until_aow_age < Decimal("31.1")
    assert data.duo is not None
    assert data.duo.student_debt is True
    near = dict(values, population=("population", {"person.birth_date": "1962-01-15"}))
    report = check_dossier("mortgage", dossier_input(AS_OF, near, EXTRA))
    assert "ibl_not_applicable" in report.codes()


@pytest.mark.parametrize(
    ("born", "years"),
    [
        ("1960-12-31", "1.08"),  # AOW age 67 (2024-2027): 2027-12-31
        ("1961-01-01", "1.33"),  # 67 and 3 months (2028-2031): 2028-04-01
        ("1955-08-31", "-4.92"),  # 66 and 4 months (2019-2021): reached on 2021-12-31
    ],
)
def test_years_until_the_aow_age_follow_the_law_by_birth_date(born: str, years: str) -> None:
    values = collected(population=("population", {"person.birth_date": born}))
    data = dossier_input(date(2026, 12, 2), values, EXTRA)
    assert data.employment is not None
    assert data.employment.years_until_aow_age == Decimal(years)


def test_without_a_birth_date_the_aow_criterion_is_not_judged() -> None:
    values = collected()
    del values["population"]
    data = dossier_input(AS_OF, values, EXTRA)
    assert data.employment is not None
    assert data.employment.years_until_aow_age is None


def test_a_malformed_birth_date_is_a_typed_error() -> None:
    population = ("population", {"person.birth_date": "the first of April"})
    with pytest.raises(DossierInputError) as caught:
        dossier_input(AS_OF, collected(population=population), EXTRA)
    assert "April" not in str(caught.value)


_NEW_JOB = [{"employer": "Acme Logistics B.V.", "start": "2026-01-01", "end": None}]


@pytest.mark.parametrize(
    ("change", "applicable"),
    [
        ({}, True),
        ({"employment.current": [], "employment.sv_wage_12m": money("0.00")}, False),
        ({"employment.current": _NEW_JOB, "employment.history": _NEW_JOB}, False),
        ({"person.birth_date": "1962-01-15"}, False),  # within ten years of the AOW age
    ],
    ids=["salaried", "no current employment", "under a year", "near the AOW age"],
)
def test_the_income_norm_and_the_check_judge_the_uwv_income_alike(
    change: dict[str, Any], applicable: bool
) -> None:
    """One set of criteria: where the check says ibl_not_applicable, the decisions get no
    income from the UWV record either."""
    values = collected()
    for instance, (kind, held) in list(values.items()):
        values[instance] = (kind, {k: change.get(k, v) for k, v in held.items()})
    report = check_dossier("mortgage", dossier_input(AS_OF, values, EXTRA))
    assert ("ibl_not_applicable" not in report.codes()) is applicable
    merged = {k: v for _, held in values.values() for k, v in held.items()}
    assert decision_inputs(merged, AS_OF)["ibl_applicable"] is applicable
