"""The synthetic population: deterministic Dutch persons with accounts and 12 months of bank data.

``Population(seed, as_of).person(n)`` is a pure function of ``(seed, as_of, n)``: each person
draws from its own ``random.Random`` so that person 7 is the same whether or not persons 0..6
were generated first. A person's identity (name, BSN, address, IBAN, employer, salary) depends on
``(seed, n)`` only; the bank history and the birth date (age is drawn relative to ``as_of``) also
depend on ``as_of``.

What lives here: the data model (``Person``, ``Address``, ``Account``, ``Transaction``), the
generator, and the check-digit helpers ``elfproef`` and ``iban_valid``. What does not: any
HTTP; the mock sources read this data and render it in their own API shapes. The transaction
``category`` is the generator's ground truth for tests; no mock API exposes it.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

__all__ = [
    "BANKS",
    "Account",
    "Address",
    "Category",
    "Housing",
    "Person",
    "Population",
    "Scenario",
    "Transaction",
    "elfproef",
    "iban_valid",
    "make_iban",
]

Category = Literal["salary", "rent", "mortgage", "utilities", "insurance", "groceries", "other"]
Housing = Literal["rent", "mortgage"]
# Room for the named scenarios of a later issue (self-employed, retired, two incomes, ...);
# the first cut generates salaried persons only.
Scenario = Literal["salaried"]

CENT = Decimal("0.01")

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

_GIVEN_FEMALE = (
    "Anna", "Emma", "Sophie", "Julia", "Lotte", "Sanne", "Femke", "Lisa", "Eva", "Anouk",
    "Marieke", "Inge", "Esther", "Judith", "Linda", "Monique", "Petra", "Ingrid", "Wilma",
    "Fatima", "Noor", "Sara", "Mila", "Fleur", "Iris", "Karin", "Sandra", "Maaike", "Yvonne",
)  # fmt: skip
_GIVEN_MALE = (
    "Jan", "Pieter", "Kees", "Willem", "Daan", "Sem", "Lucas", "Thijs", "Bram", "Ruben",
    "Joost", "Maarten", "Sander", "Erik", "Dennis", "Mark", "Hendrik", "Gerrit", "Bas",
    "Mohamed", "Youssef", "Stijn", "Jeroen", "Wouter", "Niels", "Koen", "Rik", "Tim", "Hugo",
)  # fmt: skip
_SURNAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
    "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
    "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
    "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
    "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven",
    "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom",
    "Huisman", "Yılmaz", "El Amrani", "Boukhari", "Kaya", "Tan",
)  # fmt: skip
_STREETS = (
    "Kerkstraat", "Schoolstraat", "Molenweg", "Dorpsstraat", "Stationsweg", "Julianalaan",
    "Beatrixstraat", "Wilhelminastraat", "Prins Bernhardlaan", "Eikenlaan", "Berkenlaan",
    "Lindelaan", "Kastanjelaan", "Rozenstraat", "Tulpstraat", "Sportlaan", "Parkweg",
    "Nieuwstraat", "Marktstraat", "Vondelstraat", "Rembrandtlaan", "Van Goghstraat",
    "Thorbeckelaan", "Spoorstraat", "Havenstraat", "Brink", "Oranjestraat", "Meidoornlaan",
    "Zonnebloemstraat", "Koningin Emmaplein",
)  # fmt: skip
# City, and the range of the four digits of its postcodes (PC4), so addresses look right.
_CITIES: tuple[tuple[str, int, int], ...] = (
    ("Amsterdam", 1011, 1109),
    ("Rotterdam", 3011, 3089),
    ("Den Haag", 2491, 2597),
    ("Utrecht", 3511, 3585),
    ("Eindhoven", 5611, 5658),
    ("Groningen", 9711, 9747),
    ("Tilburg", 5011, 5049),
    ("Almere", 1311, 1364),
    ("Breda", 4811, 4839),
    ("Nijmegen", 6511, 6546),
    ("Haarlem", 2011, 2037),
    ("Arnhem", 6811, 6846),
    ("Zwolle", 8011, 8043),
    ("Amersfoort", 3811, 3829),
    ("Leiden", 2311, 2334),
    ("Maastricht", 6211, 6229),
    ("Apeldoorn", 7311, 7339),
    ("Enschede", 7511, 7548),
)
# Postcode letters never use F, I, O, Q, U, Y; SA, SD and SS are not issued.
_PC_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_PC_UNUSED = frozenset({"SA", "SD", "SS"})

# Invented employers; none is meant to be a real company.
_EMPLOYERS = (
    "Polderwerk Techniek B.V.",
    "Noorderlicht Zorggroep",
    "Van Aalst Logistiek B.V.",
    "Stichting Onderwijs Rijnstreek",
    "Deltabouw Infra B.V.",
    "Gemeente Zuiderhaven",
    "Hoogland Software B.V.",
    "Bakkerij Ten Velde B.V.",
    "Kustlicht Energie N.V.",
    "Zorgcentrum De Wilgen",
    "Vrieling Accountants",
    "Maasdal Transport B.V.",
    "Hollands Glorie Retail B.V.",
    "Stichting Jeugdzorg Middenland",
    "Brinkman Installatietechniek B.V.",
    "Oostwaard Verzekeringen N.V.",
)
_LANDLORDS = (
    "Woonstichting De Linie",
    "Woongoed Middenland",
    "Stichting Wonen Rijnmond",
    "Vastgoedbeheer Kloosterman B.V.",
    "Woonbron Oost",
)
_MORTGAGE_LENDERS = (
    "Hollandse Hypotheekbank N.V.",
    "Dijkstroom Hypotheken",
    "Oranje Woonfinanciering N.V.",
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


# --- check digits ---------------------------------------------------------------------------


def elfproef(bsn: str) -> bool:
    """Whether ``bsn`` is nine digits passing the BSN eleven-test (9·d1 + … + 2·d8 − d9 ≡ 0)."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    digits = [int(c) for c in bsn]
    total = sum(weight * d for weight, d in zip(range(9, 1, -1), digits[:8], strict=True))
    return (total - digits[8]) % 11 == 0 and bsn != "000000000"


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


# --- the data model -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    house_number: int
    house_number_addition: str | None
    postcode: str  # "1234 AB"
    city: str


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


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    scenario: Scenario
    bsn: str
    given_names: str
    surname: str
    birth_date: date
    address: Address
    iban: str  # the current account
    bank_code: str
    username: str
    password: str
    employer: str
    employer_iban: str
    gross_annual_salary: Decimal
    net_monthly_salary: Decimal
    housing: Housing
    accounts: tuple[Account, ...]
    transactions: tuple[Transaction, ...] = field(repr=False)  # booked, oldest first
    pending_transactions: tuple[Transaction, ...] = field(repr=False, default=())

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    def account(self, iban: str) -> Account | None:
        return next((a for a in self.accounts if a.iban == iban), None)

    def transactions_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.transactions if t.account_iban == iban]

    def pending_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.pending_transactions if t.account_iban == iban]

    def closing_booked(self, iban: str) -> Decimal:
        """Opening balance plus every booked transaction: the balance at the end of the window."""
        account = self.account(iban)
        if account is None:
            raise KeyError(iban)
        return account.opening_balance + sum(
            (t.amount for t in self.transactions_of(iban)), Decimal("0.00")
        )


# --- the generator --------------------------------------------------------------------------


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _net_annual(gross: Decimal) -> Decimal:
    """A rough Dutch net income: 2026-like brackets minus the general and labour tax credits.

    Good enough for realistic bank statements; the tax mock will carry the exact figures.
    """
    g = float(gross)
    tax = 0.3582 * min(g, 38_441) + 0.3748 * max(0.0, min(g, 76_817) - 38_441)
    tax += 0.495 * max(0.0, g - 76_817)
    general_credit = max(0.0, 3_068 - 0.06337 * max(0.0, g - 28_406))
    labour_credit = min(5_599, 0.30 * g) - 0.0651 * max(0.0, g - 43_071)
    return _money(g - max(0.0, tax - general_credit - max(0.0, labour_credit)))


def _pick_weighted_bank(rng: random.Random) -> str:
    codes = list(BANKS)
    return rng.choices(codes, weights=[BANKS[c][1] for c in codes])[0]


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


class Population:
    """A deterministic synthetic population; ``person(n)`` is cheap and cached."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self._cache: dict[int, Person] = {}

    def __repr__(self) -> str:
        return f"Population(seed={self.seed!r}, as_of={self.as_of.isoformat()!r})"

    def person(self, index: int) -> Person:
        if index < 0 or index >= 10**7:
            raise IndexError(f"person index out of range: {index}")
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = _generate(self.seed, self.as_of, index)
        return found

    def people(self, count: int) -> Iterator[Person]:
        """Persons ``0 .. count-1``."""
        return (self.person(i) for i in range(count))

    def by_username(self, username: str) -> Person | None:
        """The person with this login name; the index is the name's last dotted part."""
        _, _, tail = username.rpartition(".")
        if not tail.isdigit() or len(tail) > 7:
            return None
        candidate = self.person(int(tail))
        return candidate if candidate.username == username else None

    def check_credentials(self, username: str, password: str) -> Person | None:
        """The person if ``password`` is theirs; used by the mock login pages."""
        person = self.by_username(username)
        if person is None or not _constant_time_equal(person.password, password):
            return None
        return person


def _constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _bijection(seed: int, index: int, modulus: int) -> int:
    """An injective map from the index to ``[0, modulus)``, shuffled by the seed.

    An affine map with a multiplier coprime to the modulus is a permutation, which makes BSNs
    and account numbers unique across the population without a registry.
    """
    multiplier = 7_368_787  # prime, and coprime to any power of ten
    offset = int.from_bytes(hashlib.sha256(f"brondata:{seed}".encode()).digest()[:8]) % modulus
    return (index * multiplier + offset) % modulus


def _make_bsn(seed: int, index: int, rng: random.Random) -> str:
    head = f"{_bijection(seed, index, 10**7):07d}"
    weighted = sum(w * int(d) for w, d in zip(range(9, 2, -1), head, strict=True))
    # d9 ≡ weighted + 2·d8 (mod 11); exactly one d8 in 0..9 yields d9 = 10, so avoid it.
    options = [d8 for d8 in range(10) if (weighted + 2 * d8) % 11 != 10]
    d8 = rng.choice(options)
    d9 = (weighted + 2 * d8) % 11
    return f"{head}{d8}{d9}"


def _slug(text: str) -> str:
    kept = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
    return kept or "x"


def _generate(seed: int, as_of: date, index: int) -> Person:
    # str seeds are hashed with SHA-512 by random.Random: stable across runs and platforms.
    rng = random.Random(f"brondata:{seed}:person:{index}")
    female = rng.random() < 0.5
    first = rng.choice(_GIVEN_FEMALE if female else _GIVEN_MALE)
    given_names = first
    if rng.random() < 0.35:
        second = rng.choice(_GIVEN_FEMALE if female else _GIVEN_MALE)
        if second != first:
            given_names = f"{first} {second}"
    surname = rng.choice(_SURNAMES)
    bsn = _make_bsn(seed, index, rng)

    city, pc_low, pc_high = rng.choice(_CITIES)
    while True:
        letters = rng.choice(_PC_LETTERS) + rng.choice(_PC_LETTERS)
        if letters not in _PC_UNUSED:
            break
    addition = rng.choice((None, None, None, None, "A", "B", "1", "2", "bis"))
    address = Address(
        street=rng.choice(_STREETS),
        house_number=rng.randint(1, 240),
        house_number_addition=addition,
        postcode=f"{rng.randint(pc_low, pc_high)} {letters}",
        city=city,
    )

    bank_code = _pick_weighted_bank(rng)
    bic = BANKS[bank_code][0]
    account_number = _bijection(seed, index, 10**9)  # leading 0 keeps it distinct from savings
    iban = make_iban(bank_code, account_number)
    has_savings = rng.random() < 0.6
    savings_iban = make_iban(bank_code, 10**9 + account_number) if has_savings else None

    employer = rng.choice(_EMPLOYERS)
    gross = _money(rng.randrange(2_600_000, 9_500_000, 5_000) / 100)
    net_monthly = _money(_net_annual(gross) / 12)
    housing: Housing = "mortgage" if rng.random() < 0.55 else "rent"
    username = f"{_slug(first)}.{_slug(surname)}.{index}"
    password = (
        "mock-" + hashlib.sha256(f"brondata:{seed}:password:{index}".encode()).hexdigest()[:12]
    )

    age_days = rng.randint(21 * 365 + 6, 67 * 365)
    owner = f"{first[0]}. {surname}" if rng.random() < 0.3 else None
    full_name = f"{given_names} {surname}"
    accounts = [
        Account(
            resource_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            iban=iban,
            bic=bic,
            currency="EUR",
            name="Betaalrekening",
            product="Particuliere betaalrekening",
            cash_account_type="CACC",
            owner_name=owner or full_name,
            opening_balance=_money(rng.uniform(400, 4_500)),
        )
    ]
    if savings_iban is not None:
        accounts.append(
            Account(
                resource_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                iban=savings_iban,
                bic=bic,
                currency="EUR",
                name="Spaarrekening",
                product="Internet Sparen",
                cash_account_type="SVGS",
                owner_name=owner or full_name,
                opening_balance=_money(rng.uniform(1_000, 40_000)),
            )
        )

    history = _History(
        rng=random.Random(f"brondata:{seed}:history:{index}:{as_of.isoformat()}"),
        as_of=as_of,
        iban=iban,
        savings_iban=savings_iban,
        employer=employer,
        employer_iban=_stable_iban(employer),
        net_monthly=net_monthly,
        housing=housing,
        address=address,
        holder=owner or full_name,
        personnel_number=rng.randint(1000, 99999),
    )
    booked, pending = history.generate()
    return Person(
        index=index,
        scenario="salaried",
        bsn=bsn,
        given_names=given_names,
        surname=surname,
        birth_date=as_of - timedelta(days=age_days),
        address=address,
        iban=iban,
        bank_code=bank_code,
        username=username,
        password=password,
        employer=employer,
        employer_iban=_stable_iban(employer),
        gross_annual_salary=gross,
        net_monthly_salary=net_monthly,
        housing=housing,
        accounts=tuple(accounts),
        transactions=tuple(booked),
        pending_transactions=tuple(pending),
    )


@dataclass
class _History:
    """Twelve months of bank history for one person, from ``as_of`` minus 12 months up to the
    day before ``as_of`` (booked), plus a few card payments of ``as_of`` itself (pending)."""

    rng: random.Random
    as_of: date
    iban: str
    savings_iban: str | None
    employer: str
    employer_iban: str
    net_monthly: Decimal
    housing: Housing
    address: Address
    holder: str
    personnel_number: int
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

    @property
    def start(self) -> date:
        return _months_back(self.as_of, 12)

    def generate(self) -> tuple[list[Transaction], list[Transaction]]:
        rng = self.rng
        housing_amount = _money(
            rng.uniform(850, 2_100) if self.housing == "mortgage" else rng.uniform(720, 1_450)
        )
        housing_party = rng.choice(_MORTGAGE_LENDERS if self.housing == "mortgage" else _LANDLORDS)
        loan_number = rng.randint(10_000_000, 99_999_999)
        energy, water, internet = rng.choice(_ENERGY), rng.choice(_WATER), rng.choice(_INTERNET)
        energy_amount = _money(rng.uniform(90, 230))
        water_amount = _money(rng.uniform(18, 32))
        internet_amount = _money(rng.choice((45.0, 49.5, 55.0, 62.5)))
        insurer = rng.choice(_HEALTH_INSURERS)
        premium = _money(rng.uniform(138, 172))
        customer_number = rng.randint(100_000, 999_999)
        savings_amount = _money(rng.choice((50, 100, 150, 200, 250, 300)))
        shops = rng.sample(_SUPERMARKETS, 2)
        fixed = housing_amount + energy_amount + water_amount + internet_amount + premium
        if self.savings_iban is not None:
            fixed += savings_amount
        # Spend most of what is left each month so the balance drifts but stays plausible.
        discretionary = max(Decimal(150), self.net_monthly - fixed) * _money(rng.uniform(0.7, 0.95))

        for month in _month_starts(self.start, self.as_of + timedelta(days=31)):
            label = f"{_MONTHS_NL[month.month - 1]} {month.year}"
            period = f"{month.month:02d}-{month.year}"
            pay_day = _shift_to_weekday(_day_in_month(month, 25), backwards=True)
            # Most months the same net amount; sometimes a few euros of expense claims.
            salary = self.net_monthly + (
                _money(rng.uniform(-3, 3)) if rng.random() < 0.25 else Decimal("0.00")
            )
            self._add(
                day=pay_day,
                amount=salary,
                counterparty=self.employer,
                counterparty_iban=self.employer_iban,
                remittance=f"SALARIS {period} PERSNR {self.personnel_number}",
                category="salary",
                code=_CREDIT,
            )
            first = _shift_to_weekday(month, backwards=False)
            if self.housing == "rent":
                self._add(
                    day=first,
                    amount=-housing_amount,
                    counterparty=housing_party,
                    counterparty_iban=_stable_iban(housing_party),
                    remittance=(f"Huur {label} {self.address.street} {self.address.house_number}"),
                    category="rent",
                    code=_STANDING_ORDER,
                )
            else:
                self._add(
                    day=first,
                    amount=-housing_amount,
                    counterparty=housing_party,
                    counterparty_iban=_stable_iban(housing_party),
                    remittance=f"Hypotheek leningnr {loan_number} termijn {period}",
                    category="mortgage",
                    code=_DIRECT_DEBIT,
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
