from __future__ import annotations

import re

import pytest

from brondata import sources as source_kinds
from brondata.attributes import CATALOGUE, Attribute, AttributeCatalogue, ValueType
from brondata.errors import UnknownAttributeError

NAME = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def test_catalogue_names_are_dotted_and_described_in_two_languages() -> None:
    assert len(CATALOGUE) >= 30
    for name, attribute in CATALOGUE.items():
        assert NAME.match(name), name
        assert attribute.name == name
        assert attribute.description_en
        assert attribute.description_nl
        # A source provides it, or (a decision) the gateway computes it from attributes that
        # sources provide, by a rule table of a known version.
        assert bool(attribute.sources) != attribute.decision, name
        assert attribute.category.startswith("dpv-pd:")
        assert set(attribute.sources) <= set(source_kinds.names())
        assert all(CATALOGUE[i].sources for i in attribute.inputs), name


def test_the_decisions_are_in_the_catalogue_with_their_rule_versions() -> None:
    decisions = {a.name: a for a in CATALOGUE.decisions()}
    assert set(decisions) == {
        "decision.max_mortgage",
        "decision.loan_within_income_norm",
        "decision.loan_to_value_within_norm",
        "decision.nhg_eligible",
        "decision.protected_earnings_monthly",
    }
    assert decisions["decision.max_mortgage"].rules == ("income_norm@2026.1",)
    assert decisions["decision.max_mortgage"].type is ValueType.MONEY
    assert "student_debt.statutory_monthly_repayment" in decisions["decision.max_mortgage"].inputs
    assert decisions["decision.nhg_eligible"].inputs == ()  # the application's facts only
    assert decisions["decision.nhg_eligible"].to_dict()["rules"] == ["nhg@2026.2"]
    # The beslagvrije voet reads the household, the children under 18, the taxable income
    # from the polis and the bank transactions (the income of art. 475dc is read from them),
    # not the birth dates; the spouse's income is no attribute.
    protected = decisions["decision.protected_earnings_monthly"]
    assert protected.inputs == (
        "bank.transactions",
        "employment.taxable_income_annual",
        "household.children_under_18",
        "household.partner",
    )
    assert protected.rules == ("protected_earnings@2026.6",)
    assert "rules" not in CATALOGUE["bank.balance_total"].to_dict()
    assert all(not a.decision for a in CATALOGUE.provided_by("duo"))


def test_bank_attributes_are_declared() -> None:
    bank = {a.name for a in CATALOGUE.provided_by("bank")}
    assert bank == {
        "bank.accounts",
        "bank.balance_total",
        "bank.salary_monthly_average",
        "bank.fixed_costs_monthly_average",
        "bank.transactions",
    }
    assert CATALOGUE["bank.transactions"].raw
    assert CATALOGUE["bank.salary_monthly_average"].derived
    assert CATALOGUE["bank.balance_total"].type is ValueType.MONEY


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("bank.balanse_total", "bank.balance_total"),
        ("bank.account", "bank.accounts"),
        ("balance_total", "bank.balance_total"),
        ("person.birthdate", "person.birth_date"),
    ],
)
def test_unknown_names_suggest_the_closest(typo: str, expected: str) -> None:
    with pytest.raises(UnknownAttributeError) as caught:
        CATALOGUE.require(typo)
    assert caught.value.code == "unknown_attribute"
    assert expected in caught.value.suggestions
    assert expected in str(caught.value)


def test_a_catalogue_refuses_duplicates() -> None:
    a = Attribute(
        "x.y",
        ValueType.STRING,
        "x",
        "x",
        CATALOGUE["person.surname"].sensitivity,
        category="dpv-pd:Name",
    )
    with pytest.raises(ValueError, match="twice"):
        AttributeCatalogue([a, a])


def test_to_dict_is_json_ready() -> None:
    d = CATALOGUE["bank.accounts"].to_dict()
    assert d["description"] == {
        "en": CATALOGUE["bank.accounts"].description_en,
        "nl": CATALOGUE["bank.accounts"].description_nl,
    }
    assert d["sources"] == ["bank"]
