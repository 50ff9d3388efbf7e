"""XSS probes: a script tag in every parameter a mock page or error might echo.

No HTML page of the bank, DigiD or a government source may carry the probe unescaped, and every
page carries the headers that keep a script from running or the page from being framed.
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx2
import pytest
from tests.mock._government import DIGID, World, redirect_uri
from tests.mock.conftest import CLIENT_ID, REDIRECT, Tpp, pkce_pair

from brondata.mock.consumer import parse_forms
from brondata.mock.population import Person, Population

pytestmark = pytest.mark.anyio

PROBE = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"


def assert_safe(response: httpx2.Response) -> None:
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/html"):
        assert PROBE not in response.text
        assert "<script" not in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
    else:
        assert "html" not in content_type
    location = response.headers.get("location", "")
    assert "<" not in location


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "AIS:x",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


@pytest.mark.parametrize(
    "name", ["client_id", "redirect_uri", "scope", "state", "code_challenge", "response_type"]
)
async def test_bank_authorize_does_not_echo_a_probe(tpp: Tpp, name: str) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    params = {**authorize_params(challenge, scope=f"AIS:{consent_id}"), name: PROBE}
    assert_safe(await tpp.client.get(f"/oauth/authorize?{urlencode(params)}"))


@pytest.mark.parametrize("field", ["authorization_id", "csrf", "username", "password"])
async def test_bank_login_does_not_echo_a_probe(tpp: Tpp, person: Person, field: str) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    fields = parse_forms(page.text)[0][0].fields
    data = {**fields, "username": person.username, "password": "wrong", field: PROBE}
    assert_safe(await tpp.client.post("/oauth/login", data=data))


@pytest.mark.parametrize("field", ["authorization_id", "approval_token", "csrf", "decision"])
async def test_bank_approval_does_not_echo_a_probe(tpp: Tpp, person: Person, field: str) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    fields = parse_forms(page.text)[0][0].fields
    approval = await tpp.client.post(
        "/oauth/login",
        data={**fields, "username": person.username, "password": person.password},
    )
    assert_safe(approval)
    form = parse_forms(approval.text)[0][0].fields
    assert_safe(await tpp.client.post("/oauth/approve", data={**form, field: PROBE}))


@pytest.mark.parametrize("name", ["return_url", "request_id"])
async def test_digid_login_page_does_not_echo_a_probe(
    world: World, browser: httpx2.AsyncClient, name: str
) -> None:
    params = {"return_url": "https://x/", "request_id": "r", name: PROBE}
    assert_safe(await browser.get(f"{DIGID}/login?{urlencode(params)}"))


@pytest.mark.parametrize("field", ["attempt", "csrf", "username", "password"])
async def test_digid_login_post_does_not_echo_a_probe(
    world: World, browser: httpx2.AsyncClient, population: Population, field: str
) -> None:
    _, challenge = pkce_pair()
    login = (await browser.get(world.authorization_url("population", challenge))).headers[
        "location"
    ]
    page = await browser.get(login)
    assert_safe(page)
    fields = parse_forms(page.text)[0][0].fields
    data = {**fields, "username": population.person(0).username, "password": "x", field: PROBE}
    assert_safe(await browser.post(f"{DIGID}/login", data=data))


@pytest.mark.parametrize("name", ["SAMLart", "RelayState"])
async def test_source_login_return_does_not_echo_a_probe(
    world: World, browser: httpx2.AsyncClient, name: str
) -> None:
    params = {"SAMLart": "a", "RelayState": "r", name: PROBE}
    url = f"{world.base_urls['population']}/oauth/login/return?{urlencode(params)}"
    assert_safe(await browser.get(url))


@pytest.mark.parametrize("source", ["population", "land_registry", "tax", "pension"])
async def test_government_authorize_errors_do_not_echo_a_probe(
    world: World, browser: httpx2.AsyncClient, source: str
) -> None:
    _, challenge = pkce_pair()
    for name in ("client_id", "redirect_uri", "scope", "state"):
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri(source),
            "scope": source,
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            name: PROBE,
        }
        url = f"{world.base_urls[source]}/oauth/authorize?{urlencode(params)}"
        assert_safe(await browser.get(url))
