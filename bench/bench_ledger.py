"""The consent ledger: what the Merkle tree and the append-only discipline cost.

* appends per second, one writer, next to a bare INSERT of the same bytes with the same
  durability (one transaction per row): SQLite (``synchronous=FULL``, the default, and
  ``NORMAL``) and PostgreSQL (skipped, with the reason, when no server answers
  ``BRONDATA_TEST_DSN``);
* an inclusion proof at 1k and 100k entries, from SQLite and from memory: O(log n) stored
  nodes, so the two sizes should cost about the same;
* ``audit_verify`` of a 100k-entry export: wall time, and peak memory under tracemalloc.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from bench._util import print_table
from brondata.consent import (
    ConsentLedger,
    LedgerEvent,
    LogSigner,
    MemoryLedger,
    SqliteLedger,
    audit_verify,
    entry_bytes,
    export,
)

APPENDS = 2000
BIG = 100_000
PROOFS = 500
DSN = os.environ.get("BRONDATA_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DIGEST = "sha-256:" + "ab" * 32


def events(n: int) -> Iterator[LedgerEvent]:
    """Whole consent sessions (requested, given, retrieved, delivered, withdrawn), repeated."""
    common = {"at": "2026-03-01T09:30:00Z", "subject": "psn_7f3a9c4e"}
    terms = {
        "purpose": "dpv:CreditChecking",
        "legal_basis": "dpv:Consent",
        "attributes": ["bank.balance_total", "income.gross_annual"],
        "sources": ["bank"],
        "recipient": "Voorbeeld Hypotheken B.V.",
        "retention_days": 30,
    }
    data = {"source": "bank", "attributes": ["bank.balance_total"]}
    flow: list[dict[str, Any]] = [
        {"event": "consent.requested", **terms},
        {"event": "consent.given", **terms},
        {"event": "data.retrieved", **data, "response_digest": DIGEST},
        {"event": "data.delivered", **data, "record_digest": DIGEST},
        {"event": "consent.withdrawn"},
    ]
    for i in range(n):
        session = i // len(flow)
        yield LedgerEvent.model_validate(
            {
                **flow[i % len(flow)],
                **common,
                "session_id": f"ses_{session}",
                "consent_id": f"con_{session}",
            }
        )


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1)


def _time_appends(ledger: ConsentLedger, batch: list[LedgerEvent]) -> float:
    start = time.perf_counter()
    for event in batch:
        ledger.append(event)
    return time.perf_counter() - start


def _bare_sqlite(path: Path, blobs: list[bytes], synchronous: str) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE bare (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL)")
        start = time.perf_counter()
        for i, blob in enumerate(blobs):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bare VALUES (?, ?)", (i, blob))
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def bench_sqlite_appends(tmp: Path) -> dict[str, Any]:
    batch = list(events(APPENDS))
    blobs = [entry_bytes(e, i) for i, e in enumerate(batch)]
    out: dict[str, Any] = {"appends": APPENDS}
    modes: tuple[Literal["FULL", "NORMAL"], ...] = ("FULL", "NORMAL")
    for sync in modes:
        with SqliteLedger(tmp / f"ledger-{sync}.db", synchronous=sync) as ledger:
            ledger_s = _time_appends(ledger, batch)
        bare_s = _bare_sqlite(tmp / f"bare-{sync}.db", blobs, sync)
        out[sync.lower()] = {
            "ledger_appends_per_s": _rate(APPENDS, ledger_s),
            "bare_inserts_per_s": _rate(APPENDS, bare_s),
            "ratio": round(bare_s / ledger_s, 2),
        }
    return out


def bench_postgres_appends() -> dict[str, Any]:
    try:
        import psycopg
        from psycopg import sql

        from brondata.consent import PostgresLedger

        with psycopg.connect(DSN, connect_timeout=5):
            pass
    except Exception as exc:
        return {"skipped": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    n = APPENDS // 2
    batch = list(events(n))
    blobs = [entry_bytes(e, i) for i, e in enumerate(batch)]
    schema = f"brondata_bench_{os.getpid()}"
    try:
        with PostgresLedger(DSN, schema=schema, max_connections=1) as ledger:
            ledger_s = _time_appends(ledger, batch)
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.bare (idx bigint PRIMARY KEY, entry bytea NOT NULL)"
                ).format(sql.Identifier(schema))
            )
            insert = sql.SQL("INSERT INTO {}.bare VALUES (%s, %s)").format(sql.Identifier(schema))
            start = time.perf_counter()
            for i, blob in enumerate(blobs):
                conn.execute(insert, (i, blob))
            bare_s = time.perf_counter() - start
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    return {
        "appends": n,
        "ledger_appends_per_s": _rate(n, ledger_s),
        "bare_inserts_per_s": _rate(n, bare_s),
        "ratio": round(bare_s / ledger_s, 2),
    }


def _proof_us(ledger: ConsentLedger, size: int) -> float:
    step = max(1, size // PROOFS)
    times = []
    for index in range(0, size, step):
        start = time.perf_counter()
        ledger.inclusion_proof(index, size)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e6, 1)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_proofs_and_audit(tmp: Path) -> dict[str, Any]:
    memory = MemoryLedger()
    # Bulk loading with synchronous=NORMAL: durability is not what is measured here.
    with SqliteLedger(tmp / "big.db", synchronous="NORMAL") as ledger:

        def load() -> None:
            for event in events(BIG):
                ledger.append(event)
                memory.append(event)

        _, load_s = _timed(load)
        proofs = {
            "sqlite_1k_us": _proof_us(ledger, 1000),
            "sqlite_100k_us": _proof_us(ledger, BIG),
            "memory_1k_us": _proof_us(memory, 1000),
            "memory_100k_us": _proof_us(memory, BIG),
        }
        signer = LogSigner.generate("bench.example/consent-ledger")
        _, export_s = _timed(lambda: export(ledger, tmp / "export", signer))
    vkey = signer.vkey()
    report, verify_s = _timed(lambda: audit_verify(tmp / "export", vkey=vkey))
    assert report.ok, report.findings[:3]
    tracemalloc.start()
    try:
        audit_verify(tmp / "export", vkey=vkey)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "entries": BIG,
        "load_s_memory_and_sqlite_normal": round(load_s, 1),
        "inclusion_proof_median": proofs,
        "export_s": round(export_s, 2),
        "audit_verify_s": round(verify_s, 2),
        "audit_verify_entries_per_s": _rate(BIG, verify_s),
        "audit_verify_peak_mib": round(peak / 2**20, 2),
        "audit_verify_consents": report.consents,
        "export_mib": round(sum(p.stat().st_size for p in (tmp / "export").iterdir()) / 2**20, 1),
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        results = {
            "sqlite": bench_sqlite_appends(tmp),
            "postgres": bench_postgres_appends(),
            "proofs_and_audit": bench_proofs_and_audit(tmp),
        }
    rows = [
        (f"{section}.{key}", str(value))
        for section, values in results.items()
        for key, value in values.items()
    ]
    print_table("consent ledger", rows)
    return results


if __name__ == "__main__":
    run()
