"""Where a consent session lives between HTTP requests: memory, SQLite or PostgreSQL.

A session is one frozen ``SessionRecord``; every change writes a new version, and a write
based on a stale version is refused (optimistic concurrency), so two application instances
cannot both complete the same login: the loser gets ``ConcurrentUpdateError``. The SQLite and
PostgreSQL stores build on the engine bases in ``brondata.stores``. Secrets (PKCE verifiers,
OAuth ``state``, tokens) never sit in the record in clear: ``SecretBox`` seals them with
AES-GCM under the gateway's store key, bound to the session and source they belong to.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from bisect import bisect_left, bisect_right, insort
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, model_validator

from brondata.errors import ConcurrentUpdateError, SessionNotFoundError, StoreError
from brondata.request import DataRequest
from brondata.session import SessionState, SourceState
from brondata.stores._base import RowWrite
from brondata.stores._postgres import PostgresStore
from brondata.stores._sqlite import SqliteStore

__all__ = [
    "MemorySessionStore",
    "PartnerLink",
    "PendingEvent",
    "PostgresSessionStore",
    "SecretBox",
    "SessionRecord",
    "SessionStore",
    "SourceProgress",
    "SqliteSessionStore",
]


#: The states a session can still be due in (the others are final).
_LIVE = (
    SessionState.CREATED,
    SessionState.CONSENTED,
    SessionState.COLLECTING,
    SessionState.COLLECTED,
)


class SourceProgress(BaseModel):
    """One source within a session."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: SourceState = SourceState.WAITING
    attributes: tuple[str, ...]
    #: AES-GCM sealed JSON: pending login (state, PKCE verifier, source consent id) or token.
    sealed: str | None = None
    error: dict[str, str] | None = None
    #: The source's answer, sealed, once retrieved (committed with its ``data.retrieved``):
    #: a resumed collection maps it instead of fetching again.
    fetched: str | None = None
    #: Keyed digest of the callback URL this login's code came in (or is being exchanged
    #: from): the same callback again gets the same outcome, and its code is exchanged once.
    callback: str | None = None


class PendingEvent(BaseModel):
    """A ledger event written into the session before the ledger (see ``pending``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str
    at: str  # RFC 3339 UTC, as the ledger writes it: the key that finds it there again
    fields: dict[str, Any] = {}


class NoticeSettings(BaseModel):
    """The controller's side of a consent notice: the gateway's configuration when a session
    starts, kept in the session so that what is shown, hashed and recorded for it stays the
    same on every instance and after a redeploy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    controller: str
    controller_contact: str
    storage_location: str
    notice_language: str
    withdrawal_method: str


class PartnerLink(BaseModel):
    """The link between an applicant's session and their fiscal partner's own session
    (``Gateway.start_partner``; ``brondata._partner``), kept on both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The other session: the partner's (on the applicant's), the applicant's (on the
    #: partner's).
    session_id: str
    #: On the partner's: who the applicant's data name as fiscal partner (a citizen service
    #: number digest, sealed): what the partner's sources must answer for.
    expected: str | None = None
    #: On the applicant's: the partner's data (their records' digests, combined) that the
    #: applicant's checks and decisions last ran over, ``None`` before they did.
    covered: str | None = None


class SessionRecord(BaseModel):
    """Everything the gateway knows about one session; no attribute value is ever in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: int = 0
    consent_id: str
    subject: str  # the keyed pseudonym, never the caller's own reference
    request: DataRequest
    state: SessionState = SessionState.CREATED
    created_at: datetime
    updated_at: datetime
    consent_expires_at: datetime
    #: When the consent was last renewed (a renewal again soon after is that one).
    renewed_at: datetime | None = None
    #: When the running collection claimed the session (``COLLECTING``), else ``None``.
    collecting_since: datetime | None = None
    #: The collector holding the claim, and until when: a lease its holder renews every few
    #: seconds. Once it lapses (the collector died) any instance may resume the collection.
    collector: str | None = None
    lease_until: datetime | None = None
    #: Per source kind, what its delivery came to, sealed: the signed record (committed with
    #: its ``data.delivered``) or the error; a resumed collection redoes none of them.
    kinds: dict[str, str] = {}
    notice_hash: str
    #: The controller's side of the notice as it was at the start (``notice_hash`` is over
    #: it); ``None`` for a session stored before sessions kept it.
    notice: NoticeSettings | None = None
    sources: dict[str, SourceProgress]
    #: The holder's public JWK: the session's records carry it as ``cnf.jwk`` (key-bound).
    holder_jwk: dict[str, str] | None = None
    #: Ledger events of the last step not yet known to be in the ledger. A step writes them
    #: with its session change (one compare-and-set), then appends them and clears them: the
    #: loser of a race appends nothing, and a step cut short is repaired by the next call.
    pending: tuple[PendingEvent, ...] = ()
    #: The ledger's size as read before the write that made ``pending`` what it is: any append
    #: of those events comes after that write, so at this index or later, and they are looked
    #: up in the ledger from here on. ``None`` (a session stored before sessions kept it, or
    #: nothing pending) looks them up in the whole ledger.
    pending_from: int | None = None
    #: The collection's outcome (records, errors, evidence), sealed: kept until retention ends.
    result: str | None = None
    #: Until when a source may be added after the collection (``add_source``: a second
    #: bank), and so until when the raw answers kept to merge it with are kept (see the
    #: collector): set when a collection finishes (the gateway's ``late_source_window``).
    #: ``None`` before that, once the window closed and the answers were dropped
    #: (``expire_due``), for a session no source can join (the gateway has one instance of
    #: each kind it asks). A session stored before sessions kept it reads as one whose window
    #: closed when it was last written (``_window_of_the_previous_release``): no source can
    #: be added after its collection, and the answers it may keep go at the next sweep.
    late_sources_until: datetime | None = None
    #: An applicant's: their fiscal partner's own session, once started.
    partner: PartnerLink | None = None
    #: A fiscal partner's: the applicant's session theirs joins.
    joins: PartnerLink | None = None

    @model_validator(mode="before")
    @classmethod
    def _window_of_the_previous_release(cls, data: Any) -> Any:
        """A session stored before sessions kept ``late_sources_until`` (the key absent, not
        ``null``) with a kind delivered may keep raw answers with its outcomes, and no source
        can join it after its collection: its window counts as closed when it was last
        written, so it is due now and the sweep drops them (``flow.close_late_window``)."""
        if (
            isinstance(data, dict)
            and "late_sources_until" not in data
            and data.get("kinds")
            and data.get("state") in _LIVE  # a str enum: its values compare equal
        ):
            return {**data, "late_sources_until": data.get("updated_at")}
        return data

    @property
    def due_at(self) -> datetime | None:
        """When ``Gateway.expire_due`` next has work with this session: its consent ends, or,
        sooner, its late-source window closes (the answers kept for it to drop). ``None``
        for a session that has ended (denied, withdrawn, expired): never. The session stores
        keep it in their indexed column, so that ``due`` reads only what is due."""
        if self.state not in _LIVE:
            return None
        if self.late_sources_until is None:
            return self.consent_expires_at
        return min(self.consent_expires_at, self.late_sources_until)


class SessionStore(Protocol):
    """A place to keep sessions. Implementations must be safe for several processes."""

    def create(self, record: SessionRecord) -> None: ...

    def get(self, session_id: str) -> SessionRecord: ...

    def replace(self, record: SessionRecord) -> SessionRecord:
        """Store ``record`` as version ``record.version + 1`` if the stored one is
        ``record.version``; otherwise ``ConcurrentUpdateError``. Returns the stored record."""
        ...

    def due(self, now: datetime) -> list[str]:
        """Ids of the sessions due by ``now`` (``SessionRecord.due_at``), sorted: live ones
        whose consent ended or whose late-source window closed. Read from an index, not a
        scan of every session."""
        ...

    def of_subject(self, subject: str) -> list[SessionRecord]:
        """Every session of one subject (the pseudonym)."""
        ...

    def forget_subject(self, subject: str) -> int:
        """Delete every session of one subject (erasure); returns how many there were."""
        ...

    def close(self) -> None: ...


class SecretBox:
    """AES-256-GCM sealing of small JSON secrets, bound to a context (AAD)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise StoreError("the session store key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    @staticmethod
    def generate_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def seal(self, value: dict[str, Any], context: str) -> str:
        nonce = os.urandom(12)
        plaintext = json.dumps(value, separators=(",", ":")).encode()
        sealed = nonce + self._aead.encrypt(nonce, plaintext, context.encode())
        return base64.urlsafe_b64encode(sealed).decode()

    def open(self, sealed: str, context: str) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            plaintext = self._aead.decrypt(raw[:12], raw[12:], context.encode())
        except (InvalidTag, ValueError) as exc:
            raise StoreError(
                "a sealed session secret does not open: wrong store key or tampered store"
            ) from exc
        value: dict[str, Any] = json.loads(plaintext)
        return value


#: What the stores' indexed column holds for a session never due (``due_at`` is ``None``):
#: beyond any ``now``, so that ended sessions stay out of ``due``'s range.
_NEVER = datetime.max.replace(tzinfo=UTC)


def _due_column(record: SessionRecord) -> datetime:
    """The value of the stores' indexed ``expires_at`` column: the session's due time."""
    return record.due_at or _NEVER


class MemorySessionStore:
    """Sessions in a dict: for tests and single-process use.

    Like the database stores it keeps an index of the due times (``SessionRecord.due_at``):
    ``(due time, id)`` pairs in order, so ``due`` reads the ones due, not every session."""

    __slots__ = ("_due", "_index", "_lock", "_records")

    def __init__(self) -> None:
        self._records: dict[str, str] = {}
        self._lock = threading.Lock()
        #: Per session, its due time (POSIX seconds); and the same as sorted pairs.
        self._due: dict[str, float] = {}
        self._index: list[tuple[float, str]] = []

    def _indexed(self, record: SessionRecord) -> None:
        """Index ``record``'s due time in place of its last (under the lock)."""
        old = self._due.pop(record.id, None)
        if old is not None:
            del self._index[bisect_left(self._index, (old, record.id))]
        at = _due_column(record).timestamp()
        self._due[record.id] = at
        insort(self._index, (at, record.id))

    def create(self, record: SessionRecord) -> None:
        with self._lock:
            if record.id in self._records:
                raise StoreError(f"session {record.id} exists already")
            self._records[record.id] = record.model_dump_json()
            self._indexed(record)

    def get(self, session_id: str) -> SessionRecord:
        with self._lock:
            body = self._records.get(session_id)
        if body is None:
            raise SessionNotFoundError(f"no session {session_id!r}")
        return SessionRecord.model_validate_json(body)

    def replace(self, record: SessionRecord) -> SessionRecord:
        stored = record.model_copy(update={"version": record.version + 1})
        with self._lock:
            current = self._records.get(record.id)
            if current is None:
                raise SessionNotFoundError(f"no session {record.id!r}")
            if SessionRecord.model_validate_json(current).version != record.version:
                raise ConcurrentUpdateError(
                    f"session {record.id} was changed concurrently; reload it"
                )
            self._records[record.id] = stored.model_dump_json()
            self._indexed(stored)
        return stored

    def due(self, now: datetime) -> list[str]:
        with self._lock:
            end = bisect_right(self._index, now.timestamp(), key=lambda pair: pair[0])
            return sorted(session_id for _, session_id in self._index[:end])

    def of_subject(self, subject: str) -> list[SessionRecord]:
        with self._lock:
            bodies = list(self._records.values())
        return [r for r in map(SessionRecord.model_validate_json, bodies) if r.subject == subject]

    def forget_subject(self, subject: str) -> int:
        doomed = {r.id for r in self.of_subject(subject)}
        with self._lock:
            for session_id in doomed:
                if self._records.pop(session_id, None) is not None:
                    at = self._due.pop(session_id)
                    del self._index[bisect_left(self._index, (at, session_id))]
        return len(doomed)

    def close(self) -> None:
        pass


class SqliteSessionStore(SqliteStore):
    """Sessions in SQLite (stdlib), beside the ledger in the same file if you like.

    WAL mode lets several processes share the file; each write is one statement, and the
    version column makes a stale write fail instead of overwriting a newer one. SQLite errors
    (a locked or corrupt file) come out as ``StoreError``.
    """

    _what = "session store"

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        in_memory = str(path) == ":memory:"
        try:
            super().__init__(
                path,
                timeout=timeout,
                # Sessions are working state, not evidence: in WAL mode NORMAL never corrupts
                # the file and at worst loses the last write on power loss, which the
                # consumer redoes. The ledger keeps FULL.
                pragmas=() if in_memory else ("journal_mode=WAL", "synchronous=NORMAL"),
                schema=(
                    "CREATE TABLE IF NOT EXISTS session_records ("
                    " id TEXT PRIMARY KEY,"
                    " version INTEGER NOT NULL,"
                    " state TEXT NOT NULL,"
                    # The session's due time (``SessionRecord.due_at``; named for the consent's
                    # end, which it was alone before the late-source window), POSIX seconds.
                    " expires_at REAL NOT NULL,"
                    " body TEXT NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS session_records_due"
                    " ON session_records (expires_at)",
                ),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the session store: {exc}") from exc

    def insert_write(self, record: SessionRecord) -> RowWrite:
        """The insert of a new session, for a transaction of its own or the ledger's."""
        return RowWrite(
            sql="INSERT OR IGNORE INTO session_records (id, version, state, expires_at, body)"
            " VALUES (?, ?, ?, ?, ?)",
            params=(
                record.id,
                record.version,
                record.state.value,
                _due_column(record).timestamp(),
                record.model_dump_json(),
            ),
            lost=StoreError(f"session {record.id} exists already"),
        )

    def cas_write(self, record: SessionRecord) -> tuple[RowWrite, SessionRecord]:
        """The compare-and-set that stores ``record`` as its next version, and that version."""
        stored = record.model_copy(update={"version": record.version + 1})
        write = RowWrite(
            sql="UPDATE session_records SET version = ?, state = ?, expires_at = ?, body = ?"
            " WHERE id = ? AND version = ?",
            params=(
                stored.version,
                stored.state.value,
                _due_column(stored).timestamp(),
                stored.model_dump_json(),
                record.id,
                record.version,
            ),
            lost=ConcurrentUpdateError(f"session {record.id} was changed concurrently; reload it"),
        )
        return write, stored

    def create(self, record: SessionRecord) -> None:
        write = self.insert_write(record)
        with self._guard():
            if self._conn.execute(write.sql, write.params).rowcount != 1:
                raise write.lost

    def get(self, session_id: str) -> SessionRecord:
        with self._guard():
            row = self._conn.execute(
                "SELECT body FROM session_records WHERE id = ?", (session_id,)
            ).fetchone()
        if row is None:
            raise SessionNotFoundError(f"no session {session_id!r}")
        return SessionRecord.model_validate_json(row[0])

    def replace(self, record: SessionRecord) -> SessionRecord:
        write, stored = self.cas_write(record)
        with self._guard():
            cursor = self._conn.execute(write.sql, write.params)
            if cursor.rowcount != 1:
                exists = self._conn.execute(
                    "SELECT 1 FROM session_records WHERE id = ?", (record.id,)
                ).fetchone()
                if exists is None:
                    raise SessionNotFoundError(f"no session {record.id!r}")
                raise write.lost
        return stored

    def due(self, now: datetime) -> list[str]:
        # Sorted here, not by the query: an ORDER BY id makes SQLite walk the primary key
        # (every session) rather than the due index. The state is checked too, for the rows
        # of sessions that ended under a release that kept their consent's end here.
        marks = ",".join("?" for _ in _LIVE)
        with self._guard():
            rows = self._conn.execute(
                f"SELECT id FROM session_records WHERE expires_at <= ? AND state IN ({marks})",  # noqa: S608 - placeholders only
                (now.timestamp(), *(s.value for s in _LIVE)),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def of_subject(self, subject: str) -> list[SessionRecord]:
        with self._guard():
            rows = self._conn.execute(
                "SELECT body FROM session_records WHERE json_extract(body, '$.subject') = ?",
                (subject,),
            ).fetchall()
        return [SessionRecord.model_validate_json(row[0]) for row in rows]

    def forget_subject(self, subject: str) -> int:
        with self._guard():
            # Zero the freed pages, and fold the WAL back into the file and truncate it, so
            # the deleted rows (pseudonym -> session and consent ids) are not left readable.
            self._conn.execute("PRAGMA secure_delete=ON")
            cursor = self._conn.execute(
                "DELETE FROM session_records WHERE json_extract(body, '$.subject') = ?",
                (subject,),
            )
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount


_POSTGRES_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.session_records (
    id         TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL, -- the due time (SessionRecord.due_at)
    body       JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS session_records_due ON {s}.session_records (expires_at);
"""


class PostgresSessionStore(PostgresStore):
    """Sessions in PostgreSQL, shared by every application instance (``brondata[postgres]``).

    The same optimistic versioning as SQLite: ``UPDATE ... WHERE version = %s`` either
    moves the session one version on or touches nothing, so of two instances racing to
    complete one login exactly one wins. The table is created on open.
    """

    _what = "session store"
    _pool_name = "sessions"
    _ddl = _POSTGRES_DDL
    _lock_prefix = "brondata:sessions:"

    def insert_write(self, record: SessionRecord) -> RowWrite:
        """The insert of a new session, for a transaction of its own or the ledger's."""
        return RowWrite(
            sql=self._q(
                "INSERT INTO {s}.session_records (id, version, state, expires_at, body)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING 1"
            ),
            params=(
                record.id,
                record.version,
                record.state.value,
                _due_column(record),
                record.model_dump_json(),
            ),
            lost=StoreError(f"session {record.id} exists already"),
        )

    def cas_write(self, record: SessionRecord) -> tuple[RowWrite, SessionRecord]:
        """The compare-and-set that stores ``record`` as its next version, and that version."""
        stored = record.model_copy(update={"version": record.version + 1})
        write = RowWrite(
            sql=self._q(
                "UPDATE {s}.session_records"
                " SET version = %s, state = %s, expires_at = %s, body = %s"
                " WHERE id = %s AND version = %s RETURNING 1"
            ),
            params=(
                stored.version,
                stored.state.value,
                _due_column(stored),
                stored.model_dump_json(),
                record.id,
                record.version,
            ),
            lost=ConcurrentUpdateError(f"session {record.id} was changed concurrently; reload it"),
        )
        return write, stored

    def create(self, record: SessionRecord) -> None:
        write = self.insert_write(record)
        with self._connection() as conn:
            if conn.execute(write.sql, write.params).fetchone() is None:
                raise write.lost

    def get(self, session_id: str) -> SessionRecord:
        with self._connection() as conn:
            row = conn.execute(
                self._q("SELECT body::text FROM {s}.session_records WHERE id = %s"), (session_id,)
            ).fetchone()
        if row is None:
            raise SessionNotFoundError(f"no session {session_id!r}")
        return SessionRecord.model_validate_json(row[0])

    def replace(self, record: SessionRecord) -> SessionRecord:
        write, stored = self.cas_write(record)
        with self._connection() as conn:
            if conn.execute(write.sql, write.params).fetchone() is None:
                exists = conn.execute(
                    self._q("SELECT 1 FROM {s}.session_records WHERE id = %s"), (record.id,)
                ).fetchone()
                if exists is None:
                    raise SessionNotFoundError(f"no session {record.id!r}")
                raise write.lost
        return stored

    def due(self, now: datetime) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute(
                self._q(
                    "SELECT id FROM {s}.session_records WHERE expires_at <= %s AND state = ANY(%s)"
                ),
                (now, [s.value for s in _LIVE]),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def of_subject(self, subject: str) -> list[SessionRecord]:
        with self._connection() as conn:
            rows = conn.execute(
                self._q("SELECT body::text FROM {s}.session_records WHERE body->>'subject' = %s"),
                (subject,),
            ).fetchall()
        return [SessionRecord.model_validate_json(row[0]) for row in rows]

    def forget_subject(self, subject: str) -> int:
        with self._connection() as conn:
            cursor = conn.execute(
                self._q("DELETE FROM {s}.session_records WHERE body->>'subject' = %s"), (subject,)
            )
        return int(cursor.rowcount)
