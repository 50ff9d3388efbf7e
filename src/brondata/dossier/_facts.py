"""The application's own facts for a decision: what it is buying and borrowing, not the person.

``ApplicationFacts`` is what a lender passes with the request (the purchase price, the loan,
the interest rate and its fixed period, the energy label, energy-saving measures). The facts
enter the notice the consumer consents to, so they are checked strictly here, before any
login: a wrong type or an out-of-range value is a ``FactsError`` naming the field, never
echoing the value (it may be personal). Money is whole or cent euros as ``Decimal``; the rate
is a fraction (0.041 for 4.1%). A string must be a plain decimal (``"300000.00"``; not
``"300_000"``, ``"3e5"`` or padded). The values are kept in one canonical form, money in cents
and the rate without trailing zeros, so the same facts always give the same notice (hash).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brondata.errors import FactsError

__all__ = ["ENERGY_LABELS", "ApplicationFacts", "EnergyLabel"]

#: Labels as the Tijdelijke regeling hypothecair krediet groups them (art. 4 lid 3);
#: "A++++ EPG" is A++++ with an energy performance guarantee of at least ten years.
EnergyLabel = Literal["A++++ EPG", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"]
ENERGY_LABELS: tuple[str, ...] = get_args(EnergyLabel)

# Bounds that catch unit mistakes (cents for euros, 4.1 for 0.041), not policy limits.
_MAX_AMOUNT = Decimal("100000000")
_Money = Field(ge=0, le=_MAX_AMOUNT, max_digits=12, decimal_places=2)
_CENT = Decimal("0.01")
#: What a decimal string may look like (Python's ``Decimal`` takes more: ``"300_000"``,
#: ``" 3e5 "``), so that a form's odd input is refused rather than read as some number.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class ApplicationFacts(BaseModel):
    """Facts of the application a decision needs besides the consumer's source data."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    purchase_price: Decimal = Field(gt=0, le=_MAX_AMOUNT, max_digits=12, decimal_places=2)
    loan_amount: Decimal = Field(gt=0, le=_MAX_AMOUNT, max_digits=12, decimal_places=2)
    #: The offered rate as a fraction: 0.041 is 4.1% a year.
    interest_rate: Decimal = Field(gt=0, le=Decimal("0.25"), decimal_places=6)
    fixed_period_years: int = Field(ge=1, le=30)
    energy_label: EnergyLabel
    #: Cost of energy-saving measures financed with the loan; 0 when there are none.
    energy_saving_measures: Decimal = _Money

    @field_validator("purchase_price", "loan_amount", "energy_saving_measures")
    @classmethod
    def _in_cents(cls, value: Decimal) -> Decimal:
        return value.quantize(_CENT)

    @field_validator("interest_rate")
    @classmethod
    def _canonical_rate(cls, value: Decimal) -> Decimal:
        return value.normalize()

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ApplicationFacts:
        """Facts from a JSON object (the CLI's ``--facts`` file, a web form).

        Numbers may be JSON numbers or decimal strings; booleans are not numbers. Unknown keys
        are an error, so a misspelled fact never silently goes missing.
        """
        if not isinstance(data, Mapping):
            raise FactsError("the application facts must be a JSON object")
        converted: dict[str, Any] = {}
        for key, value in data.items():
            converted[key] = _number(key, value) if key in _DECIMALS else value
        return cls.validate_facts(converted)

    @classmethod
    def validate_facts(cls, data: Mapping[str, Any]) -> ApplicationFacts:
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise FactsError(_describe(exc)) from None


_DECIMALS = frozenset({"purchase_price", "loan_amount", "interest_rate", "energy_saving_measures"})


def _number(key: str, value: object) -> object:
    # JSON gives int/float/str; a float goes through str so 0.041 stays 0.041, not its binary
    # neighbour. Anything else is left for the model to refuse with the field's name.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _PLAIN_DECIMAL.fullmatch(value) is None:
        raise FactsError(f"{key}: not a plain decimal number (digits, at most one point)")
    if isinstance(value, int | float | str):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            raise FactsError(f"{key}: not a number") from None
    return value


def _describe(exc: ValidationError) -> str:
    """The fields and what is wrong with them; pydantic's messages carry no input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or "facts"
        parts.append(f"{field}: {error['msg']}")
    return "invalid application facts: " + "; ".join(parts)
