"""PostgreSQL specifics: append-only triggers, many processes appending to one ledger."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC

import psycopg
import pytest
from psycopg import sql

from brondata.consent import PostgresLedger, merkle_root
from brondata.errors import LedgerAppendOnlyError, LedgerError, StoreError

from .factories import make_event
from .workers import start_appender

pytestmark = pytest.mark.postgres


@pytest.fixture
def filled(postgres_dsn: str, pg_schema: str) -> Iterator[PostgresLedger]:
    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        for i in range(5):
            ledger.append(make_event(session_id=f"ses_{i}"))
        yield ledger


RAW_TAMPERING = [
    "UPDATE {s}.ledger_entries SET entry = '\\x00' WHERE idx = 1",
    "DELETE FROM {s}.ledger_entries WHERE idx = 4",
    "TRUNCATE {s}.ledger_entries",
    "INSERT INTO {s}.ledger_entries VALUES (9, '\\x00', decode(repeat('00', 32), 'hex'), 'x')",
    "INSERT INTO {s}.ledger_entries VALUES (1, '\\x00', decode(repeat('00', 32), 'hex'), 'x')"
    " ON CONFLICT (idx) DO UPDATE SET entry = EXCLUDED.entry",
    "UPDATE {s}.ledger_nodes SET hash = decode(repeat('00', 32), 'hex')",
    "DELETE FROM {s}.ledger_nodes WHERE level = 2",
    "TRUNCATE {s}.ledger_nodes",
    "DELETE FROM {s}.ledger_head",
]


@pytest.mark.parametrize("statement", RAW_TAMPERING)
def test_raw_sql_tampering_fails_in_the_database(
    filled: PostgresLedger, postgres_dsn: str, pg_schema: str, statement: str
) -> None:
    root = filled.root()
    query = sql.SQL(statement).format(s=sql.Identifier(pg_schema))  # type: ignore[arg-type]
    with (
        psycopg.connect(postgres_dsn, autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="ledger_append_only"),
    ):
        conn.execute(query)
    # ... and through the library's own connections it is the library's error.
    with pytest.raises(LedgerAppendOnlyError), filled._connection() as conn:
        conn.execute(query)
    assert filled.size() == 5
    assert filled.root() == root


def test_a_bad_schema_name_or_server_is_a_store_error(postgres_dsn: str) -> None:
    with pytest.raises(StoreError):
        PostgresLedger(postgres_dsn, schema="Robert'); DROP TABLE x;--")
    with pytest.raises(StoreError):
        PostgresLedger("postgresql://nobody@127.0.0.1:1/none", timeout=1)


def test_two_ledgers_share_one_schema(postgres_dsn: str, pg_schema: str) -> None:
    with (
        PostgresLedger(postgres_dsn, schema=pg_schema) as a,
        PostgresLedger(postgres_dsn, schema=pg_schema) as b,
    ):
        for i in range(6):
            (a if i % 2 else b).append(make_event(session_id=f"ses_{i}"))
        assert a.root() == b.root() == merkle_root([e.canonical for e in b.entries()])


@pytest.mark.slow
def test_four_processes_append_two_thousand_contiguous_entries(
    postgres_dsn: str, pg_schema: str
) -> None:
    # The schema does not exist yet: the four also race to create it.
    workers = [start_appender("postgres", postgres_dsn, pg_schema, f"w{n}", 500) for n in range(4)]
    acknowledged: dict[int, str] = {}
    for proc in workers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for line in out.splitlines():
            index, session = line.split()
            assert int(index) not in acknowledged
            acknowledged[int(index)] = session
    assert sorted(acknowledged) == list(range(2000))
    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        entries = list(ledger.entries())
        assert [e.index for e in entries] == list(range(2000))
        assert all(e.event.session_id == acknowledged[e.index] for e in entries)
        assert ledger.root() == merkle_root([e.canonical for e in entries])


def test_the_size_counts_only_entries_that_are_durable(postgres_dsn: str, pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        ledger.append(make_event())
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            table = sql.Identifier(pg_schema, "scratch")
            conn.execute(sql.SQL("CREATE TABLE {} (n integer)").format(table))
            # A commit visible at once but not yet flushed, as a batch's is between its
            # COMMIT and its flush.
            conn.execute("SET synchronous_commit = off")
            conn.execute(sql.SQL("INSERT INTO {} VALUES (1)").format(table))
            written = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
            assert written is not None
            assert ledger.size() == 1
            # The size was read only once everything it could see was flushed.
            row = conn.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", written)
            assert row.fetchone() == (True,)


def test_a_server_that_refuses_the_flush_fails_the_open_not_the_appends(
    postgres_dsn: str, pg_schema: str
) -> None:
    import uuid

    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    role = f"brondata_test_{uuid.uuid4().hex[:12]}"
    emit = "pg_logical_emit_message(boolean, text, text)"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        row = admin.execute("SELECT current_database()").fetchone()
        assert row is not None
        database = sql.Identifier(row[0])
        # The library creates its schema if need be: the right to, as an application has.
        admin.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, sql.Identifier(role))
        )
        try:
            admin.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(pg_schema), sql.Identifier(role)
                )
            )
            # A server where the role may not write that WAL record (a managed service, a
            # hardened one): an append would commit its batch and then fail to confirm it.
            admin.execute(f"REVOKE EXECUTE ON FUNCTION {emit} FROM PUBLIC")
            try:
                with pytest.raises(StoreError):
                    PostgresLedger(make_conninfo(postgres_dsn, user=role), schema=pg_schema)
            finally:
                admin.execute(f"GRANT EXECUTE ON FUNCTION {emit} TO PUBLIC")
            with PostgresLedger(make_conninfo(postgres_dsn, user=role), schema=pg_schema) as ok:
                assert ok.append(make_event()).index == 0
        finally:
            admin.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(pg_schema))
            )
            admin.execute(
                sql.SQL("REVOKE CREATE ON DATABASE {} FROM {}").format(
                    database, sql.Identifier(role)
                )
            )
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


# --- review findings: durability, replication, a lost flush, a keyring elsewhere ----------------

# A flush that fails: a statement the server refuses.
_BROKEN_FLUSH = "SELECT 1 / 0"


def test_with_a_synchronous_standby_a_batch_commits_synchronously(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``synchronous_standby_names`` set, a batch is not visible before a synchronous
    standby has it: it commits synchronously and needs no flush of its own. (The setting is
    the server's; here it is read as set, and the flush that the early commit needs is
    broken, so an append succeeds only if it commits synchronously. The review of this change
    showed the defect with a real primary and synchronous standby.)"""
    import brondata.consent._postgres as pgmod

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        ledger.append(make_event(session_id="ses_0"))
        monkeypatch.setattr(pgmod, "_STANDBYS", "'ghost'")
        monkeypatch.setattr(pgmod, "_FLUSH", _BROKEN_FLUSH)
        assert ledger.append(make_event(session_id="ses_1")).index == 1
        monkeypatch.undo()
        assert [e.event.session_id for e in ledger.entries()] == ["ses_0", "ses_1"]


def test_without_a_standby_a_pure_append_waits_for_its_flush(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import brondata.consent._postgres as pgmod
    from brondata.errors import LedgerDurabilityUnknownError

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        monkeypatch.setattr(pgmod, "_FLUSH", _BROKEN_FLUSH)
        with pytest.raises(LedgerDurabilityUnknownError):
            ledger.append(make_event(session_id="ses_0"))


def test_a_batch_that_writes_a_row_commits_synchronously(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session row written in the batch's transaction is never visible before it is
    durable: another instance could act on it (fetch from a bank) and a crash lose both."""
    import brondata.consent._postgres as pgmod
    from brondata.consent._ledger import LedgerUnit
    from brondata.errors import ConcurrentUpdateError
    from brondata.stores._base import RowWrite

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        table = sql.Identifier(pg_schema, "rows")
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE TABLE {} (n integer)").format(table))
        write = RowWrite(
            sql.SQL("INSERT INTO {} VALUES (1) RETURNING n").format(table),
            (),
            ConcurrentUpdateError("lost"),
        )
        monkeypatch.setattr(pgmod, "_FLUSH", _BROKEN_FLUSH)
        (entry,) = ledger.append_unit(LedgerUnit((make_event(),), write))
        monkeypatch.undo()
        assert entry.index == 0
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            assert conn.execute(sql.SQL("SELECT n FROM {}").format(table)).fetchall() == [(1,)]


def test_an_entry_is_read_by_index_only_once_it_is_durable(
    filled: PostgresLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``entry(i)`` counts what ``size()`` counts: while the ledger's end is not yet flushed,
    it waits for the flush as the size does (here the flush fails, so it raises)."""
    import brondata.consent._postgres as pgmod

    monkeypatch.setattr(
        pgmod, "_SIZE", "SELECT COALESCE(MAX(idx) + 1, 0), false FROM {s}.ledger_entries"
    )
    monkeypatch.setattr(pgmod, "_FLUSH", _BROKEN_FLUSH)
    with pytest.raises(StoreError):
        filled.entry(4)
    monkeypatch.undo()
    assert filled.entry(4).event.session_id == "ses_4"
    with pytest.raises(LedgerError):
        filled.entry(5)


# The flush's connection is lost once (the server ends it), then flushes work again.
_FLUSH_LOST_ONCE = (
    "SELECT CASE WHEN nextval('{seq}') = 1 THEN pg_terminate_backend(pg_backend_pid()) END,"
    " pg_logical_emit_message(true, 'brondata.ledger.flush', '')"
)


def test_a_flush_lost_after_the_commit_is_flushed_again_and_acknowledged(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import brondata.consent._postgres as pgmod

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        ledger.append(make_event(session_id="ses_0"))
        seq = f"{pg_schema}.lost_once"
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SEQUENCE {}").format(sql.Identifier(*seq.split("."))))
        monkeypatch.setattr(pgmod, "_FLUSH", _FLUSH_LOST_ONCE.format(seq=seq))
        # Appended once, and said so: nothing invites a retry that would append it twice.
        assert ledger.append(make_event(session_id="ses_1")).index == 1
        monkeypatch.undo()
        assert [e.event.session_id for e in ledger.entries()] == ["ses_0", "ses_1"]


def test_a_commit_whose_answer_was_lost_is_read_back_not_called_a_failure(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection lost with the COMMIT's answer still on its way (the server ended the
    connection after the COMMIT, before its answer left): whether the batch is in is read back
    once the old connection's backend is gone, never guessed. In: acknowledged as appended."""
    import brondata.consent._postgres as pgmod

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        ledger.append(make_event(session_id="ses_0"))
        seq = f"{pg_schema}.lost_once"
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SEQUENCE {}").format(sql.Identifier(*seq.split("."))))
        monkeypatch.setattr(pgmod, "_FLUSH", _FLUSH_LOST_ONCE.format(seq=seq))
        monkeypatch.setattr(pgmod, "_committed", lambda commit: False)  # its answer lost
        assert ledger.append(make_event(session_id="ses_1")).index == 1
        monkeypatch.undo()
        assert [e.event.session_id for e in ledger.entries()] == ["ses_0", "ses_1"]


@pytest.mark.parametrize("own_pool", [False, True], ids=["ledger-pool", "application-pool"])
def test_the_read_back_ends_a_lost_connections_live_server_process_and_answers(
    postgres_dsn: str, pg_schema: str, own_pool: bool
) -> None:
    """The client side of the lost connection broke first (a network cut, a proxy): its
    server process still runs. The read-back ends it and answers promptly, from a pool whose
    connections are in a transaction as much as from one in autocommit (review 3)."""
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(postgres_dsn, min_size=1, max_size=4, open=True) if own_pool else None
    try:
        with PostgresLedger(postgres_dsn, schema=pg_schema, pool=pool) as ledger:
            entry = ledger.append(make_event(session_id="ses_0"))
            with psycopg.connect(postgres_dsn, autocommit=True) as old:  # "the lost connection"
                process = old.execute(
                    "SELECT pg_backend_pid(), pg_postmaster_start_time()"
                ).fetchone()
                assert process is not None
                started = time.monotonic()
                assert ledger._batch_is_in(0, entry.leaf_hash, backend=tuple(process))
                assert time.monotonic() - started < 2.0
                with pytest.raises(psycopg.OperationalError):
                    old.execute("SELECT 1")  # ended
    finally:
        if pool is not None:
            pool.close()


def test_the_read_back_leaves_a_process_of_another_server_start_alone(
    postgres_dsn: str, pg_schema: str
) -> None:
    """After a restart or a failover the lost connection's pid may name another process:
    the read-back ends a process only on the server start it was seen on."""
    from datetime import datetime

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        entry = ledger.append(make_event(session_id="ses_0"))
        with psycopg.connect(postgres_dsn, autocommit=True) as other:
            pid = other.info.backend_pid
            before = datetime(2000, 1, 1, tzinfo=UTC)
            assert ledger._batch_is_in(0, entry.leaf_hash, backend=(pid, before))
            assert other.execute("SELECT 1").fetchone() == (1,)  # still running


def test_a_batch_read_back_as_not_in_is_a_failed_append(postgres_dsn: str, pg_schema: str) -> None:
    """What the read-back decides when the batch is not in: the append failed (safe to try
    again), said as the store being unavailable."""
    from brondata.errors import StoreUnavailableError

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        entry = ledger.append(make_event(session_id="ses_0"))
        assert ledger._batch_is_in(0, entry.leaf_hash, backend=None)
        assert not ledger._batch_is_in(0, bytes(32), backend=None)
        assert not ledger._batch_is_in(1, entry.leaf_hash, backend=None)
        with pytest.raises(StoreUnavailableError):
            ledger._resolve_in_doubt(1, entry.leaf_hash, backend=None)


def test_a_flush_lost_twice_after_the_commit_says_committed_durability_unknown(
    postgres_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import brondata.consent._postgres as pgmod
    from brondata.errors import LedgerDurabilityUnknownError, StoreUnavailableError

    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        monkeypatch.setattr(pgmod, "_FLUSH", "SELECT pg_terminate_backend(pg_backend_pid())")
        with pytest.raises(LedgerDurabilityUnknownError) as raised:
            ledger.append(make_event(session_id="ses_x"))
        monkeypatch.undo()
        # Not "unavailable, try again": the entry is in; a blind retry would append it twice.
        assert not isinstance(raised.value, StoreUnavailableError)
        assert raised.value.code == "ledger_durability_unknown"
        assert [e.event.session_id for e in ledger.entries()] == ["ses_x"]


def test_a_keyring_in_another_database_is_refused_beside_the_ledger(
    postgres_dsn: str, pg_schema: str
) -> None:
    """A keyring beside the ledger commits its keys without a flush of their own, counting
    on the ledger's: one in another database (or on another server) would never be flushed."""
    import uuid

    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from brondata.consent import PostgresSubjectKeyring
    from brondata.errors import LedgerKeyringElsewhereError

    other = f"brondata_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(other)))
    try:
        elsewhere = make_conninfo(postgres_dsn, dbname=other)
        assert conninfo_to_dict(elsewhere)["dbname"] == other
        with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
            with pytest.raises(LedgerKeyringElsewhereError):
                PostgresSubjectKeyring(elsewhere, schema=pg_schema, ledger=ledger).close()
            # The same database through another connection string (another pool) is beside it.
            PostgresSubjectKeyring(postgres_dsn, schema=pg_schema, ledger=ledger).close()
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(other))
            )
