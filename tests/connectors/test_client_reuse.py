"""One HTTP client per connector: built once, reused by every session, closed with the gateway.

Building an HTTP client loads a certificate store (tens of milliseconds of CPU) and starts
an empty connection pool, so a connector that builds one per login, callback or fetch pays
that on every step and opens a new TCP connection each time. Counted here: clients built
and certificate stores loaded (in-process and over the network), TCP connections opened
against ``brondata mock serve`` on loopback, and the clients' closing.
"""

from __future__ import annotations

import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpcore2
import httpx2
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.testing import MockSources, RemoteSources

pytestmark = pytest.mark.anyio

BANK = "bank.mockbank"
#: A bank (PSD2, consent first) and a government source behind DigiD.
SOURCES = (BANK, "duo")
SESSIONS = 3


def request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess the loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total", "student_debt.outstanding"],
        retention_days=30,
        recipient="Lender",
    )


class Census:
    """Counts what is built and opened, apart for inside a gateway call and outside one."""

    def __init__(self) -> None:
        self.inside = 0
        self.counts: Counter[str] = Counter()
        self.clients: list[httpx2.AsyncClient] = []

    def note(self, what: str) -> None:
        self.counts[f"{what}:{'in_call' if self.inside else 'outside'}"] += 1

    def watch(self, gateway: Gateway) -> None:
        """Every flow call of ``gateway`` counts as inside (the consumer's browser, between
        the calls, does not)."""
        for name in ("start", "give_consent", "login_url", "callback", "collect", "withdraw"):
            call: Callable[..., Awaitable[Any]] = getattr(gateway, name)

            async def counted(*args: Any, _call: Any = call, **kwargs: Any) -> Any:
                self.inside += 1
                try:
                    return await _call(*args, **kwargs)
                finally:
                    self.inside -= 1

            setattr(gateway, name, counted)


@pytest.fixture
def census(monkeypatch: pytest.MonkeyPatch) -> Census:
    seen = Census()
    client_init = httpx2.AsyncClient.__init__
    load = ssl.SSLContext.load_verify_locations
    create = httpcore2.AsyncConnectionPool.create_connection

    def counted_init(client: httpx2.AsyncClient, *args: Any, **kwargs: Any) -> None:
        seen.note("client")
        seen.clients.append(client)
        client_init(client, *args, **kwargs)

    def counted_load(context: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        seen.note("store")
        load(context, *args, **kwargs)

    def counted_create(pool: httpcore2.AsyncConnectionPool, origin: Any) -> Any:
        seen.note("tcp")
        return create(pool, origin)

    monkeypatch.setattr(httpx2.AsyncClient, "__init__", counted_init)
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted_load)
    monkeypatch.setattr(httpcore2.AsyncConnectionPool, "create_connection", counted_create)
    return seen


async def sessions(gateway: Gateway, sources: Any, n: int) -> None:
    for i in range(n):
        session = await gateway.start(request(), f"applicant-{i}")
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, sources.scenario("salaried"))
        result = await gateway.collect(session.id)
        assert result.complete, result.errors


async def test_one_client_per_connector_across_sessions_closed_with_the_gateway(
    census: Census,
) -> None:
    sources = MockSources(seed=5, sources=SOURCES)
    connectors = sources.connectors()
    assert census.counts["client:outside"] == len(connectors)
    built = list(census.clients)

    async with Gateway.embedded(connectors, clock=sources.clock) as gateway:
        census.watch(gateway)
        await sessions(gateway, sources, SESSIONS)
        # Logins, callbacks, fetches and revocations of every session: no client built.
        assert census.counts["client:in_call"] == 0
        assert not any(client.is_closed for client in built)
    assert all(client.is_closed for client in built)


@pytest.fixture
def served(mock_server: Callable[..., dict[str, str]]) -> dict[str, str]:
    """``brondata mock serve`` on free loopback ports, in a child process."""
    return mock_server("--seed", "42")


async def test_over_real_http_connections_and_the_certificate_store_are_reused(
    census: Census, served: dict[str, str]
) -> None:
    remote = RemoteSources({s: served[s] for s in (*SOURCES, "digid")}, seed=42)
    connectors = remote.connectors()
    # One client and one certificate store per connector, when it is built.
    assert census.counts["client:outside"] == len(connectors)
    assert census.counts["store:outside"] == len(connectors)
    requests: Counter[str] = Counter()

    async def count(request: httpx2.Request) -> None:
        requests[request.url.netloc.decode()] += 1

    async with Gateway.embedded(connectors, clock=remote.clock) as gateway:
        census.watch(gateway)
        for client in census.clients:
            client.event_hooks["request"].append(count)
        await sessions(gateway, remote, SESSIONS)

    assert census.counts["client:in_call"] == 0
    assert census.counts["store:in_call"] == 0
    made, opened = sum(requests.values()), census.counts["tcp:in_call"]
    assert made >= 8 * SESSIONS  # the sessions did talk to the sources
    # Kept-alive connections carry the requests: a new one only for the first request to a
    # source, or after one sat idle past the keep-alive expiry (5 s, on a slow machine).
    assert 1 <= opened <= SESSIONS * len(connectors)
    assert opened * 4 <= made
