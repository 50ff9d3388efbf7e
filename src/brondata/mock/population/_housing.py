"""Housing: owned homes and let property with their mortgages and WOZ values, as the BRK,
the WOZ register, the tax return and the bank's mortgage debits see them."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from brondata.mock.population._banking import _DIRECT_DEBIT, _Planned, _stable_iban
from brondata.mock.population._common import (
    _MONTHS_NL,
    _add_months,
    _add_years,
    _digits,
    _money,
    _month_starts,
    _shift_to_weekday,
)
from brondata.mock.population._identity import (
    _GIVEN_FEMALE,
    _GIVEN_MALE,
    _MUNICIPALITIES,
    _SURNAMES,
    Address,
    Partner,
    _address,
)
from brondata.mock.population._scenarios import Scenario

if TYPE_CHECKING:
    from brondata.mock.population._work import _Life

Housing = Literal["rent", "mortgage"]

_MORTGAGE_LENDERS = (
    "Hollandse Hypotheekbank N.V.",
    "Dijkstroom Hypotheken",
    "Oranje Woonfinanciering N.V.",
)

# Typical WOZ value of a home in each city (euros, current year), for plausible values.
_CITY_VALUE = {
    "Amsterdam": 560_000, "Rotterdam": 340_000, "Den Haag": 390_000, "Utrecht": 470_000,
    "Eindhoven": 380_000, "Groningen": 300_000, "Tilburg": 330_000, "Almere": 360_000,
    "Breda": 370_000, "Nijmegen": 350_000, "Haarlem": 520_000, "Arnhem": 330_000,
    "Zwolle": 360_000, "Amersfoort": 430_000, "Leiden": 440_000, "Maastricht": 320_000,
    "Apeldoorn": 350_000, "Enschede": 280_000,
}  # fmt: skip


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


def _draw_housing(rng: random.Random) -> Housing:
    """Owner or tenant, in the first stream: a bit over half own their home."""
    return "mortgage" if rng.random() < 0.55 else "rent"


def _housing_of(scenario: Scenario, drawn: Housing) -> Housing:
    """The scenario's housing where it has one; the drawn one otherwise."""
    if scenario in ("two_incomes", "several_properties", "new_build"):
        return "mortgage"
    if scenario in ("tenant", "student_debt", "student_debt_paused", "recent_arrival"):
        return "rent"
    return drawn


def _draw_properties(
    life: _Life,
    *,
    housing: Housing,
    address: Address,
    age_days: int,
    partner: Partner | None,
    arrival: date | None,
) -> tuple[list[Property], date]:
    """The own home (for an owner) and any let property, and since when the person lives at
    ``address``."""
    seed, index, as_of, scenario, life_rng = (
        life.seed,
        life.index,
        life.as_of,
        life.scenario,
        life.rng,
    )
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
    if scenario == "new_build":
        # A newly built flat, delivered a few months ago and let since: the municipality has
        # not assessed it yet, so it has no WOZ value.
        built = _property(
            life_rng,
            seed=seed,
            index=index,
            number=1,
            address=_address(life_rng, seed, index, "new-build"),
            as_of=as_of,
            acquired=life.month_start_before(life_rng.randint(2, 9)),
            own_home=False,
            share=(1, 1),
            co_owner_bsn=None,
            with_mortgage=False,
        )
        properties.append(replace(built, woz_values=()))
    return properties, address_since


def _property_payments(
    properties: list[Property], *, life_rng: random.Random, window_start: date, as_of: date
) -> list[_Planned]:
    """The monthly mortgage debits of every property, and the rent a let one brings in."""
    planned: list[_Planned] = []
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
            for month in _month_starts(max(window_start, prop.acquired), as_of):
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
    return planned
