"""The mock Mijn DUO: its answer's shape (against its JSON Schema) and rules, behind DigiD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import httpx2
import jsonschema
import pytest

from brondata.mock.population import Population
from brondata.sources.duo import mock as duo

from ._government import World

pytestmark = pytest.mark.anyio

TODAY = date(2026, 11, 2)
VALIDATOR = jsonschema.Draft202012Validator(
    duo.SCHULDEN_SCHEMA, format_checker=jsonschema.FormatChecker()
)


@dataclass(frozen=True)
class Loan:
    """A student loan as the population describes one (``Person.student_loan``)."""

    outstanding: Decimal = Decimal("20123.45")
    monthly_repayment: Decimal = Decimal("57.14")
    original_debt: Decimal = Decimal("24000.00")
    regime: Literal["SF15", "SF35"] = "SF35"
    repayment_start: date = date(2022, 1, 1)
    paused: bool = False
    reduced: bool = False


def overview(loan: Loan) -> dict[str, Any]:
    body = {"peildatum": TODAY.isoformat(), "schulden": [duo.studieschuld(loan, TODAY)]}
    VALIDATOR.validate(body)
    return body["schulden"][0]  # type: ignore[no-any-return]  # a list of dicts, checked above


def test_a_loan_being_repaid() -> None:
    assert overview(Loan()) == {
        "soortSchuld": "studieschuld",
        "terugbetalingsregels": "SF35",
        "fase": "aflosfase",
        "ingangsdatumAflosfase": "2022-01-01",
        "looptijdAflosfaseInMaanden": 420,
        "resterendeLooptijdInMaanden": 420 - 58,  # January 2022 to November 2026
        "hoofdsomBijAanvangAflosfase": "24000.00",
        "schuldsaldo": "20123.45",
        "wettelijkMaandbedrag": "57.14",
        "aflosvrijePeriode": False,
        "maandbedragVerlaagdOpBasisVanInkomen": False,
        "maandbedragOpBasisVanInkomen": None,
        "teBetalenMaandbedrag": "57.14",
    }


def test_a_pause_collects_nothing_and_a_reduction_less() -> None:
    paused = overview(Loan(paused=True))
    assert (paused["aflosvrijePeriode"], paused["teBetalenMaandbedrag"]) == (True, "0.00")
    assert paused["wettelijkMaandbedrag"] == "57.14"
    reduced = overview(Loan(reduced=True))
    assert reduced["maandbedragVerlaagdOpBasisVanInkomen"] is True
    assert reduced["maandbedragOpBasisVanInkomen"] == reduced["teBetalenMaandbedrag"] == "28.57"
    both = overview(Loan(paused=True, reduced=True))
    assert both["teBetalenMaandbedrag"] == "0.00"  # a pause stops even a reduced amount


def test_sf15_and_the_run_up_phase() -> None:
    waiting = overview(Loan(regime="SF15", repayment_start=date(2027, 1, 1)))
    assert waiting["fase"] == "aanloopfase"
    assert waiting["looptijdAflosfaseInMaanden"] == waiting["resterendeLooptijdInMaanden"] == 180
    ended = overview(Loan(regime="SF15", repayment_start=date(2008, 1, 1)))
    assert ended["resterendeLooptijdInMaanden"] == 0


def test_the_schema_rejects_what_the_connector_would() -> None:
    body = {"peildatum": TODAY.isoformat(), "schulden": [duo.studieschuld(Loan(), TODAY)]}
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
