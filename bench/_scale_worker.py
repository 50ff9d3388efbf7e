"""One concurrency level in a process of its own: ``python -m bench._scale_worker ARGS``.

ARGS is a JSON object: ``mode`` (``inproc`` or ``http``), ``level`` (sessions in flight),
``sessions`` per round, ``rounds``, and for ``http`` the ``urls`` that ``brondata mock
serve`` printed. Gateway rounds and bare rounds alternate; the bare flows share one pooled
client, as the gateway's connector does. Per round: wall time, each
session's latency, CPU seconds of this process, and its resident set sampled every 20 ms
(the peak over the round minus the resident set before it, per session in flight). Prints
one JSON object. A fresh process per level keeps one level's memory out of another's.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from bench._flows import Site, bare_client, bare_requests, gateway_session, in_process, over_http
from bench._util import raise_open_file_limit

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * _PAGE / 2**20


async def one_round(
    flow: Callable[[], Awaitable[None]], level: int, sessions: int
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    reasons: dict[str, int] = {}
    limiter = anyio.Semaphore(level)
    before = rss_mib()
    peak = before
    done = anyio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib())
            await anyio.sleep(0.02)

    async def one() -> None:
        nonlocal failures
        async with limiter:
            start = time.perf_counter()
            try:
                await flow()
            except Exception as exc:  # a failed session is counted, not timed
                failures += 1
                reason = getattr(exc, "code", None) or type(exc).__name__
                reasons[reason] = reasons.get(reason, 0) + 1
                return
            latencies.append(time.perf_counter() - start)

    cpu = time.process_time()
    start = time.perf_counter()
    async with anyio.create_task_group() as outer:
        outer.start_soon(sample)
        async with anyio.create_task_group() as group:
            for _ in range(sessions):
                group.start_soon(one)
        done.set()
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu,
        "completed": len(latencies),
        "failed": failures,
        "failure_reasons": reasons,
        "latencies_s": latencies,
        "rss_before_mib": before,
        "rss_peak_mib": peak,
    }


async def main(args: dict[str, Any]) -> dict[str, Any]:
    site: Site = in_process() if args["mode"] == "inproc" else over_http(args["urls"])
    level, sessions, rounds = args["level"], args["sessions"], args["rounds"]
    out: dict[str, list[dict[str, Any]]] = {"gateway": [], "bare": []}
    with tempfile.TemporaryDirectory() as tmp:
        async with site.gateway(Path(tmp) / "scale.db") as gateway, bare_client(site) as http:
            await gateway_session(gateway, site)  # warm-up: imports, keys, tables
            await bare_requests(site, http)
            for _ in range(rounds):
                out["gateway"].append(
                    await one_round(lambda: gateway_session(gateway, site), level, sessions)
                )
                out["bare"].append(
                    await one_round(lambda: bare_requests(site, http), level, sessions)
                )
    return {"level": level, "sessions": sessions, "load": os.getloadavg()[0], **out}


if __name__ == "__main__":
    # A thousand consumers in flight hold a browser connection each, besides the pools.
    raise_open_file_limit(4096)
    print(json.dumps(anyio.run(main, json.loads(sys.argv[1]))))
