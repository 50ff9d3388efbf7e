"""Subject keyrings (one suite over memory, SQLite, PostgreSQL) and the sealed subject."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from brondata.consent import (
    MemorySubjectKeyring,
    SqliteSubjectKeyring,
    SubjectKeyring,
    open_subject,
    seal_subject,
)
from brondata.errors import LedgerIntegrityError, StoreError

SUBJECT = "sub-7f3a9c4e0b1d2a3f"
CONTEXT = {
    "event": "consent.given",
    "at": "2026-03-01T09:30:00Z",
    "session_id": "ses_01",
    "consent_id": "con_01",
    "key_id": "key-1",
}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def keyring(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SubjectKeyring]:
    ring: SubjectKeyring
    if request.param == "memory":
        ring = MemorySubjectKeyring()
    elif request.param == "sqlite":
        ring = SqliteSubjectKeyring(tmp_path / "brondata.db")
    else:
        from brondata.consent import PostgresSubjectKeyring

        ring = PostgresSubjectKeyring(
            request.getfixturevalue("postgres_dsn"), schema=request.getfixturevalue("pg_schema")
        )
    try:
        yield ring
    finally:
        ring.close()


def test_a_subject_has_one_random_key(keyring: SubjectKeyring) -> None:
    assert isinstance(keyring, SubjectKeyring)
    assert keyring.lookup(SUBJECT) is None
    key_id, key = keyring.key_for(SUBJECT)
    assert len(key) == 32
    assert SUBJECT not in key_id
    assert keyring.key_for(SUBJECT) == (key_id, key)
    assert keyring.lookup(SUBJECT) == key_id
    assert keyring.key(key_id) == key
    other_id, other = keyring.key_for("sub-other")
    assert other_id != key_id
    assert other != key


def test_destroy_forgets_the_key_and_which_subject_it_was(keyring: SubjectKeyring) -> None:
    key_id, _ = keyring.key_for(SUBJECT)
    keyring.key_for("sub-other")
    assert not keyring.was_erased(SUBJECT)
    assert keyring.destroy(SUBJECT) == key_id
    assert keyring.key(key_id) is None
    assert keyring.lookup(SUBJECT) is None
    assert keyring.was_erased(SUBJECT)
    assert keyring.destroy(SUBJECT) is None  # nothing left to destroy
    assert keyring.lookup("sub-other") is not None  # others keep theirs
    assert not keyring.was_erased("sub-other")
    # A subject who comes back after erasure gets a new key: nothing links the two.
    new_id, _ = keyring.key_for(SUBJECT)
    assert new_id != key_id


def test_sealing_binds_the_subject_to_its_entry() -> None:
    key = bytes(32)
    sealed = seal_subject(key, SUBJECT, **CONTEXT)
    assert SUBJECT not in sealed
    assert seal_subject(key, SUBJECT, **CONTEXT) != sealed  # random nonce: not linkable
    assert open_subject(key, sealed, **CONTEXT) == SUBJECT
    for name, value in [
        ("event", "data.delivered"),
        ("at", "2026-03-01T09:31:00Z"),
        ("session_id", "ses_02"),
        ("consent_id", "con_02"),
        ("key_id", "key-2"),
    ]:
        with pytest.raises(LedgerIntegrityError):
            open_subject(key, sealed, **{**CONTEXT, name: value})
    with pytest.raises(LedgerIntegrityError):
        open_subject(b"\x01" * 32, sealed, **CONTEXT)
    with pytest.raises(LedgerIntegrityError):
        open_subject(key, sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], **CONTEXT)


def test_sqlite_leaves_no_destroyed_key_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "brondata.db"
    with SqliteSubjectKeyring(path) as ring:
        keys = {f"sub-{i:04d}": ring.key_for(f"sub-{i:04d}")[1] for i in range(50)}
        ring.destroy("sub-0007")
        ring.destroy("sub-0031")
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))
    assert keys["sub-0007"] not in data
    assert keys["sub-0031"] not in data
    assert keys["sub-0008"] in data  # the test can see a key when one is there


def test_a_closed_keyring_refuses(tmp_path: Path) -> None:
    ring = SqliteSubjectKeyring(tmp_path / "k.db")
    ring.close()
    with pytest.raises(StoreError):
        ring.key_for(SUBJECT)


@pytest.mark.postgres
def test_postgres_vacuum_reclaims_the_dead_row(postgres_dsn: str, pg_schema: str) -> None:
    import psycopg
    from psycopg import sql

    from brondata.consent import PostgresSubjectKeyring

    with PostgresSubjectKeyring(postgres_dsn, schema=pg_schema) as ring:
        keys = {f"sub-{i}": ring.key_for(f"sub-{i}")[1] for i in range(20)}
        ring.destroy("sub-3")
    schema = sql.Identifier(pg_schema)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("CREATE EXTENSION pageinspect SCHEMA {}").format(schema))
        except psycopg.Error as exc:
            pytest.skip(f"pageinspect is not available: {exc}")
        items = conn.execute(
            sql.SQL(
                "SELECT t_data FROM {s}.heap_page_items({s}.get_raw_page(%s, 0))"
                " WHERE t_data IS NOT NULL"
            ).format(s=schema),
            (f"{pg_schema}.subject_keys",),
        ).fetchall()
    tuples = [bytes(data) for (data,) in items]
    # No row version, live or dead, holds the destroyed key: VACUUM reclaimed the dead one.
    assert len(tuples) == 19
    assert not any(keys["sub-3"] in data for data in tuples)
    assert any(keys["sub-4"] in data for data in tuples)


def test_sqlite_keys_beside_the_ledger_are_made_durable_by_its_next_commit(
    tmp_path: Path,
) -> None:
    from brondata.consent import SqliteLedger
    from brondata.errors import LedgerKeyringElsewhereError

    path = tmp_path / "brondata.db"
    with SqliteLedger(path) as ledger, SqliteSubjectKeyring(path, ledger=ledger) as ring:
        statements: list[str] = []
        ring._conn.set_trace_callback(statements.append)
        key_id, _ = ring.key_for(SUBJECT)
        # The new key commits without an fsync of its own: its frames are in the one
        # write-ahead log before those of any entry sealed under it, and the ledger's commit
        # (synchronous=FULL) syncs the log up to its own, the key's included.
        insert = next(i for i, s in enumerate(statements) if "INSERT" in s)
        assert "PRAGMA synchronous=NORMAL" in statements[:insert]
        assert statements[-1] == "PRAGMA synchronous=FULL"
        ((level,),) = ring._conn.execute("PRAGMA synchronous").fetchall()
        assert level == 2  # FULL again: a destroy is synced on its own
        assert ring.key_for(SUBJECT)[0] == key_id
    # In another file, no ledger commit would sync the key: refused.
    with (
        SqliteLedger(tmp_path / "other.db") as other,
        pytest.raises(LedgerKeyringElsewhereError),
    ):
        SqliteSubjectKeyring(path, ledger=other)
    with SqliteSubjectKeyring(path) as alone:
        statements = []
        alone._conn.set_trace_callback(statements.append)
        alone.key_for("sub-another")
        assert not any("synchronous" in s for s in statements)


@pytest.mark.postgres
def test_postgres_keys_beside_the_ledger_are_made_durable_by_its_next_flush(
    postgres_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    import psycopg

    from brondata.consent import PostgresLedger, PostgresSubjectKeyring

    def sent(ring: PostgresSubjectKeyring, subject: str) -> str:
        # What the client sent while making a key (libpq's trace of the pool's one connection).
        trace = tmp_path / f"{subject}.trace"
        with trace.open("w") as out:
            with ring._pool.connection() as conn:
                conn.pgconn.trace(out.fileno())
                conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            ring.key_for(subject)
            with ring._pool.connection() as conn:
                conn.pgconn.untrace()
        return "\n".join(line for line in trace.read_text().splitlines() if line.startswith("F"))

    with (
        PostgresLedger(postgres_dsn, schema=pg_schema) as ledger,
        PostgresSubjectKeyring(
            postgres_dsn, schema=pg_schema, ledger=ledger, max_connections=1
        ) as ring,
    ):
        # A new key commits without waiting for its flush: an entry sealed under it commits
        # after it, and its append waits for a flush that covers both.
        assert "synchronous_commit" in sent(ring, SUBJECT)
    with PostgresSubjectKeyring(postgres_dsn, schema=pg_schema, max_connections=1) as alone:
        # Not beside a ledger (no ``ledger=``): nothing else would flush it.
        assert "synchronous_commit" not in sent(alone, "sub-other")
