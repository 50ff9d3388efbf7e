"""A DataRequest with facts, decisions and checks: typed errors before any login, and the
notice lines the consent covers."""

from __future__ import annotations

from typing import Any

import pytest

from brondata import DataRequest, LegalBasis, Purpose
from brondata.dossier import ApplicationFacts, notice_lines, notice_terms
from brondata.errors import (
    FactsError,
    MissingDecisionInputError,
    NoSourceError,
    RequestError,
    RuleTableNotFoundError,
    UnknownPresetError,
)

FACTS: dict[str, Any] = {
    "purchase_price": 400000,
    "loan_amount": 300000,
    "interest_rate": 0.041,
    "fixed_period_years": 10,
    "energy_label": "A",
    "energy_saving_measures": 0,
}


def request(**change: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Assess your mortgage"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["decision.max_mortgage", "decision.nhg_eligible"],
        "retention_days": 90,
        "recipient": "Voorbeeld Hypotheken B.V.",
        "facts": FACTS,
    }
    return DataRequest(**{**fields, **change})


def test_facts_are_parsed_and_the_rule_year_is_fixed() -> None:
    r = request()
    assert isinstance(r.facts, ApplicationFacts)
    assert str(r.facts.interest_rate) == "0.041"
    assert r.rules_year == 2026
    assert r.decisions == ("decision.max_mortgage", "decision.nhg_eligible")
    assert r.rule_versions() == {
        "decision.max_mortgage": "income_norm@2026.1",
        "decision.nhg_eligible": "nhg@2026.2",
    }
    assert DataRequest.model_validate_json(r.model_dump_json()) == r


def test_a_decision_plans_the_kinds_of_its_inputs_but_releases_none_of_them() -> None:
    r = request(attributes=["decision.max_mortgage", "bank.balance_total"])
    plan = r.sources()
    assert plan["bank"] == ["bank.balance_total"]
    assert plan["employment"] == []
    assert plan["duo"] == []
    # The AOW age is the law's (the aow_age table): the BRP birth date, no pension login.
    assert "pension" not in plan
    assert plan["population"] == []
    assert r.decision_inputs()["population"] == ["household.partner", "person.birth_date"]
    assert r.decision_inputs()["employment"] == [
        "employment.current",  # the IBL criteria (ibl_applicable)
        "employment.history",
        "employment.sv_wage_12m",
    ]
    assert r.decision_inputs()["duo"] == ["student_debt.statutory_monthly_repayment"]
    # The facts alone decide NHG: no source at all.
    assert request(attributes=["decision.nhg_eligible"]).sources() == {}


def test_a_decision_whose_inputs_no_configured_source_gives() -> None:
    with pytest.raises(NoSourceError, match=r"student_debt\.statutory_monthly_repayment"):
        request().sources(["employment", "population", "pension", "tax"])


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"facts": {**FACTS, "loan_amount": "lots"}}, FactsError, "loan_amount"),
        ({"facts": {**FACTS, "interest_rate": 4.1}}, FactsError, "interest_rate"),
        ({"facts": {**FACTS, "fixed_period_years": True}}, FactsError, "fixed_period_years"),
        ({"facts": {**FACTS, "loan": 1}}, FactsError, "loan"),
        ({"facts": "400000"}, RequestError, "facts"),
        ({"facts": None}, MissingDecisionInputError, "facts.interest_rate"),
        ({"rules_year": 2031}, RuleTableNotFoundError, "2031"),
        ({"rules_year": "2026"}, RequestError, "rules_year"),
        ({"dossier": "mortgag"}, UnknownPresetError, "mortgage"),
        ({"dossier_record": True}, RequestError, "dossier"),
    ],
)
def test_bad_facts_and_settings_are_typed_errors_before_any_login(
    change: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field) as caught:
        request(**change)
    assert "lots" not in str(caught.value)
    assert "4.1" not in str(caught.value)


def test_without_decisions_no_facts_are_needed() -> None:
    r = request(attributes=["bank.balance_total"], facts=None, dossier="rental")
    assert r.decisions == ()
    assert notice_terms(r) == {"dossier": {"preset": "rental", "record": False}}
    plain = request(attributes=["bank.balance_total"], facts=None)
    assert notice_terms(plain) == {}
    assert notice_lines(plain) == []


@pytest.mark.parametrize(
    "attributes", [["bank.balance_total"], ["decision.protected_earnings_monthly"]]
)
def test_facts_no_decision_asked_needs_are_refused(attributes: list[str]) -> None:
    """The consumer would be shown (and consent to) facts nothing uses."""
    with pytest.raises(RequestError, match="facts") as caught:
        request(attributes=attributes)
    assert "400000" not in str(caught.value)


def test_notice_lines_name_facts_decisions_rule_versions_and_checks() -> None:
    r = request(dossier="mortgage", dossier_record=True)
    english = "\n".join(notice_lines(r, "en"))
    dutch = "\n".join(notice_lines(r, "nl"))
    for text in ("EUR 400,000.00", "4.1%", "10 years", "income_norm@2026.1", "nhg@2026.2"):
        assert text in english
    for text in ("€ 400.000,00", "4,1%", "10 jaar", "income_norm@2026.1", "Beslissingen"):
        assert text in dutch
    assert "student_debt.statutory_monthly_repayment" in english  # what the decision reads
    assert "(mortgage)" in english
    assert "record" in english
    terms = notice_terms(r)
    assert terms["facts"]["loan_amount"] == "300000.00"
    # The same facts written otherwise: the same notice.
    same = {**FACTS, "loan_amount": "300000.00", "interest_rate": "0.0410"}
    assert notice_terms(request(facts=same, dossier="mortgage", dossier_record=True)) == terms
    assert terms["decisions"]["decision.max_mortgage"]["rule_version"] == "income_norm@2026.1"
    # Other facts, another notice: the hash over these terms differs.
    assert notice_terms(request(facts={**FACTS, "loan_amount": 310000})) != notice_terms(request())


def test_the_notice_names_what_the_protected_earnings_read() -> None:
    # The consumer reads, in English and Dutch, that the beslagvrije voet is computed from the
    # polis wage, the children under 18, the partner and the bank transactions (the income
    # of art. 475dc is read from them), and which rule version.
    r = request(attributes=["decision.protected_earnings_monthly"], facts=None)
    for language, words in (("en", "health insurance"), ("nl", "bijstandsnorm")):
        text = "\n".join(notice_lines(r, language))
        assert "protected_earnings@2026.6" in text
        assert words in text
        for name in (
            "employment.taxable_income_annual",
            "household.children_under_18",
            "household.partner",
            "bank.transactions",
        ):
            assert name in text
    inputs = notice_terms(r)["decisions"]["decision.protected_earnings_monthly"]["inputs"]
    assert "household.children_under_18" in inputs
