"""From the Mijnpensioenoverzicht export to ``pension.*``.

The export lists, per period of life (``Van``/``Tot`` ages), the supplementary pensions and
the state pension (AOW). The figures at retirement are those of the period that covers the
AOW age. AOW comes in two amounts, for people living alone and living together; the export
does not say which applies, so brondata releases the lower, living-together amount: the
conservative figure a lender should use (the catalogue text says "AOW included").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select

__all__ = ["MAPPING", "MAPPING_VERSION", "Aanspraken", "map_pension"]

MAPPING_VERSION = "pension.v1"


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


def _total(a: Aanspraken, accrued: bool) -> dict[str, str]:
    period = a.at_retirement()
    pensions = sum(p.Opgebouwd if accrued else p.TeBereiken for p in period.Pensioen)
    aow = 0
    if period.AOW is not None:
        build = period.AOW.AOWDetailsOpbouw
        aow = build.OpgebouwdSamenwonend if accrued else build.TeBereikenSamenwonend
    return money(pensions + aow)


def _providers(a: Aanspraken) -> list[dict[str, Any]]:
    out = []
    for p in a.at_retirement().Pensioen:
        out.append(
            {
                "provider": p.PensioenUitvoerder,
                "reference": p.HerkenningsNummer,
                "accrued": money(p.Opgebouwd),
                "reachable": money(p.TeBereiken),
                "as_of": p.StandPer or a.StandPer,
            }
        )
    return out


def _aow_age(a: Aanspraken) -> str:
    years, months = a.AOWLeeftijd.Jaren, a.AOWLeeftijd.Maanden
    return f"{years} years" + (f" {months} months" if months else "")


_MAPPERS: dict[str, Callable[[Aanspraken], Any]] = {
    "pension.expected_annual": lambda a: _total(a, accrued=False),
    "pension.accrued_annual": lambda a: _total(a, accrued=True),
    "pension.providers": _providers,
    "pension.aow_age": _aow_age,
}


def map_pension(export: Aanspraken, attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested ``pension.*`` attributes."""
    return select("pension", _MAPPERS, export, attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_pension(Aanspraken.from_raw(dict(raw)), attributes)


MAPPING = SourceMapping(version=MAPPING_VERSION, provides=frozenset(_MAPPERS), map=_map)
