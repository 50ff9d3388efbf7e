"""From a bank's raw PSD2 data to catalogue attributes: pure functions, no I/O.

Derived attributes are computed from what a real bank returns (counterparties, amounts,
dates); nothing relies on a category the bank does not send. The rules:

* ``bank.balance_total``: the sum of the booked balances (``closingBooked``, else
  ``interimBooked``, else ``expected``) of the EUR accounts. Accounts in other currencies
  are left out rather than converted at a rate nobody agreed to.
* ``bank.salary_monthly_average``: the payer that credited the largest regular amount in at
  least 3 of the 6 complete months is the employer; the attribute is the sum of that payer's
  credits in those 6 months divided by 6 (a missed month counts as zero, as a lender would).
* ``bank.fixed_costs_monthly_average``: payees debited in at least 3 of the 6 months, at most
  twice a month, with stable amounts (each within 25 % of that payee's median): rent or
  mortgage, utilities, insurance. Groceries (many debits of varying amounts) fall out.
* ``bank.accounts`` and ``bank.transactions`` are copies in catalogue shape.

For the decisions (``decision_inputs``, never released): ``net_income_monthly``, the monthly
income of Rv art. 475dc lid 1 (the cap of the beslagvrije voet at 95% of it): "het
maandelijkse inkomen inclusief vakantiebijslag" from every periodic payment of art. 475c
lid 1 a-i (wages, benefits, pensions, alimony), over the instances combined, per payer paying
in at least 3 of the 6 complete months and still paying (in one of the last two):

* by the period (weekly, two-weekly, four-weekly: three in four of the days between its pay
  credits, those within 25 % of its median credit, are 7, 14 or 28 give or take 2): the pay
  credits' average at its yearly rate, 52/12, 26/12 or 13/12 of it a month (a month holds
  four or five weeks, so its monthly sums differ 25 %; a four-weekly pay needs five credits
  whose mean gap is under 29 days, a monthly one's is above);
* else by the month (its credits summed per month within 25 % of its monthly median): its
  regular months' average, counted from its first pay (a job that began in the window has no
  zero months before it);

plus, spread as 1/12 a month, what it paid above that once in the window (the holiday
allowance, in a pay credit or beside it; a thirteenth month). Transfers from the consumer's
own accounts (an IBAN or holder's name of the data) and allowances (toeslagen, art. 475c lid
1 j) are left out. It is unknown (left out, so the decision names it missing, never 0) when
no payer's pay is read. The figure is a lower bound, and ``net_income_complete`` says so (the
decision uses it only where the cap of art. 475dc does not bind), when a payer that pays has
no rhythm read (left out), or when the window does not hold both May and June and a payer
shows no extra paid in May or June (its holiday allowance; a December extra is not it).

For the dossier checks (``dossier_facts``, never released): ``history_months``, the complete
calendar months the data cover, and ``salary_payers``, the counterparties whose credits pass
the salary rule above, or that pay by the period (weekly, two-weekly, four-weekly, as
above). An account covers the whole period asked unless it was opened inside it: its booked
balance less the period's bookings is zero (nothing before) and its first booking lies after
the period's start; it then covers from that booking on. The instance covers what its
longest-covering account covers (a quiet account is not a short one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise
from statistics import median
from typing import Any

from brondata.errors import MappingError
from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.bank.models import BankData, BankTransaction

__all__ = ["MAPPING", "MAPPING_VERSION", "decision_inputs", "dossier_facts", "map_bank"]

MAPPING_VERSION = "bank.v1"

_MONTHS = 6
_MIN_MONTHS = 3
_STABLE = Decimal("0.25")
_CENT = Decimal("0.01")
_BOOKED_PREFERENCE = ("closingBooked", "interimBooked", "expected", "interimAvailable")


def _month(day: date) -> tuple[int, int]:
    return (day.year, day.month)


def _complete_months(data: BankData) -> list[tuple[int, int]]:
    """The calendar months fully inside the fetched period, up to six, oldest first."""
    start, end = data.period_start, data.period_end
    months: list[tuple[int, int]] = []
    index = start.year * 12 + start.month - 1
    if start.day != 1:
        index += 1
    last = end.year * 12 + end.month - 1  # the current month is never complete
    while index < last:
        months.append((index // 12, index % 12 + 1))
        index += 1
    return months[-_MONTHS:]


def _eur_transactions(data: BankData) -> list[BankTransaction]:
    return [t for txs in data.transactions.values() for t in txs if t.amount.currency == "EUR"]


def _accounts(data: BankData) -> list[dict[str, Any]]:
    return [
        {"iban": a.iban, "currency": a.currency, "owner_name": a.owner_name or ""}
        for a in data.accounts
    ]


def _balance_total(data: BankData) -> dict[str, str]:
    total = Decimal(0)
    for account in data.accounts:
        if account.currency != "EUR":
            continue
        balances = {b.balance_type: b for b in data.balances.get(account.resource_id, ())}
        chosen = next((balances[t] for t in _BOOKED_PREFERENCE if t in balances), None)
        if chosen is None:
            raise MappingError("bank: an account has no booked balance")
        total += chosen.balance_amount.amount
    return money(total)


def _by_counterparty(
    transactions: Iterable[BankTransaction], months: Sequence[tuple[int, int]], credit: bool
) -> dict[str, list[BankTransaction]]:
    window = set(months)
    groups: dict[str, list[BankTransaction]] = defaultdict(list)
    for t in transactions:
        if (t.amount.amount > 0) != credit or _month(t.booking_date) not in window:
            continue
        counterparty = t.counterparty
        if counterparty:
            groups[counterparty.casefold()].append(t)
    return groups


def _stable(amounts: Sequence[Decimal]) -> bool:
    middle = Decimal(median(amounts))
    return middle != 0 and all(abs(a - middle) <= abs(middle) * _STABLE for a in amounts)


def _salaries(data: BankData) -> dict[str, list[BankTransaction]]:
    """Per payer, the credits that pass the salary rule (regular, stable, at most twice a
    month) in the complete months."""
    months = _complete_months(data)
    found = {}
    for payer, txs in _by_counterparty(_eur_transactions(data), months, credit=True).items():
        per_month = {_month(t.booking_date) for t in txs}
        amounts = [t.amount.amount for t in txs]
        if len(per_month) >= _MIN_MONTHS and len(txs) <= 2 * len(per_month) and _stable(amounts):
            found[payer] = txs
    return found


def _salary(data: BankData) -> dict[str, str]:
    totals = [sum((t.amount.amount for t in txs), Decimal(0)) for txs in _salaries(data).values()]
    return money(max(totals, default=Decimal(0)) / _MONTHS)


#: The months in which a holiday allowance paid once a year usually falls.
_HOLIDAY_ALLOWANCE_MONTHS = frozenset({5, 6})
#: A payer still pays when it credited in one of the last this many complete months.
_STILL_PAYING = 2


def _own_accounts(data: BankData) -> Callable[[BankTransaction], bool]:
    """Whether a credit comes from one of the consumer's own accounts (by IBAN, or the
    holder's name)."""
    ibans = {a.iban.replace(" ", "").upper() for a in data.accounts}
    holders = {a.owner_name.casefold() for a in data.accounts if a.owner_name}

    def own(t: BankTransaction) -> bool:
        iban = t.debtor_account.iban if t.debtor_account else None
        if iban and iban.replace(" ", "").upper() in ibans:
            return True
        return t.counterparty.casefold() in holders

    return own


def _allowance(t: BankTransaction) -> bool:
    """An allowance of art. 475c lid 1 j (huurtoeslag, zorgtoeslag ...): outside a-i."""
    return "toeslag" in f"{t.counterparty} {t.remittance or ''}".casefold()


#: Pay by the period rather than the calendar month: days between pay dates, and periods a
#: year (a weekly wage counts 52/12 of a week's pay a month, a four-weekly one 13/12).
_PERIODS = ((7, 52), (14, 26), (28, 13))
#: How far a pay date may move from its rhythm (a bank holiday, a weekend).
_DAYS_OFF = 2
#: A four-weekly rhythm needs this many pay credits to tell it from a monthly one: over five
#: or more, a monthly pay's mean gap is above 29.4 days, a four-weekly one's below 28.5.
_FOUR_WEEKLY_CREDITS = 5
_FOUR_WEEKLY_MEAN = Decimal(29)


def _rhythm(pay: Sequence[BankTransaction]) -> int | None:
    """Periods a year of the pay credits' rhythm (weekly, two-weekly, four-weekly), read from
    the days between them; ``None``: no such rhythm."""
    days = sorted({t.booking_date for t in pay})
    gaps = [(b - a).days for a, b in pairwise(days)]
    if len(gaps) < _MIN_MONTHS - 1:
        return None
    for period, per_year in _PERIODS:
        close = [g for g in gaps if abs(g - period) <= _DAYS_OFF]
        if len(close) * 4 < len(gaps) * 3:  # three in four gaps keep the rhythm
            continue
        if 2 * sum(close) >= (2 * period + 1) * len(close):
            continue  # longer on average: twice a month (about 15.2 days), not two-weekly
        if period == 28 and (
            len(days) < _FOUR_WEEKLY_CREDITS
            or Decimal((days[-1] - days[0]).days) / len(gaps) >= _FOUR_WEEKLY_MEAN
        ):
            continue  # as likely a monthly pay
        return per_year
    return None


def _by_the_period(
    txs: Sequence[BankTransaction], recent: set[tuple[int, int]]
) -> tuple[Decimal, dict[tuple[int, int], Decimal]] | None:
    """A payer paying by the period: its monthly pay (the pay credits' average at its yearly
    rate) and its extras per month (above the band: what a credit in a pay slot holds above
    the pay, or all of one beside a pay credit); ``None``: it has no such rhythm, or no
    longer pays."""
    middle = Decimal(median(t.amount.amount for t in txs))
    pay = [t for t in txs if abs(t.amount.amount - middle) <= middle * _STABLE]
    if len(pay) * 4 < len(txs) * 3:
        return None
    per_year = _rhythm(pay)
    paying = {_month(t.booking_date) for t in pay}
    if per_year is None or len(paying) < _MIN_MONTHS or not recent & paying:
        return None
    amount = sum((t.amount.amount for t in pay), Decimal(0)) / len(pay)
    extra: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for t in txs:
        if t.amount.amount - middle > middle * _STABLE:
            beside = any(abs((t.booking_date - p.booking_date).days) <= _DAYS_OFF for p in pay)
            extra[_month(t.booking_date)] += t.amount.amount - (0 if beside else amount)
    return amount * per_year / 12, extra


def _period_payers(data: BankData) -> set[str]:
    """The payers paying by the period (a weekly wage ...): salary credits for the checks too,
    which the salary rule (at most twice a month) does not see."""
    months = _complete_months(data)
    recent = set(months[-_STILL_PAYING:])
    groups = _by_counterparty(_eur_transactions(data), months, credit=True)
    return {txs[0].counterparty for txs in groups.values() if _by_the_period(txs, recent)}


def _by_the_month(
    txs: Sequence[BankTransaction], recent: set[tuple[int, int]]
) -> tuple[Decimal, dict[tuple[int, int], Decimal]] | None:
    """A payer paying by the calendar month: its regular months' average (counted from its
    first pay, while it pays) and its extras per month (a month's sum above the band);
    ``None``: its monthly sums are not regular, or it no longer pays."""
    per_month: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for t in txs:
        per_month[_month(t.booking_date)] += t.amount.amount
    middle = Decimal(median(per_month.values()))
    regular = [m for m, s in per_month.items() if abs(s - middle) <= middle * _STABLE]
    if len(regular) < _MIN_MONTHS or not recent & set(regular):
        return None
    extra = {m: s - middle for m, s in per_month.items() if s - middle > middle * _STABLE}
    return sum((per_month[m] for m in regular), Decimal(0)) / len(regular), extra


def _periodic_income(data: BankData) -> tuple[Decimal, bool] | None:
    """Rv art. 475dc lid 1's monthly income (see the module text), and whether it is whole:
    ``False`` when a payer's holiday allowance falls outside the months read, or a payer's
    rhythm cannot be read (the figure is then a lower bound); ``None``: no income seen."""
    months = _complete_months(data)
    own = _own_accounts(data)
    credits = [t for t in _eur_transactions(data) if not own(t) and not _allowance(t)]
    recent = set(months[-_STILL_PAYING:])
    holiday_months_seen = {m for _, m in months} >= _HOLIDAY_ALLOWANCE_MONTHS
    total = Decimal(0)
    found = False
    whole = True
    for txs in _by_counterparty(credits, months, credit=True).values():
        paid = _by_the_period(txs, recent) or _by_the_month(txs, recent)
        if paid is None:
            paying = {_month(t.booking_date) for t in txs}
            if len(paying) >= _MIN_MONTHS and recent & paying:
                whole = False  # it pays, at no rhythm read: left out, and said to be
            continue
        found = True
        monthly, extra = paid
        if not holiday_months_seen and not any(m in _HOLIDAY_ALLOWANCE_MONTHS for _, m in extra):
            whole = False  # its holiday allowance was paid outside the window: not in the figure
        total += monthly + sum(extra.values(), Decimal(0)) / 12
    return (total, whole) if found else None


def decision_inputs(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The decisions' inputs from the (combined) bank data, see the module text; an unknown
    one is left out."""
    income = _periodic_income(BankData.parsed(raw))
    if income is None:
        return {}
    amount, whole = income
    return {"net_income_monthly": money(amount)["amount"], "net_income_complete": whole}


def _fixed_costs(data: BankData) -> dict[str, str]:
    months = _complete_months(data)
    total = Decimal(0)
    for txs in _by_counterparty(_eur_transactions(data), months, credit=False).values():
        per_month: dict[tuple[int, int], int] = defaultdict(int)
        for t in txs:
            per_month[_month(t.booking_date)] += 1
        amounts = [-t.amount.amount for t in txs]
        if len(per_month) >= _MIN_MONTHS and max(per_month.values()) <= 2 and _stable(amounts):
            total += sum(amounts, Decimal(0))
    return money(total / _MONTHS)


def _transactions(data: BankData) -> list[dict[str, Any]]:
    out = []
    for account in data.accounts:
        for t in data.transactions.get(account.resource_id, ()):
            out.append(
                {
                    "account_iban": account.iban,
                    "booking_date": t.booking_date.isoformat(),
                    **money(t.amount.amount, t.amount.currency),
                    "counterparty": t.counterparty,
                    "description": t.remittance or "",
                }
            )
    out.sort(key=lambda t: (t["booking_date"], t["account_iban"]))
    return out


_MAPPERS: dict[str, Callable[[BankData], Any]] = {
    "bank.accounts": _accounts,
    "bank.balance_total": _balance_total,
    "bank.salary_monthly_average": _salary,
    "bank.fixed_costs_monthly_average": _fixed_costs,
    "bank.transactions": _transactions,
}


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _covered_months(data: BankData) -> int:
    end = _month_index(data.period_end)  # the current month is never complete
    best = 0
    for account in data.accounts:
        booked = data.transactions.get(account.resource_id, ())
        start = data.period_start
        balances = {b.balance_type: b for b in data.balances.get(account.resource_id, ())}
        balance = next((balances[t] for t in _BOOKED_PREFERENCE if t in balances), None)
        amount = Decimal(0) if balance is None else balance.balance_amount.amount
        if not booked and amount == 0:
            continue  # an empty account shows nothing of any period
        if booked and amount - sum((t.amount.amount for t in booked), Decimal(0)) == 0:
            start = max(start, min(t.booking_date for t in booked))  # opened in the period
        first_month = _month_index(start) + (start.day != 1)
        best = max(best, end - first_month)
    return max(0, best)


def dossier_facts(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """One bank instance's facts for the dossier checks (see the module text)."""
    data = BankData.from_raw(dict(raw))
    salaried = {txs[0].counterparty or "" for txs in _salaries(data).values()}
    payers = sorted(salaried | _period_payers(data))
    return {"history_months": _covered_months(data), "salary_payers": payers}


def map_bank(data: BankData, attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested bank attributes, computed from ``data``; nothing else."""
    return select("bank", _MAPPERS, data, attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_bank(BankData.parsed(raw), attributes)


MAPPING = SourceMapping(
    version=MAPPING_VERSION,
    provides=frozenset(_MAPPERS),
    map=_map,
    facts=dossier_facts,
    inputs=decision_inputs,
)
