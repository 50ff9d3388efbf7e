"""The synthetic population: deterministic Dutch persons whose data agree across every source.

``Population(seed, as_of).person(n)`` is a pure function of ``(seed, as_of, n)``: each person
draws from their own ``random.Random`` so that person 7 is the same whether or not persons 0..6
were generated first. A person's identity (name, BSN, address, IBAN, employer, salary) depends on
``(seed, n)`` only; dates (birth, jobs, purchases) are drawn as offsets from ``as_of``.

Named scenarios (``SCENARIOS``; ``population.scenario("retired", 3)``) cover the situations a
lender meets: two incomes with a fiscal partner, self-employed, retired, a temporary contract,
student debt, a tenant, several properties, three pension providers, a recent arrival.

One model feeds every source, so the sources agree the way real ones do: a single payroll model
(``Payslip``: gross → SV-loon, fiscal wage, withheld tax, net) gives the bank's salary credits,
the UWV SV-loon and the tax return's wages; one ``Property`` with its ``Mortgage`` and WOZ
values gives the BRK, the WOZ register, the tax return's own-home lines and the bank's monthly
mortgage debit. Amounts are 2026-like approximations, not tax advice.

What lives here: the data model, the generator, and the check-digit helpers ``elfproef`` and
``iban_valid``. What does not: any HTTP; the mock sources read this data and render it in their
own API shapes. A transaction's ``category`` is the generator's ground truth for tests; no mock
API exposes it.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal, get_args

__all__ = [
    "BANKS",
    "INCOME_CODE_AOW",
    "INCOME_CODE_CIVIL_SERVANT",
    "INCOME_CODE_EMPLOYMENT",
    "INCOME_CODE_PENSION",
    "SCENARIOS",
    "SCENARIO_BASE",
    "Account",
    "Address",
    "AowEntitlement",
    "Business",
    "Category",
    "Contract",
    "Debt",
    "Gender",
    "Housing",
    "IncomeKind",
    "IncomeRelation",
    "Mortgage",
    "OwnHome",
    "Partner",
    "Payslip",
    "PensionEntitlement",
    "Person",
    "Population",
    "Property",
    "Scenario",
    "TaxYear",
    "Transaction",
    "WageLine",
    "WozValue",
    "country_code",
    "elfproef",
    "iban_valid",
    "make_iban",
    "municipality",
    "nationality_code",
    "payroll_tax_number",
    "split_surname",
]

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
Housing = Literal["rent", "mortgage"]
Scenario = Literal[
    "salaried",
    "two_incomes",
    "self_employed",
    "retired",
    "temporary_contract",
    "student_debt",
    "tenant",
    "several_properties",
    "three_pension_providers",
    "recent_arrival",
]
Gender = Literal["M", "V"]
Contract = Literal["onbepaald", "bepaald"]
IncomeKind = Literal["employment", "aow", "pension"]

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

# --- scenarios and the tables they draw from ------------------------------------------------

#: The named scenarios, in the order that numbers them (see ``Population.scenario``).
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
#: ``person(i)`` for ``i`` below this is the general population (salaried, as in the first
#: cut); from here on, index ``SCENARIO_BASE + n·len(SCENARIOS) + k`` is the n-th person of
#: scenario ``SCENARIOS[k]``.
SCENARIO_BASE = 1_000_000
_MAX_INDEX = 10**7

# Municipality, CBS municipality code, and the cadastral municipality (name and AKR code)
# that a property in that city is registered under.
_MUNICIPALITIES: dict[str, tuple[str, str, str]] = {
    "Amsterdam": ("0363", "Amsterdam", "ASD04"),
    "Rotterdam": ("0599", "Rotterdam", "RTD02"),
    "Den Haag": ("0518", "'s-Gravenhage", "GVH01"),
    "Utrecht": ("0344", "Utrecht", "UTT00"),
    "Eindhoven": ("0772", "Eindhoven", "EHV00"),
    "Groningen": ("0014", "Groningen", "GNG00"),
    "Tilburg": ("0855", "Tilburg", "TBG00"),
    "Almere": ("0034", "Almere", "ALM00"),
    "Breda": ("0758", "Breda", "BRD00"),
    "Nijmegen": ("0268", "Nijmegen", "NMG00"),
    "Haarlem": ("0392", "Haarlem", "HLM00"),
    "Arnhem": ("0202", "Arnhem", "AHM00"),
    "Zwolle": ("0193", "Zwolle", "ZWL00"),
    "Amersfoort": ("0307", "Amersfoort", "AFT00"),
    "Leiden": ("0546", "Leiden", "LDN00"),
    "Maastricht": ("0935", "Maastricht", "MST00"),
    "Apeldoorn": ("0200", "Apeldoorn", "APD00"),
    "Enschede": ("0153", "Enschede", "EDE00"),
}
# Typical WOZ value of a home in each city (euros, current year), for plausible values.
_CITY_VALUE = {
    "Amsterdam": 560_000, "Rotterdam": 340_000, "Den Haag": 390_000, "Utrecht": 470_000,
    "Eindhoven": 380_000, "Groningen": 300_000, "Tilburg": 330_000, "Almere": 360_000,
    "Breda": 370_000, "Nijmegen": 350_000, "Haarlem": 520_000, "Arnhem": 330_000,
    "Zwolle": 360_000, "Amersfoort": 430_000, "Leiden": 440_000, "Maastricht": 320_000,
    "Apeldoorn": 350_000, "Enschede": 280_000,
}  # fmt: skip
# Nationality (BRP table 32), country of birth (table 34) and a birth place, for persons
# who moved to the Netherlands. Codes as in the BRP tables as far as known to us; the
# description is what connectors should rely on.
_FOREIGN_ORIGINS: tuple[tuple[str, str, str, str, str], ...] = (
    ("0131", "Poolse", "6023", "Polen", "Warschau"),
    ("0100", "Spaanse", "6037", "Spanje", "Valencia"),
    ("0052", "Duitse", "9089", "Duitsland", "Keulen"),
    ("0333", "Indiase", "5023", "India", "Bangalore"),
    ("0263", "Turkse", "6043", "Turkije", "Izmir"),
    ("0060", "Italiaanse", "5010", "Italië", "Turijn"),
    ("0070", "Portugese", "6027", "Portugal", "Porto"),
)
_DUTCH_NATIONALITY = ("0001", "Nederlandse")
_NETHERLANDS = ("6030", "Nederland")

# Pension providers: the name Mijnpensioenoverzicht shows, the legal name that pays (bank and
# tax data), and the employee's share of the premium as a fraction of the pension base.
_PENSION_PROVIDERS: dict[str, tuple[str, float]] = {
    "ABP": ("Stichting Pensioenfonds ABP", 0.0874),
    "PFZW": ("Stichting Pensioenfonds Zorg en Welzijn", 0.0860),
    "PMT": ("Stichting Pensioenfonds Metaal en Techniek", 0.0830),
    "bpfBOUW": ("Stichting Bedrijfstakpensioenfonds voor de Bouwnijverheid", 0.0760),
    "Pensioenfonds Vervoer": ("Stichting Pensioenfonds Vervoer", 0.0790),
    "Pensioenfonds Detailhandel": ("Stichting Pensioenfonds voor de Detailhandel", 0.0550),
    "Bakkersfonds": ("Stichting Bedrijfspensioenfonds voor het Bakkersbedrijf", 0.0650),
    "Nationale-Nederlanden": ("Nationale-Nederlanden Levensverzekering Maatschappij N.V.", 0.05),
    "a.s.r.": ("ASR Levensverzekering N.V.", 0.0500),
    "Aegon": ("Aegon Levensverzekering N.V.", 0.0450),
}
# Which provider each invented employer's staff build up pension with (industry funds where
# the sector has one, an insurer otherwise).
_EMPLOYER_PENSION: dict[str, str] = {
    "Polderwerk Techniek B.V.": "PMT",
    "Noorderlicht Zorggroep": "PFZW",
    "Van Aalst Logistiek B.V.": "Pensioenfonds Vervoer",
    "Stichting Onderwijs Rijnstreek": "ABP",
    "Deltabouw Infra B.V.": "bpfBOUW",
    "Gemeente Zuiderhaven": "ABP",
    "Hoogland Software B.V.": "Nationale-Nederlanden",
    "Bakkerij Ten Velde B.V.": "Bakkersfonds",
    "Kustlicht Energie N.V.": "Aegon",
    "Zorgcentrum De Wilgen": "PFZW",
    "Vrieling Accountants": "a.s.r.",
    "Maasdal Transport B.V.": "Pensioenfonds Vervoer",
    "Hollands Glorie Retail B.V.": "Pensioenfonds Detailhandel",
    "Stichting Jeugdzorg Middenland": "PFZW",
    "Brinkman Installatietechniek B.V.": "PMT",
    "Oostwaard Verzekeringen N.V.": "Nationale-Nederlanden",
}
# Invented business clients who pay a self-employed person's invoices.
_CLIENTS = (
    "Rijnmond Projecten B.V.",
    "Hofstad Media B.V.",
    "Veluwe Vastgoed Beheer",
    "Stichting Cultuurhuis De Kade",
    "Van Leeuwen & Zn. B.V.",
    "Polderzicht Architecten",
    "Groenrijk Hoveniers B.V.",
    "Brabantse Zorgcoöperatie U.A.",
)
_TRADES = ("Advies", "Bouwbegeleiding", "Ontwerp", "IT Consultancy", "Klussenbedrijf", "Fotografie")

# Payroll and income tax parameters, 2026-like. One set for every year keeps the model
# simple; the point is that every source derives its figures from the same numbers.
_BRACKET_1 = 38_441.0
_BRACKET_2 = 76_817.0
_RATE_1, _RATE_1_AOW, _RATE_2, _RATE_3 = 0.3582, 0.1785, 0.3748, 0.4950
_PENSION_FRANCHISE = 18_475.0  # part of the wage no pension is built up (or paid) over
_ACCRUAL_RATE = 0.0175  # pension built up per year of service, of the pension base
_AOW_FULL_SINGLE = 20_100  # gross a year, holiday allowance included
_AOW_FULL_COHABITING = 13_800
_OWN_HOME_FORFAIT = Decimal("0.0035")  # eigenwoningforfait: 0.35 % of the WOZ value
_STUDENT_DEBT_LENDER = "DUO Dienst Uitvoering Onderwijs"
_TAX_AUTHORITY = "Belastingdienst"
_SVB = "Sociale Verzekeringsbank"
# Income-relation codes of the payroll tax return (code soort inkomstenverhouding).
INCOME_CODE_CIVIL_SERVANT = "11"
INCOME_CODE_EMPLOYMENT = "15"
INCOME_CODE_AOW = "31"
INCOME_CODE_PENSION = "32"


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
    # The BAG identities of the address, as the BRP, BRK and WOZ know it (16 digits each).
    municipality_code: str = ""  # CBS code, "0363"
    nummeraanduiding_id: str = ""
    verblijfsobject_id: str = ""

    @property
    def house_letter(self) -> str | None:
        """The BAG huisletter: a single letter addition ("12 A")."""
        addition = self.house_number_addition
        return (
            addition if addition is not None and len(addition) == 1 and addition.isalpha() else None
        )

    @property
    def house_number_suffix(self) -> str | None:
        """The BAG huisnummertoevoeging: any other addition ("12-2", "12 bis")."""
        return None if self.house_letter is not None else self.house_number_addition

    @property
    def postcode_compact(self) -> str:
        return self.postcode.replace(" ", "")

    @property
    def line1(self) -> str:
        """Street, number and addition, as on an envelope."""
        addition = self.house_number_addition
        if addition is None:
            return f"{self.street} {self.house_number}"
        return (
            f"{self.street} {self.house_number}{addition if len(addition) == 1 else ' ' + addition}"
        )

    @property
    def line2(self) -> str:
        return f"{self.postcode}  {self.city.upper()}"


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
class IncomeRelation:
    """One income relation of the payroll tax system: a job, an AOW benefit or a pension.

    ``gross_annual`` is the level of the last 12 months paid (or, for a relation that ended,
    of its last 12 months); each earlier block of 12 months is 3 % lower (annual raises).
    """

    kind: IncomeKind
    payer: str  # employer, SVB or pension fund, as the bank and the tax data name it
    payer_iban: str
    payroll_tax_number: str  # loonheffingennummer, "123456789L01"
    number: str  # nummer inkomstenverhouding, unique per payer for this person
    income_code: str  # code soort inkomstenverhouding: 11, 15, 31, 32
    start: date  # first day of a month
    end: date | None  # last day of a month, or None while it runs
    contract: Contract | None  # employments only
    hours_per_week: int  # 0 for benefits
    gross_annual: Decimal
    premium_rate: float  # employee pension premium, fraction of wage above the franchise
    applies_credits: bool  # whether this payer applies the tax credits (one payer does)
    pension_provider: str | None  # where an employment builds up pension
    pay_day: int  # day of the month the money arrives (moved back to a weekday)

    def runs_in(self, month: date) -> bool:
        return self.start <= _month_end(month) and (self.end is None or self.end >= month)


@dataclass(frozen=True, slots=True)
class Payslip:
    """One month of one income relation: the single payroll model every source reads.

    gross → SV-loon (= gross for a job, 0 for a benefit); fiscal wage = gross − employee
    pension premium; withheld tax = bracket tax − the credits the payer applies; net = fiscal
    wage − withheld tax. All per month, in cents.
    """

    payroll_tax_number: str
    relation_number: str
    period_start: date
    period_end: date
    pay_date: date
    hours: int
    gross: Decimal
    sv_wage: Decimal
    pension_premium: Decimal
    fiscal_wage: Decimal
    withheld_tax: Decimal
    labour_credit: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class Partner:
    """A fiscal partner: married or registered, living at the person's address."""

    bsn: str
    given_names: str
    surname: str
    gender: Gender
    birth_date: date
    birth_place: str
    nationality: tuple[str, ...]
    union: Literal["H", "P"]  # huwelijk or geregistreerd partnerschap
    union_date: date
    union_place: str
    employer: str
    payroll_tax_number: str
    gross_annual_salary: Decimal

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


@dataclass(frozen=True, slots=True)
class Mortgage:
    """A mortgage right registered in the BRK, and the annuity loan it secures.

    The loan is repaid monthly over ``term_months`` from the month after ``start``;
    ``registered_amount`` (bedragZekerheidsstelling) is at least the original principal.
    """

    identification: str  # BRK hypotheek identificatie
    lender: str
    registered_amount: int
    principal: Decimal
    rate: Decimal  # fixed yearly interest rate, e.g. 0.038
    start: date  # first day of a month
    term_months: int = 360

    @property
    def monthly_payment(self) -> Decimal:
        i = float(self.rate) / 12
        p = float(self.principal)
        return _money(p * i / (1 - (1 + i) ** -self.term_months))

    def payment_dates(self) -> Iterator[tuple[int, date]]:
        """(payment number, first day of its month), for every payment of the loan."""
        for k in range(1, self.term_months + 1):
            yield k, _add_months(self.start, k)

    def outstanding_after(self, payments: int) -> Decimal:
        """The principal left after ``payments`` monthly payments."""
        i = float(self.rate) / 12
        k = max(0, min(payments, self.term_months))
        growth = (1 + i) ** k
        left = float(self.principal) * growth - float(self.monthly_payment) * (growth - 1) / i
        return _money(max(0.0, left))

    def outstanding_on(self, day: date) -> Decimal:
        return self.outstanding_after(sum(1 for _, due in self.payment_dates() if due <= day))

    def interest_in(self, year: int) -> Decimal:
        """Interest paid in calendar ``year``: what the tax data calls hypotheekrente."""
        i = Decimal(str(float(self.rate) / 12))
        total = Decimal("0.00")
        for k, due in self.payment_dates():
            if due.year == year:
                total += _money(self.outstanding_after(k - 1) * i)
            elif due.year > year:
                break
        return total


@dataclass(frozen=True, slots=True)
class WozValue:
    """A WOZ value for ``year``, assessed at ``reference_date`` (1 January of the year before)."""

    year: int
    reference_date: date
    value: int


@dataclass(frozen=True, slots=True)
class Property:
    """A property the person owns (a share of), as the BRK and the WOZ register it."""

    brk_id: str  # kadastraal onroerende zaak identificatie
    cadastral_municipality: str  # kadastrale gemeente, "Amsterdam"
    cadastral_code: str  # AKR code, "ASD04"
    section: str
    parcel: int
    apartment_index: int | None  # an appartementsrecht when set
    address: Address
    share: tuple[int, int]  # (teller, noemer)
    co_owner_bsn: str | None  # the partner who holds the rest, if any
    right_id: str  # zakelijk gerechtigde identificatie of the person's ownership
    acquired: date
    purchase_price: int
    woz_object_number: str
    woz_values: tuple[WozValue, ...]  # oldest first
    mortgages: tuple[Mortgage, ...]
    own_home: bool  # the person lives here (eigen woning); otherwise it is let
    monthly_rent: Decimal  # what the tenant pays, when let
    area_m2: int

    @property
    def designation(self) -> str:
        """The cadastral designation, "AMSTERDAM AB 1234" (or "... 1234 A12")."""
        apartment = f" A{self.apartment_index}" if self.apartment_index is not None else ""
        return f"{self.cadastral_municipality.upper()} {self.section} {self.parcel}{apartment}"

    def woz_value(self, year: int) -> WozValue | None:
        return next((w for w in self.woz_values if w.year == year), None)


@dataclass(frozen=True, slots=True)
class PensionEntitlement:
    """One provider's line on Mijnpensioenoverzicht: gross euros a year from the AOW age."""

    provider: str
    reference_number: str  # HerkenningsNummer
    accrued: int  # Opgebouwd
    reachable: int  # TeBereiken (continuing the current job until the AOW age)
    partner_pension: int  # nabestaandenpensioen (TeBereiken)
    stand_per: date
    in_payment: bool


@dataclass(frozen=True, slots=True)
class AowEntitlement:
    """AOW build-up: 2 % of the full AOW for every insured year between 15 and the AOW age."""

    age_years: int
    age_months: int
    starts: date
    accrued_single: int
    accrued_cohabiting: int
    reachable_single: int
    reachable_cohabiting: int


@dataclass(frozen=True, slots=True)
class WageLine:
    """One payer's line in the pre-filled tax return (whole euros, rounded down)."""

    payer: str
    payroll_tax_number: str
    income_code: str
    wage: int
    withheld_tax: int
    labour_credit: int


@dataclass(frozen=True, slots=True)
class OwnHome:
    address: Address
    woz_value: int
    woz_reference_date: date
    mortgage_interest: int  # paid in the year, the whole household
    share: tuple[int, int]  # the person's part of the eigen woning
    months_owned: int


@dataclass(frozen=True, slots=True)
class Debt:
    kind: str  # "studieschuld", "overige schuld"
    description: str
    amount: int  # on 1 January of the tax year


@dataclass(frozen=True, slots=True)
class TaxYear:
    """What the pre-filled income tax return (VIA) holds for one year."""

    year: int
    wages: tuple[WageLine, ...]
    profit: int | None  # winst uit onderneming
    bank_balances: tuple[tuple[str, int], ...]  # (IBAN, balance on 1 January)
    own_home: OwnHome | None
    debts: tuple[Debt, ...]
    other_properties: tuple[tuple[Address, int], ...]  # let property and its WOZ value (box 3)

    @property
    def own_home_forfait(self) -> int:
        home = self.own_home
        if home is None:
            return 0
        yearly = Decimal(home.woz_value) * _OWN_HOME_FORFAIT * home.months_owned / 12
        return int(yearly)

    @property
    def taxable_income_box1(self) -> int:
        """Belastbaar inkomen uit werk en woning: wages and profit plus the person's share of
        (eigenwoningforfait − mortgage interest), whole euros."""
        total = sum(w.wage for w in self.wages) + (self.profit or 0)
        home = self.own_home
        if home is not None:
            teller, noemer = home.share
            total += (self.own_home_forfait - home.mortgage_interest) * teller // noemer
        return total


@dataclass(frozen=True, slots=True)
class Business:
    """A sole proprietorship (eenmanszaak) of a self-employed person."""

    trade_name: str
    kvk_number: str
    started: date
    iban: str  # the person's current account doubles as business account


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
    # The payer of the person's main regular income: the employer; for a retired person the
    # larger of the AOW and pension payers; for a self-employed person the trade name.
    employer: str
    employer_iban: str
    gross_annual_salary: Decimal  # of that main income (a self-employed person's profit)
    net_monthly_salary: Decimal  # what that main income pays into the account each month
    housing: Housing
    accounts: tuple[Account, ...]
    transactions: tuple[Transaction, ...] = field(repr=False)  # booked, oldest first
    pending_transactions: tuple[Transaction, ...] = field(repr=False, default=())
    gender: Gender = "V"
    birth_place: str = ""
    birth_country: str = "Nederland"
    nationality: tuple[str, ...] = ("Nederlandse",)
    arrival_date: date | None = None  # settled in the Netherlands (recent arrivals only)
    address_since: date | None = None
    partner: Partner | None = None
    income_relations: tuple[IncomeRelation, ...] = field(repr=False, default=())
    payslips: tuple[Payslip, ...] = field(repr=False, default=())  # oldest first
    business: Business | None = None
    properties: tuple[Property, ...] = field(repr=False, default=())
    pensions: tuple[PensionEntitlement, ...] = field(repr=False, default=())
    aow: AowEntitlement | None = field(repr=False, default=None)
    tax_years: tuple[TaxYear, ...] = field(repr=False, default=())  # oldest first

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    @property
    def surname_prefix(self) -> str | None:
        """The voorvoegsel of the surname ("van den" of "van den Berg"), if any."""
        return split_surname(self.surname)[0]

    @property
    def employments(self) -> tuple[IncomeRelation, ...]:
        """The income relations that are jobs, current and past, oldest first."""
        return tuple(r for r in self.income_relations if r.kind == "employment")

    @property
    def own_home(self) -> Property | None:
        return next((p for p in self.properties if p.own_home), None)

    def account(self, iban: str) -> Account | None:
        return next((a for a in self.accounts if a.iban == iban), None)

    def transactions_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.transactions if t.account_iban == iban]

    def pending_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.pending_transactions if t.account_iban == iban]

    def payslips_of(self, payroll_tax_number: str, number: str | None = None) -> list[Payslip]:
        """The payslips of one payer (and one relation number, if given), oldest first."""
        return [
            p
            for p in self.payslips
            if p.payroll_tax_number == payroll_tax_number
            and (number is None or p.relation_number == number)
        ]

    def tax_year(self, year: int) -> TaxYear | None:
        return next((t for t in self.tax_years if t.year == year), None)

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


def _whole(value: Decimal | float) -> int:
    """Whole euros, rounded down, as the tax authority rounds income."""
    return int(Decimal(str(value)).to_integral_value(rounding=ROUND_FLOOR))


def split_surname(surname: str) -> tuple[str | None, str]:
    """(voorvoegsel, geslachtsnaam): "van den Berg" → ("van den", "Berg")."""
    words = surname.split(" ")
    prefix = [w for w in words[:-1] if w.islower() or w in ("'t",)]
    if len(prefix) != len(words) - 1:
        return None, surname
    return (" ".join(prefix) or None), words[-1]


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


def _rsin(name: str) -> str:
    """A fixed RSIN-like fiscal number for an organisation (nine digits, eleven-test)."""
    for attempt in range(100):
        found = _with_check_digit(_digits("rsin", name, attempt, length=8))
        if found is not None and found[0] != "0":
            return found
    raise AssertionError("unreachable: one in eleven heads fails the check")


def municipality(city: str) -> tuple[str, str]:
    """(CBS code, official name) of the municipality a city of the population lies in."""
    code, name, _ = _MUNICIPALITIES[city]
    return code, "'s-Gravenhage" if city == "Den Haag" else name


def nationality_code(nationality: str) -> str | None:
    """The BRP table code of a nationality the population uses ("Nederlandse" → "0001")."""
    if nationality == _DUTCH_NATIONALITY[1]:
        return _DUTCH_NATIONALITY[0]
    return next((o[0] for o in _FOREIGN_ORIGINS if o[1] == nationality), None)


def country_code(country: str) -> str | None:
    """The BRP table code of a country the population uses ("Nederland" → "6030")."""
    if country == _NETHERLANDS[1]:
        return _NETHERLANDS[0]
    return next((o[2] for o in _FOREIGN_ORIGINS if o[3] == country), None)


def payroll_tax_number(name: str) -> str:
    """The loonheffingennummer of a payer: its fiscal number, "L", and a two-digit suffix."""
    return f"{_rsin(name)}L01"


def _bracket_tax(income: float, *, aow: bool) -> float:
    first = _RATE_1_AOW if aow else _RATE_1
    tax = first * min(income, _BRACKET_1)
    tax += _RATE_2 * max(0.0, min(income, _BRACKET_2) - _BRACKET_1)
    return tax + _RATE_3 * max(0.0, income - _BRACKET_2)


def _general_credit(income: float, *, aow: bool) -> float:
    full, taper = (1_575.0, 0.03171) if aow else (3_068.0, 0.06337)
    return max(0.0, full - taper * max(0.0, income - 28_406))


def _labour_credit(income: float) -> float:
    return max(0.0, min(5_599.0, 0.30 * income) - 0.0651 * max(0.0, income - 43_071))


@dataclass(frozen=True, slots=True)
class _MonthlyPay:
    gross: Decimal
    sv_wage: Decimal
    pension_premium: Decimal
    fiscal_wage: Decimal
    withheld_tax: Decimal
    labour_credit: Decimal
    net: Decimal


def _monthly_pay(
    gross_annual: Decimal, *, premium_rate: float, work: bool, credits: bool, aow: bool
) -> _MonthlyPay:
    """One month of pay at a yearly level: the payroll model every source shares."""
    g = float(gross_annual)
    premium = premium_rate * max(0.0, g - _PENSION_FRANCHISE)
    fiscal = g - premium
    labour = _labour_credit(fiscal) if work and credits else 0.0
    general = _general_credit(fiscal, aow=aow) if credits else 0.0
    tax = _bracket_tax(fiscal, aow=aow)
    # A credit can only reduce the tax to zero; what is left of it is not paid out.
    labour = min(labour, tax)
    withheld = max(0.0, tax - labour - general)
    gross_m, premium_m = _money(g / 12), _money(premium / 12)
    fiscal_m = gross_m - premium_m
    withheld_m = _money(withheld / 12)
    return _MonthlyPay(
        gross=gross_m,
        sv_wage=gross_m if work else Decimal("0.00"),
        pension_premium=premium_m,
        fiscal_wage=fiscal_m,
        withheld_tax=withheld_m,
        labour_credit=_money(labour / 12),
        net=fiscal_m - withheld_m,
    )


def _net_annual(gross: Decimal) -> Decimal:
    """Net income of a job without pension premium: twelve months of the payroll model."""
    pay = _monthly_pay(gross, premium_rate=0.0, work=True, credits=True, aow=False)
    return pay.net * 12


def _aow_age(birth_date: date) -> tuple[int, int]:
    """The AOW age by year of birth: as set by law up to 2030 (67 and 3 months from then on),
    with the earlier steps rounded to the years that matter for the synthetic population."""
    if birth_date < date(1950, 1, 1):
        return 65, 0
    if birth_date < date(1955, 1, 1):
        return 66, 0
    if birth_date < date(1957, 1, 1):
        return 66, 4
    if birth_date < date(1961, 1, 1):
        return 67, 0
    return 67, 3


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
    """A deterministic synthetic population; ``person(n)`` is cheap and cached.

    Indices below ``SCENARIO_BASE`` are the general population: salaried persons, about half
    of them owning their home with a mortgage. ``scenario(name, n)`` reaches the named
    scenarios, which live at ``SCENARIO_BASE + n·len(SCENARIOS) + k``; ``person(i)`` at such an
    index gives the same person.
    """

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self._cache: dict[int, Person] = {}

    def __repr__(self) -> str:
        return f"Population(seed={self.seed!r}, as_of={self.as_of.isoformat()!r})"

    def person(self, index: int) -> Person:
        if index < 0 or index >= _MAX_INDEX:
            raise IndexError(f"person index out of range: {index}")
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = _generate(self.seed, self.as_of, index)
        return found

    def scenario(self, name: str, n: int = 0) -> Person:
        """The ``n``-th person of the scenario ``name`` (one of ``SCENARIOS``)."""
        if name not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {name!r}; the scenarios are: {', '.join(SCENARIOS)}"
            )
        limit = (_MAX_INDEX - SCENARIO_BASE) // len(SCENARIOS)
        if n < 0 or n >= limit:
            raise IndexError(f"scenario person number out of range: {n} (0 .. {limit - 1})")
        return self.person(SCENARIO_BASE + n * len(SCENARIOS) + SCENARIOS.index(name))

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

    def by_bsn(self, bsn: str) -> Person | None:
        """The person with this BSN. A mock registry's lookup: persons carry their index in a
        keyed map, so this inverts the BSN construction instead of searching."""
        if not elfproef(bsn):
            return None
        index = _bijection_inverse(self.seed, int(bsn[:7]), 10**7)
        candidate = self.person(index)
        return candidate if candidate.bsn == bsn else None

    def check_credentials(self, username: str, password: str) -> Person | None:
        """The person if ``password`` is theirs; used by the mock login pages."""
        person = self.by_username(username)
        if person is None or not _constant_time_equal(person.password, password):
            return None
        return person


def _constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


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


def _make_bsn(seed: int, index: int, rng: random.Random) -> str:
    head = f"{_bijection(seed, index, 10**7):07d}"
    weighted = sum(w * int(d) for w, d in zip(range(9, 2, -1), head, strict=True))
    # d9 ≡ weighted + 2·d8 (mod 11); exactly one d8 in 0..9 yields d9 = 10, so avoid it.
    options = [d8 for d8 in range(10) if (weighted + 2 * d8) % 11 != 10]
    d8 = rng.choice(options)
    d9 = (weighted + 2 * d8) % 11
    return f"{head}{d8}{d9}"


def _partner_bsn(bsn: str, rng: random.Random) -> str:
    """A BSN no one else in the population has: the person's own seven-digit head (which is
    theirs alone) with another eighth digit."""
    head = bsn[:7]
    weighted = sum(w * int(d) for w, d in zip(range(9, 2, -1), head, strict=True))
    options = [d8 for d8 in range(10) if (weighted + 2 * d8) % 11 != 10 and str(d8) != bsn[7]]
    d8 = rng.choice(options)
    return f"{head}{d8}{(weighted + 2 * d8) % 11}"


def _slug(text: str) -> str:
    kept = "".join(c for c in text.lower() if c.isascii() and c.isalnum())
    return kept or "x"


def _scenario_of(index: int) -> Scenario:
    if index < SCENARIO_BASE:
        return "salaried"
    return SCENARIOS[(index - SCENARIO_BASE) % len(SCENARIOS)]


# Age range (years) of each scenario; the general population keeps its own (21..67).
_AGES: dict[Scenario, tuple[int, int]] = {
    "salaried": (24, 62),
    "two_incomes": (28, 60),
    "self_employed": (34, 62),
    "retired": (73, 88),
    "temporary_contract": (22, 50),
    "student_debt": (24, 31),
    "tenant": (23, 60),
    "several_properties": (38, 63),
    "three_pension_providers": (40, 62),
    "recent_arrival": (24, 45),
}


def _last_pay_month(as_of: date) -> date:
    """The latest month whose salary (the 25th, or the weekday before) was paid before as_of."""
    month = as_of.replace(day=1)
    while _shift_to_weekday(_day_in_month(month, 25), backwards=True) >= as_of:
        month = _add_months(month, -1)
    return month


def _last_tax_year(as_of: date) -> int:
    """The latest year with a pre-filled return: the VIA of year Y opens on 1 March of Y+1."""
    return as_of.year - 1 if as_of >= date(as_of.year, 3, 1) else as_of.year - 2


@dataclass
class _Life:
    """Everything of a person that is drawn after the identity: the as_of-relative story."""

    seed: int
    index: int
    as_of: date
    scenario: Scenario
    rng: random.Random
    birth_date: date
    relations: list[IncomeRelation] = field(default_factory=list)

    @property
    def last_pay_month(self) -> date:
        return _last_pay_month(self.as_of)

    def month_start_before(self, months: int) -> date:
        return _add_months(self.as_of.replace(day=1), -months)

    def job(
        self,
        employer: str,
        start: date,
        end: date | None,
        gross: Decimal,
        *,
        contract: Contract = "onbepaald",
        hours: int | None = None,
    ) -> IncomeRelation:
        rng = self.rng
        provider = _EMPLOYER_PENSION.get(employer)
        relation = IncomeRelation(
            kind="employment",
            payer=employer,
            payer_iban=_stable_iban(employer),
            payroll_tax_number=payroll_tax_number(employer),
            number=str(rng.randint(1, 99_999)),
            income_code=(
                INCOME_CODE_CIVIL_SERVANT
                if employer.startswith("Gemeente")
                else INCOME_CODE_EMPLOYMENT
            ),
            start=start.replace(day=1),
            end=None if end is None else _month_end(end),
            contract=contract,
            hours_per_week=hours if hours is not None else rng.choice((24, 32, 36, 36, 38, 40, 40)),
            gross_annual=gross,
            premium_rate=_PENSION_PROVIDERS[provider][1] if provider else 0.0,
            applies_credits=True,
            pension_provider=provider,
            pay_day=25,
        )
        self.relations.append(relation)
        return relation

    def benefit(self, kind: IncomeKind, payer: str, start: date, gross: Decimal) -> None:
        """An AOW (from the SVB, which applies the tax credits) or a pension paid from ``start``."""
        aow = kind == "aow"
        self.relations.append(
            IncomeRelation(
                kind=kind,
                payer=payer,
                payer_iban=_stable_iban(payer),
                payroll_tax_number=payroll_tax_number(payer),
                number=str(self.rng.randint(1, 9_999)),
                income_code=INCOME_CODE_AOW if aow else INCOME_CODE_PENSION,
                start=start,
                end=None,
                contract=None,
                hours_per_week=0,
                gross_annual=gross,
                premium_rate=0.0,
                applies_credits=aow,
                pension_provider=None,
                pay_day=23 if aow else 24,
            )
        )

    def payslips(self) -> list[Payslip]:
        last = self.last_pay_month
        first = date(self.as_of.year - 5, 1, 1)
        years, months = _aow_age(self.birth_date)
        aow_start = _add_months(self.birth_date, 12 * years + months)
        out: list[Payslip] = []
        for relation in self.relations:
            reference = last if relation.end is None else min(last, relation.end.replace(day=1))
            month = max(relation.start, first)
            while month <= last and (relation.end is None or month <= relation.end):
                # A raise every 12 months, the latest at the start of the last 12 paid months.
                steps = max(0, (_month_index(reference) - _month_index(month)) // 12)
                gross = (relation.gross_annual / Decimal("1.03") ** steps).quantize(Decimal(1))
                pay = _monthly_pay(
                    gross,
                    premium_rate=relation.premium_rate,
                    work=relation.kind == "employment",
                    credits=relation.applies_credits,
                    aow=month >= aow_start,
                )
                hours = round(relation.hours_per_week * 52 / 12)
                out.append(
                    Payslip(
                        payroll_tax_number=relation.payroll_tax_number,
                        relation_number=relation.number,
                        period_start=month,
                        period_end=_month_end(month),
                        pay_date=_shift_to_weekday(
                            _day_in_month(month, relation.pay_day), backwards=True
                        ),
                        hours=hours,
                        gross=pay.gross,
                        sv_wage=pay.sv_wage,
                        pension_premium=pay.pension_premium,
                        fiscal_wage=pay.fiscal_wage,
                        withheld_tax=pay.withheld_tax,
                        labour_credit=pay.labour_credit,
                        net=pay.net,
                    )
                )
                month = _add_months(month, 1)
        return sorted(out, key=lambda p: (p.pay_date, p.payroll_tax_number))


def _other_employer(rng: random.Random, taken: set[str], providers_taken: set[str]) -> str:
    choices = [
        e for e in _EMPLOYERS if e not in taken and _EMPLOYER_PENSION[e] not in providers_taken
    ]
    return rng.choice(choices or [e for e in _EMPLOYERS if e not in taken])


def _bag_ids(seed: int, index: int, tag: str, municipality_code: str) -> tuple[str, str]:
    serial = _digits(seed, index, "bag", tag, length=10)
    return f"{municipality_code}20{serial}", f"{municipality_code}01{serial}"


def _address(
    rng: random.Random, seed: int, index: int, tag: str, city: str | None = None
) -> Address:
    if city is None:
        city, pc_low, pc_high = rng.choice(_CITIES)
    else:
        _, pc_low, pc_high = next(c for c in _CITIES if c[0] == city)
    while True:
        letters = rng.choice(_PC_LETTERS) + rng.choice(_PC_LETTERS)
        if letters not in _PC_UNUSED:
            break
    code = _MUNICIPALITIES[city][0]
    nummeraanduiding, verblijfsobject = _bag_ids(seed, index, tag, code)
    return Address(
        street=rng.choice(_STREETS),
        house_number=rng.randint(1, 240),
        house_number_addition=rng.choice((None, None, None, None, "A", "B", "1", "2", "bis")),
        postcode=f"{rng.randint(pc_low, pc_high)} {letters}",
        city=city,
        municipality_code=code,
        nummeraanduiding_id=nummeraanduiding,
        verblijfsobject_id=verblijfsobject,
    )


def _property(
    rng: random.Random,
    *,
    seed: int,
    index: int,
    number: int,
    address: Address,
    as_of: date,
    acquired: date,
    own_home: bool,
    share: tuple[int, int],
    co_owner_bsn: str | None,
    with_mortgage: bool,
) -> Property:
    value_now = _CITY_VALUE[address.city] * rng.uniform(0.7, 1.5)
    growth = rng.uniform(1.03, 1.08)

    def value_in(year: int) -> int:
        return int(round(value_now / growth ** (as_of.year - year), -3))

    first_woz_year = max(acquired.year, as_of.year - 5)
    woz_values = tuple(
        WozValue(year=y, reference_date=date(y - 1, 1, 1), value=value_in(y))
        for y in range(first_woz_year, as_of.year + 1)
    )
    purchase_price = int(round(value_in(acquired.year) * rng.uniform(0.92, 1.08), -3))
    mortgages: tuple[Mortgage, ...] = ()
    if with_mortgage:
        principal = Decimal(int(round(purchase_price * rng.uniform(0.75, 1.0), -3)))
        registered = int(math.ceil(float(principal) * rng.uniform(1.0, 1.3) / 1000) * 1000)
        mortgages = (
            Mortgage(
                identification=_digits(seed, index, "hypotheek", number, length=14),
                lender=rng.choice(_MORTGAGE_LENDERS),
                registered_amount=registered,
                principal=principal,
                rate=Decimal(str(round(rng.uniform(0.02, 0.048), 4))),
                start=acquired,
            ),
        )
    municipality, cadastral_code = _MUNICIPALITIES[address.city][1:]
    apartment = rng.randint(1, 120) if rng.random() < 0.4 else None
    section = rng.choice("ABCDEFGHIKLMNOPQRSTUVWXYZ")
    if rng.random() < 0.3:
        section += rng.choice("ABCDEFGHIKLMNOPQRSTUVWXYZ")
    return Property(
        brk_id=_digits(seed, index, "koz", number, length=15).replace("0", "1", 1),
        cadastral_municipality=municipality,
        cadastral_code=cadastral_code,
        section=section,
        parcel=rng.randint(1, 99_999),
        apartment_index=apartment,
        address=address,
        share=share,
        co_owner_bsn=co_owner_bsn,
        right_id=_digits(seed, index, "zg", number, length=15),
        acquired=acquired,
        purchase_price=purchase_price,
        woz_object_number=address.municipality_code + _digits(seed, index, "woz", number, length=8),
        woz_values=woz_values,
        mortgages=mortgages,
        own_home=own_home,
        monthly_rent=Decimal("0.00") if own_home else _money(rng.uniform(950, 1_850)),
        area_m2=rng.randint(45, 90) if apartment is not None else rng.randint(85, 180),
    )


def _generate(seed: int, as_of: date, index: int) -> Person:
    scenario = _scenario_of(index)
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
    address = _address(rng, seed, index, "home")

    bank_code = _pick_weighted_bank(rng)
    bic = BANKS[bank_code][0]
    account_number = _bijection(seed, index, 10**9)  # leading 0 keeps it distinct from savings
    iban = make_iban(bank_code, account_number)
    has_savings = rng.random() < 0.6
    savings_iban = make_iban(bank_code, 10**9 + account_number) if has_savings else None

    employer = rng.choice(_EMPLOYERS)
    gross = _money(rng.randrange(2_600_000, 9_500_000, 5_000) / 100)
    housing: Housing = "mortgage" if rng.random() < 0.55 else "rent"
    username = f"{_slug(first)}.{_slug(surname)}.{index}"
    password = (
        "mock-" + hashlib.sha256(f"brondata:{seed}:password:{index}".encode()).hexdigest()[:12]
    )

    age_days = rng.randint(21 * 365 + 6, 67 * 365)
    owner = f"{first[0]}. {surname}" if rng.random() < 0.3 else None
    full_name = f"{given_names} {surname}"
    opening = _money(rng.uniform(400, 4_500))
    current_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    savings_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    savings_opening = _money(rng.uniform(1_000, 40_000))

    # Everything below draws from a second stream, so the identity above stays what it was
    # before scenarios existed. Dates are offsets from as_of; the draws do not depend on it.
    life_rng = random.Random(f"brondata:{seed}:life:{index}")
    if index >= SCENARIO_BASE:
        low, high = _AGES[scenario]
        age_days = life_rng.randint(low * 365 + 10, high * 365)
    if scenario in ("two_incomes", "several_properties"):
        housing = "mortgage"
    elif scenario in ("tenant", "student_debt", "recent_arrival"):
        housing = "rent"
    birth_date = as_of - timedelta(days=age_days)
    life = _Life(seed, index, as_of, scenario, life_rng, birth_date)
    aow_years, aow_months = _aow_age(birth_date)
    aow_start = _add_months(birth_date, 12 * aow_years + aow_months).replace(day=1)
    aow_start = _add_months(aow_start, 1)  # the AOW starts in the month after the birthday

    gender: Gender = "V" if female else "M"
    birth_place = life_rng.choice(sorted(_MUNICIPALITIES))
    birth_country, nationality = _NETHERLANDS[1], (_DUTCH_NATIONALITY[1],)
    arrival: date | None = None
    if scenario == "recent_arrival":
        _, nat, _, country, place = life_rng.choice(_FOREIGN_ORIGINS)
        birth_place, birth_country, nationality = place, country, (nat,)
        # Under a year ago: the bank account, the job and the tax file are all young.
        arrival = as_of - timedelta(days=life_rng.randint(100, 330))

    # --- work and income ----------------------------------------------------------------
    taken = {employer}
    providers = {_EMPLOYER_PENSION[employer]}
    career_start = _add_years(birth_date, life_rng.randint(21, 25)).replace(day=1)
    latest_start = life.month_start_before(14)
    career_start = max(min(career_start, latest_start), _add_years(birth_date, 18))
    business: Business | None = None
    profit_level: Decimal | None = None
    main_relation: IncomeRelation | None = None
    if scenario == "self_employed":
        started = life.month_start_before(life_rng.randint(6 * 12, 15 * 12))
        career_start = min(career_start, _add_years(started, -3))
        earlier = _other_employer(life_rng, taken, set())
        life.job(earlier, career_start, started - timedelta(days=1), _money(float(gross) * 0.8))
        business = Business(
            trade_name=f"{surname[0].upper()}{surname[1:]} {life_rng.choice(_TRADES)}",
            kvk_number=_digits(seed, index, "kvk", length=8).replace("0", "6", 1),
            started=started,
            iban=iban,
        )
        profit_level = _money(life_rng.randrange(3_200_000, 9_000_000, 10_000) / 100)
        employer, gross = business.trade_name, profit_level
    elif scenario == "retired":
        retired_on = aow_start - timedelta(days=1)
        last_start = _add_years(retired_on, -life_rng.randint(8, 25)).replace(day=1)
        career_start = min(career_start, last_start)
        if last_start > _add_years(career_start, 3):
            earlier = _other_employer(life_rng, taken, providers)
            taken.add(earlier)
            life.job(
                earlier, career_start, last_start - timedelta(days=1), _money(float(gross) * 0.7)
            )
        life.job(employer, last_start, retired_on, gross)
    elif scenario == "temporary_contract":
        start = life.month_start_before(life_rng.randint(3, 10))
        previous = _other_employer(life_rng, taken, set())
        taken.add(previous)
        previous_start = max(_add_months(start, -life_rng.randint(18, 60)), career_start)
        life.job(
            previous,
            previous_start,
            start - timedelta(days=1),
            _money(float(gross) * life_rng.uniform(0.85, 1.0)),
            contract=life_rng.choice(("onbepaald", "bepaald")),
        )
        main_relation = life.job(
            employer,
            start,
            _add_months(start, 12) - timedelta(days=1),
            gross,
            contract="bepaald",
        )
    elif scenario == "recent_arrival":
        assert arrival is not None
        start = _add_months(arrival.replace(day=1), 1 + life_rng.randint(0, 1))
        start = min(start, life.month_start_before(1))
        main_relation = life.job(
            employer, start, None, gross, contract=life_rng.choice(("onbepaald", "bepaald"))
        )
        career_start = start
    else:
        current_start = career_start + timedelta(
            days=life_rng.randint(0, max(0, (latest_start - career_start).days))
        )
        current_start = current_start.replace(day=1)
        earlier_jobs = 0
        if scenario == "three_pension_providers":
            earlier_jobs = 2
            current_start = min(current_start, _add_years(career_start, 12).replace(day=1))
            current_start = max(current_start, _add_years(career_start, 4).replace(day=1))
            current_start = min(current_start, latest_start)
        elif (current_start - career_start).days > 3 * 365 and life_rng.random() < 0.45:
            earlier_jobs = 1
        if earlier_jobs:
            span = (current_start - career_start).days
            bounds = [
                career_start + timedelta(days=span * k // earlier_jobs)
                for k in range(earlier_jobs + 1)
            ]
            for k in range(earlier_jobs):
                other = _other_employer(life_rng, taken, providers)
                taken.add(other)
                providers.add(_EMPLOYER_PENSION[other])
                life.job(
                    other,
                    bounds[k].replace(day=1),
                    bounds[k + 1].replace(day=1) - timedelta(days=1),
                    _money(max(28_000.0, float(gross) * life_rng.uniform(0.6, 0.9))),
                )
        main_relation = life.job(employer, current_start, None, gross)

    # --- pensions and the AOW -------------------------------------------------------------
    insured_from = _add_years(birth_date, 15) if arrival is None else arrival
    insured_total = min(50, int(_years_between(insured_from, aow_start)))
    insured_now = min(insured_total, int(_years_between(insured_from, min(as_of, aow_start))))
    aow = AowEntitlement(
        age_years=aow_years,
        age_months=aow_months,
        starts=aow_start,
        accrued_single=_AOW_FULL_SINGLE * insured_now // 50,
        accrued_cohabiting=_AOW_FULL_COHABITING * insured_now // 50,
        reachable_single=_AOW_FULL_SINGLE * insured_total // 50,
        reachable_cohabiting=_AOW_FULL_COHABITING * insured_total // 50,
    )
    stand_per = date(as_of.year, 1, 1)
    accrued: dict[str, float] = {}
    reachable: dict[str, float] = {}
    for job in list(life.relations):
        if job.pension_provider is None:
            continue
        base = max(0.0, float(job.gross_annual) - _PENSION_FRANCHISE) * _ACCRUAL_RATE
        until = min(as_of, job.end or as_of)
        done = base * _years_between(job.start, until)
        to_go = base * _years_between(as_of, aow_start) if job.end is None else 0.0
        accrued[job.pension_provider] = accrued.get(job.pension_provider, 0.0) + done
        reachable[job.pension_provider] = reachable.get(job.pension_provider, 0.0) + done + to_go
    retired = scenario == "retired"
    pensions = tuple(
        PensionEntitlement(
            provider=provider,
            reference_number=_digits(seed, index, "pensioen", provider, length=9),
            accrued=int(accrued[provider]) if not retired else int(reachable[provider]),
            reachable=int(reachable[provider]),
            partner_pension=int(reachable[provider] * 0.7),
            stand_per=stand_per,
            in_payment=retired,
        )
        for provider in sorted(accrued)
    )
    if retired:
        # In retirement the SVB pays the AOW and applies the tax credits; each fund pays its
        # pension without them.
        life.benefit("aow", _SVB, aow_start, Decimal(aow.reachable_single))
        for entitlement in pensions:
            legal_name = _PENSION_PROVIDERS[entitlement.provider][0]
            life.benefit("pension", legal_name, aow_start, Decimal(entitlement.reachable))
    payslips = life.payslips()
    current = [r for r in life.relations if r.end is None]
    if main_relation is None and current:
        main_relation = max(current, key=lambda r: r.gross_annual)
    net_monthly: Decimal
    if main_relation is not None:
        employer, gross = main_relation.payer, main_relation.gross_annual
        paid = [
            p
            for p in payslips
            if p.payroll_tax_number == main_relation.payroll_tax_number
            and p.relation_number == main_relation.number
        ]
        net_monthly = (
            paid[-1].net
            if paid
            else _monthly_pay(
                gross, premium_rate=main_relation.premium_rate, work=True, credits=True, aow=False
            ).net
        )
    else:
        net_monthly = _money(_net_annual(gross) / 12)

    # --- partner ----------------------------------------------------------------------------
    partner: Partner | None = None
    if scenario == "two_incomes":
        partner_female = not female if life_rng.random() < 0.9 else female
        partner_first = life_rng.choice(_GIVEN_FEMALE if partner_female else _GIVEN_MALE)
        partner_employer = _other_employer(life_rng, taken, set())
        union_date = as_of - timedelta(
            days=life_rng.randint(2 * 365, max(3 * 365, age_days - 23 * 365))
        )
        partner = Partner(
            bsn=_partner_bsn(bsn, life_rng),
            given_names=partner_first,
            surname=life_rng.choice([s for s in _SURNAMES if s != surname]),
            gender="V" if partner_female else "M",
            birth_date=birth_date + timedelta(days=life_rng.randint(-5 * 365, 5 * 365)),
            birth_place=life_rng.choice(sorted(_MUNICIPALITIES)),
            nationality=(_DUTCH_NATIONALITY[1],),
            union=life_rng.choice(("H", "H", "H", "P")),
            union_date=union_date,
            union_place=address.city,
            employer=partner_employer,
            payroll_tax_number=payroll_tax_number(partner_employer),
            gross_annual_salary=_money(life_rng.randrange(2_800_000, 7_500_000, 5_000) / 100),
        )

    # --- property -------------------------------------------------------------------------
    properties: list[Property] = []
    if housing == "mortgage":
        years_owned = life_rng.randint(1, max(1, min(20, age_days // 365 - 23)))
        acquired = min(_add_years(as_of.replace(day=1), -years_owned), life.month_start_before(13))
        properties.append(
            _property(
                life_rng,
                seed=seed,
                index=index,
                number=0,
                address=address,
                as_of=as_of,
                acquired=acquired,
                own_home=True,
                share=(1, 2) if partner is not None else (1, 1),
                co_owner_bsn=partner.bsn if partner is not None else None,
                with_mortgage=True,
            )
        )
        address_since = acquired
    else:
        years_here = life_rng.randint(1, max(1, min(12, age_days // 365 - 19)))
        address_since = _add_years(as_of, -years_here) - timedelta(days=life_rng.randint(0, 300))
    if arrival is not None:
        address_since = arrival + timedelta(days=life_rng.randint(0, 20))
    if scenario == "several_properties":

        def let_property(number: int, held_years_at_most: int, mortgage_chance: float) -> Property:
            # The draws in this order: address, purchase month, mortgage (none drawn at 0).
            return _property(
                life_rng,
                seed=seed,
                index=index,
                number=number,
                address=_address(life_rng, seed, index, f"let-{number}"),
                as_of=as_of,
                acquired=life.month_start_before(life_rng.randint(13, held_years_at_most * 12)),
                own_home=False,
                share=(1, 1),
                co_owner_bsn=None,
                with_mortgage=mortgage_chance > 0 and life_rng.random() < mortgage_chance,
            )

        for number in range(1, life_rng.randint(2, 3)):
            properties.append(let_property(number, 15, 0.6))
        if len(properties) < 3 and life_rng.random() < 0.5:
            properties.append(let_property(len(properties), 10, 0.0))

    # --- accounts -----------------------------------------------------------------------------
    opened: date | None = None
    if arrival is not None:
        opened = arrival + timedelta(days=life_rng.randint(7, 30))
        opening = _money(life_rng.uniform(50, 600))
        savings_opening = Decimal("0.00")
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
            )
        )

    # --- student debt ---------------------------------------------------------------------
    student_debt: tuple[Decimal, date, Decimal] | None = None
    if scenario == "student_debt":
        initial = _money(life_rng.randrange(1_200_000, 4_800_000, 1_000) / 100)
        repay_from = _add_months(career_start, 24)
        student_debt = (initial, repay_from, _money(float(initial) / (35 * 12)))

    def debt_on(day: date) -> int:
        assert student_debt is not None
        initial, repay_from, monthly = student_debt
        paid = max(0, _month_index(day) - _month_index(repay_from))
        return _whole(max(Decimal(0), initial - monthly * paid))

    # --- tax years ----------------------------------------------------------------------------
    last_year = _last_tax_year(as_of)
    years = list(range(last_year - 2, last_year + 1))
    if arrival is not None:
        years = [y for y in years if y >= arrival.year][-1:]
    profit_by_year: dict[int, int] = {}
    if business is not None and profit_level is not None:
        for y in years:
            if y >= business.started.year:
                factor = 0.85 + 0.3 * int(_digits(seed, index, "winst", y, length=4)) / 9999
                profit_by_year[y] = _whole(float(profit_level) * factor / 1.03 ** (last_year - y))
    tax_years: list[TaxYear] = []
    for y in years:
        lines = []
        for relation in life.relations:
            slips = [
                p
                for p in payslips
                if p.payroll_tax_number == relation.payroll_tax_number
                and p.relation_number == relation.number
                and p.period_start.year == y
            ]
            if slips:
                lines.append(
                    WageLine(
                        payer=relation.payer,
                        payroll_tax_number=relation.payroll_tax_number,
                        income_code=relation.income_code,
                        wage=_whole(sum((p.fiscal_wage for p in slips), Decimal(0))),
                        withheld_tax=_whole(sum((p.withheld_tax for p in slips), Decimal(0))),
                        labour_credit=_whole(sum((p.labour_credit for p in slips), Decimal(0))),
                    )
                )
        if arrival is not None and not lines:
            continue  # arrived at the very end of the year: nothing to declare yet
        jan1 = date(y, 1, 1)
        balances = tuple(
            (
                a.iban,
                _whole(
                    float(a.opening_balance)
                    * (0.6 + 0.8 * int(_digits(seed, index, a.iban, y, length=4)) / 9999)
                ),
            )
            for a in accounts
            if opened is None or opened <= jan1
        )
        own_home: OwnHome | None = None
        home = next((p for p in properties if p.own_home and p.acquired.year <= y), None)
        if home is not None:
            woz = home.woz_value(y)
            assert woz is not None
            own_home = OwnHome(
                address=home.address,
                woz_value=woz.value,
                woz_reference_date=woz.reference_date,
                mortgage_interest=_whole(
                    sum((m.interest_in(y) for m in home.mortgages), Decimal(0))
                ),
                share=home.share,
                months_owned=12 if home.acquired.year < y else 13 - home.acquired.month,
            )
        debts: list[Debt] = []
        if student_debt is not None and debt_on(jan1) > 0:
            debts.append(Debt("studieschuld", "Studieschuld DUO", debt_on(jan1)))
        let = [p for p in properties if not p.own_home and p.acquired < jan1]
        for prop in let:
            for mortgage in prop.mortgages:
                debts.append(
                    Debt(
                        "overige schuld",
                        f"Hypotheek {prop.address.line1} {prop.address.city}",
                        _whole(mortgage.outstanding_on(jan1)),
                    )
                )
        others = []
        for prop in let:
            woz = prop.woz_value(y)
            if woz is not None:
                others.append((prop.address, woz.value))
        tax_years.append(
            TaxYear(
                year=y,
                wages=tuple(lines),
                profit=profit_by_year.get(y),
                bank_balances=balances,
                own_home=own_home,
                debts=tuple(debts),
                other_properties=tuple(others),
            )
        )

    # --- the bank history -----------------------------------------------------------------
    history_rng = random.Random(f"brondata:{seed}:history:{index}:{as_of.isoformat()}")
    window_start = _months_back(as_of, 12)
    if opened is not None:
        window_start = max(window_start, opened)
    planned: list[_Planned] = []
    for slip in payslips:
        relation = next(
            r
            for r in life.relations
            if r.payroll_tax_number == slip.payroll_tax_number and r.number == slip.relation_number
        )
        period = f"{slip.period_start.month:02d}-{slip.period_start.year}"
        label = f"{_MONTHS_NL[slip.period_start.month - 1]} {slip.period_start.year}"
        category: Category
        if relation.kind == "employment":
            text, category = f"SALARIS {period} PERSNR {relation.number}", "salary"
        elif relation.kind == "aow":
            text, category = f"AOW {label} KLANTNR {relation.number}", "pension"
        else:
            text, category = f"PENSIOEN {label} DEELNEMER {relation.number}", "pension"
        planned.append(
            _Planned(slip.pay_date, slip.net, relation.payer, relation.payer_iban, text, category)
        )
    for prop in properties:
        for mortgage in prop.mortgages:
            for _, due in mortgage.payment_dates():
                if due >= as_of:
                    break
                if due >= _add_months(window_start.replace(day=1), -1):
                    planned.append(
                        _Planned(
                            _shift_to_weekday(due, backwards=False),
                            -mortgage.monthly_payment,
                            mortgage.lender,
                            _stable_iban(mortgage.lender),
                            f"Hypotheek leningnr {mortgage.identification[-8:]} termijn "
                            f"{due.month:02d}-{due.year}",
                            "mortgage",
                            _DIRECT_DEBIT,
                        )
                    )
        if not prop.own_home:
            tenant = (
                f"{life_rng.choice(_GIVEN_MALE + _GIVEN_FEMALE)[0]}. {life_rng.choice(_SURNAMES)}"
            )
            for month in _month_starts(window_start, as_of):
                planned.append(
                    _Planned(
                        _shift_to_weekday(month, backwards=False),
                        prop.monthly_rent,
                        tenant,
                        _stable_iban(tenant),
                        f"Huur {_MONTHS_NL[month.month - 1]} {month.year} {prop.address.line1}",
                        "rental_income",
                    )
                )
    if student_debt is not None:
        for month in _month_starts(max(window_start, student_debt[1]), as_of):
            if debt_on(month) > 0:
                planned.append(
                    _Planned(
                        _shift_to_weekday(_day_in_month(month, 19), backwards=False),
                        -student_debt[2],
                        _STUDENT_DEBT_LENDER,
                        _stable_iban(_STUDENT_DEBT_LENDER),
                        f"Termijn studieschuld {_MONTHS_NL[month.month - 1]} {month.year}",
                        "student_loan",
                        _DIRECT_DEBIT,
                    )
                )
    monthly_income = sum((p.net for p in payslips if p.pay_date >= window_start), Decimal(0))
    months_in_window = max(1, len(list(_month_starts(window_start, as_of))))
    monthly_income = _money(monthly_income / months_in_window)
    if business is not None and profit_level is not None:
        monthly_income = _business_income(
            planned, life_rng, profit_level, window_start, as_of, seed, index
        )
        net_monthly = _money(_net_annual(profit_level) / 12)
    history = _History(
        rng=history_rng,
        as_of=as_of,
        start=window_start,
        iban=iban,
        savings_iban=savings_iban,
        monthly_income=monthly_income,
        housing=housing,
        address=address,
        holder=owner or full_name,
        planned=planned,
    )
    booked, pending = history.generate()
    return Person(
        index=index,
        scenario=scenario,
        bsn=bsn,
        given_names=given_names,
        surname=surname,
        birth_date=birth_date,
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
        gender=gender,
        birth_place=birth_place,
        birth_country=birth_country,
        nationality=nationality,
        arrival_date=arrival,
        address_since=address_since,
        partner=partner,
        income_relations=tuple(life.relations),
        payslips=tuple(payslips),
        business=business,
        properties=tuple(properties),
        pensions=pensions,
        aow=aow,
        tax_years=tuple(tax_years),
    )


def _business_income(
    planned: list[_Planned],
    rng: random.Random,
    profit: Decimal,
    start: date,
    as_of: date,
    seed: int,
    index: int,
) -> Decimal:
    """Irregular client payments for a self-employed person, and the quarterly VAT.

    Invoices include 21 % VAT; revenue covers the profit plus about a quarter in costs.
    Returns the average monthly amount left after VAT, the budget the person lives on.
    """
    monthly_revenue = float(profit) * 1.25 / 12
    clients = rng.sample(_CLIENTS, 4)
    quarter_vat = Decimal("0.00")
    received = Decimal("0.00")
    months = 0
    for month in _month_starts(start, as_of):
        months += 1
        invoices = rng.randint(1, 4)
        # Some months bring far more than others: the point of this scenario.
        month_total = monthly_revenue * rng.uniform(0.3, 1.8)
        for _ in range(invoices):
            amount = _money(month_total / invoices * rng.uniform(0.6, 1.4) * 1.21)
            client = rng.choice(clients)
            number = _digits(seed, index, "factuur", month, amount, length=3)
            planned.append(
                _Planned(
                    _shift_to_weekday(_day_in_month(month, rng.randint(1, 28)), backwards=False),
                    amount,
                    client,
                    _stable_iban(client),
                    f"Factuur {month.year}-{number}",
                    "business_income",
                )
            )
            received += amount
            quarter_vat += amount * Decimal(21) / Decimal(121)
        if month.month in (1, 4, 7, 10):
            if quarter_vat > 0:
                planned.append(
                    _Planned(
                        _shift_to_weekday(_day_in_month(month, 28), backwards=False),
                        -_money(quarter_vat * Decimal("0.8")),
                        _TAX_AUTHORITY,
                        _stable_iban(_TAX_AUTHORITY),
                        f"Omzetbelasting kwartaal {(month.month - 2) % 12 // 3 + 1}",
                        "tax",
                        _TRANSFER,
                    )
                )
            quarter_vat = Decimal("0.00")
    return _money(received / Decimal(121) * Decimal(100) / max(1, months) * Decimal("0.7"))


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
