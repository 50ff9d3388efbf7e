"""The synthetic population: determinism, check digits, and bank histories that add up."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brondata.mock.population import (
    BANKS,
    Person,
    Population,
    elfproef,
    iban_valid,
    make_iban,
)

AS_OF = date(2026, 11, 1)
seeds = st.integers(min_value=0, max_value=2**32)
indices = st.integers(min_value=0, max_value=10**7 - 1)


@pytest.mark.parametrize("bsn", ["999993653", "123456782", "111222333"])
def test_elfproef_accepts_known_valid_numbers(bsn: str) -> None:
    assert elfproef(bsn)


@pytest.mark.parametrize(
    "bsn", ["999993654", "123456789", "12345678", "1234567820", "12345678a", "000000000", ""]
)
def test_elfproef_refuses_invalid_numbers(bsn: str) -> None:
    assert not elfproef(bsn)


@pytest.mark.parametrize(
    "iban", ["NL76RABO0359400371", "NL91ABNA0417164300", "DE89370400440532013000"]
)
def test_iban_valid_accepts_known_valid_ibans(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    ["NL77RABO0359400371", "NL76RABO035940037", "NL76RAB00359400371", "nl76rabo0359400371", ""],
)
def test_iban_valid_refuses_invalid_ibans(iban: str) -> None:
    assert not iban_valid(iban)


def test_make_iban_round_trips_the_known_example() -> None:
    assert make_iban("RABO", 359400371) == "NL76RABO0359400371"


def test_a_person_does_not_depend_on_who_was_generated_before() -> None:
    fresh = Population(seed=42, as_of=AS_OF).person(17)
    warm = Population(seed=42, as_of=AS_OF)
    for i in range(17):
        warm.person(i)
    assert warm.person(17) == fresh


def test_other_seed_gives_other_people() -> None:
    a = Population(seed=1, as_of=AS_OF).person(0)
    b = Population(seed=2, as_of=AS_OF).person(0)
    assert (a.bsn, a.iban) != (b.bsn, b.iban)


def test_identity_is_stable_when_only_as_of_moves() -> None:
    now = Population(seed=42, as_of=AS_OF).person(3)
    later = Population(seed=42, as_of=AS_OF + timedelta(days=40)).person(3)
    assert (now.bsn, now.iban, now.surname, now.employer) == (
        later.bsn,
        later.iban,
        later.surname,
        later.employer,
    )
    assert now.transactions != later.transactions


def test_bsns_ibans_usernames_are_unique() -> None:
    people = list(Population(seed=7, as_of=AS_OF).people(400))
    for attribute in ("bsn", "iban", "username"):
        values = [getattr(p, attribute) for p in people]
        assert len(set(values)) == len(values), attribute


def test_identity_fields_look_dutch(population: Population) -> None:
    for p in population.people(60):
        assert elfproef(p.bsn)
        assert iban_valid(p.iban)
        assert len(p.iban) == 18
        assert p.iban[4:8] in BANKS
        assert re.fullmatch(r"[1-9]\d{3} [A-Z]{2}", p.address.postcode)
        assert 21 <= (AS_OF - p.birth_date).days // 365.25 <= 67
        assert p.housing in ("rent", "mortgage")
        assert p.accounts[0].iban == p.iban
        assert p.accounts[0].cash_account_type == "CACC"
        assert all(iban_valid(a.iban) for a in p.accounts)
        assert p.gross_annual_salary > p.net_monthly_salary * 12 > 0
        assert population.check_credentials(p.username, p.password) == p
        assert population.check_credentials(p.username, p.password + "x") is None


def test_usernames_that_name_no_one_are_refused(population: Population) -> None:
    assert population.by_username("nobody") is None
    assert population.by_username("jan.jansen.0") in (None, population.person(0))
    assert population.by_username(population.person(3).username + "1") is None


def _salaries(p: Person) -> list[Decimal]:
    return [t.amount for t in p.transactions if t.category == "salary"]


def test_salary_arrives_monthly_from_the_employer_around_the_25th(population: Population) -> None:
    for p in population.people(30):
        salary = [t for t in p.transactions if t.category == "salary"]
        assert len(salary) == 12
        assert {t.counterparty_name for t in salary} == {p.employer}
        assert {t.counterparty_iban for t in salary} == {p.employer_iban}
        assert all(22 <= t.booking_date.day <= 25 for t in salary)
        assert len({(t.booking_date.year, t.booking_date.month) for t in salary}) == 12
        assert max(_salaries(p)) - min(_salaries(p)) <= Decimal(6)
        assert all(abs(a - p.net_monthly_salary) <= 3 for a in _salaries(p))


def test_fixed_costs_recur_monthly_with_the_same_creditor(population: Population) -> None:
    for p in population.people(30):
        housing = [t for t in p.transactions if t.category == p.housing]
        assert len(housing) == 12
        assert len({t.counterparty_name for t in housing}) == 1
        assert len({t.amount for t in housing}) == 1
        assert housing[0].amount < 0
        counts = Counter(t.category for t in p.transactions)
        assert counts["insurance"] == 12
        assert counts["utilities"] == 36
        assert counts["groceries"] >= 12 * 6
        assert counts["other"] >= 12 * 4
        assert counts["mortgage" if p.housing == "rent" else "rent"] == 0


def test_history_covers_twelve_months_before_as_of(population: Population) -> None:
    p = population.person(0)
    assert min(t.booking_date for t in p.transactions) >= date(2025, 11, 1)
    assert max(t.booking_date for t in p.transactions) < AS_OF
    assert all(t.currency == "EUR" and t.amount != 0 for t in p.transactions)
    assert all(t.booking_date == AS_OF for t in p.pending_transactions)


def test_balances_add_up(population: Population) -> None:
    for p in population.people(30):
        for account in p.accounts:
            booked = sum((t.amount for t in p.transactions_of(account.iban)), Decimal(0))
            assert p.closing_booked(account.iban) == account.opening_balance + booked
        for savings in [a.iban for a in p.accounts if a.cash_account_type == "SVGS"]:
            # Money moved to savings leaves the current account and arrives at savings.
            out = [t for t in p.transactions if t.counterparty_iban == savings]
            into = p.transactions_of(savings)
            assert sorted(-t.amount for t in out) == sorted(t.amount for t in into)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, index=indices)
def test_every_person_has_a_valid_bsn_and_iban(seed: int, index: int) -> None:
    p = Population(seed=seed, as_of=AS_OF).person(index)
    assert elfproef(p.bsn)
    assert iban_valid(p.iban)
    assert p.index == index


@settings(max_examples=25, deadline=None)
@given(seed=seeds, index=indices)
def test_generation_is_deterministic(seed: int, index: int) -> None:
    assert Population(seed, AS_OF).person(index) == Population(seed, AS_OF).person(index)


@settings(max_examples=200)
@given(digits=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_elfproef_matches_its_definition(digits: str) -> None:
    weighted = sum(w * int(d) for w, d in zip(range(9, 1, -1), digits[:8], strict=True))
    expected = (weighted - int(digits[8])) % 11 == 0 and digits != "000000000"
    assert elfproef(digits) is expected


@settings(max_examples=200)
@given(code=st.sampled_from(sorted(BANKS)), number=st.integers(0, 10**10 - 1))
def test_make_iban_always_passes_mod_97(code: str, number: int) -> None:
    iban = make_iban(code, number)
    assert iban_valid(iban)
    # A single changed digit is always caught by mod 97.
    flipped = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    assert not iban_valid(flipped)
