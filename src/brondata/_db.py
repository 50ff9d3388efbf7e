"""What the SQLite and PostgreSQL stores share: opening a pool, a guarded SQLite connection.

``open_pool`` opens a psycopg ``ConnectionPool`` and waits until it holds a connection, so a
wrong DSN fails at construction with a ``StoreError`` rather than at the first query.
``SqliteStore`` is one autocommit ``sqlite3`` connection behind a lock, as the SQLite ledger
and subject keyring use it; ``immediate_transaction`` is the ``BEGIN IMMEDIATE`` transaction
every SQLite writer here takes. ``ClosingContext`` makes ``with store:`` close the store.

The tables, queries and the meaning of errors stay with each store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from brondata.errors import BrondataError, StoreError

if TYPE_CHECKING:  # psycopg is the ``postgres`` extra: imported only when a pool is opened
    from psycopg_pool import ConnectionPool

__all__ = ["ClosingContext", "SqliteStore", "immediate_transaction", "open_pool"]


class ClosingContext:
    """``with store:`` closes ``store`` when the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_pool(
    dsn: str, *, name: str | None, max_size: int, timeout: float, store: str
) -> ConnectionPool[Any]:
    """An open pool of 1 to ``max_size`` connections to ``dsn``, waited for up to ``timeout``
    seconds; ``StoreError`` naming the ``store`` ("ledger", ...) if none can be made."""
    try:
        from psycopg_pool import ConnectionPool
    except ImportError as exc:  # pragma: no cover - the extra is part of dev
        raise StoreError("PostgreSQL needs the extra: pip install 'brondata[postgres]'") from exc

    pool: ConnectionPool[Any] = ConnectionPool(
        dsn, min_size=1, max_size=max_size, timeout=timeout, open=False, name=name
    )
    try:
        pool.open(wait=True, timeout=timeout)
    except Exception as exc:
        pool.close()
        raise StoreError(f"cannot connect to the {store} database: {exc}") from exc
    return pool


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on an autocommit connection, rolled back on any error.

    IMMEDIATE takes the write lock before the first read, so two writers can never both read
    the same state and then write on it.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back by itself (I/O error, disk full).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SqliteStore(ClosingContext):
    """One ``sqlite3`` connection in autocommit mode (the store writes its own transactions),
    shared by threads behind a lock; on open the ``pragmas`` are set and the ``schema``
    statements run in one transaction.

    ``_guard()`` serialises access and turns ``sqlite3`` errors into brondata's: by default
    ``StoreError("SQLite <what>: …")``; a store may say more in ``_error``.
    """

    _what = "store"  # how messages name the store: "ledger", "subject keyring"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float,
        pragmas: Iterable[str],
        schema: Iterable[str],
    ) -> None:
        # check_same_thread is off because the lock serialises access.
        self._conn = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.RLock()
        self._closed = False
        try:
            with self._guard():
                for pragma in pragmas:
                    self._conn.execute(f"PRAGMA {pragma}")
                with self._transaction():
                    for statement in schema:
                        self._conn.execute(statement)
        except BaseException:
            self._conn.close()
            raise

    def _closed_error(self) -> BrondataError:
        return StoreError(f"the {self._what} is closed")

    def _error(self, exc: sqlite3.Error) -> BrondataError:
        return StoreError(f"SQLite {self._what}: {exc}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise access and turn sqlite3 errors into brondata's."""
        with self._lock:
            if self._closed:
                raise self._closed_error()
            try:
                yield
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def _transaction(self) -> AbstractContextManager[None]:
        return immediate_transaction(self._conn)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
