"""``open_stores``: the three stores from one URL; a bad URL fails at once, once, typed, and
without its password; the engines' errors come out as ``StoreError`` subclasses."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from brondata._session_store import MemorySessionStore, SqliteSessionStore
from brondata.cli import _db
from brondata.consent import (
    LedgerEvent,
    MemoryLedger,
    MemorySubjectKeyring,
    SqliteLedger,
    SqliteSubjectKeyring,
    seal_subject,
)
from brondata.errors import (
    ConcurrentUpdateError,
    LedgerError,
    StoreError,
    StoreUnavailableError,
)
from brondata.stores import is_dsn, open_stores, shares_database, sqlite_path
from brondata.stores._postgres import map_postgres_error
from brondata.stores._sqlite import map_sqlite_error


def make_event() -> LedgerEvent:
    ids = {
        "event": "consent.withdrawn",
        "at": "2026-03-01T09:30:00Z",
        "session_id": "ses_1",
        "consent_id": "con_1",
    }
    key_id = "key-00000000000000000000000000000001"
    sealed = seal_subject(bytes(range(32)), "sub-abc", key_id=key_id, **ids)
    return LedgerEvent(**ids, subject_key=key_id, subject_sealed=sealed)  # type: ignore[arg-type]


# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgresql://brondata:s3cret-pw@127.0.0.1:1/brondata"


def test_url_forms() -> None:
    assert sqlite_path("sqlite:///brondata.db") == "brondata.db"
    assert sqlite_path("sqlite:////var/lib/brondata.db") == "/var/lib/brondata.db"
    assert sqlite_path("sqlite://") == ":memory:"
    assert sqlite_path("brondata.db") == "brondata.db"
    assert is_dsn("postgresql://u@h/db")
    assert is_dsn("postgres://u@h/db")
    assert is_dsn("host=db.internal dbname=brondata")
    assert not is_dsn("brondata.db")
    assert not is_dsn("sqlite:///x.db")


@pytest.mark.parametrize("form", ["path", "url"])
def test_one_sqlite_file_holds_all_three(tmp_path: Path, form: str) -> None:
    path = tmp_path / "brondata.db"
    url = str(path) if form == "path" else f"sqlite:///{path}"
    with open_stores(url) as stores:
        assert isinstance(stores.ledger, SqliteLedger)
        assert isinstance(stores.keyring, SqliteSubjectKeyring)
        assert isinstance(stores.sessions, SqliteSessionStore)
        stores.ledger.append(make_event())
    tables = {
        row[0]
        for row in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        )
    }
    assert {"ledger_entries", "ledger_nodes", "subject_keys", "session_records"} <= tables
    with pytest.raises(LedgerError, match="ledger is closed"):
        stores.ledger.size()
    with pytest.raises(StoreError, match="session store is closed"):
        stores.sessions.get("s")


def test_in_memory() -> None:
    with open_stores(":memory:") as stores:
        assert isinstance(stores.keyring, MemorySubjectKeyring)
        assert not isinstance(stores.sessions, MemorySessionStore)  # SQLite in memory
        assert (
            stores.log()
            .append(
                "consent.withdrawn",
                subject="sub-abc",
                at="2026-03-01T09:30:00Z",
                session_id="s",
                consent_id="c",
            )
            .index
            == 0
        )


def test_no_url_is_refused() -> None:
    with pytest.raises(StoreError, match="no database named"):
        open_stores("  ")


def test_an_unreachable_server_fails_once_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    attempts: list[str] = []
    connect = psycopg.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append("connect")
        return connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counted)
    with pytest.raises(StoreUnavailableError, match="cannot connect") as caught:
        open_stores(UNREACHABLE)
    assert attempts == ["connect"]  # one attempt, not a pool retrying for 30 s
    assert "s3cret-pw" not in str(caught.value)
    assert caught.value.__cause__ is None  # no driver message with the DSN in a traceback


def test_a_malformed_dsn_fails_without_echoing_it() -> None:
    with pytest.raises(StoreError, match="not a PostgreSQL connection string") as caught:
        # libpq's own message would quote the stray word: 'missing "=" after "s3cret-pw"'.
        open_stores("host=127.0.0.1 user=brondata s3cret-pw")
    assert "s3cret-pw" not in str(caught.value)


def test_a_connect_timeout_that_is_not_a_number_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="connect_timeout") as caught:
        open_stores("postgresql://brondata:s3cret-pw@127.0.0.1/db?connect_timeout=soon")
    assert "s3cret-pw" not in str(caught.value)


def test_stores_of_one_file_share_it_and_in_memory_ones_do_not(tmp_path: Path) -> None:
    with open_stores(tmp_path / "one.db") as one, open_stores(tmp_path / "two.db") as two:
        assert shares_database(one.ledger, one.sessions)
        assert not shares_database(one.ledger, two.sessions)
    with open_stores(":memory:") as memory:
        assert not shares_database(memory.ledger, memory.sessions)
    assert not shares_database(MemoryLedger(), MemorySessionStore())


@pytest.mark.postgres
def test_a_refused_login_fails_without_the_password(postgres_dsn: str) -> None:
    import psycopg

    host = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    dsn = psycopg.conninfo.make_conninfo(
        postgres_dsn, user="no_such_role_9", password="s3cret-pw", dbname=host.get("dbname")
    )
    with pytest.raises(StoreUnavailableError) as caught:
        open_stores(dsn)
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.postgres
def test_one_postgres_database_holds_all_three(postgres_dsn: str, pg_schema: str) -> None:
    from brondata._session_store import PostgresSessionStore
    from brondata.consent import PostgresLedger, PostgresSubjectKeyring

    with open_stores(postgres_dsn, schema=pg_schema) as stores:
        assert isinstance(stores.ledger, PostgresLedger)
        assert isinstance(stores.keyring, PostgresSubjectKeyring)
        assert isinstance(stores.sessions, PostgresSessionStore)
        pool = stores.shared[0]
        assert stores.ledger._pool is stores.keyring._pool is stores.sessions._pool is pool
        stores.ledger.append(make_event())
    assert pool.closed
    with pytest.raises(LedgerError, match="ledger is closed"):
        stores.ledger.size()
    with pytest.raises(StoreError, match="session store is closed"):
        stores.sessions.get("s")


def test_db_upgrade_with_a_bad_dsn_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    attempts: list[str] = []
    connect = psycopg.connect

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append("connect")
        return connect(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", counted)
    app = typer.Typer()
    _db.register(app)
    app.command("noop")(lambda: None)  # a group, so that "db" is a subcommand
    result = CliRunner().invoke(app, ["db", "upgrade", "--dsn", UNREACHABLE])
    assert result.exit_code == 2
    assert "cannot connect" in result.output
    assert "s3cret-pw" not in result.output
    assert attempts == ["connect"]


def test_psycopg_errors_map_to_store_errors() -> None:
    import psycopg
    from psycopg_pool import PoolTimeout

    lost = map_postgres_error(psycopg.errors.SerializationFailure("could not serialize"), "x")
    assert isinstance(lost, ConcurrentUpdateError)
    assert isinstance(map_postgres_error(PoolTimeout("no connection"), "x"), StoreUnavailableError)
    assert isinstance(
        map_postgres_error(psycopg.OperationalError("server closed"), "x"), StoreUnavailableError
    )
    other = map_postgres_error(psycopg.errors.UndefinedTable("relation x"), "ledger")
    assert type(other) is StoreError
    assert other.message == "PostgreSQL ledger: relation x"


def test_a_busy_sqlite_file_is_unavailable_other_errors_are_store_errors(tmp_path: Path) -> None:
    path = tmp_path / "brondata.db"
    ledger = SqliteLedger(path, timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailableError, match="SQLite ledger: database is locked"):
            ledger.append(make_event())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert ledger.append(make_event()).index == 0  # nothing was lost or half-written
    ledger.close()
    assert type(map_sqlite_error(sqlite3.IntegrityError("x"), "ledger")) is StoreError
