"""Study debt: a DUO student loan, its repayment schedule, and its monthly debits.

``StudentLoan.outstanding_on`` is the one place the debt on a day comes from: the tax return's
studieschuld on 1 January, Mijn DUO's outstanding debt and the bank's DUO debits all read the
same schedule. Persons of the ``student_debt`` and ``student_debt_paused`` scenarios have a
loan; no one else has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from brondata.mock.population._banking import _DIRECT_DEBIT, _Planned, _stable_iban
from brondata.mock.population._common import (
    _MONTHS_NL,
    _add_months,
    _add_years,
    _day_in_month,
    _money,
    _month_index,
    _month_starts,
    _shift_to_weekday,
)

if TYPE_CHECKING:
    from brondata.mock.population._work import _Life

StudentLoanRegime = Literal["SF15", "SF35"]

# DUO's interest rates for 2026, announced by DUO on 10 October 2025 (reported that day by
# OOG TV, "Rente op studieleningen daalt, maar niet voor alle oud-studenten"): 2.33 % for
# SF35 (2.57 % in 2025) and 2.29 % for SF15 (2.21 % in 2025). DUO fixes a borrower's rate for
# five years at a time; one rate for the whole schedule keeps it simple, as the payroll model
# keeps one set of tax parameters.
_RATES: dict[StudentLoanRegime, Decimal] = {"SF15": Decimal("0.0229"), "SF35": Decimal("0.0233")}
# Repaid in 15 years under the rules for studies begun before 1 September 2012 (SF15), in 35
# years under the rules since (SF35).
_TERM_MONTHS: dict[StudentLoanRegime, int] = {"SF15": 15 * 12, "SF35": 35 * 12}
_SF35_FROM = date(2012, 9, 1)
_GRACE_MONTHS = 24  # the aanloopfase: two years after studies end before repayment starts
_DEBIT_DAY = 19
_DUO = "DUO"
_REDUCED_SHARE = 0.2  # of the student_debt scenario: repaying less, by their income


@dataclass(frozen=True, slots=True)
class StudentLoan:
    """A DUO student loan as Mijn DUO shows it, and the schedule behind it (EUR, cents).

    Repayment starts on ``repayment_start``, the 1 January after the two-year aanloopfase,
    from ``original_debt``. Each month from then on, interest at ``interest_rate`` a year
    accrues monthly and DUO collects ``monthly_repayment`` on its debit day, except in the
    months of ``pause`` (first and last month; jokermaanden), when only interest accrues.
    Whatever is left after the term (rounding, a pause, a reduced term) is forgiven.
    ``monthly_repayment`` is the annuity of the original debt over the regime's term, or, when
    ``reduced``, less: what the borrower's income allows (draagkracht). ``outstanding`` and
    ``paused`` are as of the population's ``as_of``; ``monthly_repayment`` stays the term that
    is collected when not paused.
    """

    outstanding: Decimal
    monthly_repayment: Decimal
    original_debt: Decimal
    regime: StudentLoanRegime
    repayment_start: date
    paused: bool
    reduced: bool
    interest_rate: Decimal
    pause: tuple[date, date] | None = None

    @property
    def term_months(self) -> int:
        return _TERM_MONTHS[self.regime]

    @staticmethod
    def debit_day(month: date) -> date:
        """The day DUO collects the term of ``month`` (a weekday)."""
        return _shift_to_weekday(_day_in_month(month.replace(day=1), _DEBIT_DAY), backwards=False)

    def in_term(self, month: date) -> bool:
        """Whether ``month`` lies in the repayment phase."""
        elapsed = _month_index(month) - _month_index(self.repayment_start)
        return 0 <= elapsed < self.term_months

    def repays_in(self, month: date) -> bool:
        """Whether DUO collects a term in ``month``: in the repayment phase and not paused."""
        first = month.replace(day=1)
        paused = self.pause is not None and self.pause[0] <= first <= self.pause[1]
        return self.in_term(first) and not paused

    def outstanding_on(self, day: date) -> Decimal:
        """The debt at the start of ``day``: every month of the repayment phase whose debit
        day lies before ``day`` adds its interest and, unless paused, takes its term."""
        balance = self.original_debt
        monthly_rate = self.interest_rate / 12
        month = self.repayment_start
        while self.in_term(month) and self.debit_day(month) < day:
            balance += _money(balance * monthly_rate)
            if self.repays_in(month):
                balance -= min(balance, self.monthly_repayment)
            month = _add_months(month, 1)
        if not self.in_term(month) and month > self.repayment_start:
            return Decimal("0.00")  # DUO forgives what is left after the term
        return balance


def _duo_debits(loan: StudentLoan, start: date, end: date) -> list[_Planned]:
    """The DUO direct debits of ``loan`` with a debit day in ``[start, end)``."""
    planned: list[_Planned] = []
    for month in _month_starts(_add_months(start.replace(day=1), -1), end):
        day = loan.debit_day(month)
        if not (start <= day < end) or not loan.repays_in(month):
            continue
        if loan.outstanding_on(day) > 0:
            planned.append(
                _Planned(
                    day,
                    -loan.monthly_repayment,
                    _DUO,
                    _stable_iban(_DUO),
                    f"Termijn studieschuld {_MONTHS_NL[month.month - 1]} {month.year}",
                    "student_loan",
                    _DIRECT_DEBIT,
                )
            )
    return planned


def _annuity(debt: Decimal, rate: Decimal, months: int) -> Decimal:
    i = float(rate) / 12
    return _money(float(debt) * i / (1 - (1 + i) ** -months))


def _draw_student_loan(life: _Life, career_start: date) -> StudentLoan | None:
    """The loan of a ``student_debt`` or ``student_debt_paused`` person; ``None`` for anyone
    else. The debt is the life stream's draw it always was; the rest comes from a DUO stream
    of its own, so that no other draw of the person moves."""
    if life.scenario not in ("student_debt", "student_debt_paused"):
        return None
    original = _money(life.rng.randrange(1_200_000, 4_800_000, 1_000) / 100)
    rng = random.Random(f"brondata:{life.seed}:duo:{life.index}")
    regime: StudentLoanRegime = "SF35" if _add_years(life.birth_date, 18) >= _SF35_FROM else "SF15"
    grace_over = _add_months(career_start.replace(day=1), _GRACE_MONTHS)
    repayment_start = date(grace_over.year + (0 if grace_over.month == 1 else 1), 1, 1)
    # Both scenarios are about a loan being repaid: the repayment phase began at least ten
    # months before as_of (studies ended earlier than the career's first payslip says).
    repayment_start = min(repayment_start, date(life.as_of.year - 1, 1, 1))
    rate = _RATES[regime]
    monthly = _annuity(original, rate, _TERM_MONTHS[regime])
    reduce_by = rng.uniform(0.3, 0.8)
    reduced = life.scenario == "student_debt" and rng.random() < _REDUCED_SHARE
    if reduced:
        monthly = _money(monthly * Decimal(str(round(reduce_by, 2))))
    this_month = life.as_of.replace(day=1)
    pause: tuple[date, date] | None = None
    if life.scenario == "student_debt_paused":
        # In a pause now that began up to nine months ago and lasts one to two years.
        first = _add_months(this_month, -rng.randint(1, 9))
        first = max(first, _add_months(repayment_start, 1))
        pause = (first, _add_months(first, rng.randint(12, 24) - 1))
    loan = StudentLoan(
        outstanding=original,
        monthly_repayment=monthly,
        original_debt=original,
        regime=regime,
        repayment_start=repayment_start,
        paused=pause is not None and pause[0] <= this_month <= pause[1],
        reduced=reduced,
        interest_rate=rate,
        pause=pause,
    )
    return replace(loan, outstanding=loan.outstanding_on(life.as_of))
