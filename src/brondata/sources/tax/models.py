"""The tax return's raw shape: the pre-filled income tax return (VIA) as the tax authority sends it.

The mapping reads only these models; a payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata.errors import SourceProtocolError

__all__ = [
    "Debt",
    "Income",
    "OwnHome",
    "Person",
    "TaxReturn",
    "Wage",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Person(_Lenient):
    naam: str
    geboortedatum: str


class Wage(_Lenient):
    naamInhoudingsplichtige: str
    codeInkomstenverhouding: str
    loon: int


class Income(_Lenient):
    loonEnUitkeringen: list[Wage]
    winstUitOnderneming: int | None = None


class OwnHome(_Lenient):
    hypotheekrenteBetaald: int = 0


class Debt(_Lenient):
    soort: str
    bedrag: int


class TaxReturn(_Lenient):
    belastingjaar: int
    fiscaalPartner: Person | None = None
    inkomsten: Income
    eigenWoning: OwnHome | None = None
    schulden: list[Debt] = []
    belastbaarInkomenWerkEnWoning: int

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> TaxReturn | None:
        if raw.get("aangifte") is None:
            return None
        try:
            return cls.model_validate(raw["aangifte"])
        except ValidationError as exc:
            raise SourceProtocolError(
                f"tax: the return does not match the VIA shape: {exc}".splitlines()[0],
                source="tax",
            ) from None
