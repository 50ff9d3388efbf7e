"""First-time-right checks: each code fires on its case and not on the salaried baseline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brondata.dossier import (
    FINDINGS,
    DossierInput,
    DossierReport,
    Severity,
    check_dossier,
    preset,
)
from brondata.errors import DossierInputError, UnknownPresetError

AS_OF = date(2026, 6, 15)


def salaried(**change: Any) -> dict[str, Any]:
    """A salaried person with every source consulted, consistent across them."""
    data: dict[str, Any] = {
        "as_of": AS_OF,
        "bank": [
            {
                "instance": "bank",
                "history_months": 6,
                "salary_payers": ["ACME LOGISTICS"],
                "salary_monthly_average": "3000.00",
            }
        ],
        "employment": {
            "current_employers": ["Acme Logistics B.V."],
            "history_months": 60,
            "sv_wage_12m": "48000.00",
            "years_until_aow_age": "25",
        },
        "tax": {
            "tax_year": 2025,
            "payers": ["Acme Logistics B.V."],
            "wages_total": "47000",
            "student_debt": True,
            "fiscal_partner": False,
        },
        "pension": {"reference_date": date(2026, 1, 1)},
        "land_registry": {"property_count": 1, "without_woz": 0},
        "duo": {"student_debt": True, "monthly_repayment": "72.21"},
    }
    return {**data, **change}


def report(preset_name: str = "mortgage", **change: Any) -> DossierReport:
    return check_dossier(preset_name, DossierInput.parse(salaried(**change)))


def codes(r: DossierReport) -> set[str]:
    return set(r.codes())


@pytest.mark.parametrize("preset_name", ["mortgage", "rental", "payment_plan"])
def test_salaried_with_all_sources_has_no_finding(preset_name: str) -> None:
    r = report(preset_name)
    assert r.findings == ()
    assert not r.blocking


CASES: dict[str, dict[str, Any]] = {
    "bank_history_short": {
        "bank": [
            {
                "instance": "bank",
                "history_months": 4,
                "salary_payers": ["ACME LOGISTICS"],
                "salary_monthly_average": "3000.00",
            }
        ]
    },
    "salary_not_in_bank": {  # salary_elsewhere: the salary goes to an account at another bank
        "bank": [
            {
                "instance": "bank",
                "history_months": 6,
                "salary_payers": [],
                "salary_monthly_average": "0",
            }
        ]
    },
    "income_sources_disagree": {
        "employment": {
            "current_employers": ["Acme Logistics B.V."],
            "history_months": 60,
            "sv_wage_12m": "64000.00",
            "years_until_aow_age": "25",
        }
    },
    "ibl_not_applicable": {
        "employment": {
            "current_employers": ["Acme Logistics B.V."],
            "history_months": 8,
            "sv_wage_12m": "48000.00",
            "years_until_aow_age": "25",
        }
    },
    "tax_year_stale": {
        "tax": {
            "tax_year": 2023,
            "payers": ["Acme Logistics B.V."],
            "wages_total": "47000",
            "student_debt": True,
            "fiscal_partner": False,
        }
    },
    "pension_overview_stale": {"pension": {"reference_date": date(2024, 1, 1)}},
    "student_debt_unverified": {"duo": None},
    "property_without_woz": {"land_registry": {"property_count": 2, "without_woz": 1}},
    "partner_data_missing": {
        "tax": {
            "tax_year": 2025,
            "payers": ["Acme Logistics B.V."],
            "wages_total": "47000",
            "student_debt": True,
            "fiscal_partner": True,
        }
    },
}


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(FINDINGS)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_code_fires_on_its_case_alone(code: str) -> None:
    r = report("mortgage", **CASES[code])
    assert codes(r) == {code}
    finding = r.findings[0]
    assert finding.severity is preset("mortgage").severity[code]
    assert finding.message.en
    assert finding.message.nl
    assert finding.remedy.en
    assert finding.remedy.nl
    assert finding.sources


def test_bank_history_names_the_short_instance_only() -> None:
    banks = [
        {"instance": "bank", "history_months": 6, "salary_payers": ["ACME LOGISTICS"]},
        {"instance": "bank-2", "history_months": 2},
    ]
    r = report(bank=banks)
    assert [f.sources for f in r.findings if f.code == "bank_history_short"] == [("bank-2",)]


def test_salary_at_a_second_bank_satisfies_the_check() -> None:
    banks = [
        {"instance": "bank", "history_months": 6, "salary_payers": []},
        {
            "instance": "bank-2",
            "history_months": 6,
            "salary_payers": ["Acme Logistics"],
            "salary_monthly_average": "3000",
        },
    ]
    assert "salary_not_in_bank" not in codes(report(bank=banks))


def test_salary_check_falls_back_to_the_tax_return_without_uwv() -> None:
    no_salary = CASES["salary_not_in_bank"]["bank"]
    assert "salary_not_in_bank" in codes(report(employment=None, bank=no_salary))
    assert "salary_not_in_bank" not in codes(report(employment=None))


def test_bank_net_salary_outside_the_net_to_gross_range() -> None:
    bank = [
        {
            "instance": "bank",
            "history_months": 6,
            "salary_payers": ["ACME LOGISTICS"],
            "salary_monthly_average": "1500.00",  # 18,000 net a year on 48,000 gross
        }
    ]
    r = report(bank=bank)
    assert codes(r) == {"income_sources_disagree"}
    assert "bank" in r.findings[0].sources


@pytest.mark.parametrize(
    "employment",
    [
        {"current_employers": [], "history_months": 60},
        {"current_employers": ["Acme Logistics"], "history_months": 60, "years_until_aow_age": "9"},
    ],
)
def test_ibl_other_criteria(employment: dict[str, Any]) -> None:
    assert "ibl_not_applicable" in codes(report(employment=employment))


def test_no_tax_return_is_stale() -> None:
    tax = {**CASES["tax_year_stale"]["tax"], "tax_year": None}
    assert "tax_year_stale" in codes(report(tax=tax))


def test_pension_without_reference_date_is_stale() -> None:
    assert "pension_overview_stale" in codes(report(pension={"reference_date": None}))


def test_partner_data_present_satisfies_the_check() -> None:
    r = report(partner_data_present=True, **CASES["partner_data_missing"])
    assert "partner_data_missing" not in codes(r)


def test_rental_does_not_need_the_partner() -> None:
    assert "partner_data_missing" not in codes(report("rental", **CASES["partner_data_missing"]))


def test_payment_plan_runs_its_own_checks() -> None:
    # Property and pension are not a payment plan's business.
    r = report("payment_plan", **CASES["property_without_woz"])
    assert r.findings == ()
    assert preset("payment_plan").bank_history_months == 3


def test_report_orders_by_severity_and_serialises() -> None:
    r = report(duo=None, land_registry={"property_count": 1, "without_woz": 1})
    assert [f.severity for f in r.findings] == [Severity.BLOCKING, Severity.WARNING]
    assert r.blocking
    assert r.codes() == ("student_debt_unverified", "property_without_woz")
    out = r.to_dict()
    assert out["preset"] == "mortgage"
    assert out["findings"][0]["code"] == "student_debt_unverified"
    assert set(out["findings"][0]) == {"code", "severity", "sources", "message", "remedy"}


def test_unknown_preset() -> None:
    with pytest.raises(UnknownPresetError, match="morgage"):
        report("morgage")


@pytest.mark.parametrize(
    "change",
    [
        {"as_of": "yesterday"},
        {"bank": [{"instance": "Bank One", "history_months": 6}]},
        {"bank": [{"instance": "bank", "history_months": -1}]},
        {"bank": [{"instance": "bank", "history_months": 6}] * 2},
        {"land_registry": {"property_count": 1, "without_woz": 2}},
        {"tax": {"tax_year": 2025}},
        {"surprise": 1},
    ],
)
def test_bad_input_is_a_typed_error(change: dict[str, Any]) -> None:
    with pytest.raises(DossierInputError):
        DossierInput.parse(salaried(**change))


def test_input_error_never_echoes_a_value() -> None:
    with pytest.raises(DossierInputError) as caught:
        DossierInput.parse(salaried(employment={"current_employers": "Zyxwv Holding", "x": 1}))
    assert "Zyxwv" not in str(caught.value)


# --- no personal value in any finding ----------------------------------------------------------

# Values are distinctive (digits, odd letter runs) so a leak cannot hide behind a common word.
names = st.from_regex(r"[A-Z][a-z]{2,6}q[0-9]{3}( B\.V\.)?", fullmatch=True)
amounts = st.decimals(min_value=100, max_value=999999, places=2)
months = st.integers(min_value=0, max_value=120)


@st.composite
def dossier_inputs(draw: st.DrawFn) -> DossierInput:
    banks = []
    for k in range(draw(st.integers(min_value=0, max_value=2))):
        banks.append(
            {
                "instance": f"bank-{k}",
                "history_months": draw(months),
                "salary_payers": draw(st.lists(names, max_size=2)),
                "salary_monthly_average": draw(st.none() | amounts),
            }
        )
    employment = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "current_employers": st.lists(names, max_size=2),
                "history_months": months,
                "sv_wage_12m": st.none() | amounts,
                "years_until_aow_age": st.none()
                | st.decimals(min_value=-5, max_value=50, places=1),
            }
        )
    )
    tax = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "tax_year": st.none() | st.integers(min_value=2015, max_value=2026),
                "payers": st.lists(names, max_size=2),
                "wages_total": st.none() | amounts,
                "student_debt": st.booleans(),
                "fiscal_partner": st.booleans(),
            }
        )
    )
    return DossierInput.parse(
        {
            "as_of": AS_OF,
            "bank": banks,
            "employment": employment,
            "tax": tax,
            "pension": draw(
                st.none() | st.fixed_dictionaries({"reference_date": st.none() | st.dates()})
            ),
            "duo": draw(st.none() | st.fixed_dictionaries({"student_debt": st.booleans()})),
            "partner_data_present": draw(st.booleans()),
        }
    )


def _values(d: DossierInput) -> list[str]:
    out: list[str] = []
    for b in d.bank:
        out += list(b.salary_payers)
        if b.salary_monthly_average is not None:
            out.append(str(b.salary_monthly_average))
    if d.employment:
        out += list(d.employment.current_employers)
        out += [str(v) for v in (d.employment.sv_wage_12m,) if v is not None]
    if d.tax:
        out += list(d.tax.payers)
        out += [str(v) for v in (d.tax.wages_total, d.tax.tax_year) if v is not None]
    if d.pension and d.pension.reference_date:
        out.append(d.pension.reference_date.isoformat())
    return out


@settings(max_examples=150, deadline=None)
@given(data=dossier_inputs(), preset_name=st.sampled_from(["mortgage", "rental", "payment_plan"]))
def test_no_finding_ever_contains_an_input_value(data: DossierInput, preset_name: str) -> None:
    r = check_dossier(preset_name, data)
    texts = [
        t
        for f in r.findings
        for t in (f.message.en, f.message.nl, f.remedy.en, f.remedy.nl, *f.sources)
    ]
    for value in _values(data):
        for text in texts:
            assert value not in text
            assert value.split(" B.V.")[0] not in text


def test_finding_texts_have_no_digits() -> None:
    # Fixed sentences: nothing in them could be a person's amount, year or date.
    for message, remedy in FINDINGS.values():
        for text in (message.en, message.nl, remedy.en, remedy.nl):
            assert not any(ch.isdigit() for ch in text)


def test_presets_are_data() -> None:
    mortgage = preset("mortgage")
    assert mortgage.bank_history_months == 6
    assert mortgage.gross_income_tolerance == Decimal("0.15")
    assert set(mortgage.severity) == set(FINDINGS)


def test_the_woz_remedy_fits_a_new_build() -> None:
    """A new build has no WOZ value yet: the remedy must not send the consumer to a WOZ
    decision that does not exist."""
    _, remedy = FINDINGS["property_without_woz"]
    assert "new build" in remedy.en
    assert "nieuwbouw" in remedy.nl
    assert "valuation report" in remedy.en
    assert "taxatierapport" in remedy.nl
