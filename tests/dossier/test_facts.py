"""ApplicationFacts: strict, typed errors naming the field, never echoing the value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from brondata.dossier import ENERGY_LABELS, ApplicationFacts
from brondata.errors import BrondataError, FactsError

GOOD: dict[str, Any] = {
    "purchase_price": 425000,
    "loan_amount": 380000,
    "interest_rate": 0.041,
    "fixed_period_years": 10,
    "energy_label": "A",
    "energy_saving_measures": 0,
}


def test_parses_json_numbers_exactly() -> None:
    facts = ApplicationFacts.parse(GOOD)
    assert facts.interest_rate == Decimal("0.041")  # not the binary float's neighbour
    assert facts.purchase_price == Decimal(425000)
    assert facts.energy_label == "A"


def test_decimal_strings_are_numbers_too() -> None:
    facts = ApplicationFacts.parse({**GOOD, "loan_amount": "380000.50"})
    assert facts.loan_amount == Decimal("380000.50")


@pytest.mark.parametrize(
    ("price", "rate"),
    [(425000, 0.041), ("425000.00", "0.0410"), (425000.0, "0.041000"), ("425000.0", 0.041)],
)
def test_the_same_facts_are_one_value_and_so_one_notice(price: object, rate: object) -> None:
    """Money in cents, the rate without trailing zeros: the notice (and its hash) over the
    facts does not depend on how a form or a file wrote the same numbers."""
    facts = ApplicationFacts.parse({**GOOD, "purchase_price": price, "interest_rate": rate})
    dumped = facts.model_dump(mode="json")
    assert dumped == ApplicationFacts.parse(GOOD).model_dump(mode="json")
    assert dumped["purchase_price"] == "425000.00"
    assert dumped["energy_saving_measures"] == "0.00"
    assert dumped["interest_rate"] == "0.041"


@pytest.mark.parametrize("text", ["300_000", " 300000", "300000 ", "3e5", "+300000", "Infinity"])
def test_only_plain_decimal_strings_are_numbers(text: str) -> None:
    with pytest.raises(FactsError, match="loan_amount"):
        ApplicationFacts.parse({**GOOD, "loan_amount": text})


def test_facts_are_frozen() -> None:
    facts = ApplicationFacts.parse(GOOD)
    with pytest.raises(ValueError, match="frozen"):
        facts.loan_amount = Decimal(1)  # type: ignore[misc]  # the point of the test


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purchase_price": "four hundred"}, "purchase_price"),
        ({"purchase_price": True}, "purchase_price"),
        ({"purchase_price": -1}, "purchase_price"),
        ({"loan_amount": 0}, "loan_amount"),
        ({"interest_rate": 4.1}, "interest_rate"),  # a percentage where a fraction belongs
        ({"interest_rate": 0}, "interest_rate"),
        ({"fixed_period_years": 0}, "fixed_period_years"),
        ({"fixed_period_years": 10.5}, "fixed_period_years"),
        ({"fixed_period_years": "10"}, "fixed_period_years"),
        ({"energy_label": "Z"}, "energy_label"),
        ({"energy_saving_measures": -5}, "energy_saving_measures"),
        ({"energy_saving_measures": "NaN"}, "energy_saving_measures"),
        ({"purchase_price": 12.345}, "purchase_price"),  # money has cents at most
        ({"loan_ammount": 1}, "loan_ammount"),  # a misspelled key is not silently dropped
    ],
)
def test_wrong_type_or_range_is_a_facts_error_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(FactsError) as caught:
        ApplicationFacts.parse({**GOOD, **change})
    assert field in caught.value.message
    assert caught.value.code == "invalid_facts"
    assert isinstance(caught.value, BrondataError)


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_every_fact_is_required(missing: str) -> None:
    data = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(FactsError, match=missing):
        ApplicationFacts.parse(data)


def test_not_an_object() -> None:
    with pytest.raises(FactsError, match="JSON object"):
        ApplicationFacts.parse([1, 2])  # type: ignore[arg-type]  # what a bad file gives


def test_error_never_echoes_the_value() -> None:
    secret = "987654321987654"
    with pytest.raises(FactsError) as caught:
        ApplicationFacts.parse({**GOOD, "purchase_price": secret, "energy_label": "X" + secret})
    assert secret not in str(caught.value)


def test_labels_are_the_regulations_groups() -> None:
    assert set(ENERGY_LABELS) == {
        "A++++ EPG", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G",
    }  # fmt: skip
