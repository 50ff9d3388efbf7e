"""brondata.dossier lists its public surface once, sorted, and ships its data files."""

from __future__ import annotations

import json
from importlib import resources

import brondata.dossier as dossier


def test_all_is_sorted_and_complete() -> None:
    exported = list(dossier.__all__)
    assert exported == sorted(
        exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    public = {n for n in vars(dossier) if not n.startswith("_") and n != "annotations"}
    assert public == set(exported)


def test_rule_files_and_presets_are_package_data() -> None:
    root = resources.files("brondata.dossier")
    assert json.loads((root / "presets.json").read_text())["mortgage"]
    names = sorted(p.name for p in (root / "rules" / "2026").iterdir())
    tables = ["aow_age", "income_norm", "loan_to_value", "nhg", "protected_earnings"]
    assert names == [f"{t}.json" for t in tables]
