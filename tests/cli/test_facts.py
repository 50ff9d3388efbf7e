"""``brondata demo --facts FILE``: a bad facts file is one line on stderr and exit 2, before
anything is written; ``--purpose payment_plan`` is a preset."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brondata.cli import app
from brondata.testing import FixedClock

runner = CliRunner()

GOOD = {
    "purchase_price": 400000,
    "loan_amount": 300000,
    "interest_rate": 0.041,
    "fixed_period_years": 10,
    "energy_label": "A",
    "energy_saving_measures": 0,
}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not JSON"),
        ("[" * 200_000, "is not JSON"),  # too deep to parse: bad input, not an internal error
        ("[1, 2]", "must hold a JSON object"),
        (json.dumps({**GOOD, "loan_amount": "lots"}), "loan_amount"),
        (json.dumps({**GOOD, "interest_rate": 4.1}), "interest_rate"),  # a percentage
        (json.dumps({**GOOD, "fixed_period_years": "ten"}), "fixed_period_years"),
        (json.dumps({**GOOD, "energy_label": "Z"}), "energy_label"),
        (json.dumps({**GOOD, "loan": 1}), "loan"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "purchase_price"}), "purchase_price"),
        (json.dumps({**GOOD, "purchase_price": -5}), "purchase_price"),
    ],
)
def test_a_bad_facts_file_is_one_line_and_exit_2(tmp_path: Path, content: str, says: str) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(content)
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--out", str(out), "--facts", str(facts)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert says in lines[0]
    assert "lots" not in result.output
    assert not out.exists()  # nothing written for bad input


def test_facts_no_decision_asked_reads_are_refused(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(GOOD))
    args = ["demo", "--out", str(tmp_path / "o"), "--facts", str(facts)]
    result = runner.invoke(app, [*args, "--attributes", "bank.balance_total"])
    assert result.exit_code == 2, result.output
    assert "no decision asked needs them" in result.output
    assert not (tmp_path / "o").exists()


def test_a_missing_facts_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--out", str(tmp_path / "o"), "--facts", str(tmp_path / "nope.json")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_payment_plan_is_a_preset_with_the_protected_earnings() -> None:
    from brondata._demo import preset_request

    request = preset_request("payment_plan")
    assert request.dossier == "payment_plan"
    assert request.decisions == ("decision.protected_earnings_monthly",)
    assert "person.address" in request.attributes
    # The income itself is not asked: only what the creditor may learn.
    assert "bank.salary_monthly_average" not in request.attributes


def test_demo_writes_the_dossier_and_the_decisions_with_given_facts(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({**GOOD, "loan_amount": 480000, "purchase_price": 480000}))
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--scenario", "new_build", "--facts", str(facts)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    # The land registry's record leaves property.woz_value out (a new build has none yet);
    # the checks say why and what to do.
    assert result.exit_code == 0, result.output
    report = json.loads((out / "dossier.json").read_text())
    codes = [f["code"] for f in report["findings"]]
    assert "property_without_woz" in codes
    assert "property_without_woz" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["decisions"]["decision.nhg_eligible"]["value"] is False  # above 470,000
    assert "decision.nhg_eligible" in result.output


def test_demo_payment_plan_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On 2 November the six complete months of bank data hold May and June, so the income of
    # art. 475dc (holiday allowance included) can be told; in December-June it cannot
    # (``brondata.sources.bank.mapping``), and the decision names it missing.
    monkeypatch.setattr("brondata._demo.SystemClock", FixedClock)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["demo", "--out", str(out), "--purpose", "payment_plan"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    protected = summary["decisions"]["decision.protected_earnings_monthly"]
    assert protected["rule_version"] == "protected_earnings@2026.6"
    assert set(protected["value"]) == {"amount", "currency"}
    # The salaried demo person earns well above the minimum: the income-dependent terms of
    # Rv art. 475da lid 2 lift the amount above 95% of the social-assistance norm (EUR
    # 1,348.49 from 1 July 2026, all revision 3 gave), up to the maximum of lid 1 a.
    assert Decimal("1348.49") < Decimal(protected["value"]["amount"]) <= Decimal("2208.48")
    report = json.loads((out / "dossier.json").read_text())
    assert report["preset"] == "payment_plan"
    # The income itself is not released: no record holds the salary.
    assert "bank.salary_monthly_average" not in json.dumps(summary["requested_attributes"])
