"""Identity and address: names, BSN, home address, birth and origin, login, and the partner.

The first random stream of a person starts here (names, BSN, address); the BRP tables the
mock registry needs (municipalities, nationalities, countries) live here too.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from brondata.mock.population._common import _add_years, _bijection, _digits, _money
from brondata.mock.population._scenarios import Scenario
from brondata.mock.population._work import _other_employer, payroll_tax_number

Gender = Literal["M", "V"]

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


def elfproef(bsn: str) -> bool:
    """Whether ``bsn`` is nine digits passing the BSN eleven-test (9·d1 + … + 2·d8 − d9 ≡ 0)."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    digits = [int(c) for c in bsn]
    total = sum(weight * d for weight, d in zip(range(9, 1, -1), digits[:8], strict=True))
    return (total - digits[8]) % 11 == 0 and bsn != "000000000"


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
class Child:
    """A child in a parent's BRP registration (the ``single_parent`` scenario)."""

    bsn: str
    given_names: str
    surname: str
    birth_date: date


#: The parent's age at each child's birth (plus up to 300 days): with the single_parent ages
#: (30 to 44) the younger child is under 18, the elder sometimes an adult.
_CHILD_BIRTH_AGES = (24, 28)


def _children_of(
    index: int, bsn: str, surname: str, birth_date: date, scenario: Scenario
) -> tuple[Child, ...]:
    """The children of a ``single_parent`` (none for any other scenario), drawn from a stream
    of their own, so that adding them moved no fact of any person."""
    if scenario != "single_parent":
        return ()
    rng = random.Random(f"brondata:children:{index}:{bsn}")
    head = bsn[:7]
    weighted = sum(w * int(d) for w, d in zip(range(9, 2, -1), head, strict=True))
    # BSNs no one else has: the parent's own seven-digit head with other eighth digits.
    digits = [d8 for d8 in range(10) if (weighted + 2 * d8) % 11 != 10 and str(d8) != bsn[7]]
    chosen = rng.sample(digits, len(_CHILD_BIRTH_AGES))
    return tuple(
        Child(
            bsn=f"{head}{d8}{(weighted + 2 * d8) % 11}",
            given_names=rng.choice(_GIVEN_FEMALE + _GIVEN_MALE),
            surname=surname,
            birth_date=_add_years(birth_date, age) + timedelta(days=rng.randint(0, 300)),
        )
        for d8, age in zip(chosen, _CHILD_BIRTH_AGES, strict=True)
    )


def split_surname(surname: str) -> tuple[str | None, str]:
    """(voorvoegsel, geslachtsnaam): "van den Berg" → ("van den", "Berg")."""
    words = surname.split(" ")
    prefix = [w for w in words[:-1] if w.islower() or w in ("'t",)]
    if len(prefix) != len(words) - 1:
        return None, surname
    return (" ".join(prefix) or None), words[-1]


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


def _constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


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


@dataclass(frozen=True, slots=True)
class _Identity:
    """The first draws of a person's own stream: who they are and where they live."""

    female: bool
    first: str
    given_names: str
    surname: str
    bsn: str
    address: Address

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


def _draw_identity(rng: random.Random, seed: int, index: int) -> _Identity:
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
    return _Identity(female, first, given_names, surname, bsn, address)


def _login(seed: int, index: int, identity: _Identity) -> tuple[str, str]:
    """The person's user name and password at every mock login page (DigiD and the banks)."""
    username = f"{_slug(identity.first)}.{_slug(identity.surname)}.{index}"
    password = (
        "mock-" + hashlib.sha256(f"brondata:{seed}:password:{index}".encode()).hexdigest()[:12]
    )
    return username, password


def _draw_age_days(rng: random.Random) -> int:
    """An age between 21 and 67, in days: the general population's."""
    return rng.randint(21 * 365 + 6, 67 * 365)


@dataclass(frozen=True, slots=True)
class _Origin:
    birth_place: str
    birth_country: str
    nationality: tuple[str, ...]
    arrival: date | None  # settled in the Netherlands (recent arrivals only)


def _draw_origin(life_rng: random.Random, scenario: Scenario, as_of: date) -> _Origin:
    """Where the person was born, their nationality, and for a recent arrival when they came."""
    birth_place = life_rng.choice(sorted(_MUNICIPALITIES))
    birth_country, nationality = _NETHERLANDS[1], (_DUTCH_NATIONALITY[1],)
    arrival: date | None = None
    if scenario == "recent_arrival":
        _, nat, _, country, place = life_rng.choice(_FOREIGN_ORIGINS)
        birth_place, birth_country, nationality = place, country, (nat,)
        # Under a year ago: the bank account, the job and the tax file are all young.
        arrival = as_of - timedelta(days=life_rng.randint(100, 330))
    return _Origin(birth_place, birth_country, nationality, arrival)


def _draw_partner(
    life_rng: random.Random,
    identity: _Identity,
    *,
    birth_date: date,
    age_days: int,
    as_of: date,
    taken: set[str],
) -> Partner:
    """A fiscal partner with a job at another employer (the ``two_incomes`` scenario)."""
    female, bsn, surname, address = (
        identity.female,
        identity.bsn,
        identity.surname,
        identity.address,
    )
    partner_female = not female if life_rng.random() < 0.9 else female
    partner_first = life_rng.choice(_GIVEN_FEMALE if partner_female else _GIVEN_MALE)
    partner_employer = _other_employer(life_rng, taken, set())
    union_date = as_of - timedelta(
        days=life_rng.randint(2 * 365, max(3 * 365, age_days - 23 * 365))
    )
    return Partner(
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
