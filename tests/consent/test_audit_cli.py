"""``brondata audit``: keygen, export, verify and prove, through a fresh Typer app."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from brondata.cli import _audit
from brondata.consent import SqliteLedger, leaf_hash, verify_inclusion

from .factories import make_event

ORIGIN = "hypotheek-bv.example/consent-ledger"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    _audit.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "audit" a sub-command, as in the real CLI
        """Nothing."""

    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "brondata.db"
    with SqliteLedger(path) as ledger:
        ledger.append(make_event("consent.given"))
        ledger.append(make_event("data.retrieved"))
        ledger.append(make_event("data.delivered"))
    return path


@pytest.fixture
def key(tmp_path: Path, app: typer.Typer, runner: CliRunner) -> tuple[Path, str]:
    path = tmp_path / "log.key"
    result = runner.invoke(app, ["audit", "keygen", "--name", ORIGIN, "--key", str(path)])
    assert result.exit_code == 0, result.output
    return path, result.stdout.strip()


def test_keygen_export_verify(
    app: typer.Typer, runner: CliRunner, db: Path, key: tuple[Path, str], tmp_path: Path
) -> None:
    key_path, vkey = key
    assert vkey.startswith(ORIGIN + "+")
    out = tmp_path / "export"
    result = runner.invoke(
        app, ["audit", "export", "--db", str(db), "--out", str(out), "--key", str(key_path)]
    )
    assert result.exit_code == 0, result.output
    assert "exported 3 entries" in result.stdout

    result = runner.invoke(app, ["audit", "verify", str(out), "--vkey", vkey])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("OK")

    (tmp_path / "published.vkey").write_text(vkey + "\n")
    result = runner.invoke(
        app, ["audit", "verify", str(out), "--vkey", str(tmp_path / "published.vkey"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


def test_verify_without_a_published_key_says_whose_key_it_trusted(
    app: typer.Typer, runner: CliRunner, db: Path, key: tuple[Path, str], tmp_path: Path
) -> None:
    """An export carries its own verifier key: a forger would ship one too. Without
    ``--vkey`` the verdict says that only the export's own key was checked."""
    out = tmp_path / "export"
    runner.invoke(
        app, ["audit", "export", "--db", str(db), "--out", str(out), "--key", str(key[0])]
    )
    result = runner.invoke(app, ["audit", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "--vkey" in result.stdout
    assert not result.stdout.strip().endswith("\nOK")
    report = json.loads(runner.invoke(app, ["audit", "verify", str(out), "--json"]).stdout)
    assert report["key_published"] is False
    published = json.loads(
        runner.invoke(app, ["audit", "verify", str(out), "--vkey", key[1], "--json"]).stdout
    )
    assert published["key_published"] is True


def test_a_vkey_file_whose_path_holds_a_plus_is_read_as_a_file(
    app: typer.Typer, runner: CliRunner, db: Path, key: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    runner.invoke(
        app, ["audit", "export", "--db", str(db), "--out", str(out), "--key", str(key[0])]
    )
    published = tmp_path / "keys+published.vkey"
    published.write_text(key[1] + "\n")
    result = runner.invoke(app, ["audit", "verify", str(out), "--vkey", str(published)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("OK")


def test_verify_fails_with_exit_1_and_names_the_entry(
    app: typer.Typer, runner: CliRunner, db: Path, key: tuple[Path, str], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    runner.invoke(
        app, ["audit", "export", "--db", str(db), "--out", str(out), "--key", str(key[0])]
    )
    old = tmp_path / "old-checkpoint"
    old.write_text((out / "checkpoint").read_text())
    lines = (out / "ledger.jsonl").read_bytes().splitlines(keepends=True)
    (out / "ledger.jsonl").write_bytes(lines[0] + lines[2])
    result = runner.invoke(app, ["audit", "verify", str(out), "--since", str(old)])
    assert result.exit_code == 1
    assert "entry_missing: entry 1" in result.stdout
    assert "first bad entry 1" in result.stdout


def test_prove_prints_a_checkable_vector(app: typer.Typer, runner: CliRunner, db: Path) -> None:
    result = runner.invoke(app, ["audit", "prove", "--db", str(db), "--index", "1"])
    assert result.exit_code == 0, result.output
    vector = json.loads(result.stdout)
    assert (vector["leafIdx"], vector["treeSize"]) == (1, 3)
    leaf = base64.b64decode(vector["leafHash"])
    assert leaf == leaf_hash(vector["entry"].encode())
    proof = [base64.b64decode(p) for p in vector["proof"]]
    verify_inclusion(leaf, 1, 3, proof, base64.b64decode(vector["root"]))

    result = runner.invoke(app, ["audit", "prove", "--db", str(db), "--index", "1", "--size", "2"])
    assert json.loads(result.stdout)["treeSize"] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "prove", "--db", "missing.db", "--index", "0"],
        ["audit", "prove", "--db", "{db}", "--index", "7"],
        ["audit", "export", "--db", "{db}", "--out", "x", "--key", "missing.key"],
        ["audit", "verify", "missing-dir"],
    ],
)
def test_unusable_input_exits_2(
    app: typer.Typer, runner: CliRunner, db: Path, args: list[str]
) -> None:
    result = runner.invoke(app, [a.replace("{db}", str(db)) for a in args])
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr


def test_keygen_never_overwrites(
    app: typer.Typer, runner: CliRunner, key: tuple[Path, str]
) -> None:
    result = runner.invoke(app, ["audit", "keygen", "--name", ORIGIN, "--key", str(key[0])])
    assert result.exit_code == 2
    assert "never overwritten" in result.stderr
