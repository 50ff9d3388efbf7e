"""The consent ledger: what the Merkle tree, sealing and the append-only discipline cost.

* appends per second through ``ConsentLog`` (the subject sealed under its key) with one
  writer, four writer threads of one process (sharing one ledger, as a gateway's sessions do:
  their appends meet in the group commit) and four writer processes, next to a bare INSERT of
  the same bytes with the same durability (one transaction per row, each writer its own
  connection); then four processes with eight appends in flight each (eight threads sharing
  the process's ledger, as an instance's sessions do; bare: eight connections each). A writer
  thread appends synchronously, so it has one append in flight: with four of them a batch
  holds at most four, and only the last configuration gives group commit more to batch. All
  of it for SQLite (``synchronous=FULL``, the default) and PostgreSQL (skipped, with the
  reason, when no server answers ``BRONDATA_TEST_DSN``). Ledger and bare runs alternate,
  ``ROUNDS`` times; the table gives the median and best rate of each and the ratio of the
  medians;
* an inclusion proof at 1k, 100k and 1M entries, from SQLite: O(log n) stored nodes, so the
  sizes should cost about the same. The 1M-entry ledger is bulk-loaded (entries and every
  complete subtree hash computed in memory and inserted in one transaction, the append-only
  triggers dropped while loading and restored by reopening): appending a million entries
  one durable transaction at a time would take ten minutes and measure nothing new; the
  export then recomputes the root from the entries and refuses a tree that differs;
* ``audit_verify`` of an export: wall time, and peak memory as the peak RSS of a fresh
  process that does nothing else (tracemalloc is also given at 100k).

The million-entry part adds about two minutes and ~1 GB of temporary disk; it runs when
``BRONDATA_BENCH_FULL=1``. Without it the same measurements are made at 100k entries.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench._util import print_table
from brondata.consent import (
    ConsentLedger,
    ConsentLog,
    LogSigner,
    SqliteLedger,
    SqliteSubjectKeyring,
    audit_verify,
    export,
    leaf_hash,
    node_hash,
    seal_subject,
)

# Appends per measurement (one writer, or shared by the writers). 300 keeps ``make bench``
# within its ten minutes while PostgreSQL appends run at tens to hundreds a second on the
# shared machine (1,000 took three of them); the rounds still alternate with the baseline.
APPENDS = 1000 if os.environ.get("BRONDATA_BENCH_FULL") == "1" else 300
WRITERS = 4
# Appends in flight per writer process in the last configuration (sessions of one instance).
IN_FLIGHT = 8
ROUNDS = 3
BIG = 100_000
FULL = 1_000_000
PROOFS = 500
DSN = os.environ.get("BRONDATA_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DIGEST = "sha-256:" + "ab" * 32
AT = "2026-03-01T09:30:00Z"

TERMS: dict[str, Any] = {
    "purpose": "dpv:CreditChecking",
    "purpose_text": "Beoordeling van uw hypotheekaanvraag",
    "legal_basis": "dpv:Consent",
    "attributes": ["bank.balance_total", "income.gross_annual"],
    "sources": ["bank"],
    "recipient": "Voorbeeld Hypotheken B.V.",
    "retention_days": 30,
    "controller": "Voorbeeld Hypotheken B.V.",
    "categories": ["dpv-pd:BankAccount", "dpv-pd:Income"],
}
_DATA: dict[str, Any] = {"source": "bank", "attributes": ["bank.balance_total"]}
# Whole consent sessions (requested, given, retrieved, delivered, withdrawn), repeated.
FLOW: list[tuple[str, dict[str, Any]]] = [
    ("consent.requested", TERMS),
    ("consent.given", TERMS),
    ("data.retrieved", {**_DATA, "response_digest": DIGEST}),
    ("data.delivered", {**_DATA, "record_digest": DIGEST}),
    ("consent.withdrawn", {}),
]


def subject(session: int) -> str:
    # Two sessions per subject, as a consumer who comes back.
    return f"sub-{session // 2:032x}"


def appends(n: int, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event, fields)`` for ``ConsentLog.append``: whole sessions, subjects in clear."""
    for i in range(n):
        session = i // len(FLOW)
        kind, fields = FLOW[i % len(FLOW)]
        yield (
            kind,
            {
                **fields,
                "at": AT,
                "subject": subject(session),
                "session_id": f"ses_{prefix}{session}",
                "consent_id": f"con_{prefix}{session}",
            },
        )


def entry_stream(n: int) -> Iterator[bytes]:
    """The canonical bytes of ``n`` sealed entries, as ``ConsentLog`` writes them, built
    without the model (the audit parses and checks every one of them afterwards)."""
    keys: dict[str, tuple[str, bytes]] = {}
    for i in range(n):
        session = i // len(FLOW)
        kind, fields = FLOW[i % len(FLOW)]
        who = subject(session)
        if who not in keys:
            keys.clear()  # subjects come in order: one live key at a time is enough
            keys[who] = ("key-" + hashlib.sha256(who.encode()).hexdigest()[:32], os.urandom(32))
        key_id, key = keys[who]
        ids = {"session_id": f"ses_{session}", "consent_id": f"con_{session}"}
        sealed = seal_subject(key, who, event=kind, at=AT, key_id=key_id, **ids)
        obj = {
            **fields,
            **ids,
            "event": kind,
            "at": AT,
            "subject_key": key_id,
            "subject_sealed": sealed,
            "index": i,
        }
        yield json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


# --- writers -----------------------------------------------------------------------------------


def _open_log(backend: str, target: str, schema: str, connections: int = 1) -> ConsentLog:
    if backend == "sqlite":
        sqlite = SqliteLedger(target)
        return ConsentLog(sqlite, SqliteSubjectKeyring(target, ledger=sqlite))
    from brondata.consent import PostgresLedger, PostgresSubjectKeyring

    ledger = PostgresLedger(target, schema=schema, max_connections=connections)
    return ConsentLog(
        ledger,
        PostgresSubjectKeyring(target, schema=schema, max_connections=connections, ledger=ledger),
    )


def _bare_insert(backend: str, target: str, schema: str) -> tuple[Callable[[bytes], None], Any]:
    """An insert of one row per transaction on a connection of its own, and that connection."""
    if backend == "sqlite":
        conn = sqlite3.connect(target, isolation_level=None, timeout=60, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")

        def insert(blob: bytes) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bare (entry) VALUES (?)", (blob,))
            conn.execute("COMMIT")

        return insert, conn
    import psycopg
    from psycopg import sql

    pg = psycopg.connect(target, autocommit=True)
    statement = sql.SQL("INSERT INTO {}.bare (entry) VALUES (%s)").format(sql.Identifier(schema))

    def insert_pg(blob: bytes) -> None:
        pg.execute(statement, (blob,))

    return insert_pg, pg


def _writer(
    kind: str,
    backend: str,
    target: str,
    schema: str,
    worker: int,
    n: int,
    barrier: Any,
    out: Any,
    in_flight: int = 1,
) -> None:
    """One writer process: prepares, waits for the others, writes ``n`` rows from
    ``in_flight`` threads (the ledger shared by them, as one instance's sessions share it;
    bare inserts each on a connection of its own), reports when."""
    per_thread = n // in_flight
    tag = f"p{worker}_{time.monotonic_ns()}_"
    jobs: list[Callable[[], None]] = []
    closers: list[Any] = []
    if kind == "ledger":
        log = _open_log(backend, target, schema, connections=min(in_flight, 2))
        closers.append(log)

        def appender(batch: list[tuple[str, dict[str, Any]]]) -> Callable[[], None]:
            def run() -> None:
                for event, fields in batch:
                    log.append(event, **fields)  # type: ignore[arg-type]

            return run

        jobs = [appender(list(appends(per_thread, f"{tag}{t}_"))) for t in range(in_flight)]
    else:

        def inserter(insert: Callable[[bytes], None], blobs: list[bytes]) -> Callable[[], None]:
            def run() -> None:
                for blob in blobs:
                    insert(blob)

            return run

        for _ in range(in_flight):
            insert, conn = _bare_insert(backend, target, schema)
            closers.append(conn)
            jobs.append(inserter(insert, list(entry_stream(per_thread))))
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    barrier.wait()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for closer in closers:
        closer.close()
    if errors:
        raise errors[0]
    out.put(time.monotonic())  # CLOCK_MONOTONIC: one clock for every process on the host


def _processes(
    kind: str, backend: str, target: str, schema: str, total: int, in_flight: int = 1
) -> float:
    """Rows per second of ``WRITERS`` processes writing at once, from the common start, each
    with ``in_flight`` rows in flight."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS + 1)
    out = ctx.Queue()
    per_writer = total // WRITERS
    procs = [
        ctx.Process(
            target=_writer,
            args=(kind, backend, target, schema, w, per_writer, barrier, out, in_flight),
        )
        for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)  # a writer that died before it got here breaks the barrier
    start = time.monotonic()
    ends: list[float] = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a {kind} writer failed ({p.exitcode})")
    return WRITERS * (per_writer // in_flight) * in_flight / (max(ends) - start)


def _threads(kind: str, backend: str, target: str, schema: str, total: int, writers: int) -> float:
    """Rows per second of ``writers`` threads of this process writing at once: the ledger
    shared (one ``ConsentLog``, as one gateway's sessions share it), bare inserts each on a
    connection of their own."""
    per_writer = total // writers
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []
    tag = time.monotonic_ns()
    log = _open_log(backend, target, schema, connections=writers) if kind == "ledger" else None
    closers: list[Any] = []

    def run(worker: int) -> None:
        try:
            if log is not None:
                batch = list(appends(per_writer, f"t{worker}_{tag}_"))
                barrier.wait()
                for event, fields in batch:
                    log.append(event, **fields)  # type: ignore[arg-type]
            else:
                insert, conn = _bare_insert(backend, target, schema)
                closers.append(conn)
                blobs = list(entry_stream(per_writer))
                barrier.wait()
                for blob in blobs:
                    insert(blob)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    workers = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in workers:
        t.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - start
    if log is not None:
        log.close()
    for conn in closers:
        conn.close()
    if errors:
        raise errors[0]
    return writers * per_writer / seconds


def _rates(
    backend: str, ledger_target: str, bare_target: str, schema: str
) -> dict[str, dict[str, Any]]:
    """Ledger vs bare INSERT at 1 writer, 4 threads and 4 processes, interleaved rounds."""
    configs: dict[str, Callable[[str, str], float]] = {
        "1_writer": lambda kind, target: _threads(kind, backend, target, schema, APPENDS, 1),
        f"{WRITERS}_threads": lambda kind, target: _threads(
            kind, backend, target, schema, APPENDS, WRITERS
        ),
        f"{WRITERS}_processes": lambda kind, target: _processes(
            kind, backend, target, schema, APPENDS
        ),
        # As above, but as instances serving many sessions at once: each process has
        # ``IN_FLIGHT`` appends in flight (bare: as many connections), which is what group
        # commit can batch; the rows above have one in flight per writer.
        f"{WRITERS}_processes_{IN_FLIGHT}_in_flight": lambda kind, target: _processes(
            kind, backend, target, schema, APPENDS, IN_FLIGHT
        ),
    }
    samples: dict[str, dict[str, list[float]]] = {
        name: {"ledger": [], "bare": []} for name in configs
    }
    for _ in range(ROUNDS):
        for name, measure in configs.items():
            samples[name]["ledger"].append(measure("ledger", ledger_target))
            samples[name]["bare"].append(measure("bare", bare_target))
    out: dict[str, dict[str, Any]] = {}
    for name, by_kind in samples.items():
        ledger, bare = by_kind["ledger"], by_kind["bare"]
        out[name] = {
            "ledger_appends_per_s": {
                "median": round(statistics.median(ledger)),
                "best": round(max(ledger)),
            },
            "bare_inserts_per_s": {
                "median": round(statistics.median(bare)),
                "best": round(max(bare)),
            },
            "ratio_of_medians": round(statistics.median(ledger) / statistics.median(bare), 2),
        }
    return out


# --- appends ----------------------------------------------------------------------------------


def bench_sqlite_appends(tmp: Path) -> dict[str, Any]:
    ledger = tmp / "ledger.db"
    _open_log("sqlite", str(ledger), "").close()
    bare = tmp / "bare.db"
    conn = sqlite3.connect(bare, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE bare (idx INTEGER PRIMARY KEY, entry BLOB)")
    conn.close()
    out: dict[str, Any] = {"appends": APPENDS, "synchronous": "FULL", "rounds": ROUNDS}
    out.update(_rates("sqlite", str(ledger), str(bare), ""))
    with SqliteLedger(ledger) as check:
        in_flight_rows = WRITERS * (APPENDS // WRITERS // IN_FLIGHT) * IN_FLIGHT
        assert check.size() == ROUNDS * (3 * APPENDS + in_flight_rows), check.size()
    return out


def bench_postgres_appends() -> dict[str, Any]:
    try:
        import psycopg
        from psycopg import sql

        with psycopg.connect(DSN, connect_timeout=5):
            pass
    except Exception as exc:
        return {"skipped": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    schema = f"brondata_bench_{os.getpid()}"
    ident = sql.Identifier(schema)
    try:
        _open_log("postgres", DSN, schema).close()
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.bare (idx bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                    " entry bytea NOT NULL)"
                ).format(ident)
            )
        out: dict[str, Any] = {"appends": APPENDS, "rounds": ROUNDS}
        out.update(_rates("postgres", DSN, DSN, schema))
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(ident))
    return out


# --- proofs and audit at scale ----------------------------------------------------------------

_TRIGGERS = (
    "ledger_entries_no_update",
    "ledger_entries_no_delete",
    "ledger_entries_next_only",
    "ledger_nodes_no_update",
    "ledger_nodes_no_delete",
    "ledger_nodes_no_replace",
)


def bulk_load(path: Path, n: int) -> float:
    """A SQLite ledger of ``n`` sealed entries with its stored tree; returns seconds taken."""
    start = time.perf_counter()
    SqliteLedger(path).close()  # the tables
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        for name in _TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("BEGIN")
        # Every complete subtree: a node whose index is odd is a right child, completed now;
        # ``left[level]`` holds the left sibling it waits for.
        left: dict[int, bytes] = {}
        nodes: list[tuple[int, int, bytes]] = []
        entries: list[tuple[int, bytes, bytes, str]] = []
        for i, data in enumerate(entry_stream(n)):
            h = leaf_hash(data)
            entries.append((i, data, h, AT))
            nodes.append((0, i, h))
            level, idx = 0, i
            while idx % 2 == 1:
                h = node_hash(left[level], h)
                level, idx = level + 1, idx // 2
                nodes.append((level, idx, h))
            left[level] = h
            if len(entries) >= 50_000:
                _flush(conn, entries, nodes)
        _flush(conn, entries, nodes)
        conn.execute("COMMIT")
    finally:
        conn.close()
    SqliteLedger(path).close()  # the triggers again
    return time.perf_counter() - start


def _flush(
    conn: sqlite3.Connection,
    entries: list[tuple[int, bytes, bytes, str]],
    nodes: list[tuple[int, int, bytes]],
) -> None:
    conn.executemany("INSERT INTO ledger_entries VALUES (?, ?, ?, ?)", entries)
    conn.executemany("INSERT INTO ledger_nodes VALUES (?, ?, ?)", nodes)
    entries.clear()
    nodes.clear()


def _proof_us(ledger: ConsentLedger, size: int) -> float:
    step = max(1, size // PROOFS)
    times = []
    for index in range(0, size, step):
        start = time.perf_counter()
        ledger.inclusion_proof(index, size)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e6, 1)


_VERIFY = """
import json, resource, sys, time
from brondata.consent import audit_verify
start = time.perf_counter()
report = audit_verify(sys.argv[1], vkey=sys.argv[2])
seconds = time.perf_counter() - start
print(json.dumps({
    "ok": report.ok, "seconds": seconds, "consents": report.consents,
    "findings": [f.to_dict() for f in report.findings[:3]],
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
}))
"""


def verify_in_fresh_process(folder: Path, vkey: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _VERIFY, str(folder), vkey],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["ok"], result["findings"]
    return result


def bench_scale(tmp: Path, n: int, *, with_tracemalloc: bool) -> dict[str, Any]:
    path = tmp / f"ledger-{n}.db"
    load_s = bulk_load(path, n)
    signer = LogSigner.generate("bench.example/consent-ledger")
    with SqliteLedger(path) as ledger:
        proofs = {
            f"{size // 1000}k_us" if size < 1_000_000 else f"{size // 1_000_000}M_us": _proof_us(
                ledger, size
            )
            for size in (1000, 100_000, 1_000_000)
            if size <= n
        }
        start = time.perf_counter()
        export(ledger, tmp / f"export-{n}", signer)
        export_s = time.perf_counter() - start
    verified = verify_in_fresh_process(tmp / f"export-{n}", signer.vkey())
    out: dict[str, Any] = {
        "entries": n,
        "bulk_load_s": round(load_s, 1),
        "inclusion_proof_median": proofs,
        "export_s": round(export_s, 1),
        "audit_verify_s": round(verified["seconds"], 1),
        # CPU time too: on a loaded machine the wall time mostly measures the neighbours.
        "audit_verify_cpu_s": round(verified["cpu_s"], 1),
        "audit_verify_entries_per_s": _rate(n, verified["seconds"]),
        "audit_verify_peak_rss_mib": round(verified["peak_rss_kib"] / 1024, 1),
        "audit_verify_consents": verified["consents"],
        "export_mib": round(
            sum(p.stat().st_size for p in (tmp / f"export-{n}").iterdir()) / 2**20, 1
        ),
    }
    if with_tracemalloc:
        tracemalloc.start()
        try:
            audit_verify(tmp / f"export-{n}", vkey=signer.vkey())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out["audit_verify_tracemalloc_peak_mib"] = round(peak / 2**20, 2)
    path.unlink()
    return out


def run() -> dict[str, Any]:
    full = os.environ.get("BRONDATA_BENCH_FULL") == "1"
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        results: dict[str, Any] = {
            "sqlite": bench_sqlite_appends(tmp),
            "postgres": bench_postgres_appends(),
            "scale_100k": bench_scale(tmp, BIG, with_tracemalloc=True),
        }
        if full:
            results["scale_1M"] = bench_scale(tmp, FULL, with_tracemalloc=False)
        else:
            results["scale_1M"] = {"skipped": "set BRONDATA_BENCH_FULL=1 (a few minutes)"}
    rows = [
        (f"{section}.{key}", str(value))
        for section, values in results.items()
        for key, value in values.items()
    ]
    print_table("consent ledger", rows)
    return results


def run_appends() -> dict[str, Any]:
    """The append figures alone (``python -m bench.bench_ledger appends``)."""
    with tempfile.TemporaryDirectory() as name:
        results = {"sqlite": bench_sqlite_appends(Path(name)), "postgres": bench_postgres_appends()}
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    run_appends() if sys.argv[1:] == ["appends"] else run()
