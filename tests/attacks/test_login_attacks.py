"""Login CSRF, browser binding, password guessing and cookie flags at the bank and at DigiD.

Each test plays the attacker: a form carried to another browser, an approval posted from a
browser that did not log in, a guesser starting fresh authorizations; each would pass if the
defence it names went away.
"""

from __future__ import annotations

from urllib.parse import urljoin

import httpx2
import pytest
from tests.mock._government import World
from tests.mock.conftest import BASE, SteppingClock, Tpp, pkce_pair

from brondata.mock._oauth import BROWSER_COOKIE
from brondata.mock.consumer import Consumer, parse_forms
from brondata.mock.digid import BROWSER_COOKIE as DIGID_BROWSER_COOKIE
from brondata.mock.digid import SESSION_COOKIE
from brondata.mock.population import Person, Population

pytestmark = pytest.mark.anyio


@pytest.fixture
def citizen(population: Population) -> Person:
    return population.person(0)


async def _bank_login_form(tpp: Tpp, client: httpx2.AsyncClient) -> dict[str, str]:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await client.get(tpp.authorization_url(consent_id, challenge))
    forms, _ = parse_forms(page.text)
    return forms[0].fields


async def test_bank_login_posted_from_another_browser_is_refused(
    tpp: Tpp, bank_app: object, person: Person
) -> None:
    # The attacker opens a login in their own browser and has the victim's browser post it.
    fields = await _bank_login_form(tpp, tpp.client)
    transport = httpx2.ASGITransport(app=bank_app)  # type: ignore[arg-type]
    async with httpx2.AsyncClient(transport=transport, base_url=BASE) as victim:
        posted = await victim.post(
            "/oauth/login",
            data={**fields, "username": person.username, "password": person.password},
        )
    assert posted.status_code == 400
    assert "approval_token" not in posted.text


async def test_bank_login_without_the_form_token_is_refused(tpp: Tpp, person: Person) -> None:
    fields = await _bank_login_form(tpp, tpp.client)
    fields["csrf"] = "guessed"
    posted = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    assert posted.status_code == 400


async def test_bank_approval_from_another_browser_is_refused(
    tpp: Tpp, bank_app: object, person: Person
) -> None:
    fields = await _bank_login_form(tpp, tpp.client)
    page = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    approval = parse_forms(page.text)[0][0].fields
    transport = httpx2.ASGITransport(app=bank_app)  # type: ignore[arg-type]
    async with httpx2.AsyncClient(transport=transport, base_url=BASE) as other:
        stolen = await other.post("/oauth/approve", data={**approval, "decision": "approve"})
    assert stolen.status_code == 400
    assert "location" not in stolen.headers


async def test_bank_browser_cookie_flags(tpp: Tpp) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{BROWSER_COOKIE}=")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "secure" in lowered  # the issuer is https


async def test_guessing_a_bank_password_locks_the_account(
    tpp: Tpp, person: Person, clock: SteppingClock
) -> None:
    # Each guess in a fresh authorization: the lock is per account, not per attempt.
    for guess in range(4):
        fields = await _bank_login_form(tpp, tpp.client)
        page = await tpp.client.post(
            "/oauth/login",
            data={**fields, "username": person.username, "password": f"guess-{guess}"},
        )
        assert page.status_code == 401
    assert "Probeer het opnieuw na" in page.text
    # Now even the right password is refused, and says until when; no sleeping server.
    fields = await _bank_login_form(tpp, tpp.client)
    locked = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    assert locked.status_code == 429
    assert "approval_token" not in locked.text
    clock.advance(seconds=31)
    fields = await _bank_login_form(tpp, tpp.client)
    ok = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    assert ok.status_code == 200
    assert "approval_token" in ok.text


async def test_the_lock_grows_with_each_further_failure(
    tpp: Tpp, person: Person, clock: SteppingClock
) -> None:
    for guess in range(5):  # three free, then 30 s, then 60 s
        fields = await _bank_login_form(tpp, tpp.client)
        await tpp.client.post(
            "/oauth/login",
            data={**fields, "username": person.username, "password": f"guess-{guess}"},
        )
        clock.advance(seconds=31)
    fields = await _bank_login_form(tpp, tpp.client)
    still = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    assert still.status_code == 429


async def _digid_form(world: World, browser: httpx2.AsyncClient) -> tuple[str, dict[str, str]]:
    _, challenge = pkce_pair()
    login = (await browser.get(world.authorization_url("population", challenge))).headers[
        "location"
    ]
    page = await browser.get(login)
    forms, _ = parse_forms(page.text)
    return urljoin(login, forms[0].action), forms[0].fields


async def test_digid_login_csrf_does_not_plant_a_session(world: World, citizen: Person) -> None:
    async with world.browser() as attacker, world.browser() as victim:
        action, fields = await _digid_form(world, attacker)
        # The attacker's own credentials, posted from the victim's browser by another site.
        planted = await victim.post(
            action,
            data={**fields, "username": citizen.username, "password": citizen.password},
        )
        assert planted.status_code == 400
        assert SESSION_COOKIE not in victim.cookies
        # Even with a browser cookie of its own, the victim's browser lacks the attempt's.
        await _digid_form(world, victim)
        planted = await victim.post(
            action,
            data={**fields, "username": citizen.username, "password": citizen.password},
        )
        assert planted.status_code == 400
        assert SESSION_COOKIE not in victim.cookies


async def test_digid_form_token_is_required(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    action, fields = await _digid_form(world, browser)
    posted = await browser.post(
        action,
        data={
            **fields,
            "csrf": "",
            "username": citizen.username,
            "password": citizen.password,
        },
    )
    assert posted.status_code == 400


async def test_digid_cookies_are_httponly_samesite_and_secure(
    world: World, browser: httpx2.AsyncClient, citizen: Person
) -> None:
    _, challenge = pkce_pair()
    login = (await browser.get(world.authorization_url("population", challenge))).headers[
        "location"
    ]
    page = await browser.get(login)
    assert page.headers["set-cookie"].startswith(f"{DIGID_BROWSER_COOKIE}=")
    forms, _ = parse_forms(page.text)
    done = await browser.post(
        urljoin(login, forms[0].action),
        data={**forms[0].fields, "username": citizen.username, "password": citizen.password},
    )
    for cookie in [*done.headers.get_list("set-cookie"), page.headers["set-cookie"]]:
        lowered = cookie.lower()
        assert "httponly" in lowered
        assert "samesite=lax" in lowered
        assert "secure" in lowered


async def test_guessing_a_digid_password_locks_the_account(
    world: World, browser: httpx2.AsyncClient, citizen: Person, clock: SteppingClock
) -> None:
    for guess in range(4):
        action, fields = await _digid_form(world, browser)
        await browser.post(
            action, data={**fields, "username": citizen.username, "password": f"g{guess}"}
        )
    action, fields = await _digid_form(world, browser)
    locked = await browser.post(
        action, data={**fields, "username": citizen.username, "password": citizen.password}
    )
    assert locked.status_code == 429
    assert SESSION_COOKIE not in browser.cookies
    clock.advance(seconds=31)
    token = await world.connect(browser, "population", citizen)
    assert token


async def test_the_return_from_digid_needs_the_browser_that_started(
    world: World, citizen: Person
) -> None:
    async with world.browser() as one, world.browser() as other:
        action, fields = await _digid_form(world, one)
        back = await one.post(
            action,
            data={**fields, "username": citizen.username, "password": citizen.password},
        )
        location = back.headers["location"]
        # The artifact redirect, carried to another browser, lands nowhere.
        refused = await other.get(location)
        assert refused.status_code == 400
        assert "Toestaan" not in refused.text


async def test_consumer_still_logs_in_with_both_bindings(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    callback = await Consumer(tpp.client).authorize(
        tpp.authorization_url(consent_id, challenge),
        username=person.username,
        password=person.password,
    )
    assert "code=" in callback
