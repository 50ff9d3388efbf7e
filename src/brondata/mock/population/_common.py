"""Calendar, money and hashing helpers that every domain of the population shares.

Nothing here draws from a random stream: these are pure functions of their arguments.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

_MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _whole(value: Decimal | float) -> int:
    """Whole euros, rounded down, as the tax authority rounds income."""
    return int(Decimal(str(value)).to_integral_value(rounding=ROUND_FLOOR))


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _add_years(day: date, years: int) -> date:
    return _add_months(day, 12 * years)


def _years_between(start: date, end: date) -> float:
    return max(0.0, (end - start).days / 365.25)


def _digits(*parts: object, length: int) -> str:
    """A deterministic string of ``length`` digits from a hash of ``parts``."""
    text = ":".join(str(p) for p in parts)
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:12])
    return f"{number % 10**length:0{length}d}"


def _with_check_digit(head8: str) -> str | None:
    """``head8`` plus the ninth digit that makes it pass the eleven-test, if one exists."""
    weighted = sum(w * int(d) for w, d in zip(range(9, 1, -1), head8, strict=True))
    check = weighted % 11
    return None if check == 10 else head8 + str(check)


def _shift_to_weekday(day: date, *, backwards: bool) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=-1 if backwards else 1)
    return day


def _months_back(as_of: date, months: int) -> date:
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
    month += 1
    return date(year, month, min(as_of.day, calendar.monthrange(year, month)[1]))


def _month_starts(start: date, end: date) -> Iterator[date]:
    """The first day of every month that overlaps ``[start, end)``."""
    current = date(start.year, start.month, 1)
    while current < end:
        yield current
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)


def _day_in_month(month_start: date, day: int) -> date:
    last = calendar.monthrange(month_start.year, month_start.month)[1]
    return month_start.replace(day=min(day, last))


_MULTIPLIER = 7_368_787  # prime, and coprime to any power of ten


def _offset(seed: int, modulus: int) -> int:
    return int.from_bytes(hashlib.sha256(f"brondata:{seed}".encode()).digest()[:8]) % modulus


def _bijection(seed: int, index: int, modulus: int) -> int:
    """An injective map from the index to ``[0, modulus)``, shuffled by the seed.

    An affine map with a multiplier coprime to the modulus is a permutation, which makes BSNs
    and account numbers unique across the population without a registry.
    """
    return (index * _MULTIPLIER + _offset(seed, modulus)) % modulus


def _bijection_inverse(seed: int, value: int, modulus: int) -> int:
    return ((value - _offset(seed, modulus)) * pow(_MULTIPLIER, -1, modulus)) % modulus
