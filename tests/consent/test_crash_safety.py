"""A writer killed with SIGKILL mid-append leaves a ledger that verifies and holds every
entry it acknowledged."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from brondata.consent import ConsentLedger, LogSigner, SqliteLedger, audit_verify, export

from .factories import make_event
from .workers import start_appender

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _kill_while_appending(backend: str, target: str, schema: str) -> dict[int, str]:
    proc = start_appender(backend, target, schema, "w", 1_000_000)
    assert proc.stdout is not None
    acknowledged: dict[int, str] = {}
    try:
        while len(acknowledged) < 300:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "the writer died"
            index, session = line.split()
            acknowledged[int(index)] = session
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for line in out.splitlines():  # acknowledged between our last read and the kill
        index, session = line.split()
        acknowledged[int(index)] = session
    return acknowledged


def _check(ledger: ConsentLedger, acknowledged: dict[int, str], out: Path) -> None:
    assert ledger.size() >= max(acknowledged) + 1
    assert sorted(acknowledged) == list(range(len(acknowledged)))
    for index, session in acknowledged.items():
        assert ledger.entry(index).event.session_id == session
    signer = LogSigner.generate("hypotheek-bv.example/consent-ledger")
    export(ledger, out, signer)
    report = audit_verify(out, vkey=signer.vkey())
    assert report.ok, report.findings
    # And the ledger takes appends again.
    assert ledger.append(make_event()).index == report.entries_read


def test_sqlite_survives_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "brondata.db"
    acknowledged = _kill_while_appending("sqlite", str(db), "")
    with SqliteLedger(db) as ledger:
        _check(ledger, acknowledged, tmp_path / "export")


@pytest.mark.postgres
def test_postgres_survives_sigkill(postgres_dsn: str, pg_schema: str, tmp_path: Path) -> None:
    from brondata.consent import PostgresLedger

    acknowledged = _kill_while_appending("postgres", postgres_dsn, pg_schema)
    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        _check(ledger, acknowledged, tmp_path / "export")
