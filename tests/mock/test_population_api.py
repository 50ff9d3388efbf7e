"""The mock BRP (Haal Centraal BRP Personen): fields, Foutbericht, own data only, the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from brondata.mock.population import SCENARIOS, Person, Population
from brondata.mock.population_api import PERSONEN_PATH, sample_requests

from ._government import World
from ._openapi import Spec

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def spec(reference: Path) -> Spec:
    return Spec(reference / "openapi" / "brp-personen-bevragen.yaml")


def _query(bsn: str, *fields: str) -> dict[str, Any]:
    return {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": [bsn],
        "fields": list(fields),
    }


async def _ask(
    world: World, browser: httpx2.AsyncClient, token: str | None, body: Any
) -> httpx2.Response:
    return await world.api(browser, "population", "POST", PERSONEN_PATH, token, body)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_scenario_logs_in_and_validates(
    world: World,
    browser: httpx2.AsyncClient,
    population: Population,
    spec: Spec,
    scenario: str,
) -> None:
    person = population.scenario(scenario, 0)
    token = await world.connect(browser, "population", person)
    ((method, path, body),) = sample_requests(person)
    response = await world.api(browser, "population", method, path, token, body)
    assert response.status_code == 200, response.text
    found = response.json()
    spec.check("/personen", "post", 200, found)
    (persoon,) = found["personen"]
    assert persoon["burgerservicenummer"] == person.bsn
    assert persoon["naam"]["voornamen"] == person.given_names
    assert persoon["geboorte"]["datum"]["datum"] == person.birth_date.isoformat()
    address = persoon["verblijfplaats"]["verblijfadres"]
    assert address["postcode"] == person.address.postcode_compact
    assert address["huisnummer"] == person.address.house_number
    assert persoon["verblijfplaats"]["nummeraanduidingIdentificatie"] == (
        person.address.nummeraanduiding_id
    )
    assert [n["nationaliteit"]["omschrijving"] for n in persoon["nationaliteiten"]] == list(
        person.nationality
    )
    if person.partner is not None:
        (partner,) = persoon["partners"]
        assert partner["burgerservicenummer"] == person.partner.bsn
    else:
        assert "partners" not in persoon
    assert ("immigratie" in persoon) == (person.arrival_date is not None)
    # The register's children of the person (any age, wherever they live): the single_parent
    # scenario has them, every other scenario none.
    if person.children:
        kinderen = persoon["kinderen"]
        assert [k["burgerservicenummer"] for k in kinderen] == [c.bsn for c in person.children]
        assert [k["geboorte"]["datum"]["datum"] for k in kinderen] == [
            c.birth_date.isoformat() for c in person.children
        ]
    else:
        assert "kinderen" not in persoon
    assert bool(person.children) == (scenario == "single_parent")


async def test_only_the_asked_fields_come_back(
    world: World, browser: httpx2.AsyncClient, population: Population, spec: Spec
) -> None:
    person = population.scenario("two_incomes", 0)
    token = await world.connect(browser, "population", person)
    response = await _ask(
        world,
        browser,
        token,
        _query(
            person.bsn,
            "naam.voornamen",
            "geboorte.datum",
            "verblijfplaats.verblijfadres.postcode",
            "partners.burgerservicenummer",
        ),
    )
    assert response.status_code == 200
    spec.check("/personen", "post", 200, response.json())
    (persoon,) = response.json()["personen"]
    assert persoon == {
        "naam": {"voornamen": person.given_names},
        "geboorte": {"datum": persoon["geboorte"]["datum"]},
        "verblijfplaats": {
            "type": "Adres",
            "verblijfadres": {"postcode": person.address.postcode_compact},
        },
        "partners": [{"burgerservicenummer": person.partner.bsn if person.partner else ""}],
    }
    assert persoon["geboorte"]["datum"]["type"] == "Datum"
    assert persoon["geboorte"]["datum"]["langFormaat"]


@pytest.mark.parametrize(
    ("body_fields", "reason"),
    [
        (["naam.roepnaam"], "niet bestaande veldnaam"),
        (["inOnderzoek"], "automatisch geleverd"),
        (["naam.voornamen.eerste"], "niet bestaande veldnaam"),
        (["naam/voornamen"], "ongeldig veldpad"),
        ([], "verplicht"),
        (None, "verplicht"),
    ],
)
async def test_bad_fields_give_a_foutbericht(
    world: World,
    browser: httpx2.AsyncClient,
    population: Population,
    spec: Spec,
    body_fields: list[str] | None,
    reason: str,
) -> None:
    person = population.scenario("salaried", 0)
    token = await world.connect(browser, "population", person)
    body = _query(person.bsn)
    if body_fields is None:
        del body["fields"]
    else:
        body["fields"] = body_fields
    response = await _ask(world, browser, token, body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    spec.check("/personen", "post", 400, problem)
    assert problem["status"] == 400
    assert problem["invalidParams"][0]["name"] == "fields"
    assert reason in problem["invalidParams"][0]["reason"]


async def test_other_query_types_are_bad_requests(
    world: World, browser: httpx2.AsyncClient, population: Population, spec: Spec
) -> None:
    person = population.scenario("salaried", 0)
    token = await world.connect(browser, "population", person)
    body = {**_query(person.bsn, "naam"), "type": "ZoekMetPostcodeEnHuisnummer"}
    response = await _ask(world, browser, token, body)
    assert response.status_code == 400
    spec.check("/personen", "post", 400, response.json())
    response = await _ask(world, browser, token, {**body, "burgerservicenummer": ["12"]})
    assert {p["name"] for p in response.json()["invalidParams"]} == {"type", "burgerservicenummer"}


async def test_another_persons_bsn_is_forbidden(
    world: World, browser: httpx2.AsyncClient, population: Population, spec: Spec
) -> None:
    person = population.scenario("two_incomes", 0)
    token = await world.connect(browser, "population", person)
    for other in (population.person(1).bsn, person.partner.bsn if person.partner else ""):
        response = await _ask(world, browser, token, _query(other, "naam"))
        assert response.status_code == 403
        spec.check("/personen", "post", 403, response.json())
    both = {
        **_query(person.bsn, "naam"),
        "burgerservicenummer": [person.bsn, population.person(1).bsn],
    }
    assert (await _ask(world, browser, token, both)).status_code == 403


async def test_no_or_a_bad_token_is_unauthorized(
    world: World, browser: httpx2.AsyncClient, population: Population, spec: Spec
) -> None:
    person: Person = population.scenario("salaried", 0)
    for token in (None, "not-a-token"):
        response = await _ask(world, browser, token, _query(person.bsn, "naam"))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        spec.check("/personen", "post", 401, response.json())
