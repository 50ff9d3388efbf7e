"""The auditor's path through the command line, on a ledger the demo wrote.

demo -> audit subject (by the application's reference) -> audit erase -> audit export ->
audit verify: the report shows the consent, the erasure shreds it, the export still verifies.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from brondata.cli import app

runner = CliRunner()


def test_report_erase_export_verify(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert (
        runner.invoke(app, ["demo", "--out", str(out), "--subject", "applicant-9"]).exit_code == 0
    )
    db = str(out / "brondata.db")

    report = runner.invoke(
        app, ["audit", "subject", "--db", db, "--subject", "applicant-9", "--json"]
    )
    assert report.exit_code == 0, report.output
    body = json.loads(report.stdout)
    assert len(body["consents"]) == 1
    assert not body["erased"]

    stranger = runner.invoke(app, ["audit", "subject", "--db", db, "--subject", "nobody", "--json"])
    assert json.loads(stranger.stdout)["consents"] == []

    erased = runner.invoke(app, ["audit", "erase", "--db", db, "--subject", "applicant-9", "--yes"])
    assert erased.exit_code == 0, erased.output
    again = runner.invoke(app, ["audit", "erase", "--db", db, "--subject", "applicant-9", "--yes"])
    assert again.exit_code == 1

    after = json.loads(
        runner.invoke(
            app, ["audit", "subject", "--db", db, "--subject", "applicant-9", "--json"]
        ).stdout
    )
    assert after["erased"]
    assert after["consents"] == []

    key = tmp_path / "log.key"
    assert (
        runner.invoke(
            app, ["audit", "keygen", "--name", "lender.example/log", "--key", str(key)]
        ).exit_code
        == 0
    )
    export = tmp_path / "export"
    exported = runner.invoke(
        app, ["audit", "export", "--db", db, "--out", str(export), "--key", str(key)]
    )
    assert exported.exit_code == 0, exported.output
    verified = runner.invoke(app, ["audit", "verify", str(export)])
    assert verified.exit_code == 0, verified.output


def test_a_reference_without_keys_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "audit",
            "subject",
            "--db",
            str(out / "brondata.db"),
            "--subject",
            "x",
            "--keys",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "--keys" in result.output
