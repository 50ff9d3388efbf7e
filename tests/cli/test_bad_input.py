"""Every command answers bad input with one line and a non-zero exit, never a traceback,
and loses or creates nothing it was not asked to."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brondata import __version__
from brondata.cli import app

runner = CliRunner()


def run(*args: str, code: int = 2) -> str:
    """Run ``brondata args``; expect exit ``code`` and no traceback; the output."""
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    if code:
        # Exited through the handler, not by an exception escaping the command.
        assert isinstance(result.exception, SystemExit), result.exception
    return result.output


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    run("demo", "--out", str(out), "--attributes", "bank.balance_total", code=0)
    return out


@pytest.fixture(scope="module")
def log_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("key") / "log.key"
    run("audit", "keygen", "--name", "lender.example/log", "--key", str(key), code=0)
    return key


def test_version() -> None:
    assert run("--version", code=0).strip() == f"brondata {__version__}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scenario", "retird"], "did you mean retired"),
        (["--person", "-1"], "--person"),
        (["--person", "100000000"], "--person"),
        (["--purpose", "rent"], "unknown purpose"),
        (["--sources", "no-such-file.json"], "neither a file nor inline JSON"),
        (["--sources", "{not json"], "not JSON"),
        (["--sources", '{"bank": ' + "[" * 200_000], "not JSON"),  # too deep to parse
        (["--sources", '{"bank": 3}'], "JSON object"),
        (["--sources", '{"bank": "http://127.0.0.1:9"}'], "no configured source provides"),
    ],
)
def test_demo_refuses_bad_options_and_writes_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    out = tmp_path / "out"
    assert says in run("demo", "--out", str(out), *args)
    assert not out.exists()


def test_demo_takes_inline_json_sources(tmp_path: Path) -> None:
    # Accepted as a map (it names no source the mortgage preset needs but the bank).
    output = run(
        "demo",
        "--out",
        str(tmp_path / "out"),
        "--attributes",
        "bank.balance_total",
        "--sources",
        '{"bank": "http://127.0.0.1:9", "digid": "http://127.0.0.1:9"}',
        code=1,
    )
    assert "bank" in output


@pytest.mark.parametrize("kind", ["file", "unwritable", "missing_parent_in_file"])
def test_demo_out_that_cannot_be_a_directory(tmp_path: Path, kind: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n")
    out = {
        "file": a_file,
        "unwritable": Path("/proc/brondata-demo"),
        "missing_parent_in_file": a_file / "out",
    }[kind]
    output = run("demo", "--out", str(out))
    assert output.count("error:") == 1
    assert a_file.read_text() == "keep me\n"


def test_demo_files_are_private(demo: Path) -> None:
    assert os.stat(demo).st_mode & 0o777 == 0o700
    assert os.stat(demo / "records").st_mode & 0o777 == 0o700
    written = [p for p in demo.rglob("*") if p.is_file() and ".keys" not in str(p)]
    assert {p.name for p in written} >= {
        "summary.json",
        "consent-receipt.json",
        "jwks.json",
        "ledger.jsonl",
        "bank.sd-jwt",
    }
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_demo_out_holding_a_ledger_needs_force(demo: Path, tmp_path: Path) -> None:
    before = tree(demo)
    assert "--force" in run("demo", "--out", str(demo))
    assert tree(demo) == before


def test_mock_serve_port_beyond_the_range() -> None:
    assert "--port" in run("mock", "serve", "--port", "70000")
    assert "no room" in run("mock", "serve", "--port", "65535")
    assert "--port" in run("mock", "serve", "--port", "-1")


def test_mock_sample_bad_person() -> None:
    assert "--person" in run("mock", "sample", "bank", "--person", "-3")


def test_audit_export_refuses_a_non_empty_directory_without_force(
    demo: Path, log_key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    db = str(demo / "brondata.db")
    run("audit", "export", "--db", db, "--out", str(out), "--key", str(log_key), code=0)
    checkpoint = (out / "checkpoint").read_bytes()
    assert "--force" in run("audit", "export", "--db", db, "--out", str(out), "--key", str(log_key))
    assert (out / "checkpoint").read_bytes() == checkpoint
    run("audit", "export", "--db", db, "--out", str(out), "--key", str(log_key), "--force", code=0)


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "text", "other_sqlite"])
def test_read_only_commands_create_no_table_or_file(
    tmp_path: Path, log_key: Path, kind: str
) -> None:
    db = tmp_path / "x.db"
    if kind == "directory":
        db.mkdir()
    elif kind == "empty":
        db.touch()
    elif kind == "text":
        db.write_text("not a database\n")
    elif kind == "other_sqlite":
        with sqlite3.connect(db) as connection:
            connection.execute("CREATE TABLE t (x)")
    before = tree(tmp_path)
    content = db.read_bytes() if db.is_file() else None
    for command in (
        ["audit", "export", "--db", str(db), "--out", str(tmp_path / "e"), "--key", str(log_key)],
        ["audit", "prove", "--db", str(db), "--index", "0"],
        ["audit", "subject", "--db", str(db), "--subject", "sub-x"],
    ):
        assert run(*command).count("error:") == 1
    assert tree(tmp_path) == before
    assert (db.read_bytes() if db.is_file() else None) == content


def test_keys_jwks_on_no_key_store_creates_nothing(tmp_path: Path) -> None:
    assert "keys generate" in run("keys", "jwks", "--dir", str(tmp_path / "keys"))
    assert tree(tmp_path) == []


def test_keys_jwks_out_that_is_a_directory_or_unwritable(demo: Path, tmp_path: Path) -> None:
    store = str(demo / "brondata.db.keys" / "signing")
    assert "directory" in run("keys", "jwks", "--dir", store, "--out", str(tmp_path))
    assert "cannot use" in run("keys", "jwks", "--dir", store, "--out", "/proc/none/jwks.json")


def test_verify_creates_nothing(tmp_path: Path) -> None:
    run("verify", str(tmp_path / "none"), "--jwks", str(tmp_path / "jwks.json"))
    run("verify", str(tmp_path), "--jwks", str(tmp_path))
    run("audit", "verify", str(tmp_path / "export"))
    assert tree(tmp_path) == []


@pytest.mark.parametrize("kind", ["directory", "text", "missing_parent", "unwritable"])
def test_db_upgrade_with_an_odd_db(tmp_path: Path, kind: str) -> None:
    db = {
        "directory": tmp_path,
        "text": tmp_path / "x.txt",
        "missing_parent": tmp_path / "none" / "x.db",
        "unwritable": Path("/proc/brondata.db"),
    }[kind]
    if kind == "text":
        db.write_text("not a database\n")
    assert run("db", "upgrade", "--db", str(db)).count("error:") == 1


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a value that must not show")

    monkeypatch.setattr("brondata._demo.preset_request", boom)
    output = run("demo", "--out", "unused", code=3)
    assert "ZeroDivisionError" in output
    assert "must not show" not in output
    debug = runner.invoke(app, ["--debug", "demo", "--out", "unused"])
    assert isinstance(debug.exception, ZeroDivisionError)
    monkeypatch.setenv("BRONDATA_DEBUG", "1")
    assert isinstance(runner.invoke(app, ["demo", "--out", "u"]).exception, ZeroDivisionError)


def test_without_the_cli_extra_the_command_names_the_extra() -> None:
    # typer blocked as if not installed: the entry point must say what to install.
    code = "import sys; sys.modules['typer'] = None; from brondata.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert "pip install 'brondata[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_module_entry_point_prints_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "brondata.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.dumps(done.stdout.split()[-1]) == json.dumps(__version__)


def test_verify_refuses_a_binary_file_and_empty_key_binding(tmp_path: Path) -> None:
    binary = tmp_path / "records"
    binary.write_bytes(b"\xff\xfe\x00")
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    result = runner.invoke(app, ["verify", str(binary), "--jwks", str(jwks)])
    assert result.exit_code == 2
    assert "not text" in result.output
    binary.write_text("x.y.z~\n")
    empty = runner.invoke(
        app, ["verify", str(binary), "--jwks", str(jwks), "--aud", "", "--nonce", "n"]
    )
    assert empty.exit_code == 2
    assert "must not be empty" in empty.output


def test_a_jwks_file_nested_too_deep_is_bad_input(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.write_text("x.y.z~\n")
    jwks = tmp_path / "jwks.json"
    jwks.write_text("[" * 200_000)
    assert "not JSON" in run("verify", str(records), "--jwks", str(jwks))
