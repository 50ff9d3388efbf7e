from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from brondata.errors import (
    BrondataError,
    LegalBasisError,
    NoSourceError,
    RequestError,
    UnknownAttributeError,
)
from brondata.request import DataRequest, LegalBasis, Purpose


def make(**changes: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Assess a mortgage application"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["bank.balance_total", "bank.accounts"],
        "retention_days": 90,
        "recipient": "Voorbeeld Hypotheken B.V.",
    }
    fields.update(changes)
    return DataRequest(**fields)


def test_attributes_are_sorted_and_deduplicated() -> None:
    request = make(attributes=["bank.balance_total", "bank.accounts", "bank.accounts"])
    assert request.attributes == ("bank.accounts", "bank.balance_total")


def test_a_comma_separated_string_is_accepted() -> None:
    assert make(attributes="bank.accounts, bank.balance_total").attributes == (
        "bank.accounts",
        "bank.balance_total",
    )


def test_unknown_attribute_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownAttributeError) as caught:
        make(attributes=["bank.salary_montly_average"])
    assert caught.value.suggestions[0] == "bank.salary_monthly_average"


def test_bsn_needs_a_legal_obligation() -> None:
    with pytest.raises(LegalBasisError) as caught:
        make(attributes=["person.bsn"], legal_basis=LegalBasis.CONSENT)
    assert "46 UAVG" in caught.value.message
    allowed = make(attributes=["person.bsn"], legal_basis=LegalBasis.LEGAL_OBLIGATION)
    assert allowed.attributes == ("person.bsn",)


@pytest.mark.parametrize(
    "changes",
    [
        {"attributes": []},
        {"retention_days": 0},
        {"retention_days": 10_000},
        {"recipient": "  "},
        {"legal_basis": "because"},
        {"purpose": {"term": "CreditChecking", "text": "x"}},
        {"purpose": {"term": "dpv:CreditChecking", "text": ""}},
        {"unexpected": 1},
    ],
)
def test_every_bad_field_is_a_request_error(changes: dict[str, Any]) -> None:
    with pytest.raises(RequestError) as caught:
        make(**changes)
    assert isinstance(caught.value, BrondataError)


def test_sources_plan_and_refusal() -> None:
    request = make(attributes=["bank.accounts", "person.birth_date"])
    assert request.sources(["population", "bank"]) == {
        "population": ["person.birth_date"],
        "bank": ["bank.accounts"],
    }
    with pytest.raises(NoSourceError, match=r"person\.birth_date"):
        request.sources(["bank"])


def test_requests_are_frozen() -> None:
    request = make()
    with pytest.raises(ValidationError, match="frozen"):
        request.retention_days = 1  # type: ignore[misc]


@pytest.mark.parametrize("attributes", [5, None, [1, 2], {"bank.accounts": 1}])
def test_attributes_of_the_wrong_type_are_a_request_error(attributes: object) -> None:
    with pytest.raises(RequestError):
        DataRequest(
            purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
            legal_basis=LegalBasis.CONTRACT,
            attributes=attributes,  # type: ignore[arg-type]
            retention_days=30,
            recipient="Lender",
        )
