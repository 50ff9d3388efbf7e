"""Where brondata keeps its state: one base per database engine, and ``open_stores``.

Three stores hold the gateway's state: the consent ledger, the subject keyring beside it, and
the session store. Each has an in-memory, a SQLite and a PostgreSQL implementation (in
``consent`` and ``_session_store``); the SQLite ones build on ``SqliteStore`` and the
PostgreSQL ones on ``PostgresStore`` (this package), which hold what an engine's stores share:
the connection or pool, pragmas, schema creation, the mapping of the driver's errors to
``StoreError`` and its subclasses, and the closed check.

``open_stores(url)`` builds all three from one URL:

* ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or a bare path: one SQLite file
  (``":memory:"`` or ``sqlite://``: in memory, with an in-memory keyring);
* ``postgresql://user@host/db`` (or ``postgres://``, or libpq ``key=value`` pairs): one
  database, one connection pool shared by the three stores, tables in ``schema``.

A URL that names no database fails at once with a ``StoreError``; a server that cannot be
reached fails within a few seconds (``StoreUnavailableError``), never with the password in
the message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from brondata.errors import StoreError
from brondata.stores._async import AsyncSessionStore, off_loop
from brondata.stores._base import ClosingContext, GroupCommit
from brondata.stores._postgres import PostgresStore, is_dsn, open_pool
from brondata.stores._sqlite import SqliteStore, immediate_transaction, sqlite_path

if TYPE_CHECKING:
    from brondata._session_store import SessionStore
    from brondata.consent import ConsentLedger, ConsentLog, SubjectKeyring

__all__ = [
    "AsyncSessionStore",
    "ClosingContext",
    "GroupCommit",
    "PostgresStore",
    "SqliteStore",
    "Stores",
    "immediate_transaction",
    "is_dsn",
    "off_loop",
    "open_pool",
    "open_stores",
    "shares_database",
    "sqlite_path",
]


@dataclass(eq=False)
class Stores(ClosingContext):
    """The ledger, the subject keyring and the session store of one database.

    ``close`` closes all three (and the pool they share), each even if another fails.
    """

    ledger: ConsentLedger
    keyring: SubjectKeyring
    sessions: SessionStore
    #: What the three share and ``close`` releases last (a PostgreSQL pool).
    shared: list[Any] = field(default_factory=list)

    def log(self) -> ConsentLog:
        """The ledger and keyring as one ``ConsentLog`` (closing it closes both)."""
        from brondata.consent import ConsentLog

        return ConsentLog(self.ledger, self.keyring)

    def close(self) -> None:
        failures: list[Exception] = []
        for resource in (self.sessions, self.keyring, self.ledger, *self.shared):
            try:
                resource.close()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise StoreError(f"closing the stores failed: {failures[0]}") from failures[0]


def open_stores(
    url: str | os.PathLike[str],
    *,
    schema: str = "public",
    max_connections: int = 8,
    timeout: float = 30.0,
) -> Stores:
    """The ledger, subject keyring and session store in the database ``url`` names.

    ``schema`` is the PostgreSQL schema of the tables; ``max_connections`` the size of the
    pool the three share; ``timeout`` how long a call waits for a connection (PostgreSQL) or
    for SQLite's write lock.
    """
    from brondata._session_store import PostgresSessionStore, SqliteSessionStore
    from brondata.consent import (
        MemorySubjectKeyring,
        SqliteLedger,
        SqliteSubjectKeyring,
    )

    text = os.fspath(url)
    if not text.strip():
        raise StoreError("no database named: give a path, sqlite:///path or postgresql://...")
    if is_dsn(text):
        from brondata.consent._postgres import PostgresLedger, PostgresSubjectKeyring

        pool = open_pool(
            text,
            name=f"brondata-{schema}",
            max_size=max_connections,
            timeout=timeout,
            store="brondata",
        )
        opened: list[Any] = []
        try:
            common: dict[str, Any] = {"schema": schema, "pool": pool, "timeout": timeout}
            pg_ledger = PostgresLedger(text, **common)
            opened.append(pg_ledger)
            # Beside its ledger, the keyring keeps keys in memory; the ledger checks them.
            opened.append(PostgresSubjectKeyring(text, ledger=pg_ledger, **common))
            opened.append(PostgresSessionStore(text, **common))
        except BaseException:
            for resource in reversed(opened):
                resource.close()
            pool.close()
            raise
        return Stores(ledger=opened[0], keyring=opened[1], sessions=opened[2], shared=[pool])
    path = sqlite_path(text)
    ledger = SqliteLedger(path, timeout=timeout)
    try:
        # An in-memory database is private to its connection: the keys could not be shared.
        keyring: SubjectKeyring = (
            MemorySubjectKeyring()
            if path == ":memory:"
            else SqliteSubjectKeyring(path, timeout=timeout, ledger=ledger)
        )
        try:
            sessions = SqliteSessionStore(path, timeout=timeout)
        except BaseException:
            keyring.close()
            raise
    except BaseException:
        ledger.close()
        raise
    return Stores(ledger=ledger, keyring=keyring, sessions=sessions)


def shares_database(ledger: object, sessions: object) -> bool:
    """Whether ``ledger`` and ``sessions`` keep their tables in one database (one SQLite file;
    one PostgreSQL database and schema), so that a step's ledger events and its session
    change commit in one transaction (``append_unit``). Stores of the application's own, and
    in-memory ones, do not."""
    from brondata._session_store import PostgresSessionStore, SqliteSessionStore
    from brondata.consent import SqliteLedger

    if isinstance(ledger, SqliteLedger) and isinstance(sessions, SqliteSessionStore):
        return ledger.database is not None and ledger.database == sessions.database
    if isinstance(ledger, PostgresStore) and isinstance(sessions, PostgresSessionStore):
        from brondata.consent._postgres import PostgresLedger

        return isinstance(ledger, PostgresLedger) and ledger.database == sessions.database
    return False
