"""``brondata demo`` and ``brondata attributes`` through the real command."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from brondata import KeySet, verify_record
from brondata import sources as source_kinds
from brondata._demo import preset_request
from brondata.cli import app
from brondata.consent import merkle_root

runner = CliRunner()


def test_demo_writes_records_keys_ledger_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--out", str(out), "--seed", "3", "--person", "2"])
    assert result.exit_code == 0, result.output
    assert "delivered" in result.output

    summary = json.loads((out / "summary.json").read_text())
    # The mortgage preset asks something of every registered kind; one instance each.
    sources = list(preset_request("mortgage").sources())
    assert summary["sources"] == {
        source_kinds.get(s).instance_ids()[0]: {
            "status": "delivered",
            "record": f"records/{s}.sd-jwt",
        }
        for s in sources
    }
    assert summary["requested_attributes"] == sorted(summary["requested_attributes"])

    lines = (out / "ledger.jsonl").read_bytes().splitlines()
    # requested + given, then per source: login, retrieved, delivered; then the decision
    # record's delivery and the dossier checks
    assert len(lines) == summary["ledger_size"] == 2 + 3 * len(sources) + 2
    assert merkle_root(lines).hex() == summary["ledger_root"]

    jwks = KeySet.from_dict(json.loads((out / "jwks.json").read_text()))
    released: list[str] = []
    for source in sources:
        (record,) = (out / "records" / f"{source}.sd-jwt").read_text().splitlines()
        verified = verify_record(record, jwks)
        assert verified.claims["source"] == source
        released += verified.attributes
    decision = verify_record((out / "records" / "decision.sd-jwt").read_text().strip(), jwks)
    released += decision.attributes
    assert sorted(released) == summary["requested_attributes"]
    assert set(summary["decisions"]) == set(decision.attributes)
    assert summary["decisions"]["decision.max_mortgage"]["rule_version"] == "income_norm@2026.1"
    report = json.loads((out / "dossier.json").read_text())
    assert report["preset"] == "mortgage"
    assert summary["dossier"]["codes"] == [f["code"] for f in report["findings"]]
    assert report["findings"] == []  # a salaried person with every source: nothing to fix
    assert "decisions" in result.output
    receipt = json.loads((out / "consent-receipt.json").read_text())
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentReceiptID"]
    assert (out / "brondata.db").exists()
    assert stat.S_IMODE((out / "brondata.db").stat().st_mode) == 0o600


def test_dossier_json_findings_carry_code_severity_and_sources(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--scenario", "new_bank_account"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "dossier.json").read_text())
    assert "bank_history_short" in [f["code"] for f in report["findings"]]
    for finding in report["findings"]:
        assert {"code", "severity", "sources"} <= set(finding)
        assert finding["severity"] in ("blocking", "warning", "info")
        assert finding["sources"]
        assert all(isinstance(s, str) for s in finding["sources"])


def test_demo_with_chosen_attributes_and_a_second_run_in_the_same_directory(
    tmp_path: Path,
) -> None:
    args = ["demo", "--out", str(tmp_path), "--attributes", "bank.balance_total"]
    assert runner.invoke(app, args).exit_code == 0
    first = (tmp_path / "summary.json").read_bytes()
    # The directory holds a ledger now: nothing is replaced without --force.
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert (tmp_path / "summary.json").read_bytes() == first
    result = runner.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["requested_attributes"] == ["bank.balance_total"]
    # A fresh store per run, not the previous one's: requested, given, login, retrieved,
    # delivered, and the preset's dossier checks.
    assert summary["ledger_size"] == 6


def test_demo_refuses_an_unknown_attribute(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path), "--attributes", "bank.balanse"])
    assert result.exit_code == 2
    assert "unknown_attribute" in result.output
    assert not (tmp_path / "summary.json").exists()


def test_attributes_lists_the_catalogue() -> None:
    result = runner.invoke(app, ["attributes", "--json"])
    assert result.exit_code == 0
    names = [a["name"] for a in json.loads(result.output)]
    assert "bank.salary_monthly_average" in names
    assert len(names) >= 30
    table = runner.invoke(app, ["attributes"])
    assert table.exit_code == 0
    assert "bank.balance_total" in table.output


def test_attributes_lists_the_decisions_with_their_rule_versions() -> None:
    listed = {a["name"]: a for a in json.loads(runner.invoke(app, ["attributes", "--json"]).output)}
    assert listed["decision.max_mortgage"]["rules"] == ["income_norm@2026.1"]
    assert listed["decision.protected_earnings_monthly"]["rules"] == ["protected_earnings@2026.6"]
    assert "employment.sv_wage_12m" in listed["decision.max_mortgage"]["inputs"]
    table = runner.invoke(app, ["attributes"], env={"COLUMNS": "300"})
    assert "decision.nhg_eligible" in table.output
    assert "nhg@2026.2" in table.output


def test_verify_accepts_the_demo_record_and_rejects_a_tampered_one(tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--out", str(tmp_path)]).exit_code == 0
    record = tmp_path / "records" / "bank.sd-jwt"
    jwks = tmp_path / "jwks.json"
    ok = runner.invoke(app, ["verify", str(record), "--jwks", str(jwks), "--json"])
    assert ok.exit_code == 0, ok.output
    assert "bank.balance_total" in ok.output

    compact = record.read_text().strip()
    jws, _, rest = compact.partition("~")
    header, payload, signature = jws.split(".")
    forged = tmp_path / "forged.sd-jwt"
    forged.write_text(f"{header}.{payload}.{signature[:-4]}AAAA~{rest}\n")
    bad = runner.invoke(app, ["verify", str(forged), "--jwks", str(jwks)])
    assert bad.exit_code == 1
    assert "invalid_signature" in bad.output


def test_demo_of_a_couple_runs_the_partner_journey_and_decides(tmp_path: Path) -> None:
    """``two_incomes``: the mortgage preset needs the fiscal partner's data, so the demo runs
    the partner's own journey too, and the decisions count both incomes."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--out", str(out), "--scenario", "two_incomes"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    partner = summary["partner"]
    assert {s["status"] for s in partner["sources"].values()} == {"delivered"}
    assert set(partner["sources"]) == {"employment", "tax"}
    assert "partner_data_missing" not in summary["dossier"]["codes"]
    assert "error" not in summary["decisions"]
    assert "decision.max_mortgage" in summary["decisions"]
    jwks = KeySet.from_dict(json.loads((out / "jwks.json").read_text()))
    for kind in partner["sources"]:
        (record,) = (out / "records" / "partner" / f"{kind}.sd-jwt").read_text().splitlines()
        assert verify_record(record, jwks).attributes == {}  # the partner released nothing
    events = [json.loads(line) for line in (out / "ledger.jsonl").read_text().splitlines()]
    given = {e["consent_id"] for e in events if e["event"] == "consent.given"}
    assert given == {summary["consent_id"], partner["consent_id"]}
