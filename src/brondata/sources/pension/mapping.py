"""From the Mijnpensioenoverzicht export to ``pension.*``.

The export lists, per period of life (``Van``/``Tot`` ages), the supplementary pensions and
the state pension (AOW). The figures at retirement are those of the period that covers the
AOW age. AOW comes in two amounts, for people living alone and living together; the export
does not say which applies, so brondata releases the lower, living-together amount: the
conservative figure a lender should use (the catalogue text says "AOW included").

``pension.aow_age`` is released as the registry shows it; the dossier checks and the
decisions take the AOW age from the law instead (``brondata.dossier``'s ``aow_age`` table and
the BRP birth date), so they need no pension login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.pension.models import (
    Aanspraken,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_pension"]

MAPPING_VERSION = "pension.v1"


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
