"""SQLite specifics: append-only triggers, a file shared with other tables, atomic appends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from brondata.consent import SqliteLedger, merkle_root
from brondata.consent import _ledger as ledger_module
from brondata.errors import LedgerAppendOnlyError, LedgerError, StoreError

from .factories import make_event
from .workers import start_appender


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "brondata.db"


@pytest.fixture
def filled(db: Path) -> Iterator[SqliteLedger]:
    with SqliteLedger(db) as ledger:
        for i in range(5):
            ledger.append(make_event(session_id=f"ses_{i}"))
        yield ledger


RAW_TAMPERING = [
    "UPDATE ledger_entries SET entry = x'00' WHERE idx = 1",
    "DELETE FROM ledger_entries WHERE idx = 4",
    "DELETE FROM ledger_entries",
    "INSERT INTO ledger_entries (idx, entry, leaf_hash, at) VALUES (2, x'00', zeroblob(32), 'x')",
    "INSERT OR REPLACE INTO ledger_entries (idx, entry, leaf_hash, at)"
    " VALUES (1, x'00', zeroblob(32), 'x')",
    "INSERT INTO ledger_entries (idx, entry, leaf_hash, at) VALUES (9, x'00', zeroblob(32), 'x')",
    "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0",
    "DELETE FROM ledger_nodes WHERE level = 2",
    "INSERT OR REPLACE INTO ledger_nodes (level, idx, hash) VALUES (0, 3, zeroblob(32))",
]


@pytest.mark.usefixtures("filled")
@pytest.mark.parametrize("sql", RAW_TAMPERING)
def test_raw_sql_tampering_fails_in_the_database(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="ledger_append_only"):
            conn.execute(sql)
        conn.rollback()
    finally:
        conn.close()
    with SqliteLedger(db) as again:
        assert again.size() == 5


@pytest.mark.parametrize("sql", RAW_TAMPERING)
def test_tampering_through_the_library_is_a_ledger_append_only_error(
    filled: SqliteLedger, sql: str
) -> None:
    root = filled.root()
    # _guard is the one path by which the library talks to the database.
    with pytest.raises(LedgerAppendOnlyError), filled._guard():
        filled._conn.execute(sql)
    assert filled.size() == 5
    assert filled.root() == root


def test_the_file_is_shared_with_other_tables(db: Path) -> None:
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT)")
        with SqliteLedger(db) as ledger:
            ledger.append(make_event())
            other.execute("INSERT INTO sessions VALUES ('ses_01', 'created')")
            other.execute("UPDATE sessions SET state = 'consented'")
            ledger.append(make_event("consent.given"))
            assert ledger.size() == 2
        tables = {r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {t for t in tables if t != "sessions"} == {"ledger_entries", "ledger_nodes"}
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_two_ledgers_on_one_file_append_in_turn(db: Path) -> None:
    with SqliteLedger(db) as a, SqliteLedger(db) as b:
        for i in range(10):
            (a if i % 2 else b).append(make_event(session_id=f"ses_{i}"))
        assert a.size() == b.size() == 10
        assert a.root() == b.root() == merkle_root([e.canonical for e in a.entries()])


def test_entries_survive_reopening(db: Path) -> None:
    with SqliteLedger(db) as ledger:
        ledger.append(make_event())
        root = ledger.root()
    with SqliteLedger(db) as ledger:
        assert ledger.size() == 1
        assert ledger.root() == root


def test_a_failed_append_leaves_nothing(
    filled: SqliteLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = filled.root()
    # The entry row is written, then a node row fails its CHECK: the transaction must take
    # both back.
    monkeypatch.setattr(ledger_module, "completed_nodes", lambda *a: [(0, 5, b"\x00" * 31)])
    with pytest.raises(StoreError):
        filled.append(make_event())
    monkeypatch.undo()
    assert filled.size() == 5
    assert filled.root() == root
    assert filled.append(make_event()).index == 5


def test_in_memory_database() -> None:
    with SqliteLedger(":memory:") as ledger:
        ledger.append(make_event())
        assert ledger.size() == 1


def test_a_closed_ledger_refuses_work(db: Path) -> None:
    ledger = SqliteLedger(db)
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError, match="closed"):
        ledger.size()


def test_processes_sharing_the_file_append_contiguously(db: Path) -> None:
    workers = [start_appender("sqlite", str(db), "", f"w{n}", 150) for n in range(3)]
    acknowledged: dict[int, str] = {}
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for line in out.splitlines():
            index, session = line.split()
            acknowledged[int(index)] = session
    assert sorted(acknowledged) == list(range(450))
    with SqliteLedger(db) as ledger:
        entries = list(ledger.entries())
        assert all(e.event.session_id == acknowledged[e.index] for e in entries)
        assert ledger.root() == merkle_root([e.canonical for e in entries])
