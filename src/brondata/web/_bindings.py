"""Which browser is bound to which journey, kept where every instance of the app sees it.

A journey's binding is the session id, the lender's subject reference (for "my consents" and
the access report), the hash of the browser secret of the first browser that opened the
journey link, and when a collection was asked for that has not ended yet (so that another
instance shows progress while the collection waits its turn on the one that runs it).

The lender's app may run on several instances behind a load balancer: a consumer starts on
one, comes back from a source's login on another and reads the result on a third, so the
bindings live in a store those instances share, as the sessions do:

* ``MemoryBindingStore``: one process (tests, a single instance);
* ``SqliteBindingStore``: one SQLite file (the gateway's own file will do: its own table);
* ``PostgresBindingStore``: one PostgreSQL database, in a schema (its own pool, or a shared one).

``open_binding_store(url)`` picks by URL as ``brondata.stores.open_stores`` does. The stores
are synchronous; the journey calls them through ``brondata.stores.off_loop``, in a worker
thread. Binding a browser is a compare-and-set: of two browsers opening the same link at
once, on the same or on two instances, exactly one is bound.

Nothing personal is kept: the subject is the application's own reference (never a name or a
BSN), the browser secret only as its SHA-256. ``Gateway.erase_subject`` removes a subject's
bindings too (the journey registers ``forget_subject`` with ``Gateway.on_erase``), and a
binding whose session the gateway no longer has is removed when it is looked up.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from typing import Any, Protocol

from brondata.errors import StoreError
from brondata.stores import PostgresStore, SqliteStore, is_dsn, sqlite_path

__all__ = [
    "BindingStore",
    "JourneyBinding",
    "MemoryBindingStore",
    "PostgresBindingStore",
    "SqliteBindingStore",
    "open_binding_store",
]


@dataclass(frozen=True, slots=True)
class JourneyBinding:
    """One journey: its session, the lender's subject reference, the bound browser."""

    session_id: str
    subject: str
    #: SHA-256 of the bound browser's secret; ``None`` until a browser opened the link.
    browser_hash: str | None = None
    #: POSIX time a collection was asked for, until it ended (``None``: none pending).
    collect_requested: float | None = None


class BindingStore(Protocol):
    """Where the journey keeps its bindings. Implementations are safe for several threads
    (and, but for the memory one, several processes)."""

    def add(self, session_id: str, subject: str) -> JourneyBinding:
        """The binding of ``session_id``: made now (no browser yet) or the one made before."""
        ...

    def get(self, session_id: str) -> JourneyBinding | None: ...

    def bind(self, session_id: str, browser_hash: str) -> JourneyBinding | None:
        """Bind ``browser_hash`` unless a browser is bound already; the binding as stored
        afterwards (whoever won), ``None`` for an unknown session."""
        ...

    def mark_collection(self, session_id: str, at: float | None) -> None:
        """Note that a collection was asked for at ``at`` (``None``: it ended)."""
        ...

    def remove(self, session_id: str) -> None:
        """Forget ``session_id``'s binding (its session is gone); none there is no error."""
        ...

    def forget_subject(self, subject: str) -> int:
        """Forget every binding of ``subject`` (GDPR art. 17); how many there were."""
        ...

    def close(self) -> None: ...


class MemoryBindingStore:
    """Bindings in a dict: one process."""

    __slots__ = ("_bindings", "_lock")

    def __init__(self) -> None:
        self._bindings: dict[str, JourneyBinding] = {}
        self._lock = threading.Lock()

    def add(self, session_id: str, subject: str) -> JourneyBinding:
        with self._lock:
            return self._bindings.setdefault(session_id, JourneyBinding(session_id, subject))

    def get(self, session_id: str) -> JourneyBinding | None:
        with self._lock:
            return self._bindings.get(session_id)

    def bind(self, session_id: str, browser_hash: str) -> JourneyBinding | None:
        with self._lock:
            binding = self._bindings.get(session_id)
            if binding is not None and binding.browser_hash is None:
                binding = replace(binding, browser_hash=browser_hash)
                self._bindings[session_id] = binding
            return binding

    def mark_collection(self, session_id: str, at: float | None) -> None:
        with self._lock:
            binding = self._bindings.get(session_id)
            if binding is not None:
                self._bindings[session_id] = replace(binding, collect_requested=at)

    def remove(self, session_id: str) -> None:
        with self._lock:
            self._bindings.pop(session_id, None)

    def forget_subject(self, subject: str) -> int:
        with self._lock:
            gone = [k for k, binding in self._bindings.items() if binding.subject == subject]
            for session_id in gone:
                del self._bindings[session_id]
            return len(gone)

    def close(self) -> None:
        return None


class SqliteBindingStore(SqliteStore):
    """Bindings in a SQLite file (WAL: several processes on one machine may share it)."""

    _what = "journey binding store"

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        in_memory = sqlite_path(path) == ":memory:"
        super().__init__(
            path,
            timeout=timeout,
            pragmas=() if in_memory else ("journal_mode=WAL", "synchronous=NORMAL"),
            schema=(
                "CREATE TABLE IF NOT EXISTS journey_bindings ("
                " session_id TEXT PRIMARY KEY,"
                " subject TEXT NOT NULL,"
                " browser_hash TEXT,"
                " collect_requested REAL)",
            ),
        )

    def _row(self, session_id: str) -> JourneyBinding | None:
        row = self._conn.execute(
            "SELECT subject, browser_hash, collect_requested FROM journey_bindings"
            " WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        return None if row is None else JourneyBinding(session_id, *row)

    def add(self, session_id: str, subject: str) -> JourneyBinding:
        with self._guard():
            self._conn.execute(
                "INSERT INTO journey_bindings (session_id, subject) VALUES (?, ?)"
                " ON CONFLICT (session_id) DO NOTHING",
                (session_id, subject),
            )
            binding = self._row(session_id)
        if binding is None:  # pragma: no cover - inserted or there above
            raise StoreError("the journey binding vanished")
        return binding

    def get(self, session_id: str) -> JourneyBinding | None:
        with self._guard():
            return self._row(session_id)

    def bind(self, session_id: str, browser_hash: str) -> JourneyBinding | None:
        with self._guard():
            self._conn.execute(
                "UPDATE journey_bindings SET browser_hash = ?"
                " WHERE session_id = ? AND browser_hash IS NULL",
                (browser_hash, session_id),
            )
            return self._row(session_id)

    def mark_collection(self, session_id: str, at: float | None) -> None:
        with self._guard():
            self._conn.execute(
                "UPDATE journey_bindings SET collect_requested = ? WHERE session_id = ?",
                (at, session_id),
            )

    def remove(self, session_id: str) -> None:
        with self._guard():
            self._conn.execute("DELETE FROM journey_bindings WHERE session_id = ?", (session_id,))

    def forget_subject(self, subject: str) -> int:
        with self._guard():
            # As the session store erases: the freed pages zeroed and the WAL folded back,
            # so the application's reference is not left readable in the file.
            self._conn.execute("PRAGMA secure_delete=ON")
            cursor = self._conn.execute(
                "DELETE FROM journey_bindings WHERE subject = ?", (subject,)
            )
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount


_POSTGRES_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.journey_bindings (
    session_id   TEXT PRIMARY KEY,
    subject      TEXT NOT NULL,
    browser_hash TEXT,
    collect_requested DOUBLE PRECISION
);
"""


class PostgresBindingStore(PostgresStore):
    """Bindings in PostgreSQL, shared by every instance (``brondata[postgres]``)."""

    _what = "journey binding store"
    _pool_name = "journey"
    _ddl = _POSTGRES_DDL
    _lock_prefix = "brondata:journey:"

    def add(self, session_id: str, subject: str) -> JourneyBinding:
        with self._connection() as conn:
            conn.execute(
                self._q(
                    "INSERT INTO {s}.journey_bindings (session_id, subject) VALUES (%s, %s)"
                    " ON CONFLICT (session_id) DO NOTHING"
                ),
                (session_id, subject),
            )
        binding = self.get(session_id)
        if binding is None:  # pragma: no cover - inserted or there above
            raise StoreError("the journey binding vanished")
        return binding

    def get(self, session_id: str) -> JourneyBinding | None:
        with self._connection() as conn:
            row = conn.execute(
                self._q(
                    "SELECT subject, browser_hash, collect_requested FROM {s}.journey_bindings"
                    " WHERE session_id = %s"
                ),
                (session_id,),
            ).fetchone()
        return None if row is None else JourneyBinding(session_id, *row)

    def bind(self, session_id: str, browser_hash: str) -> JourneyBinding | None:
        with self._connection() as conn:
            # One statement: the row lock makes it a compare-and-set across instances.
            conn.execute(
                self._q(
                    "UPDATE {s}.journey_bindings SET browser_hash = %s"
                    " WHERE session_id = %s AND browser_hash IS NULL"
                ),
                (browser_hash, session_id),
            )
        return self.get(session_id)

    def mark_collection(self, session_id: str, at: float | None) -> None:
        with self._connection() as conn:
            conn.execute(
                self._q(
                    "UPDATE {s}.journey_bindings SET collect_requested = %s WHERE session_id = %s"
                ),
                (at, session_id),
            )

    def remove(self, session_id: str) -> None:
        with self._connection() as conn:
            conn.execute(
                self._q("DELETE FROM {s}.journey_bindings WHERE session_id = %s"), (session_id,)
            )

    def forget_subject(self, subject: str) -> int:
        with self._connection() as conn:
            cursor = conn.execute(
                self._q("DELETE FROM {s}.journey_bindings WHERE subject = %s"), (subject,)
            )
            return int(cursor.rowcount)


def open_binding_store(
    url: str | os.PathLike[str], *, schema: str = "public", pool: Any = None
) -> BindingStore:
    """The binding store ``url`` names: ``postgresql://...`` (in ``schema``; through
    ``pool`` if given, e.g. the pool of the gateway's ``Stores``), a SQLite path or
    ``sqlite:///path``; ``":memory:"`` keeps them in this process."""
    text = os.fspath(url)
    if not text.strip():
        raise StoreError("no database named: give a path, sqlite:///path or postgresql://...")
    if is_dsn(text):
        return PostgresBindingStore(text, schema=schema, pool=pool)
    if sqlite_path(text) == ":memory:":
        return MemoryBindingStore()
    return SqliteBindingStore(text)
