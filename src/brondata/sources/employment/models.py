"""UWV's raw shape: the verzekeringsbericht (employment relations, SV-loon per period), parsed.

The mapping reads only these models; a payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed data.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata.errors import SourceProtocolError

__all__ = ["Inkomstenverhouding", "Periode", "Verzekeringsbericht", "Werkgever"]


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Werkgever(_Lenient):
    naam: str


class Periode(_Lenient):
    datumAanvang: date
    datumEinde: date
    svLoon: Decimal
    # Loon voor de loonheffing (the fiscal wage): in the polis beside the SV-loon; an answer
    # without it leaves the taxable income unknown.
    fiscaalLoon: Decimal | None = None


class Inkomstenverhouding(_Lenient):
    werkgever: Werkgever
    datumAanvang: date
    datumEinde: date | None = None
    soortContract: str
    urenPerWeek: int | float | None = None
    perioden: list[Periode] = []


class Verzekeringsbericht(_Lenient):
    inkomstenverhoudingen: list[Inkomstenverhouding]

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Verzekeringsbericht:
        try:
            return cls.model_validate(raw["verzekeringsbericht"])
        except (KeyError, ValidationError) as exc:
            raise SourceProtocolError(
                f"employment: not a verzekeringsbericht: {exc}".splitlines()[0], source="employment"
            ) from None
