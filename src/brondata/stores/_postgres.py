"""The PostgreSQL base every PostgreSQL store builds on: ledger, subject keyring, sessions.

``open_pool`` checks the connection string and makes one connection first, with a short
connect timeout, so that a wrong DSN fails at once, once, as a ``StoreError`` that names the
server but never the password (rather than after the pool's 30 s of retries); then it opens a
psycopg ``ConnectionPool`` of autocommit connections (statements that belong together run in
an explicit transaction). ``PostgresStore`` is a store in one schema of a database through
such a pool (its own, or one it is given and then does not close): its tables are created on
open under an advisory lock, so that several processes opening a new store at once do not
race; ``_connection()`` refuses a closed store and maps psycopg's errors through one table
(``postgres_errors``) to brondata's.

Requires the ``postgres`` extra (``psycopg[binary]``, ``psycopg-pool``); this module imports
psycopg only when a store is opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from brondata.errors import (
    BrondataError,
    ConcurrentUpdateError,
    StoreError,
    StoreUnavailableError,
)
from brondata.stores._base import ClosingContext, split_script

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql
    from psycopg_pool import ConnectionPool

__all__ = [
    "PostgresStore",
    "is_dsn",
    "map_postgres_error",
    "open_pool",
    "postgres_errors",
]

#: How long one attempt to reach the server may take before the DSN is called unusable.
CONNECT_TIMEOUT: Final = 5
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# libpq key=value strings name at least one of these.
_KEYWORD_DSN: Final = re.compile(r"^\s*(host|hostaddr|dbname|user|port|service)\s*=")


def is_dsn(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (URL or libpq key=value string)."""
    return url.startswith(("postgresql://", "postgres://")) or bool(_KEYWORD_DSN.match(url))


def _psycopg() -> Any:
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:  # pragma: no cover - the extra is part of dev
        raise StoreError("PostgreSQL needs the extra: pip install 'brondata[postgres]'") from exc
    return psycopg, psycopg_pool


@cache
def postgres_errors() -> tuple[tuple[type[Exception], type[StoreError]], ...]:
    """How a psycopg error becomes brondata's: the first row that matches wins.

    A function, not a constant, so that importing brondata does not import psycopg.
    """
    psycopg, psycopg_pool = _psycopg()
    errors = psycopg.errors
    return (
        # Serialisation failures and deadlocks are lost races: the caller reloads and retries.
        (errors.SerializationFailure, ConcurrentUpdateError),
        (errors.DeadlockDetected, ConcurrentUpdateError),
        # No connection to be had (refused, lost, server shutting down, pool exhausted).
        (psycopg_pool.PoolTimeout, StoreUnavailableError),
        (psycopg.OperationalError, StoreUnavailableError),
        (psycopg.Error, StoreError),
    )


def _redact(text: str, dsn: str) -> str:
    """``text`` without the DSN's password: libpq may echo the connection string."""
    psycopg, _ = _psycopg()
    try:
        password = psycopg.conninfo.conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    first = text.strip().splitlines()[0] if text.strip() else "no detail"
    return first.replace(str(password), "***") if password else first


def map_postgres_error(exc: Exception, what: str, dsn: str = "") -> StoreError:
    """``exc`` as brondata's error, through ``postgres_errors()``; the message names the
    store and carries the first line of the server's message, without a password."""
    for source, target in postgres_errors():
        if isinstance(exc, source):
            return target(f"PostgreSQL {what}: {_redact(str(exc), dsn)}")
    return StoreError(f"PostgreSQL {what}: {type(exc).__name__}")


def open_pool(
    dsn: str, *, name: str | None, max_size: int, timeout: float, store: str
) -> ConnectionPool[Any]:
    """An open pool of 1 to ``max_size`` connections to ``dsn``.

    One connection is made first with a connect timeout of a few seconds: a DSN that does not
    parse, a server that does not answer and a refused login each raise at once, once, as a
    ``StoreError`` naming the ``store`` ("ledger", ...), instead of the pool retrying for
    ``timeout`` seconds. ``timeout`` stays how long a busy pool's caller waits for a
    connection.
    """
    psycopg, psycopg_pool = _psycopg()
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        # The parser's message quotes the string, password and all: say it without.
        raise StoreError(
            f"the {store} database: not a PostgreSQL connection string"
            " (postgresql://user@host:port/dbname, or libpq key=value pairs)"
        ) from None
    try:
        connect_timeout = int(params.get("connect_timeout") or CONNECT_TIMEOUT)
    except ValueError:
        raise StoreError(
            f"the {store} database: connect_timeout in the connection string is not a number"
        ) from None
    try:
        psycopg.connect(dsn, connect_timeout=connect_timeout).close()
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            f"cannot connect to the {store} database: {_redact(str(exc), dsn)}"
        ) from None
    pool: ConnectionPool[Any] = psycopg_pool.ConnectionPool(
        dsn,
        min_size=1,
        max_size=max_size,
        timeout=timeout,
        open=False,
        name=name,
        # Autocommit: a lone read or write is one round trip, not BEGIN, statement, COMMIT;
        # the stores open a transaction (``conn.transaction()``) where statements belong
        # together.
        kwargs={"connect_timeout": connect_timeout, "autocommit": True},
    )
    try:
        pool.open(wait=True, timeout=timeout)
    except Exception as exc:
        pool.close()
        raise StoreUnavailableError(
            f"cannot connect to the {store} database: {_redact(str(exc), dsn)}"
        ) from None
    return pool


class PostgresStore(ClosingContext):
    """A store in one schema of a PostgreSQL database, through a connection pool.

    ``dsn`` is a libpq connection string or URL. ``schema`` lets several stores (or test
    runs) share a database. Pass ``pool`` to share an existing psycopg ``ConnectionPool``
    (the store then does not close it); otherwise one of ``max_connections`` is opened.

    A store states what differs as class attributes: its ``_ddl``, a script whose ``{s}`` is
    the quoted schema (the only thing ever inserted into a statement), which runs on open
    under the transaction-level advisory lock ``_lock_prefix`` + schema.
    """

    _what = "store"  # how messages name the store: "ledger", "subject keyring"
    _pool_name = "store"  # its own pool is brondata-<this>-<schema>
    _ddl = ""
    _lock_prefix = "brondata:store:"

    def __init__(
        self,
        dsn: str = "",
        *,
        schema: str = "public",
        pool: ConnectionPool[Any] | None = None,
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        psycopg, _ = _psycopg()
        if not _SCHEMA_NAME.fullmatch(schema):
            raise StoreError(f"schema name {schema!r}: lowercase letters, digits, underscores")
        self._psycopg_error: type[Exception] = psycopg.Error
        self._sql = psycopg.sql
        self._schema = psycopg.sql.Identifier(schema)
        self._composed: dict[str, sql.Composed] = {}
        self._dsn = dsn
        self._owns_pool = pool is None
        self._closed = False
        if pool is None:
            pool = open_pool(
                dsn,
                name=f"brondata-{self._pool_name}-{schema}",
                max_size=max_connections,
                timeout=timeout,
                store=self._pool_name,
            )
        self._pool = pool
        #: The database and schema, to tell whether another store shares them.
        self.database = (dsn or f"pool:{id(pool)}", schema)
        try:
            with self._connection() as conn, conn.transaction():
                # Serialise first-time creation across processes; hashtext gives the lock a key.
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_prefix + schema,)
                )
                for statement in split_script(self._ddl):
                    conn.execute(self._q(statement))
        except BaseException:
            self.close()
            raise

    def _q(self, text: str) -> sql.Composed:
        # Every template is a literal of a store module; only the quoted schema is inserted.
        # Composed once per store: a hot path (an append) would otherwise compose it anew.
        composed = self._composed.get(text)
        if composed is None:
            composed = self._composed[text] = self._sql.SQL(text).format(s=self._schema)
        return composed

    def _closed_error(self) -> BrondataError:
        return StoreError(f"the {self._what} is closed")

    def _error(self, exc: Exception) -> BrondataError:
        return map_postgres_error(exc, self._what, self._dsn)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, with psycopg's errors turned into brondata's."""
        if self._closed:
            raise self._closed_error()
        try:
            with self._pool.connection() as conn:
                yield conn
        except self._psycopg_error as exc:
            raise self._error(exc) from exc

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._owns_pool:
                self._pool.close()
