"""Banking: IBANs, accounts at the two mock banks, transactions, and the bank history.

Every person banks at ``mockbank``: the current account (and maybe a savings account) whose
history takes the transactions other domains dictate (salary, pension, mortgage, rent, loan
debits) as ``_Planned`` items and draws the rest (utilities, insurance, saving, shopping)
itself. Some persons also hold a current account at ``noordbank``, drawn from a stream of its
own so that nothing of the mockbank side moves: about one in seven of everyone, every
``two_incomes`` couple (a joint account the partner pays into) and every ``salary_elsewhere``
person (the salary arrives there and is passed on to mockbank).
"""

from __future__ import annotations

import calendar
import hashlib
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Literal

from brondata.mock.population._common import (
    _MONTHS_NL,
    _bijection,
    _day_in_month,
    _money,
    _month_starts,
    _shift_to_weekday,
)
from brondata.mock.population._scenarios import Scenario

if TYPE_CHECKING:
    from brondata.mock.population._housing import Housing
    from brondata.mock.population._identity import Address

Category = Literal[
    "salary",
    "pension",
    "business_income",
    "rental_income",
    "rent",
    "mortgage",
    "student_loan",
    "tax",
    "utilities",
    "insurance",
    "groceries",
    "other",
]

#: The mock banks, by id: ``Account.bank`` is one of them. A person's login is the same at both.
BANK_IDS = ("mockbank", "noordbank")
# Noordbank's bank code and BIC are invented, and kept out of ``BANKS``: no mockbank account
# and no counterparty ever has its code, so the code tells the bank.
_NOORDBANK_CODE = "NRDB"
_NOORDBANK_BIC = "NRDBNL2N"
_NOORDBANK_SHARE = 0.15  # of all persons, besides the scenarios that always bank there

# Dutch bank codes with their BIC and a rough market share, so that most persons bank at one
# of the big three, as in the real population.
BANKS: dict[str, tuple[str, int]] = {
    "INGB": ("INGBNL2A", 34),
    "RABO": ("RABONL2U", 28),
    "ABNA": ("ABNANL2A", 20),
    "SNSB": ("SNSBNL2A", 6),
    "ASNB": ("ASNBNL21", 3),
    "TRIO": ("TRIONL2U", 2),
    "BUNQ": ("BUNQNL2A", 4),
    "KNAB": ("KNABNL2H", 3),
}

_LANDLORDS = (
    "Woonstichting De Linie",
    "Woongoed Middenland",
    "Stichting Wonen Rijnmond",
    "Vastgoedbeheer Kloosterman B.V.",
    "Woonbron Oost",
)
_ENERGY = ("Zonnedal Energie", "Windkracht Energie B.V.", "Groen Stroom Nederland")
_WATER = ("Waterbedrijf Rijnland", "Drinkwater Oost", "Waternet Midden")
_INTERNET = ("Glasnet Thuis", "KPN Thuis", "Ziggo Services B.V.")
_HEALTH_INSURERS = ("Zorgverzekeraar Samen", "Gezond Verzekerd N.V.", "Zorgzaam Verzekeringen")
_SUPERMARKETS = ("Albert Heijn", "Jumbo", "Lidl", "Aldi", "Plus", "Dirk van den Broek")
_OTHER_SHOPS = (
    ("bol.com", True),
    ("Coolblue", True),
    ("NS Groep IZ NS Reizigers", False),
    ("HEMA", False),
    ("Kruidvat", False),
    ("Etos", False),
    ("Action", False),
    ("Thuisbezorgd.nl", True),
    ("Pathé", False),
    ("Shell", False),
    ("Gamma", False),
    ("IKEA", False),
    ("Restaurant De Gouden Leeuw", False),
    ("Apotheek Centrum", False),
)

_CREDIT = "PMNT-RCDT-ESCT"  # received SEPA credit transfer
_STANDING_ORDER = "PMNT-ICDT-STDO"
_TRANSFER = "PMNT-ICDT-ESCT"  # issued SEPA credit transfer
_DIRECT_DEBIT = "PMNT-RDDT-ESDD"  # received (i.e. collected from us) SEPA direct debit
_CARD = "PMNT-CCRD-POSD"


def _iban_number(rearranged: str) -> int:
    return int("".join(str(int(c, 36)) for c in rearranged))


def iban_valid(iban: str) -> bool:
    """Whether ``iban`` is well formed and passes ISO 13616 mod-97 (Dutch IBANs: 18 chars)."""
    if not iban.isascii() or not iban.isalnum() or len(iban) < 5 or len(iban) > 34:
        return False
    if not (iban[:2].isalpha() and iban[:2].isupper() and iban[2:4].isdigit()):
        return False
    if iban.startswith("NL") and (
        len(iban) != 18 or not iban[4:8].isalpha() or not iban[8:].isdigit()
    ):
        return False
    return _iban_number(iban[4:].upper() + iban[:4]) % 97 == 1


def make_iban(bank_code: str, account_number: int) -> str:
    """The Dutch IBAN for a four-letter bank code and a ten-digit account number."""
    bban = f"{bank_code}{account_number:010d}"
    check = 98 - _iban_number(bban + "NL00") % 97
    return f"NL{check:02d}{bban}"


def _stable_iban(name: str) -> str:
    """A fixed, valid IBAN for a counterparty, so the same creditor always has the same one."""
    digest = hashlib.sha256(name.encode()).digest()
    codes = sorted(BANKS)
    return make_iban(codes[digest[0] % len(codes)], int.from_bytes(digest[1:6]) % 10**10)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One booked (or pending) entry on an account, from the account holder's point of view."""

    transaction_id: str
    account_iban: str
    booking_date: date
    value_date: date
    amount: Decimal  # negative for a debit
    currency: str
    counterparty_name: str
    counterparty_iban: str | None
    remittance: str
    # Ground truth for tests; the mock APIs never expose it.
    category: Category
    bank_transaction_code: str = _TRANSFER


@dataclass(frozen=True, slots=True)
class Account:
    """A payment or savings account; ``opening_balance`` is the balance before the 12 months."""

    resource_id: str
    iban: str
    bic: str
    currency: str
    name: str
    product: str
    cash_account_type: Literal["CACC", "SVGS"]
    owner_name: str
    opening_balance: Decimal
    bank: str  # the mock bank holding it, one of BANK_IDS


def _pick_weighted_bank(rng: random.Random) -> str:
    codes = list(BANKS)
    return rng.choices(codes, weights=[BANKS[c][1] for c in codes])[0]


@dataclass(frozen=True, slots=True)
class _Planned:
    """A transaction the person's circumstances dictate (income, loan, rent), for _History."""

    day: date
    amount: Decimal
    counterparty: str
    counterparty_iban: str | None
    remittance: str
    category: Category
    code: str = _CREDIT
    account: str | None = None  # the IBAN it books on; the current account when None


@dataclass
class _History:
    """The bank history of one person, from ``start`` (12 months before ``as_of``, or the day
    the account was opened) up to the day before ``as_of`` (booked), plus a few card payments
    of ``as_of`` itself (pending). Income, loans and rent come in as ``planned``; the rest
    (utilities, insurance, saving, shopping) is drawn here."""

    rng: random.Random
    as_of: date
    start: date
    iban: str
    savings_iban: str | None
    monthly_income: Decimal
    housing: Housing
    address: Address
    holder: str
    planned: list[_Planned]
    _out: list[Transaction] = field(default_factory=list)

    def _add(
        self,
        *,
        day: date,
        amount: Decimal,
        counterparty: str,
        counterparty_iban: str | None,
        remittance: str,
        category: Category,
        code: str,
        account: str | None = None,
    ) -> None:
        if not (self.start <= day < self.as_of):
            return
        self._out.append(
            Transaction(
                transaction_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                account_iban=account or self.iban,
                booking_date=day,
                value_date=day,
                amount=amount,
                currency="EUR",
                counterparty_name=counterparty,
                counterparty_iban=counterparty_iban,
                remittance=remittance[:140],
                category=category,
                bank_transaction_code=code,
            )
        )

    def generate(self) -> tuple[list[Transaction], list[Transaction]]:
        rng = self.rng
        rent = _money(rng.uniform(720, 1_450))
        landlord = rng.choice(_LANDLORDS)
        energy, water, internet = rng.choice(_ENERGY), rng.choice(_WATER), rng.choice(_INTERNET)
        energy_amount = _money(rng.uniform(90, 230))
        water_amount = _money(rng.uniform(18, 32))
        internet_amount = _money(rng.choice((45.0, 49.5, 55.0, 62.5)))
        insurer = rng.choice(_HEALTH_INSURERS)
        premium = _money(rng.uniform(138, 172))
        customer_number = rng.randint(100_000, 999_999)
        savings_amount = _money(rng.choice((50, 100, 150, 200, 250, 300)))
        shops = rng.sample(_SUPERMARKETS, 2)
        months = list(_month_starts(self.start, self.as_of + timedelta(days=31)))
        loan_payments = sum(
            (-p.amount for p in self.planned if p.category in ("mortgage", "student_loan")),
            Decimal(0),
        )
        housing_cost = rent if self.housing == "rent" else Decimal(0)
        fixed = housing_cost + loan_payments / max(1, len(months) - 1)
        fixed += energy_amount + water_amount + internet_amount + premium
        if self.savings_iban is not None:
            fixed += savings_amount
        # Spend most of what is left each month so the balance drifts but stays plausible.
        discretionary = max(Decimal(150), self.monthly_income - fixed) * _money(
            rng.uniform(0.7, 0.95)
        )

        for item in self.planned:
            amount = item.amount
            if item.category == "salary" and rng.random() < 0.25:
                # Most months the net pay; sometimes a few euros of expense claims on top.
                amount += _money(rng.uniform(-3, 3))
            self._add(
                day=item.day,
                amount=amount,
                counterparty=item.counterparty,
                counterparty_iban=item.counterparty_iban,
                remittance=item.remittance,
                category=item.category,
                code=item.code,
                account=item.account,
            )
        for month in months:
            label = f"{_MONTHS_NL[month.month - 1]} {month.year}"
            first = _shift_to_weekday(month, backwards=False)
            if self.housing == "rent":
                self._add(
                    day=first,
                    amount=-rent,
                    counterparty=landlord,
                    counterparty_iban=_stable_iban(landlord),
                    remittance=f"Huur {label} {self.address.street} {self.address.house_number}",
                    category="rent",
                    code=_STANDING_ORDER,
                )
            for day, party, amount, text in (
                (
                    _day_in_month(month, 20),
                    energy,
                    energy_amount,
                    f"Termijnbedrag energie klantnr {customer_number} {label}",
                ),
                (_day_in_month(month, 28), water, water_amount, f"Voorschot drinkwater {label}"),
                (
                    _day_in_month(month, 15),
                    internet,
                    internet_amount,
                    f"Abonnement internet en tv {label}",
                ),
            ):
                self._add(
                    day=_shift_to_weekday(day, backwards=False),
                    amount=-amount,
                    counterparty=party,
                    counterparty_iban=_stable_iban(party),
                    remittance=text,
                    category="utilities",
                    code=_DIRECT_DEBIT,
                )
            self._add(
                day=_shift_to_weekday(_day_in_month(month, 27), backwards=False),
                amount=-premium,
                counterparty=insurer,
                counterparty_iban=_stable_iban(insurer),
                remittance=f"Premie zorgverzekering {label} polis {customer_number}",
                category="insurance",
                code=_DIRECT_DEBIT,
            )
            if self.savings_iban is not None:
                day = _shift_to_weekday(_day_in_month(month, 26), backwards=False)
                self._add(
                    day=day,
                    amount=-savings_amount,
                    counterparty=self.holder,
                    counterparty_iban=self.savings_iban,
                    remittance="Maandelijks sparen",
                    category="other",
                    code=_STANDING_ORDER,
                )
                self._add(
                    day=day,
                    amount=savings_amount,
                    counterparty=self.holder,
                    counterparty_iban=self.iban,
                    remittance="Maandelijks sparen",
                    category="other",
                    code=_CREDIT,
                    account=self.savings_iban,
                )
            self._spending(month, shops, discretionary)
        booked = sorted(self._out, key=lambda t: (t.booking_date, t.transaction_id))
        pending = [
            Transaction(
                transaction_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                account_iban=self.iban,
                booking_date=self.as_of,
                value_date=self.as_of,
                amount=-_money(rng.uniform(3, 60)),
                currency="EUR",
                counterparty_name=shops[0],
                counterparty_iban=None,
                remittance=f"Betaalpas {shops[0]} {self.address.city.upper()}",
                category="groceries",
                bank_transaction_code=_CARD,
            )
            for _ in range(rng.randint(0, 2))
        ]
        return booked, pending

    def _spending(self, month: date, shops: list[str], budget: Decimal) -> None:
        rng = self.rng
        last = calendar.monthrange(month.year, month.month)[1]
        groceries_share = Decimal(str(rng.uniform(0.45, 0.65)))
        visits = rng.randint(6, 12)
        for _ in range(visits):
            shop = rng.choice(shops)
            branch = rng.randint(1000, 9999)
            amount = _money(budget * groceries_share / visits * Decimal(str(rng.uniform(0.5, 1.5))))
            self._add(
                day=month.replace(day=rng.randint(1, last)),
                amount=-max(amount, Decimal("1.25")),
                counterparty=f"{shop} {branch}",
                counterparty_iban=None,
                remittance=f"Betaalpas {shop} {branch} {self.address.city.upper()}",
                category="groceries",
                code=_CARD,
            )
        purchases = rng.randint(4, 10)
        for _ in range(purchases):
            shop, online = rng.choice(_OTHER_SHOPS)
            amount = _money(
                budget * (1 - groceries_share) / purchases * Decimal(str(rng.uniform(0.3, 1.7)))
            )
            day = month.replace(day=rng.randint(1, last))
            if online:
                self._add(
                    day=day,
                    amount=-max(amount, Decimal("2.50")),
                    counterparty=shop,
                    counterparty_iban=_stable_iban(shop),
                    remittance=f"Bestelling {rng.randint(10**9, 10**10 - 1)} {shop}",
                    category="other",
                    code=_TRANSFER,
                )
            else:
                self._add(
                    day=day,
                    amount=-max(amount, Decimal("2.50")),
                    counterparty=shop,
                    counterparty_iban=None,
                    remittance=f"Betaalpas {shop} {self.address.city.upper()}",
                    category="other",
                    code=_CARD,
                )


@dataclass(frozen=True, slots=True)
class _BankChoice:
    """The person's bank and the IBANs of the current and (if any) savings account."""

    bank_code: str
    bic: str
    iban: str
    savings_iban: str | None


def _draw_bank(rng: random.Random, seed: int, index: int) -> _BankChoice:
    bank_code = _pick_weighted_bank(rng)
    bic = BANKS[bank_code][0]
    account_number = _bijection(seed, index, 10**9)  # leading 0 keeps it distinct from savings
    iban = make_iban(bank_code, account_number)
    has_savings = rng.random() < 0.6
    savings_iban = make_iban(bank_code, 10**9 + account_number) if has_savings else None
    return _BankChoice(bank_code, bic, iban, savings_iban)


@dataclass(frozen=True, slots=True)
class _AccountDraws:
    """The first stream's account details: the holder's short name (if the bank shows one),
    the opening balances and the resource ids."""

    owner: str | None
    opening: Decimal
    current_id: str
    savings_id: str
    savings_opening: Decimal


def _draw_account_details(rng: random.Random, first: str, surname: str) -> _AccountDraws:
    owner = f"{first[0]}. {surname}" if rng.random() < 0.3 else None
    opening = _money(rng.uniform(400, 4_500))
    current_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    savings_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    savings_opening = _money(rng.uniform(1_000, 40_000))
    return _AccountDraws(owner, opening, current_id, savings_id, savings_opening)


def _open_accounts(
    life_rng: random.Random,
    bank: _BankChoice,
    draws: _AccountDraws,
    *,
    full_name: str,
    arrival: date | None,
    opened_on: date | None = None,
) -> tuple[list[Account], date | None]:
    """The accounts, and the day they were opened when that was inside the history window
    (a recent arrival's, or ``opened_on``: a new account, empty before); ``None`` when they
    are older."""
    iban, bic, savings_iban = bank.iban, bank.bic, bank.savings_iban
    owner, current_id, savings_id = draws.owner, draws.current_id, draws.savings_id
    opening, savings_opening = draws.opening, draws.savings_opening
    opened: date | None = None
    if arrival is not None:
        opened = arrival + timedelta(days=life_rng.randint(7, 30))
        opening = _money(life_rng.uniform(50, 600))
        savings_opening = Decimal("0.00")
    if opened_on is not None:
        opened, opening, savings_opening = opened_on, Decimal("0.00"), Decimal("0.00")
    accounts = [
        Account(
            resource_id=current_id,
            iban=iban,
            bic=bic,
            currency="EUR",
            name="Betaalrekening",
            product="Particuliere betaalrekening",
            cash_account_type="CACC",
            owner_name=owner or full_name,
            opening_balance=opening,
            bank="mockbank",
        )
    ]
    if savings_iban is not None:
        accounts.append(
            Account(
                resource_id=savings_id,
                iban=savings_iban,
                bic=bic,
                currency="EUR",
                name="Spaarrekening",
                product="Internet Sparen",
                cash_account_type="SVGS",
                owner_name=owner or full_name,
                opening_balance=savings_opening,
                bank="mockbank",
            )
        )
    return accounts, opened


def _draw_noordbank_account(
    seed: int, index: int, scenario: Scenario, *, holder: str, partner: str | None
) -> Account | None:
    """The person's current account at noordbank, if they hold one: a joint account with
    ``partner`` when given. Drawn from the person's bank stream, not the first or life one."""
    rng = random.Random(f"brondata:{seed}:banks:{index}")
    holds = rng.random() < _NOORDBANK_SHARE
    if not holds and scenario not in ("two_incomes", "salary_elsewhere"):
        return None
    return Account(
        resource_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        iban=make_iban(_NOORDBANK_CODE, _bijection(seed, index, 10**9)),
        bic=_NOORDBANK_BIC,
        currency="EUR",
        name="Betaalrekening" if partner is None else "Gezamenlijke rekening",
        product="Noord Betalen",
        cash_account_type="CACC",
        owner_name=holder if partner is None else f"{holder} en/of {partner}",
        opening_balance=_money(rng.uniform(150, 2_500)),
        bank="noordbank",
    )


def _paid_elsewhere(
    planned: list[_Planned], *, into: str, home_iban: str, holder: str
) -> list[_Planned]:
    """The salary credits moved to the account ``into``, each passed on in whole tens to the
    current account the next working day (a standing order between the person's own
    accounts); everything else unchanged."""
    out: list[_Planned] = []
    for item in planned:
        if item.category != "salary":
            out.append(item)
            continue
        out.append(replace(item, account=into))
        day = _shift_to_weekday(item.day + timedelta(days=1), backwards=False)
        amount = (item.amount / 10).to_integral_value(rounding=ROUND_FLOOR) * 10
        out.append(
            _Planned(
                day,
                -amount,
                holder,
                home_iban,
                "Overboeking naar eigen rekening",
                "other",
                _STANDING_ORDER,
                account=into,
            )
        )
        out.append(_Planned(day, amount, holder, into, "Overboeking van eigen rekening", "other"))
    return out


def _noordbank_history(
    seed: int,
    index: int,
    account: Account,
    *,
    as_of: date,
    start: date,
    city: str,
    partner: str | None,
) -> list[Transaction]:
    """What noordbank books besides any salary passed through it: a few card payments and
    refunds, and for a joint account the partner's monthly contribution and the household's
    groceries. A stream of its own per ``as_of``, as the mockbank history has."""
    rng = random.Random(f"brondata:{seed}:banks:{index}:{as_of.isoformat()}")
    out: list[Transaction] = []

    def book(
        day: date,
        amount: Decimal,
        party: str,
        party_iban: str | None,
        text: str,
        category: Category,
        code: str,
    ) -> None:
        transaction_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if start <= day < as_of:
            out.append(
                Transaction(
                    transaction_id=transaction_id,
                    account_iban=account.iban,
                    booking_date=day,
                    value_date=day,
                    amount=amount,
                    currency="EUR",
                    counterparty_name=party,
                    counterparty_iban=party_iban,
                    remittance=text[:140],
                    category=category,
                    bank_transaction_code=code,
                )
            )

    span = max(1, (as_of - start).days)
    for _ in range(rng.randint(3, 8)):
        shop, online = rng.choice(_OTHER_SHOPS)
        day = start + timedelta(days=rng.randrange(span))
        amount = -_money(rng.uniform(5, 80))
        if online:
            book(day, amount, shop, _stable_iban(shop), f"Bestelling {shop}", "other", _TRANSFER)
        else:
            book(day, amount, shop, None, f"Betaalpas {shop} {city.upper()}", "other", _CARD)
    for _ in range(rng.randint(0, 2)):
        shop = rng.choice([name for name, online in _OTHER_SHOPS if online])
        day = start + timedelta(days=rng.randrange(span))
        amount = _money(rng.uniform(10, 150))
        text = f"Terugbetaling retour {shop}"
        book(day, amount, shop, _stable_iban(shop), text, "other", _CREDIT)
    if partner is not None:
        contribution = _money(rng.randrange(500, 1_000, 50))
        shop = rng.choice(_SUPERMARKETS)
        for month in _month_starts(start, as_of):
            label = f"{_MONTHS_NL[month.month - 1]} {month.year}"
            day = _shift_to_weekday(_day_in_month(month, 26), backwards=True)
            text = f"Bijdrage huishouden {label}"
            book(day, contribution, partner, _stable_iban(partner), text, "other", _CREDIT)
            last = calendar.monthrange(month.year, month.month)[1]
            for _ in range(rng.randint(4, 8)):
                day = month.replace(day=rng.randint(1, last))
                amount = -_money(rng.uniform(30, 110))
                text = f"Betaalpas {shop} {city.upper()}"
                book(day, amount, shop, None, text, "groceries", _CARD)
    return sorted(out, key=lambda t: (t.booking_date, t.transaction_id))
