"""Every source of the mortgage preset in one session, with every mock request delayed by 150 ms.

Reported: the collection's wall time next to the slowest single source's chain of requests
(that source's fetch and revocation on their own) and next to the sum of all chains (what
fetching one after another would cost). A ratio near 1 against the slowest chain means
collection is concurrent.
"""

from __future__ import annotations

import time
from typing import Any

from bench._flows import mortgage_sources
from bench._util import print_table
from brondata import Gateway
from brondata._clock import SystemClock
from brondata.mock._faults import Fault
from brondata.testing import MockSources

DELAY = 0.15
SCENARIO = "two_incomes"


async def _authorised(sources: MockSources, gateway: Gateway) -> str:
    session = await gateway.start(mortgage_sources(), "bench")
    await gateway.give_consent(session.id)
    await sources.authorise(gateway, session.id, sources.scenario(SCENARIO))
    return session.id


async def run() -> dict[str, Any]:
    sources = MockSources(seed=42, clock=SystemClock())
    for injector in sources.faults.values():
        injector.add(Fault("delay", "/", seconds=DELAY, include_auth=True))
    request = mortgage_sources()
    plan = request.sources()

    # Each source's chain alone: its fetch, on a fresh login, timed by itself.
    chains: dict[str, float] = {}
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session_id = await _authorised(sources, gateway)
        record = gateway.session(session_id)
        # The session's sources are instances ("bank.mockbank"); the plan names kinds.
        for source in record.sources:
            grant = gateway._box.open(  # the bench reaches in: one source's fetch alone
                record.sources[source].sealed or "", f"{session_id}/{source}/grant"
            )
            connector = gateway.connectors[source]
            start = time.perf_counter()
            response = await connector.fetch(
                grant=grant,
                attributes=plan[source.partition(".")[0]],
                today=sources.clock.now().date(),
            )
            await connector.revoke(grant=grant)  # collection gives the access back too
            chains[source] = time.perf_counter() - start
            chains[source + ":requests"] = response.requests

    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        start = time.perf_counter()
        session_id = await _authorised(sources, gateway)
        logins = time.perf_counter() - start
        start = time.perf_counter()
        result = await gateway.collect(session_id)
        collect = time.perf_counter() - start
        if not result.complete:
            raise RuntimeError(f"a source failed: {result.errors}")

    times = {s: chains[s] for s in chains if not s.endswith(":requests")}
    slowest = max(times, key=lambda s: times[s])
    out = {
        "title": "Six sources at once, 150 ms per request",
        "delay_ms": DELAY * 1000,
        "collect_ms": collect * 1000,
        "logins_ms": logins * 1000,
        "slowest_chain_source": slowest,
        "slowest_chain_ms": times[slowest] * 1000,
        "sum_of_chains_ms": sum(times.values()) * 1000,
        "ratio_to_slowest": collect / times[slowest],
    }
    print_table(
        f"{len(times)} sources, every mock request delayed {DELAY * 1000:.0f} ms ({SCENARIO})",
        [
            *[
                (
                    f"chain {s}",
                    f"{times[s] * 1000:7.0f} ms  ({int(chains[s + ':requests'])} requests)",
                )
                for s in times
            ],
            ("collection, all at once", f"{collect * 1000:7.0f} ms"),
            ("sum of the chains", f"{out['sum_of_chains_ms']:7.0f} ms"),
            ("collection / slowest chain", f"{out['ratio_to_slowest']:.2f}x"),
            ("logins (sequential, by the consumer)", f"{logins * 1000:7.0f} ms"),
        ],
    )
    return out
