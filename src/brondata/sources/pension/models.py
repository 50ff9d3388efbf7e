"""Mijnpensioenoverzicht's raw shape: the ``Pensioenaanspraken`` export, parsed.

The mapping reads only these models; a payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata.errors import MappingError, SourceProtocolError

__all__ = [
    "Aanspraken",
    "AowDetails",
    "AowOpbouw",
    "Leeftijd",
    "OuderdomsPensioen",
    "PensioenRegel",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class Leeftijd(_Lenient):
    Jaren: int
    Maanden: int = 0

    @property
    def months(self) -> int:
        return self.Jaren * 12 + self.Maanden


class AowOpbouw(_Lenient):
    OpgebouwdSamenwonend: int
    TeBereikenSamenwonend: int


class AowDetails(_Lenient):
    AOWDetailsOpbouw: AowOpbouw


class PensioenRegel(_Lenient):
    PensioenUitvoerder: str
    HerkenningsNummer: str
    Opgebouwd: int
    TeBereiken: int
    StandPer: str | None = None


class OuderdomsPensioen(_Lenient):
    Van: Leeftijd | None = None
    Tot: Leeftijd | None = None
    AOW: AowDetails | None = None
    Pensioen: list[PensioenRegel] = []


class Aanspraken(_Lenient):
    AOWLeeftijd: Leeftijd
    StandPer: str | None = None
    perioden: list[OuderdomsPensioen]

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Aanspraken:
        try:
            body = raw["export"]["Pensioenaanspraken"]
            periods = body["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"]
            return cls.model_validate(
                {
                    "AOWLeeftijd": body["AOWLeeftijd"],
                    "StandPer": body.get("StandPer"),
                    "perioden": periods,
                }
            )
        except (KeyError, TypeError, ValidationError) as exc:
            raise SourceProtocolError(
                f"pension: not a Pensioenaanspraken export: {exc}".splitlines()[0], source="pension"
            ) from None

    def at_retirement(self) -> OuderdomsPensioen:
        """The period that covers the AOW age."""
        age = self.AOWLeeftijd.months
        for period in self.perioden:
            start = period.Van.months if period.Van else 0
            end = period.Tot.months if period.Tot else None
            if start <= age and (end is None or age < end):
                return period
        raise MappingError("pension: no period of the export covers the AOW age")
