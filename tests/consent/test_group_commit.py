"""Group commit in the SQLite and PostgreSQL ledgers: appends that wait together are written
as one batch, and the batch is exactly what appending them one by one would have stored."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from brondata.consent import (
    LedgerEntry,
    LedgerEvent,
    SqliteLedger,
    merkle_root,
    verify_inclusion,
)
from brondata.consent._ledger import LedgerUnit

from .factories import make_event

WRITERS = 12


@contextmanager
def _sqlite_held(ledger: Any) -> Iterator[None]:
    # The ledger's own connection lock: a leader waits for it while the others queue.
    with ledger._lock:
        yield


def _postgres_held(dsn: str, schema: str) -> Callable[[Any], AbstractContextManager[None]]:
    @contextmanager
    def held(ledger: Any) -> Iterator[None]:
        import psycopg

        # Another process's append in flight: the advisory lock every append takes.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"brondata:{schema}",))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"brondata:{schema}",))

    return held


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_and_hold(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Any, Callable[[Any], AbstractContextManager[None]]]]:
    if request.param == "sqlite":
        with SqliteLedger(tmp_path / "brondata.db") as ledger:
            yield ledger, _sqlite_held
    else:
        from brondata.consent import PostgresLedger

        dsn = request.getfixturevalue("postgres_dsn")
        schema = request.getfixturevalue("pg_schema")
        with PostgresLedger(dsn, schema=schema) as pg:
            yield pg, _postgres_held(dsn, schema)


def test_appends_that_wait_together_are_one_batch(
    ledger_and_hold: tuple[Any, Callable[[Any], AbstractContextManager[None]]],
) -> None:
    ledger, hold = ledger_and_hold
    for i in range(5):  # an odd size to build on: the batch combines with stored subtrees
        ledger.append(make_event(session_id=f"ses_pre_{i}"))
    batches: list[int] = []
    write = ledger._commits._write

    def counted(events: list[LedgerEvent]) -> Any:
        batches.append(len(events))
        return write(events)

    ledger._commits._write = counted
    returned: dict[str, LedgerEntry] = {}

    def append(n: int) -> None:
        returned[f"ses_{n}"] = ledger.append(make_event(session_id=f"ses_{n}"))

    threads = [threading.Thread(target=append, args=(n,)) for n in range(WRITERS)]
    with hold(ledger):
        for t in threads:
            t.start()
        # Every writer queued: the leader waits on the lock with its batch of one, the rest
        # wait for it (waiting for the threads, not timing anything).
        with ledger._commits._cond:
            while len(ledger._commits._queue) < WRITERS:
                ledger._commits._cond.wait(0.01)
    for t in threads:
        t.join(60)
    assert batches == [1, WRITERS - 1]

    entries = list(ledger.entries())
    assert [e.index for e in entries] == list(range(5 + WRITERS))
    assert ledger.root() == merkle_root([e.canonical for e in entries])
    for session, entry in returned.items():
        stored = ledger.entry(entry.index)
        assert stored == entry
        assert stored.event.session_id == session
        proof = ledger.inclusion_proof(entry.index)
        verify_inclusion(entry.leaf_hash, entry.index, len(entries), proof, ledger.root())
    # And a single append after the batch builds on what the batch stored.
    assert ledger.append(make_event()).index == 5 + WRITERS
    assert ledger.root() == merkle_root([e.canonical for e in ledger.entries()])


def test_many_threads_many_appends_stay_contiguous(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "brondata.db")
    returned: list[LedgerEntry] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def work(t: int) -> None:
        start.wait()
        for i in range(30):
            entry = ledger.append(make_event(session_id=f"ses_{t}_{i}"))
            with lock:
                returned.append(entry)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with ledger:
        entries = list(ledger.entries())
        assert sorted(e.index for e in returned) == list(range(480))
        assert [e.index for e in entries] == list(range(480))
        assert {e.index: e for e in returned} == {e.index: e for e in entries}
        assert ledger.root() == merkle_root([e.canonical for e in entries])
        # A second process (a fresh connection) appends after the batches: no stale frontier.
        with SqliteLedger(tmp_path / "brondata.db") as other:
            other.append(make_event())
        assert ledger.append(make_event()).index == 481
        assert ledger.root() == merkle_root([e.canonical for e in ledger.entries()])


def test_an_event_that_cannot_be_written_fails_alone(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "brondata.db") as ledger:

        def write(events: list[LedgerEvent]) -> list[LedgerEntry | BaseException]:
            units = ledger._append_batch([LedgerUnit((event,)) for event in events])
            return [u if isinstance(u, BaseException) else u[0] for u in units]

        good = make_event(session_id="ses_good")
        # A lone surrogate cannot be stored as UTF-8: this event alone is refused.
        bad = make_event(session_id="ses_bad").model_copy(update={"session_id": "ses_\ud800"})
        results = write([good, bad, make_event(session_id="ses_after")])
        assert isinstance(results[0], LedgerEntry)
        assert isinstance(results[1], Exception)
        assert isinstance(results[2], LedgerEntry)
        assert results[2].index == 1  # the refused event took no index
        assert [e.event.session_id for e in ledger.entries()] == ["ses_good", "ses_after"]


@pytest.mark.postgres
def test_a_postgres_batch_takes_two_round_trips(
    postgres_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    import psycopg

    from brondata.consent import PostgresLedger

    with PostgresLedger(postgres_dsn, schema=pg_schema, max_connections=1) as ledger:
        ledger.append(make_event(session_id="ses_first"))
        trace = tmp_path / "trace.txt"
        with trace.open("w") as out:
            with ledger._pool.connection() as conn:
                conn.pgconn.trace(out.fileno())
                conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            units = [LedgerUnit((make_event(session_id=f"ses_{n}"),)) for n in range(5)]
            results = [r[0] for r in ledger._append_batch(units) if isinstance(r, tuple)]
            with ledger._pool.connection() as conn:
                conn.pgconn.untrace()
        assert [r.index for r in results if isinstance(r, LedgerEntry)] == [1, 2, 3, 4, 5]
        # libpq's trace: F lines are what the client sends, B lines what the server answers;
        # each time the client waits, the direction turns from F to B: one round trip.
        lines = trace.read_text().splitlines()
        directions = [line[0] for line in lines if line[:2] in ("F\t", "B\t")]
        turns = sum(1 for pair in itertools.pairwise(directions) if pair == ("F", "B"))
        assert turns == 2
        assert ledger.root() == merkle_root([e.canonical for e in ledger.entries()])


@pytest.mark.postgres
def test_a_postgres_batch_releases_its_lock_before_the_flush_and_answers_after_it(
    postgres_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    import psycopg

    from brondata.consent import PostgresLedger

    with PostgresLedger(postgres_dsn, schema=pg_schema, max_connections=1) as ledger:
        ledger.append(make_event(session_id="ses_first"))
        trace = tmp_path / "trace.txt"
        with trace.open("w") as out:
            with ledger._pool.connection() as conn:
                conn.pgconn.trace(out.fileno())
                conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            ledger.append(make_event(session_id="ses_second"))
            with ledger._pool.connection() as conn:
                conn.pgconn.untrace()
        # What the client asked, in order (each statement's text is sent with its Parse).
        sent = [line for line in trace.read_text().splitlines() if line.startswith("F\t")]
        texts = [line for line in sent if "\tParse\t" in line]
        lock = next(i for i, t in enumerate(texts) if "pg_advisory_xact_lock" in t)
        commit = next(i for i, t in enumerate(texts) if '"COMMIT"' in t)
        # The lock is the batch transaction's, read with the server's synchronous standbys
        # (none here); a batch of entries alone then commits without waiting for the WAL
        # flush: the lock is free from the COMMIT on, for writers in any process.
        assert "synchronous_standby_names" in texts[lock]
        assert "synchronous_commit" in texts[commit - 1]
        assert "'off'" in texts[commit - 1]
        # Then a transaction of its own commits, with the connection's durability, in the
        # same round trip: the append returns only once the flush covers the batch.
        assert "pg_logical_emit_message(true" in texts[commit + 1]
        flush = sent.index(texts[commit + 1])
        assert any("\tSync" in line for line in sent[flush:])
        assert ledger.size() == 2


@pytest.mark.postgres
def test_the_postgres_flush_transaction_waits_for_the_wal_flush(postgres_dsn: str) -> None:
    import psycopg

    from brondata.consent._postgres import _FLUSH

    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        before = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
        assert before is not None
        conn.execute(_FLUSH)
        # Its commit comes after ``before`` and is flushed before it returns (a transaction
        # that writes no WAL, such as one that only takes a transaction id, is not).
        row = conn.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", before).fetchone()
        assert row == (True,)
