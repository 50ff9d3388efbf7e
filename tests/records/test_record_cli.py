"""``brondata keys|present|verify`` through ``register`` on a fresh typer app."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from brondata.cli._records import register
from brondata.records import FileKeyStore, SigningKey, issue_record

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def claims() -> dict[str, Any]:
    iat = int(time.time()) - 10
    return {
        "iss": "https://gateway.example",
        "iat": iat,
        "exp": iat + 3600,
        "vct": "urn:brondata:bank:1",
        "source": "bank",
        "purpose": "mortgage",
    }


@pytest.fixture
def store(tmp_path: Path, app: typer.Typer) -> Path:
    directory = tmp_path / "keys"
    result = runner.invoke(app, ["keys", "generate", "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture
def jwks_file(tmp_path: Path, store: Path, app: typer.Typer) -> Path:
    out = tmp_path / "jwks.json"
    result = runner.invoke(app, ["keys", "jwks", "--dir", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def records_file(tmp_path: Path, store: Path) -> Path:
    key = FileKeyStore(store).active()
    bank = issue_record(claims(), {"bank.balance_total": "1234.56", "bank.iban": "NL76"}, key)
    tax = issue_record({**claims(), "source": "tax"}, {"tax.income": 50000}, key)
    path = tmp_path / "records.txt"
    path.write_text(f"{bank.compact}\n{tax.compact}\n")
    return path


def test_keys_generate_rotate_jwks(tmp_path: Path, app: typer.Typer, store: Path) -> None:
    (first,) = FileKeyStore(store).key_infos()
    assert stat.S_IMODE((store / f"{first.kid}.pem").stat().st_mode) == 0o600
    again = runner.invoke(app, ["keys", "generate", "--dir", str(store)])
    assert again.exit_code == 2
    assert "key_store_error" in again.output

    rotated = runner.invoke(
        app, ["keys", "rotate", "--dir", str(store), "--retain-days", "30", "--alg", "EdDSA"]
    )
    assert rotated.exit_code == 0, rotated.output
    new_kid = rotated.output.strip()
    printed = runner.invoke(app, ["keys", "jwks", "--dir", str(store)])
    document = json.loads(printed.output)
    assert {k["kid"] for k in document["keys"]} == {first.kid, new_kid}
    assert all("d" not in k for k in document["keys"])
    assert runner.invoke(app, ["keys", "prune", "--dir", str(store)]).output == ""


def test_keys_generate_refuses_other_algorithms(tmp_path: Path, app: typer.Typer) -> None:
    result = runner.invoke(app, ["keys", "generate", "--dir", str(tmp_path), "--alg", "HS256"])
    assert result.exit_code == 2


def test_verify_prints_provenance_and_attributes(
    app: typer.Typer, records_file: Path, jwks_file: Path
) -> None:
    result = runner.invoke(app, ["verify", str(records_file), "--jwks", str(jwks_file)])
    assert result.exit_code == 0, result.output
    assert "bank.balance_total" in result.output
    assert "tax.income" in result.output
    assert "provenance" in result.output


def test_verify_json(app: typer.Typer, records_file: Path, jwks_file: Path) -> None:
    result = runner.invoke(app, ["verify", str(records_file), "--jwks", str(jwks_file), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [r["valid"] for r in out] == [True, True]
    assert out[0]["attributes"] == {"bank.balance_total": "1234.56", "bank.iban": "NL76"}
    assert out[1]["claims"]["source"] == "tax"


def test_verify_invalid_record(
    tmp_path: Path, app: typer.Typer, records_file: Path, jwks_file: Path
) -> None:
    foreign = issue_record(claims(), {"a.b": 1}, SigningKey.generate()).compact
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(records_file.read_text() + foreign + "\n")
    result = runner.invoke(app, ["verify", str(mixed), "--jwks", str(jwks_file), "--json"])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert [r["valid"] for r in out] == [True, True, False]
    assert out[2]["error"]["code"] == "unknown_key"
    plain = runner.invoke(app, ["verify", str(mixed), "--jwks", str(jwks_file)])
    assert plain.exit_code == 1
    assert "unknown_key" in plain.stderr


@pytest.mark.parametrize("content", ["not json", '{"keys": "x"}', None])
def test_verify_bad_jwks(
    tmp_path: Path, app: typer.Typer, records_file: Path, content: str | None
) -> None:
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["verify", str(records_file), "--jwks", str(path)])
    assert result.exit_code == 2


def test_present_then_verify(
    tmp_path: Path, app: typer.Typer, records_file: Path, jwks_file: Path
) -> None:
    result = runner.invoke(app, ["present", str(records_file), "-a", "bank.balance_total"])
    assert result.exit_code == 0, result.output
    presented = tmp_path / "presented.txt"
    presented.write_text(result.stdout)
    checked = runner.invoke(app, ["verify", str(presented), "--jwks", str(jwks_file), "--json"])
    out = json.loads(checked.stdout)
    # Only the record holding the attribute: the tax record is left out, not shown empty.
    assert [r["attributes"] for r in out] == [{"bank.balance_total": "1234.56"}]


def test_present_unknown_attribute(app: typer.Typer, records_file: Path) -> None:
    result = runner.invoke(app, ["present", str(records_file), "-a", "bank.nothing"])
    assert result.exit_code == 1
    assert "bank.nothing" in result.stderr


def test_key_bound_presentation(
    tmp_path: Path, app: typer.Typer, store: Path, jwks_file: Path
) -> None:
    holder = SigningKey.generate()
    holder_file = tmp_path / "holder.pem"
    holder_file.write_bytes(holder.to_pem())
    record = issue_record(
        claims(), {"tax.income": 1}, FileKeyStore(store).active(), holder_jwk=holder.public_jwk()
    )
    records = tmp_path / "bound.txt"
    records.write_text(record.compact + "\n")
    args = ["--aud", "https://lender.example", "--nonce", "n-1"]
    result = runner.invoke(
        app, ["present", str(records), "-a", "tax.income", "--holder-key", str(holder_file), *args]
    )
    assert result.exit_code == 0, result.output
    presented = tmp_path / "presented.txt"
    presented.write_text(result.stdout)
    ok = runner.invoke(app, ["verify", str(presented), "--jwks", str(jwks_file), "--json", *args])
    assert ok.exit_code == 0, ok.output
    wrong = ["--aud", "https://lender.example", "--nonce", "other"]
    bad = runner.invoke(app, ["verify", str(presented), "--jwks", str(jwks_file), "--json", *wrong])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)[0]["error"]["code"] == "invalid_key_binding"
    half = runner.invoke(app, ["verify", str(presented), "--jwks", str(jwks_file), "--aud", "x"])
    assert half.exit_code == 2


def test_present_takes_a_comma_separated_list(app: typer.Typer, records_file: Path) -> None:
    both = runner.invoke(
        app, ["present", str(records_file), "--attributes", "bank.balance_total,tax.income"]
    )
    assert both.exit_code == 0, both.output
    repeated = runner.invoke(
        app, ["present", str(records_file), "-a", "bank.balance_total", "-a", "tax.income"]
    )
    assert repeated.exit_code == 0, repeated.output
    assert len(both.stdout.splitlines()) == len(repeated.stdout.splitlines())


def test_present_with_a_holder_key_on_an_unbound_record_says_so(
    tmp_path: Path, app: typer.Typer, records_file: Path
) -> None:
    holder_file = tmp_path / "holder.json"
    holder_file.write_text(json.dumps(SigningKey.generate().private_jwk()))
    args = ["--holder-key", str(holder_file), "--aud", "https://v.example", "--nonce", "n"]
    result = runner.invoke(app, ["present", str(records_file), "-a", "tax.income", *args])
    assert result.exit_code == 1
    assert "has no cnf" in result.stderr
    assert "Traceback" not in result.output


def test_present_with_a_holder_key_needs_aud_and_nonce(
    tmp_path: Path, app: typer.Typer, records_file: Path
) -> None:
    holder_file = tmp_path / "holder.json"
    holder_file.write_text(json.dumps(SigningKey.generate().private_jwk()))
    result = runner.invoke(
        app, ["present", str(records_file), "-a", "tax.income", "--holder-key", str(holder_file)]
    )
    assert result.exit_code == 2
    assert "--aud" in result.stderr
    alone = runner.invoke(app, ["present", str(records_file), "-a", "tax.income", "--nonce", "n"])
    assert alone.exit_code == 2
