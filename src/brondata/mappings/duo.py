"""From Mijn DUO's "Mijn schulden" to ``student_debt.*``, and the raw models of that answer.

Only debts of kind ``studieschuld`` count (a levenlanglerenkrediet is another loan). The
outstanding debt and the monthly repayment are summed over them; the repayment rules are
those of the largest. The monthly repayment released is the term DUO collects outside a
pause: the amount reduced for income (draagkracht) where DUO reduced it, else the statutory
one (``wettelijkMaandbedrag``). A pause (aflosvrije periode, at most 60 months) does not make
it zero: it ends, and the lender weighs the term that comes back. That is also the DUO debit
a bank statement shows. A person without a student debt gets EUR 0.00 for both amounts and
``None`` for the rules.

Amounts must be decimal strings with cents, as the API writes them: a number where a string
belongs is a schema violation, not a value to guess at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, model_validator

from brondata.errors import SourceProtocolError
from brondata.mappings._common import money, select

__all__ = ["MAPPING_VERSION", "Schuld", "Schulden", "map_duo"]

MAPPING_VERSION = "duo.v1"

_AMOUNT = re.compile(r"\d{1,9}\.\d{2}")


def _amount(value: object) -> Decimal:
    if not isinstance(value, str) or _AMOUNT.fullmatch(value) is None:
        raise ValueError("an amount is a decimal string with cents, e.g. '123.45'")
    return Decimal(value)


Amount = Annotated[Decimal, PlainValidator(_amount)]


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Schuld(_Lenient):
    """One debt at DUO; the fields the mapping does not use are kept as extras."""

    soortSchuld: str
    terugbetalingsregels: Literal["SF15", "SF35"]
    fase: Literal["aanloopfase", "aflosfase"]
    ingangsdatumAflosfase: date
    schuldsaldo: Amount
    wettelijkMaandbedrag: Amount
    teBetalenMaandbedrag: Amount
    aflosvrijePeriode: bool
    maandbedragVerlaagdOpBasisVanInkomen: bool
    maandbedragOpBasisVanInkomen: Amount | None

    @model_validator(mode="after")
    def _reduced_has_its_amount(self) -> Schuld:
        if self.maandbedragVerlaagdOpBasisVanInkomen and self.maandbedragOpBasisVanInkomen is None:
            raise ValueError("a reduced monthly amount is missing")
        return self

    @property
    def term(self) -> Decimal:
        """The monthly term collected outside a pause."""
        reduced = self.maandbedragOpBasisVanInkomen
        if self.maandbedragVerlaagdOpBasisVanInkomen and reduced is not None:
            return reduced  # may be EUR 0.00: an income too low to repay anything
        return self.wettelijkMaandbedrag


class Schulden(_Lenient):
    """The "Mijn schulden" overview on ``peildatum``."""

    peildatum: date
    schulden: list[Schuld]

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Schulden:
        try:
            return cls.model_validate(raw["schulden"])
        except (KeyError, TypeError, ValidationError) as exc:
            raise SourceProtocolError(
                f"duo: not a Mijn schulden overview: {exc}".splitlines()[0], source="duo"
            ) from None

    @property
    def student_debts(self) -> list[Schuld]:
        return [s for s in self.schulden if s.soortSchuld == "studieschuld"]


def _outstanding(s: Schulden) -> dict[str, str]:
    return money(sum((d.schuldsaldo for d in s.student_debts), Decimal(0)))


def _monthly(s: Schulden) -> dict[str, str]:
    return money(sum((d.term for d in s.student_debts), Decimal(0)))


def _regime(s: Schulden) -> str | None:
    debts = s.student_debts
    return max(debts, key=lambda d: d.schuldsaldo).terugbetalingsregels if debts else None


_MAPPERS: dict[str, Callable[[Schulden], Any]] = {
    "student_debt.outstanding": _outstanding,
    "student_debt.monthly_repayment": _monthly,
    "student_debt.repayment_regime": _regime,
}


def map_duo(overview: Schulden, attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested ``student_debt.*`` attributes."""
    return select("duo", _MAPPERS, overview, attributes)
