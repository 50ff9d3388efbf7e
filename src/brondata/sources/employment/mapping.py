"""From the UWV verzekeringsbericht to ``employment.*``.

* ``employment.current``: relations without an end date, or ending after today.
* ``employment.history``: every relation in the message (UWV gives five years at most).
* ``employment.sv_wage_12m``: the SV-loon of the periods that start in the 12 complete
  calendar months before today's month, summed; lenders take it as the annual income.
* ``employment.permanent_contract``: a current relation with ``soortContract`` onbepaald.
* ``employment.taxable_income_annual``: C of Rv art. 475da lid 2 as art. 475d lid 1 computes
  it, "op basis van het meest recente maandinkomen zoals dat blijkt uit de
  polisadministratie" (which records the wage "in de zin van de Wet op de loonbelasting 1964"
  beside the SV-loon: Wet SUWI art. 33 lid 2 a and d): per relation, its latest period that
  starts or ends in the latest month of the message, that period's fiscal wage
  (``fiscaalLoon``, loon voor de loonheffing) times the periods a year (a calendar month 12,
  four weeks 13, a week 52), summed. ``None`` (unknown, never 0) when that month is more than
  three months before today's (no current income in the polis), when such a period has no
  fiscal wage or covers part of a month only (a job that began or ended in it), or when
  there is no period at all (the report leaves out benefits and self-employment). The latest
  month counts "tenzij dit maandinkomen geen reele afspiegeling vormt ... omdat het
  maandinkomen fluctueert of er sprake is van een incidentele betaling", judged on "de vier
  meest recente maanden": the latest month, annualised as above, against the median of the
  three before it, each annualised alike; more than 10 % apart (``_REAL_REFLECTION``) and
  it is ``None`` too, as when one of them cannot be told: a May that holds the holiday
  allowance is not that allowance twelve times. The order in council for such a month
  (art. 475d lid 1, fourth sentence) is not applied.

  The holiday allowance outside the month it is paid: the law takes the latest month's
  taxable income as the polis shows it, and the periods as this mapping reads them
  (``models.Periode``: SV-loon and fiscal wage) carry no holiday allowance accrued in the
  period, so C leaves a holiday allowance paid once a year out (about 8 % of the wage: a
  lower C, so slightly lower income-dependent terms of the beslagvrije voet). Adding an
  estimate would be a figure the polis does not show; a period field of accrued holiday
  allowance, where UWV gives one, belongs in the period's wage here.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from statistics import median
from typing import Any

from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.employment.models import (
    Inkomstenverhouding,
    Periode,
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
#: Art. 475d lid 1, third sentence: whether the latest month reflects the income "wordt
#: beoordeeld aan de hand van ... de vier meest recente maanden": the latest and three before.
_JUDGED_MONTHS = 4
#: How far the latest month may lie from the median of the three before it and still be a
#: "reele afspiegeling". A rise of a few percent (a collective agreement's, a step in the
#: scale) stays within; a holiday allowance paid at once (at least 8% of the year's wage, Wet
#: minimumloon en minimumvakantiebijslag art. 15 lid 1: about 96% of a month) or a
#: thirteenth month (100%) is far outside, and so is a month of many more or fewer hours.
#: Our choice until the order in council (art. 475d lid 1, fourth sentence) is applied:
#: beyond it C is unknown, never a month annualised that the law says not to take.
_REAL_REFLECTION = Decimal("0.10")


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def _periods_a_year(p: Periode) -> int | None:
    """How many periods like ``p`` a year has: a calendar month 12, four weeks 13, a week 52;
    ``None`` for a part of a month (a job that began or ended in it)."""
    days = (p.datumEinde - p.datumAanvang).days + 1
    last_day = calendar.monthrange(p.datumAanvang.year, p.datumAanvang.month)[1]
    if p.datumAanvang.day == 1 and p.datumEinde == p.datumAanvang.replace(day=last_day):
        return 12
    return {28: 13, 7: 52}.get(days)


def _annual_in(b: Verzekeringsbericht, month: int) -> Decimal | None:
    """The fiscal wage of ``month`` made a year's: per relation, its latest period that starts
    or ends in that month, times the periods a year, summed (0: no income that month);
    ``None`` when such a period has no fiscal wage or covers part of a month only."""
    total = Decimal(0)
    for relation in b.inkomstenverhoudingen:
        touching = [
            p for p in relation.perioden if month in (_month(p.datumAanvang), _month(p.datumEinde))
        ]
        if not touching:
            continue  # no income from this relation in that month
        period = max(touching, key=lambda p: p.datumAanvang)
        factor = _periods_a_year(period)
        if period.fiscaalLoon is None or factor is None:
            return None
        total += period.fiscaalLoon * factor
    return total


def _taxable_income_annual(b: Verzekeringsbericht, today: date) -> dict[str, str] | None:
    starts = [_month(p.datumAanvang) for r in b.inkomstenverhoudingen for p in r.perioden]
    if not starts:
        return None
    month = max(starts)
    if month < _month(today) - _POLIS_LAG_MONTHS:
        return None
    latest = _annual_in(b, month)
    before = [_annual_in(b, month - k) for k in range(1, _JUDGED_MONTHS)]
    if latest is None or any(a is None for a in before):
        return None
    usual = median(a for a in before if a is not None)
    if usual == 0 or abs(latest - usual) > usual * _REAL_REFLECTION:
        return None  # not a real reflection of the income (art. 475d lid 1): unknown
    return money(latest)


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
