"""Study debt: a DUO student loan, its balance on a given day and its monthly debits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from brondata.mock.population._banking import _DIRECT_DEBIT, _Planned, _stable_iban
from brondata.mock.population._common import (
    _MONTHS_NL,
    _add_months,
    _day_in_month,
    _money,
    _month_index,
    _month_starts,
    _shift_to_weekday,
    _whole,
)

if TYPE_CHECKING:
    from brondata.mock.population._work import _Life

_STUDENT_DEBT_LENDER = "DUO Dienst Uitvoering Onderwijs"


@dataclass(frozen=True, slots=True)
class _StudentDebt:
    """A student debt repaid in equal monthly terms from ``repay_from``."""

    initial: Decimal
    repay_from: date
    monthly: Decimal

    def on(self, day: date) -> int:
        """The debt left on ``day``, whole euros."""
        paid = max(0, _month_index(day) - _month_index(self.repay_from))
        return _whole(max(Decimal(0), self.initial - self.monthly * paid))

    def debits(self, window_start: date, as_of: date) -> list[_Planned]:
        """The monthly DUO direct debits from ``window_start`` up to ``as_of``."""
        planned: list[_Planned] = []
        for month in _month_starts(max(window_start, self.repay_from), as_of):
            if self.on(month) > 0:
                planned.append(
                    _Planned(
                        _shift_to_weekday(_day_in_month(month, 19), backwards=False),
                        -self.monthly,
                        _STUDENT_DEBT_LENDER,
                        _stable_iban(_STUDENT_DEBT_LENDER),
                        f"Termijn studieschuld {_MONTHS_NL[month.month - 1]} {month.year}",
                        "student_loan",
                        _DIRECT_DEBIT,
                    )
                )
        return planned


def _draw_student_debt(life: _Life, career_start: date) -> _StudentDebt | None:
    """The ``student_debt`` scenario's loan: repaid over 35 years from two years into the
    career."""
    if life.scenario != "student_debt":
        return None
    initial = _money(life.rng.randrange(1_200_000, 4_800_000, 1_000) / 100)
    repay_from = _add_months(career_start, 24)
    return _StudentDebt(initial, repay_from, _money(float(initial) / (35 * 12)))
