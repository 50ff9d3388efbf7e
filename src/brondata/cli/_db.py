"""``brondata db``: create or migrate brondata's tables in a database.

* ``db upgrade --db PATH``  a SQLite file (created if absent);
* ``db upgrade --dsn URL``  a PostgreSQL database, in ``--schema`` (default ``public``).

Creates the consent ledger, its tree, the subject keyring and the session table, and records
the schema version (``brondata_schema``); running it again changes nothing. Exit codes: 0
done, 2 unusable input or a database a newer brondata has migrated.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from brondata.cli._output import fail as _fail
from brondata.errors import BrondataError

if TYPE_CHECKING:
    from brondata.consent import SchemaUpgrade

__all__ = ["register"]

db_app = typer.Typer(
    name="db", help="Create or migrate brondata's tables in a database.", no_args_is_help=True
)


@db_app.command("upgrade")
def upgrade_command(
    dsn: Annotated[
        str | None, typer.Option("--dsn", help="A PostgreSQL database: postgresql://...")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="A SQLite file.")] = None,
    schema: Annotated[
        str, typer.Option("--schema", help="PostgreSQL schema for brondata's tables.")
    ] = "public",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Create brondata's tables, or migrate them to this release's schema (idempotent)."""
    # Here, not at the top: ``brondata --help`` need not load the ledger.
    from brondata.consent import upgrade_postgres, upgrade_sqlite

    if (dsn is None) == (db is None):
        raise _fail("give exactly one of --dsn (PostgreSQL) or --db (SQLite)")
    if db is not None and (db.is_dir() or not db.parent.is_dir()):
        what = "is a directory" if db.is_dir() else "is in a directory that does not exist"
        raise _fail(f"--db {db} {what}: give the path of a SQLite file")
    try:
        result: SchemaUpgrade
        if dsn is not None:
            result = upgrade_postgres(dsn, schema=schema)  # the session table too
        else:
            assert db is not None
            result = upgrade_sqlite(db)
    except BrondataError as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        # SQLite's messages name the condition ("file is not a database"), never a value.
        raise _fail(f"cannot use --db {db} as a SQLite database: {exc}") from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    where = f"{schema} at {dsn.split('@')[-1]}" if dsn is not None else str(db)
    if result.applied:
        typer.echo(f"{where}: {result.component} schema {result.before} -> {result.after}")
        for step in result.applied:
            typer.echo(f"  applied {step}")
    else:
        typer.echo(f"{where}: {result.component} schema up to date at version {result.after}")
    typer.echo(f"{where}: session table ready")


def register(app: typer.Typer) -> None:
    """Add the ``db`` commands to ``app``."""
    app.add_typer(db_app, name="db")
