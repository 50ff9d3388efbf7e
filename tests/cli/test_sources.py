"""``brondata sources``: the registered kinds and their configured instances."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from brondata import sources as source_kinds
from brondata.cli import app

runner = CliRunner()


def test_json_lists_every_instance_of_every_registered_kind() -> None:
    result = runner.invoke(app, ["sources", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["kind"] for r in rows} == set(source_kinds.names())
    by_id = {r["id"]: r for r in rows}
    assert {"bank.mockbank", "bank.noordbank", "tax", "duo"} <= set(by_id)
    assert by_id["bank.noordbank"]["name"] == "noordbank"
    assert by_id["bank.noordbank"]["title"] == "Noordbank"
    assert by_id["tax"]["name"] == "tax"
    for row in rows:
        assert row["id"] == row["kind"] or row["id"] == f"{row['kind']}.{row['name']}"
        assert set(row["attributes"]) == source_kinds.get(row["kind"]).attribute_names


def test_text_names_each_instance_once() -> None:
    result = runner.invoke(app, ["sources"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == [
        row["id"] for row in json.loads(runner.invoke(app, ["sources", "--json"]).output)
    ]


def test_one_kind_and_an_unknown_kind() -> None:
    bank = json.loads(runner.invoke(app, ["sources", "--json", "--kind", "bank"]).output)
    assert [r["id"] for r in bank] == ["bank.mockbank", "bank.noordbank"]
    unknown = runner.invoke(app, ["sources", "--kind", "moon"])
    assert unknown.exit_code == 2
    assert "unknown source kind 'moon'" in unknown.output
    assert "bank" in unknown.output
