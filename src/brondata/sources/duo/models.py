"""Mijn DUO's raw shape: the "Mijn schulden" overview, parsed strictly (amounts are strings).

The mapping reads only these models; a payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed data.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, localcontext
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)

from brondata.errors import SourceProtocolError

__all__ = ["Amount", "Percent", "Schuld", "Schulden"]


def _decimal_string(pattern: str, what: str) -> PlainValidator:
    """A validator of a decimal string of exactly ``pattern``, told as ``what`` if not."""
    shape = re.compile(pattern)

    def parse(value: object) -> Decimal:
        if not isinstance(value, str) or shape.fullmatch(value) is None:
            raise ValueError(what)
        return Decimal(value)

    return PlainValidator(parse)


Amount = Annotated[
    Decimal,
    _decimal_string(r"\d{1,9}\.\d{2}", "an amount is a decimal string with cents, e.g. '123.45'"),
]
Percent = Annotated[
    Decimal,
    _decimal_string(r"\d{1,2}\.\d{2}", "a rate is a percentage with two decimals, e.g. '2.33'"),
]


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
    # Read only where DUO has fixed no monthly amount yet (``statutory``).
    rentepercentage: Percent | None = None
    resterendeLooptijdInMaanden: int | None = Field(default=None, ge=0)

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

    @property
    def statutory(self) -> Decimal | None:
        """The statutory monthly amount, before any reduction for income or pause: what the
        income norm counts (Trhk art. 3a; income_norm.json's sources). Where DUO has fixed
        none yet (EUR 0.00 on a debt), the amount that repays the debt at its rate over the
        remaining term; ``None`` when DUO does not show those."""
        if self.wettelijkMaandbedrag > 0 or self.schuldsaldo == 0:
            return self.wettelijkMaandbedrag
        rate, months = self.rentepercentage, self.resterendeLooptijdInMaanden
        if rate is None or not months:
            return None
        if rate == 0:
            return self.schuldsaldo / months
        with localcontext() as exact:
            exact.prec = 40
            i = rate / 100 / 12
            return self.schuldsaldo * i / (1 - (1 + i) ** -months)


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
