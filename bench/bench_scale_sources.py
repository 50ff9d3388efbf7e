"""Many consumers at once: full seven-source sessions, in-process and over real HTTP.

In-process (``MockSources``, every source an ASGI app on the same event loop): ``N``
mortgage sessions (population, tax, employment, pension, land registry, DUO, a bank) start
at once; each consumer consents, logs in at every source and the gateway collects. Reported:
sessions/s over the whole run, p50 and p99 of a session's latency (start to records), peak
RSS, and how many sessions did not get every record (with no injected faults: none may
fail, whatever the source timeout; a timeout there would be the gateway's queue, not a
source). Each configuration runs in a child process of its own, so that peak RSS is its own.

Over real HTTP (``brondata mock serve`` in a child process, connectors on the network):
``M`` sessions one after another, and per session the CPU the gateway's own calls take
(``time.process_time`` around each call; the consumer's browser is not counted), the HTTP
clients and TLS certificate-store loads made inside them, and the TCP connections opened.

    python -m bench.bench_scale_sources               # 200, 1,000 in-process; 20 over HTTP
    python -m bench.bench_scale_sources inprocess 1000 --timeout 5
    python -m bench.bench_scale_sources http 20

(``bench.bench_scale`` measures bank-only sessions for ``make bench``' report; this one the
seven-source mortgage session, the admission and the per-connector HTTP client.)
"""

from __future__ import annotations

import argparse
import inspect
import json
import resource
import ssl
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpcore2
import httpx2

from bench._flows import mortgage_sources
from bench._util import print_table
from brondata import Gateway
from brondata._clock import SystemClock
from brondata.testing import MockSources, RemoteSources, serve_mock_sources

SCENARIO = "two_incomes"

#: The instances a mortgage session uses: six government sources and one bank.
SOURCES = ("population", "tax", "employment", "pension", "land_registry", "duo", "bank.mockbank")


def _gateway(connectors: Any, timeout: float, limit: int | None) -> Gateway:
    options: dict[str, Any] = {"clock": SystemClock(), "source_timeout": timeout}
    # The same script measures the gateway before admission existed (no such parameter).
    if limit is not None and "max_collections" in inspect.signature(Gateway.embedded).parameters:
        options["max_collections"] = limit
    return Gateway.embedded(connectors, **options)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _peak_rss_mib() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def inprocess(n: int, source_timeout: float, limit: int | None) -> dict[str, Any]:
    """``n`` concurrent sessions against the in-process mocks, no faults."""
    sources = MockSources(seed=42, clock=SystemClock(), sources=SOURCES)
    request = mortgage_sources()
    person = sources.scenario(SCENARIO)
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    complete: list[bool] = []
    async with _gateway(sources.connectors(), source_timeout, limit) as gateway:

        async def session(i: int) -> None:
            start = time.perf_counter()
            record = await gateway.start(request, f"applicant-{i}")
            await gateway.give_consent(record.id)
            await sources.authorise(gateway, record.id, person)
            result = await gateway.collect(record.id)
            latencies.append(time.perf_counter() - start)
            complete.append(result.complete)
            for source, error in result.errors.items():
                failures[f"{source}: {error.code}"] += 1

        cpu, start = time.process_time(), time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(session, i)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "sessions": n,
        "source_timeout_s": source_timeout,
        "max_collections": limit,
        "complete": sum(complete),
        "failed_fetches": dict(failures),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "sessions_per_s": round(n / wall, 2),
        "p50_s": round(_percentile(latencies, 50), 3),
        "p99_s": round(_percentile(latencies, 99), 3),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
    }


@contextmanager
def _counting() -> Iterator[Counter[str]]:
    """Counts HTTP clients built, certificate stores loaded and TCP connections opened,
    while ``counts["inside"]`` is set (inside a gateway call)."""
    counts: Counter[str] = Counter()
    client_init = httpx2.AsyncClient.__init__
    load = ssl.SSLContext.load_verify_locations
    create = httpcore2.AsyncConnectionPool.create_connection

    def counted_init(self: httpx2.AsyncClient, *args: Any, **kwargs: Any) -> None:
        if counts["inside"]:
            counts["http_clients"] += 1
        client_init(self, *args, **kwargs)

    def counted_load(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        if counts["inside"]:
            counts["cert_store_loads"] += 1
        load(self, *args, **kwargs)

    def counted_create(self: httpcore2.AsyncConnectionPool, origin: Any) -> Any:
        if counts["inside"]:
            counts["tcp_connections"] += 1
        return create(self, origin)

    httpx2.AsyncClient.__init__ = counted_init  # type: ignore[method-assign]
    ssl.SSLContext.load_verify_locations = counted_load  # type: ignore[method-assign]
    httpcore2.AsyncConnectionPool.create_connection = counted_create  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        httpx2.AsyncClient.__init__ = client_init  # type: ignore[method-assign]
        ssl.SSLContext.load_verify_locations = load  # type: ignore[method-assign]
        httpcore2.AsyncConnectionPool.create_connection = create  # type: ignore[method-assign]


def _timed_calls(gateway: Gateway, counts: Counter[str], cpu: list[float]) -> None:
    """Wrap the gateway's calls: their CPU (sessions run one at a time, so nothing else runs
    meanwhile but the event loop's own bookkeeping) and what they construct."""
    for name in ("start", "give_consent", "login_url", "callback", "collect"):
        call: Callable[..., Awaitable[Any]] = getattr(gateway, name)

        async def timed(*args: Any, _call: Any = call, **kwargs: Any) -> Any:
            counts["inside"] += 1
            before = time.process_time()
            try:
                return await _call(*args, **kwargs)
            finally:
                cpu.append(time.process_time() - before)
                counts["inside"] -= 1

        setattr(gateway, name, timed)


async def over_http(m: int, source_timeout: float) -> dict[str, Any]:
    """``m`` sessions one after another against ``brondata mock serve``."""
    request = mortgage_sources()
    with serve_mock_sources("--seed", "42") as served:
        urls = served.urls
        remote = RemoteSources({s: urls[s] for s in (*SOURCES, "digid")}, seed=42)
        person = remote.scenario(SCENARIO)
        with _counting() as counts:
            cpu: list[float] = []
            async with _gateway(remote.connectors(), source_timeout, None) as gateway:
                _timed_calls(gateway, counts, cpu)

                async def session(i: int) -> None:
                    record = await gateway.start(request, f"applicant-{i}")
                    await gateway.give_consent(record.id)
                    await remote.authorise(gateway, record.id, person)
                    result = await gateway.collect(record.id)
                    if not result.complete:
                        raise RuntimeError(f"not complete: {sorted(result.errors)}")

                await session(-1)  # warm-up: discovery, first connections, imports
                counts.clear()
                cpu.clear()
                start = time.perf_counter()
                for i in range(m):
                    await session(i)
                wall = time.perf_counter() - start
    return {
        "sessions": m,
        "gateway_cpu_s_per_session": round(sum(cpu) / m, 4),
        "http_clients_per_session": counts["http_clients"] / m,
        "cert_store_loads_per_session": counts["cert_store_loads"] / m,
        "tcp_connections_per_session": counts["tcp_connections"] / m,
        "sessions_per_s_sequential": round(m / wall, 2),
        "median_call_cpu_ms": round(statistics.median(cpu) * 1000, 2),
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_scale_sources", *args, "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run() -> dict[str, Any]:
    """The default set, each in a child process: 200 and 1,000 in-process, 20 over HTTP."""
    results = {
        "inprocess_200": _child(["inprocess", "200"]),
        "inprocess_1000": _child(["inprocess", "1000"]),
        "http_20": _child(["http", "20"]),
    }
    rows = []
    for name, r in results.items():
        if name.startswith("inprocess"):
            rows.append(
                (
                    f"{r['sessions']} concurrent, in-process",
                    f"{r['complete']}/{r['sessions']} complete, {r['sessions_per_s']} sessions/s, "
                    f"p50 {r['p50_s']} s, p99 {r['p99_s']} s, peak RSS {r['peak_rss_mib']} MiB",
                )
            )
        else:
            rows.append(
                (
                    f"{r['sessions']} one by one, real HTTP",
                    f"gateway CPU {r['gateway_cpu_s_per_session'] * 1000:.0f} ms/session, "
                    f"{r['http_clients_per_session']:g} clients, "
                    f"{r['cert_store_loads_per_session']:g} store loads, "
                    f"{r['tcp_connections_per_session']:g} TCP connections per session",
                )
            )
    print_table("Seven-source mortgage sessions at scale", rows)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=["inprocess", "http"])
    parser.add_argument("sessions", nargs="?", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0, help="source timeout, seconds")
    parser.add_argument("--limit", type=int, default=None, help="max_collections")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    if args.mode is None:
        run()
        return
    if args.mode == "inprocess":
        result = anyio.run(inprocess, args.sessions, args.timeout, args.limit)
    else:
        result = anyio.run(over_http, args.sessions, args.timeout)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
