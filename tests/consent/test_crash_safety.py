"""A writer killed with SIGKILL mid-append leaves a ledger that verifies and holds every
entry it acknowledged: one thread appending alone, or several meeting in group commits."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from brondata.consent import ConsentLedger, LogSigner, SqliteLedger, audit_verify, export

from .factories import make_event
from .workers import start_appender

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _kill_while_appending(
    backend: str, target: str, schema: str, threads: int = 1
) -> dict[int, str]:
    proc = start_appender(backend, target, schema, "w", 1_000_000, threads)
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
        # Read on through the text stream, not with communicate(): lines already in the
        # stream's buffer (read from the pipe with the last line we took) would be skipped
        # by communicate(), which reads the pipe itself: a gap, not a lost acknowledgement.
        out = proc.stdout.read()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    lines = out.splitlines()
    if out and not out.endswith("\n"):
        lines = lines[:-1]  # the last line, cut off by the kill, was never acknowledged
    for line in lines:  # acknowledged between our last read and the kill
        index, session = line.split()
        acknowledged[int(index)] = session
    return acknowledged


def _check(
    ledger: ConsentLedger, acknowledged: dict[int, str], out: Path, *, threads: int = 1
) -> None:
    assert ledger.size() >= max(acknowledged) + 1
    if threads == 1:
        assert sorted(acknowledged) == list(range(len(acknowledged)))
    # With several threads, an entry of the last batch may be durable but not yet printed
    # when the kill comes: every printed one must be there, at its index.
    for index, session in acknowledged.items():
        assert ledger.entry(index).event.session_id == session
    signer = LogSigner.generate("hypotheek-bv.example/consent-ledger")
    export(ledger, out, signer)
    report = audit_verify(out, vkey=signer.vkey())
    assert report.ok, report.findings
    # And the ledger takes appends again.
    assert ledger.append(make_event()).index == report.entries_read


@pytest.mark.parametrize("threads", [1, 6])
def test_sqlite_survives_sigkill(tmp_path: Path, threads: int) -> None:
    db = tmp_path / "brondata.db"
    acknowledged = _kill_while_appending("sqlite", str(db), "", threads)
    with SqliteLedger(db) as ledger:
        _check(ledger, acknowledged, tmp_path / "export", threads=threads)


@pytest.mark.postgres
@pytest.mark.parametrize("threads", [1, 6])
def test_postgres_survives_sigkill(
    postgres_dsn: str, pg_schema: str, tmp_path: Path, threads: int
) -> None:
    from brondata.consent import PostgresLedger

    acknowledged = _kill_while_appending("postgres", postgres_dsn, pg_schema, threads)
    with PostgresLedger(postgres_dsn, schema=pg_schema) as ledger:
        _check(ledger, acknowledged, tmp_path / "export", threads=threads)
