"""Abuse of the mock APIs: huge and deeply nested bodies, malformed optional headers, the
consent resource without TPP identification, the frequency cap, and state that must expire.

Each error must come in the API's own error body (Berlin Group ``tppMessages``, Haal Centraal
``Foutbericht``), never as a plain-text 500.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx2
import pytest
from tests.mock._government import World
from tests.mock.conftest import SteppingClock, Tpp, consent_body, new_request_id

from brondata.mock._limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from brondata.mock.bank import UNAUTHORISED_CONSENT_TTL
from brondata.mock.land_registry import BRK_PREFIX
from brondata.mock.population import Person, Population
from brondata.mock.population_api import PERSONEN_PATH

pytestmark = pytest.mark.anyio

DEEP = b"[" * 1000 + b"]" * 1000
# RFC 3986: what may appear in a URI at all (unreserved, reserved and percent signs).
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


@pytest.fixture
def citizen(population: Population) -> Person:
    return population.person(0)


def tpp_code(response: httpx2.Response) -> str:
    return str(response.json()["tppMessages"][0]["code"])


# --- body size and depth --------------------------------------------------------------------


async def test_bank_refuses_a_huge_body_with_413_tpp_messages(tpp: Tpp) -> None:
    body = b'{"x":"' + b"a" * (MAX_BODY_BYTES + 1) + b'"}'
    response = await tpp.client.post(
        "/v1/consents",
        content=body,
        headers={"X-Request-ID": new_request_id(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert tpp_code(response) == "FORMAT_ERROR"


async def test_bank_counts_a_body_without_content_length(tpp: Tpp) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    response = await tpp.client.post(
        "/v1/consents",
        content=chunks(),
        headers={"X-Request-ID": new_request_id(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_bank_answers_deep_json_with_format_error(tpp: Tpp) -> None:
    response = await tpp.client.post(
        "/v1/consents",
        content=b'{"access":' + DEEP + b"}",
        headers={"X-Request-ID": new_request_id(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert tpp_code(response) == "FORMAT_ERROR"


@pytest.mark.parametrize(
    ("source", "path"),
    [("population", PERSONEN_PATH), ("land_registry", f"{BRK_PREFIX}/kadastraalonroerendezaken")],
)
async def test_haal_centraal_answers_deep_json_with_a_foutbericht(
    world: World, browser: httpx2.AsyncClient, citizen: Person, source: str, path: str
) -> None:
    token = await world.connect(browser, source, citizen)
    response = await browser.post(
        f"{world.base_urls[source]}{path}",
        content=DEEP,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 400


async def test_haal_centraal_refuses_a_huge_body_with_a_foutbericht(
    world: World, browser: httpx2.AsyncClient
) -> None:
    response = await browser.post(
        f"{world.base_urls['population']}{PERSONEN_PATH}",
        content=b"[" + b" " * MAX_BODY_BYTES + b"]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payloadTooLarge"


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a": "[[[[{{{{"}') == 1
    assert json_depth(b'[[["\\"[["]]]') == 3
    assert json_depth(b"[" * (MAX_JSON_DEPTH + 1)) > MAX_JSON_DEPTH


@pytest.mark.parametrize(
    "path",
    [
        f"{BRK_PREFIX}/kadastraalonroerendezaken/x yé",
        f'{BRK_PREFIX}/kadastraalonroerendezaken/<script>"',
    ],
)
async def test_foutbericht_instance_is_a_uri(
    world: World, browser: httpx2.AsyncClient, path: str
) -> None:
    response = await browser.get(world.base_urls["land_registry"] + path)
    assert response.status_code == 401
    instance = response.json()["instance"]
    assert _URI_CHARACTERS.fullmatch(instance), instance
    parts = urlsplit(instance)
    assert (parts.scheme, parts.netloc) == (
        "https",
        urlsplit(world.base_urls["land_registry"]).netloc,
    )


# --- the bank's header and consent rules -----------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"PSU-IP-Address": "not-an-ip"},
        {"PSU-IP-Port": "99999"},
        {"TPP-Redirect-URI": "javascript:alert(1)"},
        {"TPP-Nok-Redirect-URI": "/relative"},
        {"TPP-Redirect-Preferred": "maybe"},
    ],
)
async def test_invalid_optional_headers_are_format_errors(tpp: Tpp, header: dict[str, str]) -> None:
    response = await tpp.client.post(
        "/v1/consents", json=consent_body(), headers={"X-Request-ID": new_request_id(), **header}
    )
    assert response.status_code == 400
    assert tpp_code(response) == "FORMAT_ERROR"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_an_authorised_consent_needs_the_tpp_identified(
    tpp: Tpp, person: Person, method: str
) -> None:
    consent_id, _tokens = await tpp.connect(person)
    other_id, other = await tpp.connect(person)
    for authorization in (None, "Bearer forged", f"Bearer {other['access_token']}"):
        headers = {"X-Request-ID": new_request_id()}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = await tpp.client.request(method, f"/v1/consents/{consent_id}", headers=headers)
        assert response.status_code == 401
        assert tpp_code(response) == "CERTIFICATE_INVALID"
    own = await tpp.client.request(
        method,
        f"/v1/consents/{other_id}",
        headers={
            "X-Request-ID": new_request_id(),
            "Authorization": f"Bearer {other['access_token']}",
        },
    )
    assert own.is_success


async def test_psu_ip_address_does_not_lift_frequency_per_day(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person, frequencyPerDay=1, recurringIndicator=False)
    headers = tpp.headers(consent_id, tokens["access_token"], psu_ip=True)
    assert (await tpp.client.get("/v1/accounts", headers=headers)).status_code == 200
    again = await tpp.client.get("/v1/accounts", headers=headers)
    assert again.status_code == 429
    assert tpp_code(again) == "ACCESS_EXCEEDED"


async def test_an_unauthorised_consent_is_forgotten(tpp: Tpp, clock: SteppingClock) -> None:
    abandoned = await tpp.create_consent()
    clock.advance(seconds=UNAUTHORISED_CONSENT_TTL.total_seconds())
    await tpp.create_consent()  # the bank tidies up as it goes
    response = await tpp.client.get(
        f"/v1/consents/{abandoned}/status", headers={"X-Request-ID": new_request_id()}
    )
    assert response.status_code == 403
    assert tpp_code(response) == "CONSENT_UNKNOWN"


async def test_expired_authorizations_and_codes_are_forgotten(
    tpp: Tpp, bank_app: object, person: Person, clock: SteppingClock
) -> None:
    oauth = bank_app.state.bank.oauth  # type: ignore[attr-defined]
    consent_id = await tpp.create_consent()
    _callback, _ = await tpp.login(consent_id, person)
    await tpp.client.get(tpp.authorization_url(await tpp.create_consent(), "x" * 43))
    assert oauth._pending
    assert oauth._codes
    clock.advance(hours=2)
    await tpp.client.get(tpp.authorization_url(await tpp.create_consent(), "y" * 43))
    assert len(oauth._pending) == 1  # only the one just started
    assert not oauth._codes
