"""A bank session next to the bare HTTP requests it makes, in-process.

Both sides run against the same in-process mock bank (``httpx2.ASGITransport``), make the
same requests to the same endpoints (checked, not assumed), and have the same scripted
consumer fill in the login pages. The gateway side adds what brondata is for: the session
state machine and SQLite session store, the OAuth client, mapping, minimisation, SD-JWT
signing and the ledger appends to SQLite. The ratio is that overhead. Sides alternate;
each round timed by wall time and by this process's CPU time (all of it in-process) at once.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from bench._flows import bare_client, bare_requests, gateway_session, in_process
from bench._util import figure, interleaved_async, millis, print_table

ROUNDS = 15


def _endpoint(line: str) -> str:
    """``DELETE /v1/consents/abc`` -> ``DELETE /v1/consents/{id}``: ids differ per run."""
    return re.sub(r"^(DELETE /v1/consents/).+$", r"\1{id}", line)


async def run(rounds: int = ROUNDS) -> dict[str, Any]:
    gateway_log: list[str] = []
    bare_log: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        checked = in_process(gateway_log)
        async with checked.gateway(Path(tmp) / "check.db") as gateway:
            await gateway_session(gateway, checked)
        await bare_requests(in_process(bare_log))
        if sorted(map(_endpoint, gateway_log)) != sorted(map(_endpoint, bare_log)):
            raise RuntimeError(f"request sets differ:\n{gateway_log}\n{bare_log}")
        site = in_process()
        async with site.gateway(Path(tmp) / "bench.db") as gateway, bare_client(site) as http:
            sides = {
                "session": lambda: gateway_session(gateway, site),
                "bare": lambda: bare_requests(site, http),
            }
            timed = await interleaved_async(sides, rounds)
    seconds, cpu = timed["wall"], timed["cpu"]
    cpu_row = figure(
        "bank session vs bare HTTP requests, in-process, CPU time",
        "ms CPU",
        millis(cpu["session"]),
        rounds=rounds,
        baseline=millis(cpu["bare"]),
        baseline_name="bare httpx2 requests",
        higher_is_better=False,
        target=1.5,
        target_text="<= 1.5x",
        note="steadier than wall time on a shared machine",
    )
    row = figure(
        "bank session vs bare HTTP requests, in-process",
        "ms",
        millis(seconds["session"]),
        rounds=rounds,
        baseline=millis(seconds["bare"]),
        baseline_name="bare httpx2 requests",
        higher_is_better=False,
        target=1.5,
        target_text="<= 1.5x",
        note=f"{len(gateway_log)} requests per session, SQLite ledger and sessions",
    )
    print_table(
        f"bank session vs bare HTTP (median of {rounds} interleaved rounds, in-process)",
        [
            ("requests per session", str(len(gateway_log))),
            ("gateway session", f"{row['median']:.1f} ms"),
            ("bare httpx2 requests", f"{row['baseline_median']:.1f} ms"),
            ("ratio", f"{row['ratio']:.2f}x"),
        ],
    )
    return {
        "title": "Session vs bare requests (in-process)",
        "rows": [row, cpu_row],
        "raw": {"requests_per_session": len(gateway_log), "seconds": seconds, "cpu": cpu},
    }
