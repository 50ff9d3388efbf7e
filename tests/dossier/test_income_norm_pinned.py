"""The 2026 income-norm table (``income_norm.json``) held against the texts it comes from.

Two kinds of evidence, each a data file in ``tests/vectors/trhk-2026`` with its sources, dates
in force and the date it was read:

* ``primary.json``: figures read from the regulation itself (Staatscourant 2025, 36471 and
  2023, 30022), compared with the rule table's own rows. Only the opening of those publications
  could be read; the financing-cost percentages of Bijlage 1 come after it, so the cells are not
  in that file (its ``not_reached`` says so) and are held here only to the shape every published
  table has.
* ``worked-examples.json``: maximum mortgages published by a mortgage adviser and a lender's
  calculator, with their inputs, run through ``brondata.dossier.decide`` and compared within
  the rounding the publisher states. Nibud's own 2026 example (the student loan) is in
  ``test_decisions.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from brondata.dossier import ApplicationFacts, decide

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "trhk-2026"
PRIMARY: dict[str, Any] = json.loads((VECTORS / "primary.json").read_text(encoding="utf-8"))
EXAMPLES: list[dict[str, Any]] = json.loads(
    (VECTORS / "worked-examples.json").read_text(encoding="utf-8")
)["cases"]


def node_rules(node_id: str) -> list[dict[str, str]]:
    text = (resources.files("brondata.dossier") / "rules/2026/income_norm.json").read_text()
    node = next(n for n in json.loads(text)["nodes"] if n["id"] == node_id)
    rules: list[dict[str, str]] = node["content"]["rules"]
    return rules


def interval(expression: str) -> tuple[Decimal | None, Decimal | None]:
    """``(above, up_to)`` of a rule-table rate cell: ``<= 1.5``, ``(1.5..2.0]`` or ``> 6.5``."""
    if expression.startswith("<="):
        return None, Decimal(expression[2:])
    if expression.startswith(">"):
        return Decimal(expression[1:]), None
    low, high = expression.strip("(]").split("..")
    return Decimal(low), Decimal(high)


def band(row: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    above, up_to = row["above"], row["up_to"]
    return (None if above is None else Decimal(above)), Decimal(up_to)


# --- the regulation's own figures ---------------------------------------------------------------


def test_energy_label_amounts_and_caps_are_the_regulations() -> None:
    primary = {
        label: (row["label_amount"], row["energy_saving_cap"])
        for row in PRIMARY["energy_label"]["rows"]
        for label in row["labels"]
    }
    table = {
        label.strip().strip('"'): (int(rule["label_amount"]), int(rule["ebv_cap"]))
        for rule in node_rules("label")
        for label in rule["label"].split(",")
    }
    assert table == primary


def test_single_person_thresholds_are_the_regulations() -> None:
    primary = PRIMARY["single_person_threshold"]
    rules = {(r["partner"], r["aow"]): r["income"] for r in node_rules("single")}
    assert rules[("false", "false")] == f"> {primary['before_aow_age']}"
    assert rules[("false", "true")] == f"> {primary['from_aow_age']}"


def test_test_rate_columns_begin_as_the_regulations() -> None:
    columns = [band(c) for c in PRIMARY["test_rate_columns"]["columns"]]
    table = [interval(r["rate"]) for r in node_rules("band")]
    assert table[: len(columns)] == columns
    assert [int(r["band"]) for r in node_rules("band")] == list(range(12))


def test_student_loan_gross_up_begins_as_the_regulations() -> None:
    primary = [(band(b), Decimal(b["factor"])) for b in PRIMARY["student_loan_gross_up"]["bands"]]
    table = [(interval(r["rate"]), Decimal(r["factor"])) for r in node_rules("grossup")]
    assert table[: len(primary)] == primary


@pytest.mark.parametrize("aow", ["false", "true"])
def test_cells_have_the_shape_of_every_published_table(aow: str) -> None:
    """Not a check against the text: what any table of Bijlage 1 looks like.

    A cell has one decimal, rises (or stays) with the test rate along its row and with the
    income down its column, and the "-" row repeats the first income row (as in the 2023 and 2024
    tables, Stcrt. 2022, 28829 and 2023, 30022). A transcription that slipped a digit or swapped
    two cells would break one of these.
    """
    rows = [r for r in node_rules("flp") if r["aow"] == aow]
    cells = [[Decimal(str(c)) for c in json.loads(r["percentages"])] for r in rows]
    assert all(c == c.quantize(Decimal("0.1")) for row in cells for c in row)
    assert all(row == sorted(row) for row in cells)
    for up, down in pairwise(cells):
        assert all(a <= b for a, b in zip(up, down, strict=True))
    assert rows[0]["income"].startswith("<")
    assert cells[0] == cells[1]


# --- published worked examples ------------------------------------------------------------------


def within_rounding(value: Decimal, published: int, rounding: str) -> bool:
    if rounding == "euro":
        return value == published
    if rounding == "nearest_1000":
        return abs(value - published) <= 500
    if rounding == "just_below_1000":
        return published - 1000 <= value < published
    raise AssertionError(f"unknown rounding {rounding!r} in worked-examples.json")


@pytest.mark.parametrize("case", EXAMPLES, ids=[c["id"] for c in EXAMPLES])
def test_published_maximum_mortgage(case: dict[str, Any]) -> None:
    published = case["published"]
    # The maximum does not depend on the price or the loan; the facts model needs both.
    facts = ApplicationFacts.parse(
        {"purchase_price": published, "loan_amount": published, **case["facts"]}
    )
    inputs = {
        k: (Decimal(str(v)) if isinstance(v, int) and not isinstance(v, bool) else v)
        for k, v in case["inputs"].items()
    }
    result = decide("decision.max_mortgage", year=2026, facts=facts, inputs=inputs)
    assert isinstance(result.value, Decimal)
    assert within_rounding(result.value, published, case["rounding"]), (
        f"{case['id']}: brondata {result.value}, published {published} ({case['rounding']})"
    )
