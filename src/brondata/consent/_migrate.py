"""Create and migrate the consent tables (ledger, tree, subject keys) to this library's schema.

The stores create their tables on open, so an application works without this module; what it
adds is a record of the schema version, ``brondata_schema``: one row per applied migration
(component, version, description, time), so that a later release can change the tables step
by step and know where each database stands. ``upgrade_sqlite`` and ``upgrade_postgres`` are
idempotent, and refuse a database that a newer release has already migrated further.

A migration is a version number, a description and its statements per backend. Version 1 is
the schema the stores themselves create; later versions list their ``ALTER``s (or ``UPDATE``s
of rows an earlier release wrote) here. Each runs
in one transaction with its version row, under a lock (SQLite's write lock, a PostgreSQL
advisory lock), so that two upgrades at once apply every step exactly once.

Both open every store first (``open_stores``: ledger, subject keyring, session table), so an
upgraded database holds all of brondata's tables. ``brondata db upgrade`` calls these.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from brondata.errors import StoreError
from brondata.stores._sqlite import immediate_transaction, sqlite_path

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "SchemaUpgrade",
    "upgrade_postgres",
    "upgrade_sqlite",
]

COMPONENT: Final = "consent"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: statements for each backend ({s} is the PostgreSQL schema)."""

    version: int
    description: str
    sqlite: tuple[str, ...] = ()
    postgres: tuple[str, ...] = ()


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        1,
        "ledger entries and tree nodes (append-only), subject keys and erasure markers",
        # The stores create these tables on open; the upgrade opens them first.
    ),
    Migration(
        2,
        "sessions stored before the late-source window that may keep raw answers: due now",
        # No schema change: the rows' due time only. A session the release before stored (no
        # ``late_sources_until`` in its body) with a kind delivered reads as one whose window
        # closed when it was last written (``SessionRecord``), but its row still holds its
        # consent's end: due from then on, so the next sweep drops the answers it may keep.
        sqlite=(
            "UPDATE session_records SET expires_at = MIN(expires_at,"
            " CAST(strftime('%s', json_extract(body, '$.updated_at')) AS REAL))"
            " WHERE json_type(body, '$.late_sources_until') IS NULL"
            " AND json_extract(body, '$.kinds') <> json_object()"
            " AND state IN ('consented', 'collecting', 'collected')",
        ),
        postgres=(
            "UPDATE {s}.session_records SET expires_at = LEAST(expires_at,"
            " (body->>'updated_at')::timestamptz)"
            " WHERE NOT body ? 'late_sources_until'"
            " AND body->'kinds' <> jsonb_build_object()"
            " AND state IN ('consented', 'collecting', 'collected')",
        ),
    ),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version


@dataclass(frozen=True, slots=True)
class SchemaUpgrade:
    """What an upgrade did: the version before and after, and the steps applied."""

    component: str
    before: int
    after: int
    applied: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "before": self.before,
            "after": self.after,
            "applied": list(self.applied),
        }


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _pending(current: int) -> list[Migration]:
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the database's {COMPONENT} schema is at version {current}, newer than this "
            f"release knows ({SCHEMA_VERSION}): upgrade brondata instead"
        )
    return [m for m in MIGRATIONS if m.version > current]


_SQLITE_TABLE: Final = """CREATE TABLE IF NOT EXISTS brondata_schema (
    component   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    description TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL,
    PRIMARY KEY (component, version)
)"""


def upgrade_sqlite(path: str | os.PathLike[str]) -> SchemaUpgrade:
    """Create or migrate the consent tables in the SQLite file ``path`` (or ``sqlite:///``)."""
    from brondata.stores import open_stores

    path = sqlite_path(path)
    # Opening the stores creates the version-1 tables (idempotently).
    open_stores(path).close()
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    try:
        with immediate_transaction(conn):
            conn.execute(_SQLITE_TABLE)
            (current,) = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM brondata_schema WHERE component = ?",
                (COMPONENT,),
            ).fetchone()
            applied = []
            for migration in _pending(int(current)):
                for statement in migration.sqlite:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO brondata_schema VALUES (?, ?, ?, ?)",
                    (COMPONENT, migration.version, migration.description, _now()),
                )
                applied.append(f"{migration.version}: {migration.description}")
    except sqlite3.Error as exc:
        raise StoreError(f"SQLite schema upgrade: {exc}") from exc
    finally:
        conn.close()
    return SchemaUpgrade(COMPONENT, int(current), SCHEMA_VERSION, tuple(applied))


def upgrade_postgres(dsn: str, *, schema: str = "public") -> SchemaUpgrade:
    """Create or migrate the consent tables in the PostgreSQL ``schema`` (needs the extra)."""
    import psycopg
    from psycopg import sql

    from brondata.stores import open_stores
    from brondata.stores._postgres import map_postgres_error

    # A DSN that does not work fails here, at once, as a StoreError without its password.
    stores = open_stores(dsn, schema=schema, max_connections=1)
    pool = stores.shared[0]
    s = sql.Identifier(schema)
    try:
        with pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"brondata:schema:{schema}",)
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {s}.brondata_schema ("
                    " component text NOT NULL, version integer NOT NULL,"
                    " description text NOT NULL, applied_at text NOT NULL,"
                    " PRIMARY KEY (component, version))"
                ).format(s=s)
            )
            row = conn.execute(
                sql.SQL(
                    "SELECT COALESCE(MAX(version), 0) FROM {s}.brondata_schema WHERE component = %s"
                ).format(s=s),
                (COMPONENT,),
            ).fetchone()
            current = int(row[0]) if row else 0
            applied = []
            for migration in _pending(current):
                for statement in migration.postgres:
                    # Statements are literals of this module; only the schema is inserted.
                    conn.execute(sql.SQL(statement).format(s=s))
                conn.execute(
                    sql.SQL("INSERT INTO {s}.brondata_schema VALUES (%s, %s, %s, %s)").format(s=s),
                    (COMPONENT, migration.version, migration.description, _now()),
                )
                applied.append(f"{migration.version}: {migration.description}")
    except psycopg.Error as exc:
        raise map_postgres_error(exc, "schema upgrade", dsn) from exc
    finally:
        stores.close()
    return SchemaUpgrade(COMPONENT, current, SCHEMA_VERSION, tuple(applied))
