"""The soak test: many sessions at once against ``brondata mock serve`` with mixed faults.

Not a timed test and not part of ``python -m bench``: run it by hand::

    python -m bench.soak --sessions 1000 --concurrency 200 --faults 0.05
    python -m bench.soak --sessions 1000 --concurrency 200 --faults 0.05 \\
        --postgres postgresql://postgres@127.0.0.1:5432/brondata_soak

A child process serves every mock source over real sockets (the code ``brondata mock serve``
runs), with a share of requests to every source's API hit by a fault, mixed evenly: a 503, a
429 with ``Retry-After``, a delay beyond the source timeout, malformed JSON, and a request left
unanswered (the nearest a mock can come to a dropped connection). Every request a gateway
sends carries its session's tag (``FAULT_TAG_HEADER``), and each fault records the tags it
hit, so that a failed source is matched against the faults injected for that very session
and source.

The sessions (the mortgage preset: six source kinds) are driven as a consumer would (consent,
a login at every source, one collection), ``concurrency`` at a time, by gateway worker
processes the driver sends them to:

* without ``--postgres``: one worker, one embedded gateway on a SQLite file;
* with ``--postgres``: two workers, each a gateway of its own over one shared PostgreSQL
  database (ledger, keyring, sessions; one fresh schema per run) and the same keys; the
  sessions alternate between them, and every ``--handoff``-th one is started (consent and
  logins) on one and collected on the other.

Reported: sessions complete; sessions failed only at sources where a fault was injected; the
failures at sources where none was (the overload signal), by source and error code; faults
recovered by a retry; untyped exceptions (must be 0); ledger entries expected (appends the
gateways made) vs present, and events left pending in a session (both: 0 lost); the ``audit
verify`` result; peak RSS per process.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from bench._util import print_table

SEED = 42
SOURCE_TIMEOUT = 3.0
MAX_LINE = 1 << 24

#: The session a worker's task is busy with: every request it sends carries it.
_tag: contextvars.ContextVar[str | None] = contextvars.ContextVar("soak_tag", default=None)


class _LoopLag:
    """How late the event loop wakes a task that asked to sleep ``tick`` seconds: the delay
    every request's answer waits, on top of the other side's work, before it is read."""

    def __init__(self, tick: float = 0.1) -> None:
        self.tick = tick
        self.samples: list[float] = []

    async def watch(self) -> None:
        while True:
            began = time.monotonic()
            await anyio.sleep(self.tick)
            self.samples.append(time.monotonic() - began - self.tick)

    def figures(self) -> dict[str, int]:
        ordered = sorted(self.samples) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "p50_ms": round(1000 * ordered[len(ordered) // 2]),
            "p99_ms": round(1000 * p99),
            "max_ms": round(1000 * ordered[-1]),
        }


# --- the mock server child ---------------------------------------------------------------------


def _faults(share: float, seed: int) -> list[Any]:
    from brondata.mock._faults import Fault

    each = share / 5
    api = frozenset({"GET", "POST"})
    return [
        Fault("status", status=503, probability=each, seed=seed + 1, methods=api),
        Fault("status", status=429, retry_after=1, probability=each, seed=seed + 2, methods=api),
        Fault("delay", seconds=SOURCE_TIMEOUT + 1, probability=each, seed=seed + 3, methods=api),
        Fault("malformed_json", probability=each, seed=seed + 4, methods=api),
        Fault("hang", probability=each, seed=seed + 5, methods=api),
    ]


def _serve(share: float) -> None:
    """Every mock source on free ports; prints the URL map as one JSON line, then, for each
    line read, what the faults injected (``{instance: {tag: [kind, ...]}}``) and the server's
    event-loop lag."""
    from brondata.mock._serve import serve
    from brondata.testing import MockSources

    # Faults of their own per instance, so that an injection names its instance.
    faults = {
        name: _faults(share, 10 * index) for index, name in enumerate(MockSources.source_names())
    }

    def injected() -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for name, planned in faults.items():
            for fault in planned:
                for tag, count in fault.injected.items():
                    out.setdefault(name, {}).setdefault(tag, []).extend([fault.kind] * count)
        return out

    lag = _LoopLag()

    async def answer() -> None:
        stdin = anyio.wrap_file(sys.stdin)
        async for _ in stdin:
            print(json.dumps({"injected": injected(), "lag": lag.figures()}), flush=True)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(answer)
            group.start_soon(lag.watch)
            await serve(
                port=0,
                seed=SEED,
                faults=faults,
                on_ready=lambda urls: print(json.dumps(urls), flush=True),
            )

    anyio.run(main)


# --- a gateway worker --------------------------------------------------------------------------


def _patch_for_counting(counts: Counter[str]) -> None:
    """Tag every request with the session and count the retries that recovered."""
    from brondata.connectors._retry import RetryingTransport
    from brondata.mock._faults import FAULT_TAG_HEADER

    handle = RetryingTransport.handle_async_request

    async def tagged(self: RetryingTransport, request: Any) -> Any:
        tag = _tag.get()
        if tag is not None:
            request.headers[FAULT_TAG_HEADER] = tag
        before = self.retries
        response = await handle(self, request)
        if self.retries > before and response.status_code < 400:
            counts["recovered"] += 1
        return response

    RetryingTransport.handle_async_request = tagged  # type: ignore[method-assign]


def _count_appends(ledger: Any, counts: Counter[str]) -> None:
    """Count the entries the ledger says it appended (``append``, and ``append_unit`` where
    a step's events commit with its session), from whichever thread appends them."""
    lock = threading.Lock()
    kind = type(ledger)

    def counting(method: Any, entries: Any) -> Any:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            done = method(self, *args, **kwargs)
            with lock:
                counts["appended"] += entries(done)
            return done

        return counted

    kind.append = counting(kind.append, lambda entry: 1)
    if hasattr(kind, "append_unit"):
        kind.append_unit = counting(kind.append_unit, len)


def _gateway(config: Mapping[str, Any], connectors: Mapping[str, Any]) -> Any:
    from brondata import Gateway
    from brondata._secrets import GatewaySecrets
    from brondata.records import FileKeyStore
    from brondata.stores import open_stores

    options = {"source_timeout": SOURCE_TIMEOUT, "max_collections": config["max_collections"]}
    if config.get("dsn") is None:
        return Gateway.embedded(connectors, path=config["db"], **options)
    keys = Path(config["keys"])
    secrets = GatewaySecrets.load_or_create(keys / "secrets.json")
    stores = open_stores(config["dsn"], schema=config["schema"], max_connections=16)
    return Gateway(
        issuer="https://lender.example",
        connectors=connectors,
        redirect_uri="https://lender.example/callback/{source}",
        ledger=stores.ledger,
        sessions=stores.sessions,
        keyring=stores.keyring,
        signing_key=FileKeyStore(keys / "signing"),
        store_key=secrets.store_key,
        pseudonym_key=secrets.pseudonym_key,
        owned=[stores, *connectors.values()],
        **options,
    )


async def _work(config: dict[str, Any]) -> None:
    """Answer the driver's commands (one JSON line each, at once, concurrently) on stdout."""
    import httpx2

    from bench._flows import mortgage_sources
    from brondata import sources as source_kinds
    from brondata.errors import BrondataError, ConsumerLoginError
    from brondata.testing import RemoteSources

    counts = Counter[str]()
    _patch_for_counting(counts)
    remote = RemoteSources(config["urls"], seed=SEED, timeout=SOURCE_TIMEOUT)
    people = [p for p in remote.population.people(400) if p.accounts][:200]
    touched: set[str] = set()
    lock = anyio.Lock()

    async def reply(message: dict[str, Any]) -> None:
        async with lock:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    async def start(gateway: Any, n: int, failed: dict[str, str]) -> str:
        person = people[n % len(people)]
        session = await gateway.start(mortgage_sources(), f"soak-{n}")
        touched.add(session.id)
        await gateway.give_consent(session.id)
        async with remote.browser() as browser:
            for source in session.sources:
                try:
                    url = await gateway.login_url(session.id, source)
                    try:
                        callback = await browser.authorize(
                            url, username=person.username, password=person.password
                        )
                    except httpx2.TransportError as exc:
                        # The consumer's browser gave up (the harness, not the gateway).
                        failed[source] = f"browser {type(exc).__name__}"
                        continue
                    await gateway.callback(session.id, source, callback)
                except ConsumerLoginError as exc:
                    # Not the person's bank: a consumer leaves it, the kind's other stays.
                    kind = source_kinds.kind_of(source)
                    if sum(source_kinds.kind_of(s) == kind for s in session.sources) < 2:
                        # What the page said (after the URL, which holds a port).
                        failed[source] = f"login consumer_login ({str(exc).rsplit(': ', 1)[-1]})"
                except BrondataError as exc:
                    failed[source] = f"login {exc.code}"
        return str(session.id)

    async def collect(gateway: Any, session_id: str, failed: dict[str, str]) -> None:
        from brondata.stores import off_loop

        touched.add(session_id)
        record = await off_loop(gateway.session, session_id)
        if not any(p.state.value == "authorised" for p in record.sources.values()):
            return  # every login failed: nothing to collect
        result = await gateway.collect(session_id)
        for source, error in result.errors.items():
            if source in failed or error.code == "authorization_error":
                continue  # its login failed (noted), or a bank not the person's
            failed[source] = f"collect {error.code}"

    async def handle(gateway: Any, command: dict[str, Any]) -> None:
        n = command["n"]
        _tag.set(f"soak-{n}")
        failed: dict[str, str] = {}
        out: dict[str, Any] = {"n": n}
        try:
            session_id = command.get("session")
            if session_id is None:
                session_id = out["session"] = await start(gateway, n, failed)
            if command["op"] != "start":
                await collect(gateway, session_id, failed)
        except BrondataError as exc:
            failed["(session)"] = f"session {exc.code}"
        except Exception as exc:  # the figure that must stay 0
            out["untyped"] = f"{type(exc).__name__}: {exc}"[:200]
        out["failed"] = failed
        await reply(out)

    async def pending_left(gateway: Any) -> int:
        from brondata.stores import off_loop

        left = 0
        for session_id in touched:
            record = await off_loop(gateway.sessions.get, session_id)
            left += len(record.pending)
        return left

    gateway = _gateway(config, remote.connectors())
    _count_appends(gateway.ledger, counts)
    lag = _LoopLag()
    async with gateway, anyio.create_task_group() as group:
        group.start_soon(lag.watch)
        stdin = anyio.wrap_file(sys.stdin)
        async for line in stdin:
            command = json.loads(line)
            if command["op"] == "stats":
                break
            group.start_soon(handle, gateway, command)
        # The driver asks for the figures once every answer is in.
        await reply(
            {
                "stats": True,
                "recovered": counts["recovered"],
                "appended": counts["appended"],
                "pending_left": await pending_left(gateway),
                "ledger_size": gateway.log.size(),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "loop_lag": lag.figures(),
            }
        )
        group.cancel_scope.cancel()


# --- the driver --------------------------------------------------------------------------------


class _Child:
    """A child process spoken to in JSON lines."""

    def __init__(self, process: Process) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self.process = process
        self._in = process.stdin
        self._out = BufferedByteReceiveStream(process.stdout)

    async def send(self, message: Any) -> None:
        await self._in.send((json.dumps(message) + "\n").encode())

    async def receive(self) -> Any:
        return json.loads(await self._out.receive_until(b"\n", MAX_LINE))


async def _child(*args: str) -> _Child:
    process = await anyio.open_process(
        [sys.executable, "-m", "bench.soak", *args], stdin=subprocess.PIPE, stderr=None
    )
    return _Child(process)


async def _drive(
    workers: list[_Child], sessions: int, concurrency: int, handoff: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Send the sessions to the workers, ``concurrency`` at a time; their answers and stats."""
    waiting: dict[tuple[int, int], anyio.Event] = {}
    answers: dict[tuple[int, int], dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    handed = 0

    async def listen(index: int) -> None:
        while True:
            message = await workers[index].receive()
            if message.get("stats"):
                answers[(index, -1)] = message
                return
            answers[(index, message["n"])] = message
            waiting.pop((index, message["n"])).set()

    async def ask(index: int, command: dict[str, Any]) -> dict[str, Any]:
        key = (index, command["n"])
        waiting[key] = event = anyio.Event()
        await workers[index].send(command)
        await event.wait()
        return answers.pop(key)

    limiter = anyio.CapacityLimiter(concurrency)

    async def one(n: int) -> None:
        nonlocal handed
        async with limiter:
            here = n % len(workers)
            if len(workers) > 1 and handoff and n % handoff == 0:
                started = await ask(here, {"op": "start", "n": n})
                if "session" in started and not started.get("untyped"):
                    handed += 1
                    other = (here + 1) % len(workers)
                    collected = await ask(other, {"op": "collect", "n": n, **started})
                    collected["failed"] = {**started["failed"], **collected["failed"]}
                    started = collected
                done.append(started)
                return
            done.append(await ask(here, {"op": "all", "n": n}))

    async with anyio.create_task_group() as outer:
        for index in range(len(workers)):
            outer.start_soon(listen, index)
        async with anyio.create_task_group() as group:
            for n in range(sessions):
                group.start_soon(one, n)
        for worker in workers:
            await worker.send({"op": "stats", "n": -1})
    stats = [answers[(index, -1)] for index in range(len(workers))]
    return done, stats, handed


def _classify(
    done: list[dict[str, Any]], injected: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, Any]:
    """Each failed source of each session against the faults injected there and then."""
    outcome = Counter[str]()
    unfaulted = Counter[str]()
    faulted_codes = Counter[str]()
    untyped: list[str] = []
    for answer in done:
        tag = f"soak-{answer['n']}"
        if "untyped" in answer:
            untyped.append(answer["untyped"])
            continue
        failed: dict[str, str] = answer["failed"]
        if not failed:
            outcome["complete"] += 1
            continue
        clean = True
        for source, code in failed.items():
            # An instance's own faults; a kind's error (its mapping) or the session's (a
            # failure before any source was named) is faulted if one of its sources was.
            hit = [
                name
                for name, tags in injected.items()
                if tag in tags
                and (name == source or name.split(".")[0] == source or source == "(session)")
            ]
            if hit:
                faulted_codes[code] += 1
            else:
                clean = False
                unfaulted[f"{source} {code}"] += 1
        outcome["failed only at faulted sources" if clean else "failed at an unfaulted source"] += 1
    return {
        "complete": outcome["complete"],
        "failed_only_at_faulted_sources": outcome["failed only at faulted sources"],
        "failed_at_unfaulted_sources": outcome["failed at an unfaulted source"],
        "unfaulted_failures": dict(unfaulted.most_common()),
        "faulted_failure_codes": dict(faulted_codes.most_common()),
        "untyped_exceptions": len(untyped),
        "untyped_kinds": sorted(set(untyped))[:10],
    }


def _audit(db: str, work: Path, schema: str | None) -> str:
    key = work / "log.key"
    cli = [sys.executable, "-m", "brondata.cli"]
    export = ["audit", "export", "--db", db, "--out", str(work / "export"), "--key", str(key)]
    steps = [
        ["audit", "keygen", "--name", "lender.example/log", "--key", str(key)],
        [*export, *(["--schema", schema] if schema else [])],
        ["audit", "verify", str(work / "export")],
    ]
    for step in steps:
        done = subprocess.run([*cli, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"failed at {step[1]}: {done.stdout.strip()} {done.stderr.strip()}"[:300]
    return "ok"


async def _soak(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    server = await _child("--serve", "--faults", str(args.faults))
    try:
        urls = await server.receive()
        config: dict[str, Any] = {"urls": urls, "max_collections": args.max_collections}
        schema = None
        if args.postgres:
            from brondata._secrets import GatewaySecrets
            from brondata.records import FileKeyStore

            schema = f"soak_{os.getpid()}_{int(time.time())}"
            GatewaySecrets.load_or_create(work / "keys" / "secrets.json")
            FileKeyStore(work / "keys" / "signing").generate("ES256")
            config |= {"dsn": args.postgres, "schema": schema, "keys": str(work / "keys")}
            count = 2
        else:
            config["db"] = str(work / "soak.db")
            count = 1
        workers = [await _child("--work", json.dumps(config)) for _ in range(count)]
        began = time.monotonic()
        done, stats, handed = await _drive(workers, args.sessions, args.concurrency, args.handoff)
        took = time.monotonic() - began
        for worker in workers:
            await worker.process.wait()
        await server.send("injected")
        dump = await server.receive()
        injected = dump["injected"]
    finally:
        # Requests held by "hang" faults keep a graceful shutdown waiting: end it.
        server.process.kill()
        await server.process.wait()
    figures: dict[str, Any] = {
        "variant": "two gateway processes, PostgreSQL" if args.postgres else "embedded, SQLite",
        "sessions": args.sessions,
        "concurrency": args.concurrency,
        "max_collections": args.max_collections,
        "handed_over": handed,
        **_classify(done, injected),
        "faults_injected": sum(len(k) for tags in injected.values() for k in tags.values()),
        "faults_recovered_by_retry": sum(s["recovered"] for s in stats),
        "ledger_expected": sum(s["appended"] for s in stats),
        "ledger_present": stats[0]["ledger_size"],
        "events_left_pending": sum(s["pending_left"] for s in stats),
        "audit_verify": _audit(args.postgres or config["db"], work, schema),
        "peak_rss_mb_workers": [s["peak_rss_mb"] for s in stats],
        "loop_lag_workers": [s["loop_lag"] for s in stats],
        "loop_lag_mock_server": dump["lag"],
        "peak_rss_mb_driver": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "wall_s": round(took),
    }
    if args.postgres and schema:
        _drop(args.postgres, schema)
    return figures


def _drop(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--faults", type=float, default=0.05, help="share of API requests")
    parser.add_argument("--postgres", metavar="DSN", help="two gateway processes on this DB")
    parser.add_argument("--handoff", type=int, default=4, help="every n-th: start A, collect B")
    parser.add_argument("--max-collections", type=int, default=64, help="each gateway's admission")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.faults)
        return
    if args.work:
        anyio.run(_work, json.loads(args.work))
        return
    with tempfile.TemporaryDirectory() as tmp:
        figures = anyio.run(_soak, args, Path(tmp))
    print_table("soak", [(k, str(v)) for k, v in figures.items()])
    print(json.dumps(figures), file=sys.stderr if os.environ.get("SOAK_QUIET") else sys.stdout)


if __name__ == "__main__":
    main()
