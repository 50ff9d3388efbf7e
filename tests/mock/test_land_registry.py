"""The mock Kadaster: BRK and WOZ responses against their specs, and agreeing with the rest."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from brondata.mock.land_registry import BRK_PREFIX, WOZ_PREFIX, sample_requests
from brondata.mock.population import SCENARIOS, Population

from ._government import World
from ._openapi import Spec

pytestmark = pytest.mark.anyio
KOZ = "/kadastraalonroerendezaken"
KOZ_ID = "/kadastraalonroerendezaken/{kadastraalOnroerendeZaakIdentificatie}"


@pytest.fixture(scope="module")
def brk(reference: Path) -> Spec:
    return Spec(reference / "openapi" / "brk-bevragen.yaml")


@pytest.fixture(scope="module")
def woz(reference: Path) -> Spec:
    return Spec(reference / "openapi" / "woz-bevragen.yaml")


def _spec_path(path: str) -> tuple[str, str]:
    """(which spec, its path template) for a request path of the mock."""
    if path.startswith(WOZ_PREFIX):
        rest = path.removeprefix(WOZ_PREFIX).split("?")[0]
        return "woz", "/wozobjecten" if rest == "/wozobjecten" else "/wozobjecten/{identificatie}"
    rest = path.removeprefix(BRK_PREFIX).split("?")[0]
    if rest == KOZ:
        return "brk", KOZ
    tail = rest.removeprefix(KOZ + "/").split("/", 1)
    return "brk", KOZ_ID + ("/" + tail[1] if len(tail) > 1 else "")


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_scenario_validates_and_agrees(
    world: World,
    browser: httpx2.AsyncClient,
    population: Population,
    brk: Spec,
    woz: Spec,
    scenario: str,
) -> None:
    person = population.scenario(scenario, 0)
    token = await world.connect(browser, "land_registry", person)
    specs = {"brk": brk, "woz": woz}
    bodies = {}
    for method, path, body in sample_requests(person):
        response = await world.api(browser, "land_registry", method, path, token, body)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("application/hal+json")
        which, template = _spec_path(path)
        specs[which].check(template, method.lower(), 200, response.json())
        bodies[path] = response.json()
    found = bodies[f"{BRK_PREFIX}{KOZ}"]["_embedded"]["kadastraalOnroerendeZaken"]
    assert len(found) == len(person.properties)
    if scenario == "tenant":
        assert found == []
    for prop, koz in zip(person.properties, found, strict=True):
        assert koz["identificatie"] == prop.brk_id
        assert koz["kadastraleAanduiding"] == prop.designation
        (adres,) = koz["adressen"]
        assert adres["nummeraanduidingIdentificatie"] == prop.address.nummeraanduiding_id
        if prop.own_home:
            assert adres["postcode"] == person.address.postcode_compact
            assert adres["huisnummer"] == person.address.house_number
        rights = bodies[f"{BRK_PREFIX}{KOZ}/{prop.brk_id}/zakelijkgerechtigden"]
        mine = [
            r
            for r in rights["_embedded"]["zakelijkGerechtigden"]
            if r["persoon"]["identificatie"] == person.bsn
        ]
        assert mine[0]["tenaamstelling"]["aandeel"] == {
            "teller": prop.share[0],
            "noemer": prop.share[1],
        }
        mortgages = bodies[f"{BRK_PREFIX}{KOZ}/{prop.brk_id}/hypotheken"]["_embedded"]
        assert [m["bedragZekerheidsstelling"]["som"] for m in mortgages["hypotheken"]] == [
            m.registered_amount for m in prop.mortgages
        ]
        objects = bodies[
            f"{WOZ_PREFIX}/wozobjecten?nummeraanduidingIdentificatie="
            f"{prop.address.nummeraanduiding_id}"
        ]["_embedded"]["wozObjecten"]
        (woz_object,) = objects
        values = {w["waardepeildatum"]: w["vastgesteldeWaarde"] for w in woz_object["waarden"]}
        for year in person.tax_years:
            if prop.own_home and year.own_home is not None:
                peildatum = year.own_home.woz_reference_date.isoformat()
                assert values[peildatum] == year.own_home.woz_value


async def test_errors_are_foutberichten(
    world: World, browser: httpx2.AsyncClient, population: Population, brk: Spec, woz: Spec
) -> None:
    person = population.scenario("several_properties", 0)
    other = population.scenario("several_properties", 1)
    token = await world.connect(browser, "land_registry", person)
    search = f"{BRK_PREFIX}{KOZ}"

    response = await world.api(
        browser, "land_registry", "POST", search, token, {"burgerservicenummer": other.bsn}
    )
    assert response.status_code == 403
    brk.check(KOZ, "post", 403, response.json())

    response = await world.api(
        browser, "land_registry", "POST", search, None, {"burgerservicenummer": person.bsn}
    )
    assert response.status_code == 401
    brk.check(KOZ, "post", 401, response.json())

    response = await world.api(browser, "land_registry", "POST", search, token, {})
    assert response.status_code == 400
    brk.check(KOZ, "post", 400, response.json())

    foreign = other.properties[0].brk_id
    for tail in ("", "/zakelijkgerechtigden", "/hypotheken"):
        response = await world.api(
            browser, "land_registry", "GET", f"{search}/{foreign}{tail}", token
        )
        assert response.status_code == 404, tail
        brk.check(KOZ_ID + tail, "get", 404, response.json())

    objects = f"{WOZ_PREFIX}/wozobjecten"
    response = await world.api(browser, "land_registry", "GET", objects, token)
    assert response.status_code == 400
    woz.check("/wozobjecten", "get", 400, response.json())
    address = other.properties[0].address
    response = await world.api(
        browser,
        "land_registry",
        "GET",
        f"{objects}?postcode={address.postcode_compact}&huisnummer={address.house_number}",
        token,
    )
    assert response.status_code == 200
    assert response.json()["_embedded"]["wozObjecten"] == []
    response = await world.api(
        browser, "land_registry", "GET", f"{objects}/{other.properties[0].woz_object_number}", token
    )
    assert response.status_code == 404
    woz.check("/wozobjecten/{identificatie}", "get", 404, response.json())
    mine = person.properties[0]
    response = await world.api(
        browser, "land_registry", "GET", f"{objects}/{mine.woz_object_number}", token
    )
    assert response.status_code == 200
    woz.check("/wozobjecten/{identificatie}", "get", 200, response.json())
    response = await world.api(browser, "land_registry", "GET", f"{search}/{mine.brk_id}", token)
    assert response.status_code == 200
    brk.check(KOZ_ID, "get", 200, response.json())


async def test_a_token_of_another_source_is_refused(
    world: World, browser: httpx2.AsyncClient, population: Population
) -> None:
    person = population.scenario("salaried", 0)
    token = await world.connect(browser, "population", person)
    response = await world.api(
        browser,
        "land_registry",
        "POST",
        f"{BRK_PREFIX}{KOZ}",
        token,
        {"burgerservicenummer": person.bsn},
    )
    assert response.status_code == 401
