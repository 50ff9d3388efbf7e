"""The AOW age (state pension age) by date of birth, from the rule table ``aow_age``.

The AOW age is a fact of law, not of the person's pension registry: Algemene Ouderdomswet
art. 7a sets it per calendar year (announced five years ahead), and whoever reaches it in a
year keeps that year's age. ``rules/<year>/aow_age.json`` holds it by date of birth, cited,
evaluated by ``zen-engine`` like every rule table; so the decisions (``aow_age_reached``) and
the checks (``ibl_not_applicable``: within ten years of the AOW age) need only the BRP birth
date, not a login at the pension registry.

For someone born from 1 October 1964 the age is not set yet (2032 and later): the table gives
the legal minimum, 67 and 3 months (art. 7a lid 2 only raises it), marked ``set=False``. That
minimum decides "reached" exactly (the real age is never lower, and lies years ahead); the
years until it are a lower bound, which the checks read on the cautious side.
"""

from __future__ import annotations

import json
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from brondata.dossier._decisions import latest_year, rule_table
from brondata.errors import RuleNotApplicableError

__all__ = [
    "AOW_INPUTS",
    "AowAge",
    "aow_age",
    "aow_age_reached",
    "aow_rule_version",
    "years_until_aow_age",
]

_TABLE = "aow_age"

#: The decision inputs derived through this table (a decision record names its version).
AOW_INPUTS = frozenset({"aow_age_reached"})


@dataclass(frozen=True, slots=True)
class AowAge:
    """The AOW age of one date of birth, and the table version it came from."""

    years: int
    months: int
    #: False: the AOW age of that birth year is not set yet; this is its legal minimum.
    set: bool
    rule_version: str

    def reached_on(self, birth_date: date) -> date:
        """The day the AOW age is reached: the birthday at that age (the month's last day
        for a day it lacks)."""
        month = birth_date.year * 12 + birth_date.month - 1 + self.years * 12 + self.months
        year, month_of_year = month // 12, month % 12 + 1
        return date(year, month_of_year, min(birth_date.day, monthrange(year, month_of_year)[1]))


def aow_rule_version(year: int | None = None) -> str:
    """The version of the ``aow_age`` table of ``year`` (default: the newest), as used."""
    return rule_table(_TABLE, latest_year() if year is None else year).version


def aow_age(birth_date: date, *, year: int | None = None) -> AowAge:
    """The AOW age of a person born on ``birth_date``, by the ``aow_age`` table of ``year``
    (default: the newest). ``RuleNotApplicableError`` if the table has no row for it."""
    table = rule_table(_TABLE, latest_year() if year is None else year)
    try:
        response = table.decision.evaluate(json.dumps({"birth_date": birth_date.isoformat()}))
    except RuntimeError:
        raise RuleNotApplicableError(f"{table.version} could not read the birth date") from None
    result = response["result"]
    years, months, fixed = (
        result.get("aow_age_years"),
        result.get("aow_age_months"),
        result.get("aow_age_set"),
    )
    if not isinstance(years, int) or not isinstance(months, int) or not isinstance(fixed, bool):
        raise RuleNotApplicableError(f"{table.version} has no AOW age for this date of birth")
    return AowAge(years, months, fixed, table.version)


def aow_age_reached(birth_date: date, today: date, *, year: int | None = None) -> bool:
    """Whether a person born on ``birth_date`` has reached the AOW age on ``today``."""
    age = aow_age(birth_date, year=year)
    reached = age.reached_on(birth_date) <= today
    if reached and not age.set:
        # The minimum of a year not yet set lies years ahead of any table in use; reaching
        # it means the table is out of date, not that the person reached the AOW age.
        raise RuleNotApplicableError(
            f"{age.rule_version} does not set the AOW age for this date of birth yet"
        )
    return reached


def years_until_aow_age(birth_date: date, today: date, *, year: int | None = None) -> Decimal:
    """Years (to the day, two decimals) from ``today`` until the AOW age; negative once it
    is reached. For an age not set yet, the years until its legal minimum (a lower bound)."""
    reached = aow_age(birth_date, year=year).reached_on(birth_date)
    return (Decimal((reached - today).days) / Decimal("365.25")).quantize(Decimal("0.01"))
