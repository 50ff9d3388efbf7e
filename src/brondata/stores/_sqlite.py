"""The SQLite base every SQLite store builds on: ledger, subject keyring, session store.

``SqliteStore`` is one ``sqlite3`` connection in autocommit mode (each store writes its own
transactions), shared by threads behind a lock. On open it sets the store's pragmas and runs
its schema statements in one transaction; ``_guard()`` checks that the store is open,
serialises access, and maps ``sqlite3`` errors through one table (``SQLITE_ERRORS``) to
brondata's, naming the store and never a value. ``immediate_transaction`` is the
``BEGIN IMMEDIATE`` transaction every SQLite writer here takes.

The tables, queries and the meaning of their own errors stay with each store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Final

from brondata.errors import BrondataError, StoreError, StoreUnavailableError
from brondata.stores._base import ClosingContext

__all__ = ["SQLITE_ERRORS", "SqliteStore", "immediate_transaction", "sqlite_path"]

# SQLite's primary result codes for "another connection holds the lock past the timeout".
_BUSY: Final = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED

#: How a ``sqlite3`` error becomes brondata's: the first row that matches wins.
SQLITE_ERRORS: Final[tuple[tuple[type[sqlite3.Error], type[StoreError]], ...]] = (
    (sqlite3.OperationalError, StoreUnavailableError),  # narrowed to busy/locked below
    (sqlite3.Error, StoreError),
)


def sqlite_path(url: str | os.PathLike[str]) -> str:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs`` for an absolute path, as
    SQLAlchemy writes it), or the path itself; ``":memory:"`` for ``sqlite://``."""
    text = os.fspath(url)
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") :] or ":memory:"
    if text in ("sqlite://", "sqlite:"):
        return ":memory:"
    return text


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


def map_sqlite_error(exc: sqlite3.Error, what: str) -> StoreError:
    """``exc`` as brondata's error, through ``SQLITE_ERRORS``; the message names the store."""
    for source, target in SQLITE_ERRORS:
        if isinstance(exc, source):
            if target is StoreUnavailableError and exc.sqlite_errorcode & 0xFF not in _BUSY:
                continue
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return target(f"SQLite {what}: {detail}")
    return StoreError(f"SQLite {what}: {exc}")  # pragma: no cover - the last row matches all


class SqliteStore(ClosingContext):
    """A store in a SQLite file (or ``":memory:"``): one connection, its pragmas and schema.

    A store says how its messages name it (``_what``) and may say more about an error than
    the table does (``_error``).
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
        self._lock = threading.RLock()
        self._closed = False
        #: The database file, to tell whether another store shares it (``None`` in memory:
        #: each connection to ``":memory:"`` has a database of its own).
        file = sqlite_path(path)
        self.database = None if file == ":memory:" else os.path.realpath(file)
        try:
            # check_same_thread is off because the lock serialises access.
            self._conn = sqlite3.connect(
                sqlite_path(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open the SQLite {self._what}: {exc}") from exc
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
        return map_sqlite_error(exc, self._what)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise access, refuse a closed store, and turn sqlite3 errors into brondata's."""
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
