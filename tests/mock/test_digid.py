"""DigiD: the shared login of the government mocks, single sign-on, artifacts and sessions."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx2
import pytest

from brondata.errors import ConsumerLoginError
from brondata.mock.consumer import parse_forms
from brondata.mock.digid import SESSION_COOKIE
from brondata.mock.population import Person, Population

from ._government import DIGID, World
from .conftest import SteppingClock, pkce_pair, query_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def citizen(population: Population) -> Person:
    return population.scenario("two_incomes", 1)


def _two_sources(world: World) -> tuple[str, str]:
    others = [s for s in world.sources if s != "population"]
    return "population", (others[0] if others else "population")


async def test_login_goes_through_digid_and_back(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    _, challenge = pkce_pair()
    response = await browser.get(world.authorization_url("population", challenge))
    assert response.status_code == 303
    login = response.headers["location"]
    assert login.startswith(f"{DIGID}/login?")
    page = await browser.get(login)
    assert page.status_code == 200
    forms, _ = parse_forms(page.text)
    assert forms[0].has_password()
    submitted = await browser.post(
        urljoin(login, forms[0].action),
        data={**forms[0].fields, "username": citizen.username, "password": citizen.password},
    )
    assert submitted.status_code == 303
    back = submitted.headers["location"]
    assert back.startswith(f"{world.base_urls['population']}/oauth/login/return?")
    assert {"SAMLart", "RelayState"} <= set(query_of(back))
    cookie = submitted.headers["set-cookie"].lower()
    assert f"{SESSION_COOKIE}=" in cookie
    for attribute in ("httponly", "samesite=lax", "path=/", "secure"):
        assert attribute in cookie
    approval = await browser.get(back)
    assert approval.status_code == 200
    assert "Toestaan" in approval.text
    assert citizen.full_name in approval.text


async def test_password_is_typed_once_for_two_sources(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    first, second = _two_sources(world)
    assert await world.connect(browser, first, citizen)
    # The second source never shows a password form: a wrong password would not matter.
    assert await world.connect(browser, second, citizen, password="not-the-password")


async def test_sso_session_ends_after_fifteen_idle_minutes(
    world: World, browser: httpx2.AsyncClient, clock: SteppingClock, citizen: Person
) -> None:
    first, second = _two_sources(world)
    await world.connect(browser, first, citizen)
    clock.advance(minutes=10)
    await world.connect(browser, second, citizen, password="unused")  # activity keeps it alive
    clock.advance(minutes=14)
    await world.connect(browser, first, citizen, password="unused")
    clock.advance(minutes=15)
    with pytest.raises(ConsumerLoginError, match="login refused"):
        await world.connect(browser, second, citizen, password="not-the-password")
    assert await world.connect(browser, second, citizen)


async def test_another_browser_has_no_session(world: World, citizen: Person) -> None:
    first, second = _two_sources(world)
    async with world.browser() as one, world.browser() as other:
        await world.connect(one, first, citizen)
        with pytest.raises(ConsumerLoginError):
            await world.connect(other, second, citizen, password="wrong")


async def _artifact_redirect(world: World, browser: httpx2.AsyncClient, person: Person) -> str:
    _, challenge = pkce_pair()
    response = await browser.get(world.authorization_url("population", challenge))
    login = response.headers["location"]
    page = await browser.get(login)
    forms, _ = parse_forms(page.text)
    if not forms:  # single sign-on: DigiD answered with the redirect already
        assert page.status_code == 303
        return page.headers["location"]
    submitted = await browser.post(
        urljoin(login, forms[0].action),
        data={**forms[0].fields, "username": person.username, "password": person.password},
    )
    return submitted.headers["location"]


async def test_an_artifact_is_refused_the_second_time(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    back = await _artifact_redirect(world, browser, citizen)
    assert (await browser.get(back)).status_code == 200
    replay = await browser.get(back)
    assert replay.status_code == 400
    # Carried over to a fresh authorization request, the artifact is spent as well.
    fresh = await _artifact_redirect(world, browser, citizen)
    forged = fresh.replace(query_of(fresh)["SAMLart"], query_of(back)["SAMLart"])
    refused = await browser.get(forged)
    assert refused.status_code == 401
    assert "ongeldig of verlopen" in refused.text


async def test_forged_and_expired_artifacts_are_refused(
    world: World, browser: httpx2.AsyncClient, clock: SteppingClock, citizen: Person
) -> None:
    back = await _artifact_redirect(world, browser, citizen)
    forged = back.replace(query_of(back)["SAMLart"], "forged-artifact-value")
    assert (await browser.get(forged)).status_code == 401
    late = await _artifact_redirect(world, browser, citizen)
    clock.advance(seconds=61)
    assert (await browser.get(late)).status_code == 401


async def test_an_artifact_for_one_source_is_refused_by_another(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    others = [s for s in world.sources if s != "population"]
    if not others:
        pytest.skip("needs a second government source")
    back = await _artifact_redirect(world, browser, citizen)
    artifact = query_of(back)["SAMLart"]
    _, challenge = pkce_pair()
    start = await browser.get(world.authorization_url(others[0], challenge))
    request_id = query_of(start.headers["location"])["request_id"]
    target = f"{world.base_urls[others[0]]}/oauth/login/return"
    stolen = await browser.get(target, params={"SAMLart": artifact, "RelayState": request_id})
    assert stolen.status_code == 401


async def test_digid_refuses_unregistered_return_addresses(
    browser: httpx2.AsyncClient,
) -> None:
    response = await browser.get(
        f"{DIGID}/login",
        params={"return_url": "https://attacker.example/steal", "request_id": "x"},
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_wrong_password_is_shown_and_counted(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    _, challenge = pkce_pair()
    login = (await browser.get(world.authorization_url("population", challenge))).headers[
        "location"
    ]
    page = await browser.get(login)
    for attempt in range(5):
        forms, _ = parse_forms(page.text)
        page = await browser.post(
            urljoin(login, forms[0].action),
            # Five accounts, one guess each: no account locks, the attempt itself ends.
            data={**forms[0].fields, "username": f"{citizen.username}{attempt}", "password": "x"},
        )
        assert page.status_code == 401
        _, alerts = parse_forms(page.text)
        if attempt < 4:
            assert alerts == ["Uw gebruikersnaam of wachtwoord is niet correct."]
    assert "Te vaak" in page.text
    assert SESSION_COOKIE not in browser.cookies


async def test_logout_ends_the_session(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    await world.connect(browser, "population", citizen)
    assert (await browser.post(f"{DIGID}/logout")).status_code == 200
    with pytest.raises(ConsumerLoginError):
        await world.connect(browser, "population", citizen, password="wrong")


async def test_userinfo_names_the_person(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    token = await world.connect(browser, "population", citizen)
    info = await world.api(browser, "population", "GET", "/oauth/userinfo", token)
    assert info.status_code == 200
    body = info.json()
    assert body["burgerservicenummer"] == citizen.bsn
    assert len(body["sub"]) == 32
    assert citizen.bsn not in body["sub"]
    anonymous = await world.api(browser, "population", "GET", "/oauth/userinfo", None)
    assert anonymous.status_code == 401
