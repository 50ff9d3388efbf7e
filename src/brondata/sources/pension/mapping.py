"""From the Mijnpensioenoverzicht export to ``pension.*``.

The export lists, per period of life (``Van``/``Tot`` ages), the supplementary pensions and
the state pension (AOW). The figures at retirement are those of the period that covers the
AOW age. AOW comes in two amounts, for people living alone and living together; the export
does not say which applies, so brondata releases the lower, living-together amount: the
conservative figure a lender should use (the catalogue text says "AOW included").

``years_until_aow_age(aow_age, birth_date, today)`` reads the released ``pension.aow_age``
text back, with ``person.birth_date``: the years (to the day, as a decimal) until the AOW age,
negative once reached. The dossier checks and the decisions take it from here.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from brondata.errors import MappingError
from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.pension.models import (
    Aanspraken,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_pension", "years_until_aow_age"]

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


_AOW_AGE = re.compile(r"^(\d{2}) years(?: (\d{1,2}) months)?$")


def years_until_aow_age(aow_age: object, birth_date: object, today: date) -> Decimal:
    """Years from ``today`` until the AOW age (``pension.aow_age``, e.g. "67 years 3 months")
    of a person born on ``birth_date`` (ISO text or a date); negative once it is reached."""
    match = _AOW_AGE.match(aow_age) if isinstance(aow_age, str) else None
    try:
        born = birth_date if isinstance(birth_date, date) else date.fromisoformat(str(birth_date))
    except ValueError:
        born = None
    if match is None or born is None:
        raise MappingError("pension: the AOW age or the birth date is not in catalogue form")
    month = born.year * 12 + born.month - 1 + int(match[1]) * 12 + int(match[2] or 0)
    year, month_of_year = month // 12, month % 12 + 1
    # The AOW date: the birthday at that age (the month's last day for a day it lacks).
    reached = date(year, month_of_year, min(born.day, monthrange(year, month_of_year)[1]))
    return (Decimal((reached - today).days) / Decimal("365.25")).quantize(Decimal("0.01"))


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
