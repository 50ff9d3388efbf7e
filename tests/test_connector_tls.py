"""Connectors present a TLS client certificate (mTLS) when given an ``ssl_context``.

PSD2 banks authenticate a third party by its eIDAS certificate on the TLS connection, and
government APIs by a PKIoverheid one. A connector built with ``ssl_context`` must make every
request it sends (discovery, the PSD2 consent, the token exchange, the API reads, revocation)
over its one transport, built once with that context and closed with the gateway.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Psd2Connector, Purpose
from brondata.testing import HostDispatchTransport, MockSources

pytestmark = pytest.mark.anyio

BANK = "bank.mockbank"


class _Recorder:
    """Stands in for ``httpx2.AsyncHTTPTransport``: notes the TLS context each transport was
    built with and the requests it carried, and routes them to the in-process mock."""

    def __init__(self, routes: dict[str, httpx2.AsyncBaseTransport]) -> None:
        self.routes = routes
        self.contexts: list[Any] = []
        self.requests: list[tuple[int, str]] = []

    def __call__(self, *, verify: Any = True, **_: Any) -> httpx2.AsyncBaseTransport:
        recorder, number = self, len(self.contexts)
        self.contexts.append(verify)

        class _Transport(httpx2.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
                recorder.requests.append((number, f"{request.method} {request.url.path}"))
                return await HostDispatchTransport(recorder.routes).handle_async_request(request)

        return _Transport()


async def test_every_request_of_a_session_goes_over_the_client_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = MockSources(seed=3, sources=(BANK,))
    recorder = _Recorder({urlsplit(sources.base_urls[BANK]).netloc: sources.transport(BANK)})
    monkeypatch.setattr(httpx2, "AsyncHTTPTransport", recorder)
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)

    bank = Psd2Connector(
        base_url=sources.base_urls[BANK],
        client_id=sources.client_id,
        clock=sources.clock,
        ssl_context=context,
        name=BANK,
    )
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess the loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total"],
        retention_days=30,
        recipient="Lender",
    )
    async with Gateway.embedded({BANK: bank}, clock=sources.clock) as gateway:
        session = await gateway.start(request, "applicant-1")
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, sources.scenario("salaried"))
        result = await gateway.collect(session.id)
        await gateway.withdraw(session.id)

    assert result.complete
    # One transport, built with the context when the connector was: the certificate's TLS
    # context is set up once, not per login or fetch.
    assert recorder.contexts == [context]
    seen = {line for _, line in recorder.requests}
    assert "POST /v1/consents" in seen  # before the login
    assert any(line.startswith("POST") and "token" in line for line in seen)
    assert "GET /v1/accounts" in seen
    assert {number for number, _ in recorder.requests} == {0}
