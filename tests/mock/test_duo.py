"""The mock Mijn DUO: its answer against its JSON Schema, its rules, the population behind it
and the mapping in front of it, and its login behind DigiD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx2
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brondata import sources as source_kinds
from brondata.attributes import CATALOGUE
from brondata.mock import duo
from brondata.mock.population import SCENARIOS, Population, StudentLoan

from ._government import World
from .conftest import AS_OF

pytestmark = pytest.mark.anyio

TODAY = date(2026, 11, 2)
VALIDATOR = jsonschema.Draft202012Validator(
    duo.SCHULDEN_SCHEMA, format_checker=jsonschema.FormatChecker()
)


def loan(**changes: Any) -> StudentLoan:
    fields: dict[str, Any] = {
        "outstanding": Decimal("20123.45"),
        "monthly_repayment": Decimal("83.63"),
        "original_debt": Decimal("24000.00"),
        "regime": "SF35",
        "repayment_start": date(2022, 1, 1),
        "paused": False,
        "reduced": False,
        "interest_rate": Decimal("0.0233"),
    }
    return StudentLoan(**(fields | changes))


def overview(shown: StudentLoan) -> dict[str, Any]:
    body = {"peildatum": TODAY.isoformat(), "schulden": [duo.studieschuld(shown, TODAY)]}
    VALIDATOR.validate(body)
    return body["schulden"][0]


def test_a_loan_being_repaid() -> None:
    assert overview(loan()) == {
        "soortSchuld": "studieschuld",
        "terugbetalingsregels": "SF35",
        "fase": "aflosfase",
        "ingangsdatumAflosfase": "2022-01-01",
        "looptijdAflosfaseInMaanden": 420,
        "resterendeLooptijdInMaanden": 420 - 58,  # January 2022 to November 2026
        "hoofdsomBijAanvangAflosfase": "24000.00",
        "schuldsaldo": "20123.45",
        "rentepercentage": "2.33",
        "wettelijkMaandbedrag": "83.63",
        "aflosvrijePeriode": False,
        "maandbedragVerlaagdOpBasisVanInkomen": False,
        "maandbedragOpBasisVanInkomen": None,
        "teBetalenMaandbedrag": "83.63",
    }


def test_a_pause_collects_nothing_and_a_reduction_less() -> None:
    paused = overview(loan(paused=True))
    assert (paused["aflosvrijePeriode"], paused["teBetalenMaandbedrag"]) == (True, "0.00")
    assert paused["wettelijkMaandbedrag"] == "83.63"
    reduced = overview(loan(reduced=True, monthly_repayment=Decimal("30.00")))
    assert reduced["maandbedragVerlaagdOpBasisVanInkomen"] is True
    assert reduced["maandbedragOpBasisVanInkomen"] == reduced["teBetalenMaandbedrag"] == "30.00"
    # The statutory amount: the annuity of EUR 24,000 over 420 months at 2.33 % a year.
    assert reduced["wettelijkMaandbedrag"] == "83.63"
    both = overview(loan(paused=True, reduced=True, monthly_repayment=Decimal("30.00")))
    assert both["teBetalenMaandbedrag"] == "0.00"  # a pause stops even a reduced amount


def test_sf15_and_the_run_up_phase() -> None:
    waiting = overview(loan(regime="SF15", repayment_start=date(2027, 1, 1)))
    assert waiting["fase"] == "aanloopfase"
    assert waiting["looptijdAflosfaseInMaanden"] == waiting["resterendeLooptijdInMaanden"] == 180
    ended = overview(loan(regime="SF15", repayment_start=date(2008, 1, 1)))
    assert ended["resterendeLooptijdInMaanden"] == 0


def test_the_schema_rejects_what_the_connector_would() -> None:
    body = {"peildatum": TODAY.isoformat(), "schulden": [duo.studieschuld(loan(), TODAY)]}
    body["schulden"][0]["schuldsaldo"] = 20123.45
    assert not VALIDATOR.is_valid(body)


async def test_behind_digid_for_the_logged_in_person_only(
    world: World, browser: httpx2.AsyncClient, population: Population
) -> None:
    person = population.scenario("salaried", 0)
    token = await world.connect(browser, "duo", person)
    response = await world.api(browser, "duo", "GET", duo.SCHULDEN_PATH, token)
    assert response.status_code == 200, response.text
    body = response.json()
    VALIDATOR.validate(body)
    assert body == duo.schulden(person, world.clock.now().date())

    for bad in (None, "not-a-token"):
        response = await world.api(browser, "duo", "GET", duo.SCHULDEN_PATH, bad)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"
    # A token of another government source opens nothing at DUO.
    other = await world.connect(browser, "tax", person, password="unused")
    response = await world.api(browser, "duo", "GET", duo.SCHULDEN_PATH, other)
    assert response.status_code == 401


def test_sample_requests() -> None:
    person = Population(seed=1, as_of=TODAY).person(0)
    assert duo.sample_requests(person) == [("GET", duo.SCHULDEN_PATH, None)]


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_duo_and_the_tax_return_know_the_same_student_debt(
    world: World, browser: httpx2.AsyncClient, population: Population, scenario: str
) -> None:
    person = population.scenario(scenario, 0)
    token = await world.connect(browser, "duo", person)
    response = await world.api(browser, "duo", "GET", duo.SCHULDEN_PATH, token)
    assert response.status_code == 200, response.text
    body = response.json()
    VALIDATOR.validate(body)
    loan = person.student_loan
    assert (loan is not None) == scenario.startswith("student_debt")
    if loan is None:
        assert body["schulden"] == []
    else:
        (shown,) = body["schulden"]
        assert shown["schuldsaldo"] == f"{loan.outstanding:.2f}"
        assert shown["aflosvrijePeriode"] is loan.paused is (scenario == "student_debt_paused")
        if loan.paused:
            assert shown["teBetalenMaandbedrag"] == "0.00"
        else:
            assert shown["teBetalenMaandbedrag"] == f"{loan.monthly_repayment:.2f}"
        assert shown["terugbetalingsregels"] == loan.regime
        assert shown["ingangsdatumAflosfase"] == loan.repayment_start.isoformat()
        assert Decimal(shown["schuldsaldo"]) <= Decimal(shown["hoofdsomBijAanvangAflosfase"])
    if person.tax_years:
        last = person.tax_years[-1]
        reported = sum(d.amount for d in last.debts if d.kind == "studieschuld")
        assert (reported > 0) == (loan is not None)


def test_reduced_loans_and_the_bank_debits_agree_with_duo(population: Population) -> None:
    reduced = 0
    for n in range(25):
        person = population.scenario("student_debt", n)
        body = duo.schulden(person, AS_OF)
        VALIDATOR.validate(body)
        (shown,) = body["schulden"]
        assert person.student_loan is not None
        term = person.student_loan.monthly_repayment
        if person.student_loan.reduced:
            reduced += 1
            assert shown["maandbedragOpBasisVanInkomen"] == f"{term:.2f}"
            assert Decimal(shown["wettelijkMaandbedrag"]) > term
        # What the bank shows DUO collecting is the term Mijn DUO names.
        debits = {-t.amount for t in person.transactions if t.category == "student_loan"}
        assert debits <= {term}
        assert debits or shown["fase"] == "aanloopfase"
    assert reduced > 0


_cents = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)


@given(
    outstanding=_cents,
    monthly=_cents,
    regime=st.sampled_from(["SF15", "SF35"]),
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2030, 1, 1)),
    paused=st.booleans(),
    reduced=st.booleans(),
)
def test_what_mijn_duo_shows_the_mapping_releases(
    outstanding: Decimal, monthly: Decimal, regime: str, start: date, paused: bool, reduced: bool
) -> None:
    shown = loan(
        outstanding=outstanding,
        monthly_repayment=monthly,
        regime=regime,
        repayment_start=start,
        paused=paused,
        reduced=reduced,
    )
    body = {"peildatum": TODAY.isoformat(), "schulden": [duo.studieschuld(shown, TODAY)]}
    VALIDATOR.validate(body)
    names = [a.name for a in CATALOGUE.provided_by("duo")]
    values = source_kinds.get("duo").mapping.map({"schulden": body}, names, TODAY)
    statutory = values.pop("student_debt.statutory_monthly_repayment")
    assert values == {
        "student_debt.outstanding": {"amount": f"{outstanding:.2f}", "currency": "EUR"},
        "student_debt.monthly_repayment": {"amount": f"{monthly:.2f}", "currency": "EUR"},
        "student_debt.repayment_regime": regime,
    }
    fixed = body["schulden"][0]["wettelijkMaandbedrag"]
    if Decimal(fixed) > 0 or outstanding == 0:
        assert statutory == {"amount": fixed, "currency": "EUR"}
    elif body["schulden"][0]["resterendeLooptijdInMaanden"] > 0:
        # None fixed: the mock shows the rate and the remaining term to compute it from.
        assert statutory is not None
