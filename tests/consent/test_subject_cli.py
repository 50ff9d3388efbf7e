"""``brondata audit subject|erase`` and ``brondata db upgrade``, through a fresh Typer app."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from brondata.cli import _audit, _db
from brondata.consent import (
    SCHEMA_VERSION,
    ConsentLog,
    LogSigner,
    SqliteLedger,
    SqliteSubjectKeyring,
    audit_verify,
    export,
)

from .factories import DEFAULTS

ALICE = "sub-a11ce0000000000000000000000000"
BOB = "sub-b0b0000000000000000000000000000"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    _audit.register(app)
    _db.register(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "brondata.db"
    with ConsentLog(SqliteLedger(path), SqliteSubjectKeyring(path)) as log:
        for n, subject in enumerate([ALICE, BOB]):
            ids: dict[str, Any] = {
                "subject": subject,
                "at": "2026-03-01T09:30:00Z",
                "session_id": f"ses_{n}",
                "consent_id": f"con_{n}",
            }
            for kind in ("consent.requested", "consent.given", "data.retrieved", "data.delivered"):
                log.append(kind, **ids, **DEFAULTS[kind])  # type: ignore[arg-type]
    return path


def test_subject_report_text_and_json(app: typer.Typer, runner: CliRunner, db: Path) -> None:
    result = runner.invoke(app, ["audit", "subject", "--db", str(db), "--subject", ALICE])
    assert result.exit_code == 0, result.output
    assert "con_0: given" in result.stdout
    assert "delivered" in result.stdout
    assert "con_1" not in result.stdout
    result = runner.invoke(app, ["audit", "subject", "--db", str(db), "--subject", ALICE, "--json"])
    data = json.loads(result.stdout)
    assert [c["consent_id"] for c in data["consents"]] == ["con_0"]
    assert data["deliveries"] == 1
    assert data["erased"] is False


def test_erase_then_report_then_audit(
    app: typer.Typer, runner: CliRunner, db: Path, tmp_path: Path
) -> None:
    refused = runner.invoke(app, ["audit", "erase", "--db", str(db), "--subject", ALICE], "n\n")
    assert refused.exit_code == 1  # not confirmed: nothing happened
    with SqliteSubjectKeyring(db) as keyring:
        assert keyring.lookup(ALICE) is not None
    result = runner.invoke(
        app, ["audit", "erase", "--db", str(db), "--subject", ALICE], input="y\n"
    )
    assert result.exit_code == 0, result.output
    assert "entry 8" in result.stdout
    again = runner.invoke(app, ["audit", "erase", "--db", str(db), "--subject", ALICE, "--yes"])
    assert again.exit_code == 1
    report = runner.invoke(app, ["audit", "subject", "--db", str(db), "--subject", ALICE])
    assert "ERASED" in report.stdout
    assert "con_0" not in report.stdout
    bob = runner.invoke(app, ["audit", "subject", "--db", str(db), "--subject", BOB])
    assert "con_1: given" in bob.stdout
    # The ledger still verifies, and holds no pseudonym in clear.
    signer = LogSigner.generate("hypotheek-bv.example/consent-ledger")
    with SqliteLedger(db) as ledger:
        export(ledger, tmp_path / "export", signer)
    assert audit_verify(tmp_path / "export").ok
    assert ALICE.encode() not in (tmp_path / "export" / "ledger.jsonl").read_bytes()


def test_subject_of_a_missing_database(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = runner.invoke(app, ["audit", "subject", "--db", str(missing), "--subject", ALICE])
    assert result.exit_code == 2
    assert not missing.exists()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_db_upgrade_sqlite_twice(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    first = runner.invoke(app, ["db", "upgrade", "--db", str(path), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["before"] == 0
    assert json.loads(first.stdout)["after"] == SCHEMA_VERSION
    second = runner.invoke(app, ["db", "upgrade", "--db", str(path)])
    assert second.exit_code == 0, second.output
    assert "up to date" in second.stdout
    assert {
        "ledger_entries",
        "ledger_nodes",
        "subject_keys",
        "subject_erasures",
        "brondata_schema",
        "session_records",
    } <= _tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM brondata_schema").fetchone() == (SCHEMA_VERSION,)


def test_db_upgrade_refuses_a_newer_schema(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "future.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(path)]).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO brondata_schema VALUES ('consent', 99, 'future', 'x')")
    result = runner.invoke(app, ["db", "upgrade", "--db", str(path)])
    assert result.exit_code == 2
    assert "newer" in result.output


def test_db_upgrade_needs_one_target(app: typer.Typer, runner: CliRunner) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 2


@pytest.mark.postgres
def test_db_upgrade_postgres_twice(
    app: typer.Typer, runner: CliRunner, postgres_dsn: str, pg_schema: str
) -> None:
    import psycopg

    args = ["db", "upgrade", "--dsn", postgres_dsn, "--schema", pg_schema]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["applied"]
    second = runner.invoke(app, [*args, "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["applied"] == []
    with psycopg.connect(postgres_dsn) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (pg_schema,),
            )
        }
    assert {
        "ledger_entries",
        "ledger_nodes",
        "ledger_head",
        "subject_keys",
        "subject_erasures",
        "brondata_schema",
        "session_records",
    } <= tables
