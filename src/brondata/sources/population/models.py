"""The BRP's raw shape: Haal Centraal BRP Personen 2.x answers, parsed.

The mapping reads only these models; a payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brondata.errors import SourceProtocolError

__all__ = [
    "BrpAnswer",
    "Naam",
    "Nationaliteit",
    "Persoon",
    "Verblijfadres",
    "Verblijfplaats",
    "Waarde",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class Naam(_Lenient):
    voornamen: str | None = None
    voorvoegsel: str | None = None
    geslachtsnaam: str | None = None


class Verblijfadres(_Lenient):
    officieleStraatnaam: str | None = None
    korteStraatnaam: str | None = None
    huisnummer: int | None = None
    huisletter: str | None = None
    huisnummertoevoeging: str | None = None
    postcode: str | None = None
    woonplaats: str | None = None
    regel1: str | None = None
    regel2: str | None = None
    regel3: str | None = None
    land: dict[str, str] | None = None


class Verblijfplaats(_Lenient):
    type: str
    verblijfadres: Verblijfadres | None = None


class Waarde(_Lenient):
    code: str | None = None
    omschrijving: str | None = None


class Nationaliteit(_Lenient):
    type: str
    nationaliteit: Waarde | None = None


class Persoon(_Lenient):
    burgerservicenummer: str | None = Field(default=None, pattern=r"^\d{9}$")
    leeftijd: int | None = Field(default=None, ge=0, le=150)
    naam: Naam | None = None
    geboorte: dict[str, Any] | None = None
    verblijfplaats: Verblijfplaats | None = None
    nationaliteiten: list[Nationaliteit] | None = None
    partners: list[dict[str, Any]] | None = None
    kinderen: list[dict[str, Any]] | None = None


class BrpAnswer(_Lenient):
    """The ``RaadpleegMetBurgerservicenummer`` answer: exactly one person for one BSN."""

    type: str
    personen: list[Persoon]

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Persoon:
        try:
            answer = cls.model_validate(raw["personen"])
        except (KeyError, TypeError, ValidationError) as exc:
            raise SourceProtocolError(
                f"population: the answer does not match BRP Personen: {exc}".splitlines()[0],
                source="population",
            ) from None
        if len(answer.personen) != 1:
            raise SourceProtocolError(
                f"population: expected one person, got {len(answer.personen)}",
                source="population",
            )
        return answer.personen[0]
