"""From the UWV verzekeringsbericht to ``employment.*``.

* ``employment.current``: relations without an end date, or ending after today.
* ``employment.history``: every relation in the message (UWV gives five years at most).
* ``employment.sv_wage_12m``: the SV-loon of the periods that start in the 12 complete
  calendar months before today's month, summed; lenders take it as the annual income.
* ``employment.permanent_contract``: a current relation with ``soortContract`` onbepaald.
* ``employment.taxable_income_annual``: C of Rv art. 475da lid 2 as art. 475d lid 1 computes
  it, "op basis van het meest recente maandinkomen zoals dat blijkt uit de
  polisadministratie": the fiscal wage (``fiscaalLoon``, loon voor de loonheffing) of every
  period that starts in the latest month in the message, summed, times 12. ``None`` (unknown,
  never 0) when that month is more than three months before today's (no current income in
  the polis), when a period of it has no fiscal wage, or when there is no period at all (the
  report leaves out benefits and self-employment). Not applied: the order in council for a
  latest month that does not reflect the income (art. 475d lid 1, fourth sentence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.employment.models import (
    Inkomstenverhouding,
    Verzekeringsbericht,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_employment"]

MAPPING_VERSION = "employment.v1"

_CONTRACT = {"onbepaald": "permanent", "bepaald": "temporary"}


def _relation(r: Inkomstenverhouding) -> dict[str, Any]:
    return {
        "employer": r.werkgever.naam,
        "start": r.datumAanvang.isoformat(),
        "end": r.datumEinde.isoformat() if r.datumEinde else None,
        "contract": _CONTRACT.get(r.soortContract, r.soortContract),
        "hours_per_week": r.urenPerWeek,
    }


def _current(b: Verzekeringsbericht, today: date) -> list[Inkomstenverhouding]:
    return [r for r in b.inkomstenverhoudingen if r.datumEinde is None or r.datumEinde >= today]


def _sv_wage_12m(b: Verzekeringsbericht, today: date) -> dict[str, str]:
    this_month = _month(today)
    first = this_month - 12
    total = Decimal(0)
    for relation in b.inkomstenverhoudingen:
        for period in relation.perioden:
            month = _month(period.datumAanvang)
            if first <= month < this_month:
                total += period.svLoon
    return money(total)


#: The polis is filled by the monthly payroll tax returns, due the month after the period: a
#: latest month further back than this shows no current income.
_POLIS_LAG_MONTHS = 3


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _taxable_income_annual(b: Verzekeringsbericht, today: date) -> dict[str, str] | None:
    periods = [p for r in b.inkomstenverhoudingen for p in r.perioden]
    if not periods:
        return None
    latest = max(_month(p.datumAanvang) for p in periods)
    if latest < _month(today) - _POLIS_LAG_MONTHS:
        return None
    wages = [p.fiscaalLoon for p in periods if _month(p.datumAanvang) == latest]
    if any(w is None for w in wages):
        return None
    return money(sum((w for w in wages if w is not None), Decimal(0)) * 12)


_Input = tuple[Verzekeringsbericht, date]

_MAPPERS: dict[str, Callable[[_Input], Any]] = {
    "employment.current": lambda m: [_relation(r) for r in _current(*m)],
    "employment.history": lambda m: [_relation(r) for r in m[0].inkomstenverhoudingen],
    "employment.sv_wage_12m": lambda m: _sv_wage_12m(*m),
    "employment.taxable_income_annual": lambda m: _taxable_income_annual(*m),
    "employment.permanent_contract": lambda m: any(
        r.soortContract == "onbepaald" for r in _current(*m)
    ),
}


def map_employment(
    message: Verzekeringsbericht, attributes: Iterable[str], today: date
) -> dict[str, Any]:
    """Exactly the requested ``employment.*`` attributes, as of ``today``."""
    return select("employment", _MAPPERS, (message, today), attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_employment(Verzekeringsbericht.from_raw(dict(raw)), attributes, today)


MAPPING = SourceMapping(version=MAPPING_VERSION, provides=frozenset(_MAPPERS), map=_map)
