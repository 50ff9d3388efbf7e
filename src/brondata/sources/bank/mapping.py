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
lid 1 a-i (wages, benefits, pensions, alimony), over the instances combined. Per payer whose
credits, summed per month, are regular (in at least 3 of the 6 complete months, at most twice
a month, within 25 % of that payer's monthly median): its regular months' average, counted
from its first pay (a job that began in the window has no zero months before it), and only
while it pays (a credit in one of the last two months); plus, spread as 1/12 a month, what it
paid above that range once in the window (the holiday allowance, usually in May or June, in
the salary credit or beside it). Transfers from the consumer's own accounts (an IBAN or
holder's name of the data) and allowances (toeslagen, art. 475c lid 1 j) are left out. It is
unknown (left out, so the decision names it missing, never 0) when no payer is regular. When
the window does not hold both May and June and a payer shows no holiday allowance, the figure
is a lower bound, and ``net_income_complete`` says so (the decision uses it only where the cap
of art. 475dc does not bind).

For the dossier checks (``dossier_facts``, never released): ``history_months``, the complete
calendar months the data cover, and ``salary_payers``, the counterparties whose credits pass
the salary rule above. An account covers the whole period asked unless it was opened inside
it: its booked balance less the period's bookings is zero (nothing before) and its first
booking lies after the period's start; it then covers from that booking on. The instance
covers what its longest-covering account covers (a quiet account is not a short one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
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


def _periodic_income(data: BankData) -> tuple[Decimal, bool] | None:
    """Rv art. 475dc lid 1's monthly income (see the module text), and whether it is whole:
    ``False`` when a payer's holiday allowance falls outside the months read (the figure is
    then a lower bound); ``None``: no income seen."""
    months = _complete_months(data)
    own = _own_accounts(data)
    credits = [t for t in _eur_transactions(data) if not own(t) and not _allowance(t)]
    recent = set(months[-_STILL_PAYING:])
    holiday_months_seen = {m for _, m in months} >= _HOLIDAY_ALLOWANCE_MONTHS
    total = Decimal(0)
    found = False
    whole = True
    for txs in _by_counterparty(credits, months, credit=True).values():
        per_month: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        count: dict[tuple[int, int], int] = defaultdict(int)
        for t in txs:
            per_month[_month(t.booking_date)] += t.amount.amount
            count[_month(t.booking_date)] += 1
        middle = Decimal(median(per_month.values()))
        regular = [m for m, s in per_month.items() if abs(s - middle) <= middle * _STABLE]
        if len(regular) < _MIN_MONTHS or any(count[m] > 2 for m in regular):
            continue
        if not recent & set(regular):
            continue  # no longer paying: not an income now
        found = True
        extra = sum(
            (s - middle for s in per_month.values() if s - middle > middle * _STABLE), Decimal(0)
        )
        if extra == 0 and not holiday_months_seen:
            whole = False  # a holiday allowance paid outside the window: not in the figure
        total += sum((per_month[m] for m in regular), Decimal(0)) / len(regular) + extra / 12
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
    payers = sorted({txs[0].counterparty or "" for txs in _salaries(data).values()})
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
