"""Admission: a bounded number of collections at once, the rest in order; honest timeouts.

A source's timeout must measure the source. The gateway admits at most ``max_collections``
collections at once; the others wait, first come first served, and no source's clock runs
while they wait. Inside a collection the clock runs only while a request is in flight, so
the gateway's own work between requests (and other sessions' turns on the event loop) is
not charged to the source either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx2
import pytest

from brondata import CollectionResult, DataRequest, Gateway, LegalBasis, Purpose
from brondata._demo import PRESETS, preset_request
from brondata.errors import ConfigurationError, SourceTimeoutError
from brondata.gateway import DEFAULT_MAX_COLLECTIONS
from brondata.mock._faults import Fault
from brondata.testing import MockSources, RemoteSources

pytestmark = pytest.mark.anyio

BANK = "bank.mockbank"


def asking(*attributes: str) -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess the loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=list(attributes),
        retention_days=30,
        recipient="Lender",
    )


class Gate(httpx2.AsyncBaseTransport):
    """Holds every request to the source's data API until ``opened`` is set."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix
        self.opened = anyio.Event()
        self.reached = anyio.Event()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.startswith(self.prefix):
            self.reached.set()
            await self.opened.wait()
        return await self.inner.handle_async_request(request)


async def until(condition: Callable[[], bool]) -> None:
    # The admission's figures have no event to wait on: look again shortly.
    while not condition():  # noqa: ASYNC110
        await anyio.sleep(0.005)


async def ready(gateway: Gateway, sources: Any, request: DataRequest, who: str) -> str:
    session = await gateway.start(request, who)
    await gateway.give_consent(session.id)
    await sources.authorise(gateway, session.id, sources.scenario("salaried"))
    return session.id


def test_the_default_admits_a_sensible_number_and_refuses_none() -> None:
    sources = MockSources(seed=2, sources=(BANK,))
    gateway = Gateway.embedded(sources.connectors(), clock=sources.clock)
    assert gateway.admission.limit == DEFAULT_MAX_COLLECTIONS == 64
    assert (gateway.admission.running, gateway.admission.waiting) == (0, 0)
    with pytest.raises(ConfigurationError, match="max_collections"):
        Gateway.embedded(sources.connectors(), clock=sources.clock, max_collections=0)


async def test_a_session_waiting_for_admission_does_not_time_out_its_sources() -> None:
    sources = MockSources(seed=2, sources=("duo", BANK))
    gate = Gate(sources.transport("duo"), "/api/duo")
    connectors = {"duo": sources.connector("duo", transport=gate), BANK: sources.connector(BANK)}
    # The bank's whole timeout is far shorter than its session's wait for admission.
    timeouts = {"duo": 120.0, BANK: 2.0}
    async with Gateway.embedded(
        connectors, clock=sources.clock, max_collections=1, source_timeout=timeouts
    ) as gateway:
        first = await ready(gateway, sources, asking("student_debt.outstanding"), "first")
        second = await ready(gateway, sources, asking("bank.balance_total"), "second")
        results: dict[str, CollectionResult] = {}

        async def collect(session_id: str) -> None:
            results[session_id] = await gateway.collect(session_id)

        with anyio.fail_after(120):  # a guard against a hang, not a measurement
            async with anyio.create_task_group() as group:
                group.start_soon(collect, first)
                await gate.reached.wait()  # the first collection runs, held at DUO
                group.start_soon(collect, second)
                await until(lambda: gateway.admission.waiting == 1)
                assert gateway.admission.running == 1
                await anyio.sleep(3.0)  # longer than the bank's whole timeout, spent waiting
                gate.opened.set()

    assert results[first].complete
    assert results[second].complete, results[second].errors


async def test_waiting_collections_start_in_the_order_they_came() -> None:
    sources = MockSources(seed=2, sources=("duo", BANK))
    gate = Gate(sources.transport("duo"), "/api/duo")
    connectors = {"duo": sources.connector("duo", transport=gate), BANK: sources.connector(BANK)}
    async with Gateway.embedded(connectors, clock=sources.clock, max_collections=1) as gateway:
        holder = await ready(gateway, sources, asking("student_debt.outstanding"), "holder")
        queued = [
            await ready(gateway, sources, asking("bank.balance_total"), f"queued-{i}")
            for i in range(4)
        ]
        finished: list[str] = []

        async def collect(session_id: str) -> None:
            await gateway.collect(session_id)
            finished.append(session_id)

        with anyio.fail_after(120):
            async with anyio.create_task_group() as group:
                group.start_soon(collect, holder)
                await gate.reached.wait()
                # Arrive one by one (reversed, so that the order is not the creation order).
                for n, session_id in enumerate(reversed(queued), start=1):
                    group.start_soon(collect, session_id)
                    await until(lambda n=n: gateway.admission.waiting == n)  # type: ignore[misc]
                gate.opened.set()

    assert finished == [holder, *reversed(queued)]


async def test_the_gateways_work_between_requests_is_not_the_sources_time() -> None:
    # A fetch whose requests are quick but which waits long before each (as it would behind
    # a busy event loop) stays within the source's time: no request is in flight meanwhile.
    sources = MockSources(seed=2, sources=(BANK,))
    connector = sources.connector(BANK)
    original: Callable[..., Awaitable[Any]] = connector.send  # type: ignore[attr-defined]
    sent: list[str] = []

    async def late(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(url)
        await anyio.sleep(0.6)
        return await original(method, url, **kwargs)

    async with Gateway.embedded(
        {BANK: connector}, clock=sources.clock, source_timeout=1.0
    ) as gateway:
        session_id = await ready(gateway, sources, asking("bank.balance_total"), "someone")
        sent.clear()
        connector.send = late  # type: ignore[attr-defined]
        result = await gateway.collect(session_id)
    fetched = [url for url in sent if "/accounts" in url]
    assert len(fetched) >= 2  # at least 1.2 s of wall time before the fetch's requests
    assert result.complete, result.errors


async def test_a_source_slower_than_its_time_still_times_out() -> None:
    sources = MockSources(seed=2, sources=(BANK,))
    sources.faults[BANK].add(Fault("delay", "/v1/accounts", seconds=1.0))
    async with Gateway.embedded(
        sources.connectors(), clock=sources.clock, source_timeout=0.3
    ) as gateway:
        session_id = await ready(gateway, sources, asking("bank.balance_total"), "someone")
        result = await gateway.collect(session_id)
    assert isinstance(result.errors[BANK], SourceTimeoutError)
    assert "source's time" in str(result.errors[BANK])


DUO_DELAY = 0.5


@pytest.fixture
def served(mock_server: Callable[..., dict[str, str]]) -> dict[str, str]:
    """``brondata mock serve`` on loopback, DUO's data API answering after 0.5 s."""
    return mock_server("--fault", f"duo=delay:/api/duo:{DUO_DELAY}")


async def test_over_the_network_waiting_for_a_pooled_connection_is_not_the_sources_time(
    served: dict[str, str],
) -> None:
    # One connection to DUO, four collections at once: the last waits three answers (1.5 s)
    # for the connection, then takes 0.5 s of DUO's time, within DUO's 1.5 s.
    remote = RemoteSources({s: served[s] for s in ("duo", "digid")}, seed=42)
    one = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    async with Gateway.embedded(
        remote.connectors(limits=one), clock=remote.clock, source_timeout=1.5
    ) as gateway:
        sessions = [
            await ready(gateway, remote, asking("student_debt.outstanding"), f"a-{i}")
            for i in range(4)
        ]
        results: list[CollectionResult] = []

        async def collect(session_id: str) -> None:
            results.append(await gateway.collect(session_id))

        async with anyio.create_task_group() as group:
            for session_id in sessions:
                group.start_soon(collect, session_id)
    assert [r.errors for r in results if not r.complete] == []


@pytest.mark.slow
async def test_many_concurrent_seven_source_sessions_all_complete_with_a_short_timeout() -> None:
    # 300 consumers at once, no faults: every source answers, so no fetch may time out,
    # though the run takes many times the sources' timeout.
    n = 300
    sources = MockSources(
        seed=42,
        sources=("population", "tax", "employment", "pension", "land_registry", "duo", BANK),
    )
    request = preset_request("mortgage", PRESETS["mortgage"]["attributes"])  # no decisions
    person = sources.scenario("two_incomes")
    results: list[CollectionResult] = []
    async with Gateway.embedded(
        sources.connectors(), clock=sources.clock, source_timeout=5.0
    ) as gateway:

        async def session(i: int) -> None:
            record = await gateway.start(request, f"applicant-{i}")
            await gateway.give_consent(record.id)
            await sources.authorise(gateway, record.id, person)
            results.append(await gateway.collect(record.id))

        started = anyio.current_time()
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(session, i)
        took = anyio.current_time() - started

    assert len(results) == n
    failed = [dict(r.errors) for r in results if not r.complete]
    assert failed == []
    assert all(len(r.records) == 7 for r in results)
    # Not a speed assertion: the premise of the test (the run outlasts the timeout).
    assert took > 5.0
