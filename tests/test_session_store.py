"""One conformance suite for every session store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from brondata._session_store import (
    MemorySessionStore,
    PostgresSessionStore,
    SecretBox,
    SessionRecord,
    SessionStore,
    SourceProgress,
    SqliteSessionStore,
)
from brondata.errors import ConcurrentUpdateError, SessionNotFoundError, StoreError
from brondata.request import DataRequest, LegalBasis, Purpose
from brondata.session import SessionState

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def record(session_id: str = "s-1") -> SessionRecord:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Mortgage"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.accounts"],
        retention_days=30,
        recipient="Lender",
    )
    return SessionRecord(
        id=session_id,
        consent_id="c-1",
        subject="sub-abc",
        request=request,
        created_at=NOW,
        updated_at=NOW,
        consent_expires_at=NOW + timedelta(hours=1),
        notice_hash="sha-256:00",
        sources={"bank": SourceProgress(attributes=("bank.accounts",))},
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    made: SessionStore
    if request.param == "memory":
        made = MemorySessionStore()
    elif request.param == "sqlite":
        made = SqliteSessionStore(tmp_path / "s.db")
    else:
        made = PostgresSessionStore(
            request.getfixturevalue("postgres_dsn"), schema=request.getfixturevalue("pg_schema")
        )
    yield made
    made.close()


def test_round_trip(store: SessionStore) -> None:
    store.create(record())
    assert store.get("s-1") == record()


def test_missing_session(store: SessionStore) -> None:
    with pytest.raises(SessionNotFoundError):
        store.get("nope")
    with pytest.raises(SessionNotFoundError):
        store.replace(record("nope"))


def test_create_twice_is_refused(store: SessionStore) -> None:
    store.create(record())
    with pytest.raises(StoreError):
        store.create(record())


def test_stale_write_is_refused(store: SessionStore) -> None:
    store.create(record())
    first = store.get("s-1")
    updated = store.replace(first.model_copy(update={"state": SessionState.CONSENTED}))
    assert updated.version == 1
    with pytest.raises(ConcurrentUpdateError, match="concurrently"):
        store.replace(first.model_copy(update={"state": SessionState.DENIED}))
    assert store.get("s-1").state is SessionState.CONSENTED


def test_sqlite_store_survives_reopening(tmp_path: Path) -> None:
    first = SqliteSessionStore(tmp_path / "s.db")
    first.create(record())
    first.close()
    second = SqliteSessionStore(tmp_path / "s.db")
    try:
        assert second.get("s-1").consent_id == "c-1"
    finally:
        second.close()


def test_secret_box_binds_context_and_key() -> None:
    box = SecretBox(SecretBox.generate_key())
    sealed = box.seal({"code_verifier": "v"}, "s-1/bank")
    assert box.open(sealed, "s-1/bank") == {"code_verifier": "v"}
    with pytest.raises(StoreError):
        box.open(sealed, "s-2/bank")
    with pytest.raises(StoreError):
        SecretBox(SecretBox.generate_key()).open(sealed, "s-1/bank")
    with pytest.raises(StoreError):
        SecretBox(b"short")


def test_due_lists_live_sessions_whose_term_ended(store: SessionStore) -> None:
    store.create(record("s-1"))
    store.create(record("s-2"))
    denied = store.get("s-2").model_copy(update={"state": SessionState.DENIED})
    store.replace(denied)
    assert store.due(NOW) == []
    assert store.due(NOW + timedelta(hours=1)) == ["s-1"]


def test_due_lists_a_session_whose_late_source_window_closed(store: SessionStore) -> None:
    # Collected: the consent runs on (the retention), but the window for a late source
    # closes sooner, and the raw answers kept for it are then to drop: the session is due
    # at the earlier of the two, found by the store's index like an expiry.
    collected = record("s-1").model_copy(
        update={
            "state": SessionState.COLLECTED,
            "consent_expires_at": NOW + timedelta(days=30),
            "late_sources_until": NOW + timedelta(minutes=10),
        }
    )
    store.create(collected)
    store.create(record("s-2").model_copy(update={"consent_expires_at": NOW + timedelta(days=1)}))
    assert store.due(NOW) == []
    assert store.due(NOW + timedelta(minutes=10)) == ["s-1"]
    # Its answers dropped (the window closed for good): due again when its consent ends.
    store.replace(store.get("s-1").model_copy(update={"late_sources_until": None}))
    assert store.due(NOW + timedelta(minutes=10)) == []
    assert store.due(NOW + timedelta(days=1)) == ["s-2"]
    assert store.due(NOW + timedelta(days=30)) == ["s-1", "s-2"]
    store.forget_subject("sub-abc")
    assert store.due(NOW + timedelta(days=30)) == []


def test_the_due_query_uses_the_index(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.db")
    ran: list[str] = []
    try:
        store._conn.set_trace_callback(ran.append)  # the test reaches in: the SQL ``due`` runs
        store.due(NOW)
        store._conn.set_trace_callback(None)
        plan = store._conn.execute(f"EXPLAIN QUERY PLAN {ran[-1]}").fetchall()
    finally:
        store.close()
    assert "USING INDEX session_records_due" in " ".join(str(row[-1]) for row in plan)


@pytest.mark.postgres
def test_the_due_query_uses_the_index_in_postgres(postgres_dsn: str, pg_schema: str) -> None:
    from psycopg import sql as sql_text

    store = PostgresSessionStore(postgres_dsn, schema=pg_schema)
    ran: list[tuple[Any, Any]] = []
    connection = store._connection  # the test reaches in: the SQL ``due`` runs

    class Recording:
        def __init__(self, conn: Any) -> None:
            self.conn = conn

        def execute(self, sql: Any, params: Any = None) -> Any:
            ran.append((sql, params))
            return self.conn.execute(sql, params)

    @contextmanager
    def recording() -> Iterator[Any]:
        with connection() as conn:
            yield Recording(conn)

    try:
        store._connection = recording  # type: ignore[method-assign]
        store.due(NOW)
        sql, params = ran[-1]
        with connection() as conn, conn.transaction():
            # A table this small is read whole either way; without that choice, the index.
            conn.execute("SET LOCAL enable_seqscan = off")
            plan = conn.execute(sql_text.SQL("EXPLAIN {}").format(sql), params).fetchall()
    finally:
        store.close()
    assert "session_records_due" in " ".join(row[0] for row in plan)


def test_sessions_of_a_subject_and_forgetting_them(store: SessionStore) -> None:
    store.create(record("s-1"))
    store.create(record("s-2").model_copy(update={"subject": "sub-other"}))
    assert [r.id for r in store.of_subject("sub-abc")] == ["s-1"]
    assert store.forget_subject("sub-abc") == 1
    assert store.of_subject("sub-abc") == []
    with pytest.raises(SessionNotFoundError):
        store.get("s-1")
    assert store.get("s-2").subject == "sub-other"
    assert store.forget_subject("sub-abc") == 0


def test_a_closed_store_says_so(store: SessionStore) -> None:
    store.create(record())
    store.close()
    if isinstance(store, MemorySessionStore):
        return  # nothing to close
    with pytest.raises(StoreError, match="session store is closed"):
        store.get("s-1")
    store.close()  # twice is fine


def test_a_closed_session_store_says_so(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("x")
