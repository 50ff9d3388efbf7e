"""The named scenarios, and the invariants that make the sources agree about one person.

Each property-based test draws a seed, a scenario and a person number, and checks one promise
the mock sources rely on: the bank's salary is the net of the payroll model's gross, the tax
wages are that payroll summed per year, the mortgage interest fits the BRK mortgage, and so on.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brondata.mock.population import (
    SCENARIO_BASE,
    SCENARIOS,
    Payslip,
    Person,
    Population,
    elfproef,
    iban_valid,
)
from brondata.mock.population._scenarios import _SCENARIO_BLOCKS, _scenario_index, _scenario_of

AS_OF = date(2026, 11, 1)
seeds = st.integers(min_value=0, max_value=2**32)
numbers = st.integers(min_value=0, max_value=50_000)
scenarios = st.sampled_from(SCENARIOS)
as_ofs = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
examples = settings(max_examples=25, deadline=None)


def _someone(seed: int, scenario: str, n: int, as_of: date = AS_OF) -> Person:
    return Population(seed=seed, as_of=as_of).scenario(scenario, n)


def _slips_of(person: Person, payroll_tax_number: str, year: int) -> list[Payslip]:
    """The payslips of one payer for periods in ``year``: what one wage line of a tax year sums."""
    return [
        s
        for s in person.payslips
        if s.payroll_tax_number == payroll_tax_number and s.period_start.year == year
    ]


def test_scenarios_are_the_documented_sixteen() -> None:
    assert SCENARIOS == (
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
        "salary_elsewhere",
        "student_debt_paused",
        "new_bank_account",
        "stale_pension_overview",
        "new_build",
        "single_parent",
        "new_job_pay_rise",
    )


def test_an_unknown_scenario_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'pensioner'") as info:
        Population(seed=1, as_of=AS_OF).scenario("pensioner")
    assert all(name in str(info.value) for name in SCENARIOS)


def test_scenario_persons_are_persons_at_their_index() -> None:
    population = Population(seed=3, as_of=AS_OF)
    for name in SCENARIOS:
        person = population.scenario(name, 2)
        assert person.scenario == name
        assert person.index >= SCENARIO_BASE
        assert population.person(person.index) == person
        assert population.by_username(person.username) == person
        assert population.by_bsn(person.bsn) == person
    assert population.person(5).scenario == "salaried"


def test_adding_scenarios_does_not_renumber_the_first_ten() -> None:
    population = Population(seed=3, as_of=AS_OF)
    for k, name in enumerate(SCENARIOS[:10]):
        assert population.scenario(name, 2).index == SCENARIO_BASE + 2 * 10 + k


def test_scenario_blocks_hold_every_scenario_once_and_do_not_overlap() -> None:
    named = [name for _, names in _SCENARIO_BLOCKS for name in names]
    assert sorted(named) == sorted(SCENARIOS)
    indices = [_scenario_index(name, n) for name in SCENARIOS for n in (0, 1, 7)]
    assert len(set(indices)) == len(indices)
    assert all(_scenario_of(_scenario_index(name, 3)) == name for name in SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_last_person_of_a_scenario_stays_inside_its_block(name: str) -> None:
    low, high = 0, 10**7  # _fits(name, low) holds, _fits(name, high) does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _fits(name, middle) else (low, middle)
    last = low
    assert _scenario_of(_scenario_index(name, last)) == name
    assert _scenario_index(name, last) < 10**7
    with pytest.raises(IndexError):
        _scenario_index(name, last + 1)


def _fits(name: str, n: int) -> bool:
    try:
        _scenario_index(name, n)
    except IndexError:
        return False
    return True


def test_scenario_numbers_out_of_range_are_refused() -> None:
    population = Population(seed=3, as_of=AS_OF)
    with pytest.raises(IndexError):
        population.scenario("retired", -1)
    with pytest.raises(IndexError):
        population.scenario("retired", 10**7)


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_scenario_persons_are_deterministic(seed: int, scenario: str, n: int) -> None:
    assert _someone(seed, scenario, n) == _someone(seed, scenario, n)


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_identity_numbers_pass_their_checks(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    assert elfproef(p.bsn)
    assert all(iban_valid(a.iban) for a in p.accounts)
    assert iban_valid(p.employer_iban)
    for relation in p.income_relations:
        assert elfproef(relation.payroll_tax_number[:9])
        assert relation.payroll_tax_number.endswith("L01")
    if p.partner is not None:
        assert elfproef(p.partner.bsn)
        assert p.partner.bsn != p.bsn
        # The partner is no one else: found by their BSN as the partner, who logs in.
        population = Population(seed=seed, as_of=AS_OF)
        partner = population.by_bsn(p.partner.bsn)
        assert partner is not None
        assert partner.bsn == p.partner.bsn
        assert partner is population.partner_of(population.person(p.index))


def test_partner_bsns_are_unique_in_a_crowd() -> None:
    population = Population(seed=9, as_of=AS_OF)
    couples = [population.scenario("two_incomes", n) for n in range(150)]
    bsns = [p.bsn for p in couples] + [p.partner.bsn for p in couples if p.partner]
    bsns += [p.bsn for p in population.people(150)]
    assert len(set(bsns)) == len(bsns)


@examples
@given(seed=seeds, scenario=scenarios, n=numbers, as_of=as_ofs)
def test_bank_income_is_the_net_of_the_payroll(
    seed: int, scenario: str, n: int, as_of: date
) -> None:
    p = _someone(seed, scenario, n, as_of)
    credits = [t for t in p.transactions if t.category in ("salary", "pension")]
    payers = {r.payroll_tax_number: r for r in p.income_relations}
    for credit in credits:
        matching = [
            s
            for s in p.payslips
            if s.pay_date == credit.booking_date
            and payers[s.payroll_tax_number].payer == credit.counterparty_name
        ]
        assert len(matching) == 1, credit
        # Within normal payroll rounding: an expense claim of a few euros at most.
        assert abs(credit.amount - matching[0].net) <= 3
    window = [s for s in p.payslips if s.pay_date >= credits[0].booking_date] if credits else []
    assert len(window) == len(credits)


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_payslips_follow_one_payroll_model(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    for s in p.payslips:
        assert s.fiscal_wage == s.gross - s.pension_premium
        assert s.net == s.fiscal_wage - s.withheld_tax
        assert s.sv_wage in (s.gross, Decimal("0.00"))
        assert s.period_start.day == 1
        assert s.period_end.month == s.period_start.month
        assert s.pay_date < AS_OF


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_tax_wages_are_the_payroll_summed_per_year(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    for year in p.tax_years:
        for line in year.wages:
            slips = _slips_of(p, line.payroll_tax_number, year.year)
            fiscal = sum((s.fiscal_wage for s in slips), Decimal(0))
            assert line.wage == int(fiscal)
            assert line.withheld_tax == int(sum((s.withheld_tax for s in slips), Decimal(0)))
            sv = sum((s.sv_wage for s in slips), Decimal(0))
            premium = sum((s.pension_premium for s in slips), Decimal(0))
            if line.income_code in ("11", "15"):
                # SV-loon is the gross; the tax wage is the gross less the pension premium.
                assert abs(sv - premium - line.wage) <= 1
                if len(slips) == 12:
                    assert Decimal("0.85") <= line.wage / sv <= 1


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_twelve_months_of_sv_wage_match_a_full_tax_year(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    for year in p.tax_years:
        for line in year.wages:
            slips = _slips_of(p, line.payroll_tax_number, year.year)
            if len(slips) == 12 and line.income_code in ("11", "15"):
                sv = sum((s.sv_wage for s in slips), Decimal(0))
                assert line.wage <= sv <= line.wage * Decimal("1.12") + 1


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_mortgage_interest_fits_the_registered_mortgage(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    home = p.own_home
    for year in p.tax_years:
        if year.own_home is None:
            continue
        assert home is not None
        jan1 = date(year.year, 1, 1)
        outstanding = sum((m.outstanding_on(jan1) for m in home.mortgages), Decimal(0))
        registered = sum(m.registered_amount for m in home.mortgages)
        assert outstanding <= registered
        if home.acquired < jan1 - timedelta(days=31):
            rate = Decimal(year.own_home.mortgage_interest) / outstanding
            assert Decimal("0.015") <= rate <= Decimal("0.05"), rate


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_woz_in_the_tax_data_is_the_woz_register_value(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    home = p.own_home
    for year in p.tax_years:
        if year.own_home is not None:
            assert home is not None
            woz = home.woz_value(year.year)
            assert woz is not None
            assert year.own_home.woz_value == woz.value
            assert year.own_home.woz_reference_date == date(year.year - 1, 1, 1)
            assert year.own_home.address == p.address
    for prop in p.properties:
        for woz in prop.woz_values:
            assert woz.reference_date == date(woz.year - 1, 1, 1)


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_owners_pay_their_mortgage_and_tenants_their_rent(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    categories = Counter(t.category for t in p.transactions)
    if p.housing == "rent":
        assert p.own_home is None
        assert categories["rent"] >= 1
    else:
        home = p.own_home
        assert home is not None
        assert home.address == p.address
        mortgage = home.mortgages[0]
        debits = [
            t
            for t in p.transactions
            if t.counterparty_name == mortgage.lender
            and mortgage.identification[-8:] in t.remittance
        ]
        assert debits
        assert {t.amount for t in debits} == {-home.mortgages[0].monthly_payment}
        assert categories["rent"] == 0


@examples
@given(seed=seeds, scenario=scenarios, n=numbers)
def test_box1_income_adds_up(seed: int, scenario: str, n: int) -> None:
    p = _someone(seed, scenario, n)
    for year in p.tax_years:
        expected = sum(w.wage for w in year.wages) + (year.profit or 0)
        if year.own_home is not None:
            teller, noemer = year.own_home.share
            forfait = year.own_home_forfait
            expected += (forfait - year.own_home.mortgage_interest) * teller // noemer
            assert forfait <= year.own_home.woz_value * 0.0035
        assert year.taxable_income_box1 == expected


@settings(max_examples=15, deadline=None)
@given(seed=seeds, n=numbers)
def test_scenario_specifics(seed: int, n: int) -> None:
    population = Population(seed=seed, as_of=AS_OF)
    five_years_ago = date(AS_OF.year - 5, AS_OF.month, 1)

    couple = population.scenario("two_incomes", n)
    assert couple.partner is not None
    home = couple.own_home
    assert home is not None
    assert home.share == (1, 2)
    assert home.co_owner_bsn == couple.partner.bsn

    self_employed = population.scenario("self_employed", n)
    assert self_employed.business is not None
    assert not any(s.sv_wage for s in self_employed.payslips)
    assert all(r.end is not None and r.end < five_years_ago for r in self_employed.employments)
    assert all(y.profit is not None and y.profit > 0 for y in self_employed.tax_years)
    payments = [t for t in self_employed.transactions if t.category == "business_income"]
    assert len({t.amount for t in payments}) > 3  # irregular

    retired = population.scenario("retired", n)
    kinds = {r.kind for r in retired.income_relations if r.end is None}
    assert kinds == {"aow", "pension"}
    assert not any(r.end is None or r.end >= five_years_ago for r in retired.employments)
    assert all(pension.in_payment for pension in retired.pensions)
    assert Counter(t.category for t in retired.transactions)["pension"] >= 24
    assert not any(t.category == "salary" for t in retired.transactions)

    temporary = population.scenario("temporary_contract", n)
    current = [r for r in temporary.employments if r.end is None or r.end >= AS_OF]
    assert len(current) == 1
    assert current[0].contract == "bepaald"

    student = population.scenario("student_debt", n)
    assert all(any(d.kind == "studieschuld" for d in y.debts) for y in student.tax_years)

    tenant = population.scenario("tenant", n)
    assert tenant.properties == ()
    assert Counter(t.category for t in tenant.transactions)["rent"] == 12

    landlord = population.scenario("several_properties", n)
    assert 2 <= len(landlord.properties) <= 3
    assert sum(prop.own_home for prop in landlord.properties) == 1
    assert any(t.category == "rental_income" for t in landlord.transactions)

    three = population.scenario("three_pension_providers", n)
    assert len({pension.provider for pension in three.pensions}) == 3
    assert all(pension.reachable > 0 for pension in three.pensions)

    newcomer = population.scenario("recent_arrival", n)
    assert newcomer.arrival_date is not None
    assert AS_OF - timedelta(days=2 * 365) <= newcomer.arrival_date < AS_OF
    assert "Nederlandse" not in newcomer.nationality
    assert len(newcomer.tax_years) <= 1
    months = {(t.booking_date.year, t.booking_date.month) for t in newcomer.transactions}
    assert len(months) < 12
    assert all(pension.accrued < 2_000 for pension in newcomer.pensions)
    assert newcomer.aow is not None
    assert newcomer.aow.accrued_single < 1_000


@settings(max_examples=15, deadline=None)
@given(seed=seeds, n=numbers)
def test_a_couples_partner_logs_in_as_the_person_the_applicants_sources_name(
    seed: int, n: int
) -> None:
    """The ``two_incomes`` partner is a person of their own (their own session logs in as
    them): the BSN, name and birth date the applicant's return names, found by login name
    and by BSN, one job at the partner's employer, and a return naming the applicant."""
    population = Population(seed=seed, as_of=AS_OF)
    couple = population.scenario("two_incomes", n)
    assert couple.partner is not None
    partner = population.partner_of(couple)
    assert partner is not None
    assert (partner.bsn, partner.full_name) == (couple.partner.bsn, couple.partner.full_name)
    assert partner.birth_date == couple.partner.birth_date
    assert population.by_username(partner.username) is partner
    assert population.by_bsn(partner.bsn) is partner
    assert population.check_credentials(partner.username, partner.password) is partner
    assert population.check_credentials(partner.username, couple.password) is None
    assert population.by_bsn(couple.bsn) is couple
    assert [r.payer for r in partner.employments] == [couple.partner.employer]
    assert partner.gross_annual_salary == couple.partner.gross_annual_salary
    assert partner.partner is not None
    assert partner.partner.bsn == couple.bsn
    assert partner.address == couple.address
    assert partner.tax_years[-1].wages
    assert population.partner_of(population.scenario("salaried", n)) is None


def test_some_couples_partner_is_between_jobs() -> None:
    """A partner variant for the income norm's IBL criteria: some ``two_incomes`` partners'
    one job ended two to eight months ago, so their 12-month SV wage is still positive but
    there is no current employment. Drawn from a stream of their own: the applicant's data
    (their partner entry included) are those of every other partner."""
    population = Population(seed=7, as_of=AS_OF)
    couples = [population.scenario("two_incomes", n) for n in range(80)]
    partners = [population.partner_of(c) for c in couples]
    ended = [p for p in partners if p is not None and p.employments[0].end is not None]
    assert 0 < len(ended) < len(couples) // 3
    for partner in ended:
        (job,) = partner.employments
        assert job.end is not None
        assert AS_OF - timedelta(days=9 * 31) < job.end < AS_OF - timedelta(days=31)
        recent = [s for s in partner.payslips if s.pay_date > AS_OF - timedelta(days=365)]
        assert sum(s.sv_wage for s in recent) > 0
        assert partner.tax_years[-1].wages
    # The partner of the first couple, which the partner's session tests use, works.
    first = population.partner_of(couples[0])
    assert first is not None
    assert first.employments[0].end is None
