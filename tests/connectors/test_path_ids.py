"""Ids a source hands out go into the next request's path as one segment each: an id holding
``/``, ``?`` or ``..`` cannot reach another endpoint of the source (with the token and the
Consent-ID), and an id that is only dots is refused."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from brondata.errors import BrondataError, SourceProtocolError
from brondata.mock._faults import Fault
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

HOSTILE = "a/../b?x=1#f"
QUOTED = "a%2F..%2Fb%3Fx%3D1%23f"
BRK = "/esd/bevragen/v2/kadastraalonroerendezaken"


class Recorder(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.raw_path.decode("ascii"))
        return await self.inner.handle_async_request(request)


async def fetch_through(
    source: str, fault: Fault, attributes: list[str]
) -> tuple[list[str], BrondataError | None]:
    """Log person 0 in at ``source`` whose API answers once as ``fault`` says; fetch; the
    raw paths requested after the login, and the fetch's error if it failed."""
    sources = MockSources(seed=3, clock=FixedClock())
    recorder = Recorder(sources.transport(source))
    connector = sources.connector(source, transport=recorder)
    person = sources.person(0)
    redirect_uri = sources.redirect_uri.format(source=source)
    today = sources.clock.now().date()
    try:
        start = await connector.begin_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=today
        )
        async with sources.consumer(source) as browser:
            callback = await browser.authorize(
                start.authorization_url, username=person.username, password=person.password
            )
        grant = await connector.complete_login(
            callback_url=callback, pending=start.pending, redirect_uri=redirect_uri
        )
        recorder.paths.clear()
        sources.faults[source].add(fault)
        try:
            await connector.fetch(grant=grant, attributes=attributes, today=today)
        except BrondataError as exc:
            return recorder.paths, exc
        return recorder.paths, None
    finally:
        await connector.aclose()


def accounts(resource_id: str) -> dict[str, Any]:
    return {
        "accounts": [{"resourceId": resource_id, "iban": "NL02ABNA0123456789", "currency": "EUR"}]
    }


async def test_a_bank_resource_id_is_one_path_segment() -> None:
    fault = Fault("body", "/v1/accounts", methods=frozenset({"GET"}), times=1)
    fault.body = accounts(HOSTILE)
    paths, _ = await fetch_through("bank.mockbank", fault, ["bank.balance_total"])
    assert f"/v1/accounts/{QUOTED}/balances" in paths
    assert all(p == "/v1/accounts" or p.startswith(f"/v1/accounts/{QUOTED}/") for p in paths)


@pytest.mark.parametrize("resource_id", ["..", ".", ""])
async def test_a_bank_resource_id_of_dots_is_refused(resource_id: str) -> None:
    fault = Fault("body", "/v1/accounts", methods=frozenset({"GET"}), times=1)
    fault.body = accounts(resource_id)
    paths, error = await fetch_through("bank.mockbank", fault, ["bank.balance_total"])
    assert isinstance(error, SourceProtocolError)
    assert paths == ["/v1/accounts"]


async def test_a_brk_identificatie_is_one_path_segment() -> None:
    fault = Fault("body", BRK, methods=frozenset({"POST"}), times=1)
    fault.body = {"_embedded": {"kadastraalOnroerendeZaken": [{"identificatie": HOSTILE}]}}
    paths, _ = await fetch_through("land_registry", fault, ["property.owned"])
    assert f"{BRK}/{QUOTED}/zakelijkgerechtigden" in paths
    assert not [p for p in paths if p.startswith(BRK + "/") and QUOTED not in p]


async def test_a_brk_identificatie_of_dots_is_refused() -> None:
    fault = Fault("body", BRK, methods=frozenset({"POST"}), times=1)
    fault.body = {"_embedded": {"kadastraalOnroerendeZaken": [{"identificatie": ".."}]}}
    paths, error = await fetch_through("land_registry", fault, ["property.owned"])
    assert isinstance(error, SourceProtocolError)
    assert not [p for p in paths if p.startswith(BRK + "/")]
