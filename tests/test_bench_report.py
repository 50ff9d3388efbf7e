"""The benchmark harness (``make bench``): every point the report promises runs without a
flag, and each row says the load it was measured under."""

from __future__ import annotations

import os

import pytest

report = pytest.importorskip("bench._report")
scale = pytest.importorskip("bench.bench_scale")
harness = pytest.importorskip("bench.__main__")
util = pytest.importorskip("bench._util")


def test_every_concurrency_level_runs_by_default() -> None:
    # 1,000 in flight, in-process and over HTTP, is part of the default run (not a flag).
    assert scale.LEVELS == (1, 50, 200, 1000)
    assert set(scale.ROUNDS) == set(scale.LEVELS)


def test_the_sections_fit_ten_minutes() -> None:
    assert set(harness.BUDGET) == {m.rsplit(".", 1)[1] for m in harness.MODULES}
    assert sum(harness.BUDGET.values()) < 600


def test_each_row_and_section_reports_its_load() -> None:
    row = util.figure("x vs y", "ms", (1.0, 2.0), rounds=3, baseline=(1.0, 1.0), load=3.25)
    assert row["load"] == 3.25
    assert util.figure("z", "ms", (1.0, 1.0))["load"] == pytest.approx(os.getloadavg()[0], abs=5)
    text = report.write_markdown(
        {
            "machine": {
                "cpus": 2,
                "python": "3",
                "load_average_at_start": (1.0, 1.0, 1.0),
                "load_average_at_end": (2.0, 1.0, 1.0),
            },
            "started_at": "now",
            "seconds": 100.0,
            "budget_s": 600,
            "full": False,
            "sections": {
                "s": {
                    "title": "S",
                    "seconds": 9.0,
                    "budget_s": 20,
                    "load": "1.0 to 2.0",
                    "rows": [row],
                },
            },
        },
        [],
    )
    assert "| load |" in text
    assert "| 3.2 |" in text
    assert "(9 s of a 20 s budget, load 1.0 to 2.0)" in text
    assert "budget 600 s" in text
