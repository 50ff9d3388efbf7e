"""From Mijn DUO's "Mijn schulden" (``brondata.sources.duo.models``) to ``student_debt.*``.

Only debts of kind ``studieschuld`` count (a levenlanglerenkrediet is another loan). The
outstanding debt and the monthly repayment are summed over them; the repayment rules are
those of the largest. The monthly repayment released is the term DUO collects outside a
pause: the amount reduced for income (draagkracht) where DUO reduced it, else the statutory
one (``wettelijkMaandbedrag``). A pause (aflosvrije periode, at most 60 months) does not make
it zero: it ends, and the lender weighs the term that comes back. That is also the DUO debit
a bank statement shows. The statutory monthly amount (``wettelijkMaandbedrag``, before any
reduction or pause) is what the income norm counts (Trhk art. 3a); where DUO has fixed none
yet it is the annuity of the debt at its rate over the remaining term, and ``None`` when the
overview does not show those. A person without a student debt gets EUR 0.00 for the amounts
and ``None`` for the rules.

Amounts must be decimal strings with cents, as the API writes them: a number where a string
belongs is a schema violation, not a value to guess at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.duo.models import (
    Schulden,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_duo"]

MAPPING_VERSION = "duo.v1"


def _outstanding(s: Schulden) -> dict[str, str]:
    return money(sum((d.schuldsaldo for d in s.student_debts), Decimal(0)))


def _monthly(s: Schulden) -> dict[str, str]:
    return money(sum((d.term for d in s.student_debts), Decimal(0)))


def _statutory(s: Schulden) -> dict[str, str] | None:
    amounts = [d.statutory for d in s.student_debts]
    if any(a is None for a in amounts):
        return None  # not knowable from this overview: the decision names its input missing
    return money(sum((a for a in amounts if a is not None), Decimal(0)))


def _regime(s: Schulden) -> str | None:
    debts = s.student_debts
    return max(debts, key=lambda d: d.schuldsaldo).terugbetalingsregels if debts else None


_MAPPERS: dict[str, Callable[[Schulden], Any]] = {
    "student_debt.outstanding": _outstanding,
    "student_debt.monthly_repayment": _monthly,
    "student_debt.repayment_regime": _regime,
    "student_debt.statutory_monthly_repayment": _statutory,
}


def map_duo(overview: Schulden, attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested ``student_debt.*`` attributes."""
    return select("duo", _MAPPERS, overview, attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_duo(Schulden.from_raw(dict(raw)), attributes)


MAPPING = SourceMapping(version=MAPPING_VERSION, provides=frozenset(_MAPPERS), map=_map)
