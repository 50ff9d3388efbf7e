"""The soak test: many sessions at once against ``brondata mock serve`` with mixed faults.

Not a timed test and not part of ``python -m bench``: run it by hand::

    python -m bench.soak --sessions 1000 --concurrency 200 --faults 0.05

A child process serves every mock source over real sockets (the code ``brondata mock serve``
runs), with a share of requests to every source's API hit by a fault, mixed evenly: a 503, a
429 with ``Retry-After``, a delay beyond the source timeout, malformed JSON, and a request left
unanswered (the nearest a mock can come to a dropped connection). One embedded gateway on a
SQLite file drives the sessions of the mortgage preset (six source kinds), ``concurrency`` at
a time, each as a consumer would: consent, a login at every source, one collection.

Reported: sessions complete, sessions failed only at faulted sources, faults recovered by a
retry, untyped exceptions (must be 0), ledger entries expected vs present (0 lost), the
``audit verify`` result, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

from bench._util import print_table

SEED = 42
SOURCE_TIMEOUT = 3.0


def _faults(share: float) -> list[Any]:
    from brondata.mock._faults import Fault

    each = share / 5
    api = frozenset({"GET", "POST"})
    return [
        Fault("status", status=503, probability=each, seed=1, methods=api),
        Fault("status", status=429, retry_after=1, probability=each, seed=2, methods=api),
        Fault("delay", seconds=SOURCE_TIMEOUT + 1, probability=each, seed=3, methods=api),
        Fault("malformed_json", probability=each, seed=4, methods=api),
        Fault("hang", probability=each, seed=5, methods=api),
    ]


def _serve(share: float) -> None:
    """The child: every mock source on free ports; prints the URL map as one JSON line."""
    from brondata.mock._serve import serve
    from brondata.testing import MockSources

    kinds = sorted({name.split(".")[0] for name in MockSources.source_names()})
    faults = {kind: _faults(share) for kind in kinds}

    def ready(urls: dict[str, str]) -> None:
        print(json.dumps(urls), flush=True)

    anyio.run(lambda: serve(port=0, seed=SEED, faults=faults, on_ready=ready))


async def _soak(urls: dict[str, str], sessions: int, concurrency: int, db: Path) -> dict[str, Any]:
    from brondata import Gateway
    from brondata._demo import preset_request
    from brondata.connectors._retry import RetryingTransport
    from brondata.errors import BrondataError
    from brondata.testing import RemoteSources

    remote = RemoteSources(urls, seed=SEED, timeout=SOURCE_TIMEOUT)
    retries = Counter[str]()
    original = RetryingTransport.handle_async_request

    async def counting(self: RetryingTransport, request: Any) -> Any:
        before = self.retries
        response = await original(self, request)
        if self.retries > before and response.status_code < 400:
            retries["recovered"] += 1
        return response

    RetryingTransport.handle_async_request = counting  # type: ignore[method-assign]
    outcome = Counter[str]()
    failed_kinds = Counter[str]()
    untyped: list[str] = []
    appended = 0
    people = [p for p in remote.population.people(400) if p.accounts][:200]
    limiter = anyio.CapacityLimiter(concurrency)

    async with Gateway.embedded(
        remote.connectors(), path=db, source_timeout=SOURCE_TIMEOUT, max_collections=concurrency
    ) as gateway:
        append = gateway._append

        async def counted_append(*args: Any, **kwargs: Any) -> None:
            nonlocal appended
            await append(*args, **kwargs)
            appended += 1

        gateway._append = counted_append  # type: ignore[method-assign]

        async def one(index: int) -> None:
            async with limiter:
                person = people[index % len(people)]
                try:
                    session = await gateway.start(preset_request("mortgage"), f"soak-{index}")
                    await gateway.give_consent(session.id)
                    await remote.authorise(gateway, session.id, person)
                    result = await gateway.collect(session.id)
                except BrondataError as exc:
                    outcome["failed before collection"] += 1
                    failed_kinds[exc.code] += 1
                    return
                except Exception as exc:  # the figure that must stay 0
                    untyped.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                if not result.errors:
                    outcome["complete"] += 1
                else:
                    outcome["failed only at faulted sources"] += 1
                    for error in result.errors.values():
                        failed_kinds[error.code] += 1

        async with anyio.create_task_group() as group:
            for index in range(sessions):
                group.start_soon(one, index)
        present = gateway.log.size()
    return {
        "sessions": sessions,
        "concurrency": concurrency,
        "complete": outcome["complete"],
        "failed_only_at_faulted_sources": outcome["failed only at faulted sources"],
        "failed_before_collection": outcome["failed before collection"],
        "error_codes": dict(failed_kinds),
        "faults_recovered_by_retry": retries["recovered"],
        "untyped_exceptions": len(untyped),
        "untyped_kinds": sorted(set(untyped)),
        "ledger_expected": appended,
        "ledger_present": present,
    }


def _audit(db: Path, work: Path) -> str:
    key = work / "log.key"
    cli = [sys.executable, "-m", "brondata.cli"]
    steps = [
        ["audit", "keygen", "--name", "lender.example/log", "--key", str(key)],
        ["audit", "export", "--db", str(db), "--out", str(work / "export"), "--key", str(key)],
        ["audit", "verify", str(work / "export")],
    ]
    for step in steps:
        done = subprocess.run([*cli, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"failed at {step[1]}: {done.stdout.strip()} {done.stderr.strip()}"[:300]
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--faults", type=float, default=0.05, help="share of API requests")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.faults)
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.soak", "--serve", "--faults", str(args.faults)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        urls = json.loads(child.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            db = work / "soak.db"
            figures = anyio.run(_soak, urls, args.sessions, args.concurrency, db)
            figures["audit_verify"] = _audit(db, work)
        figures["peak_rss_mb_gateway"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print_table("soak", [(k, str(v)) for k, v in figures.items()])
        print(json.dumps(figures), file=sys.stderr if os.environ.get("SOAK_QUIET") else sys.stdout)
    finally:
        # Requests held by "hang" faults keep a graceful shutdown waiting: end it.
        child.kill()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
