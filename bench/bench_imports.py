"""Start-up: what ``import brondata``, ``from brondata import Gateway`` and ``brondata
--help`` cost, next to an interpreter that imports nothing.

Each is a fresh process, the four alternating for several rounds; the figure is wall time
to exit, and for the imports also ``python -X importtime``'s own cumulative count for the
top-level module (the number the start-up target names).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from typing import Any

from bench._util import figure, millis, print_table, summary

ROUNDS = 5
COMMANDS: dict[str, list[str]] = {
    "python (nothing imported)": [sys.executable, "-c", "pass"],
    "import brondata": [sys.executable, "-X", "importtime", "-c", "import brondata"],
    "from brondata import Gateway": [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        "from brondata import Gateway",
    ],
    "brondata --help": [sys.executable, "-m", "brondata.cli", "--help"],
}
# Top-level entries only (no indentation): brondata, and what its lazy names import later.
_TOP = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| brondata(?:\.\S+)?$", re.MULTILINE)


def run(rounds: int = ROUNDS) -> dict[str, Any]:
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    importtime: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            wall[name].append(time.perf_counter() - start)
            found = _TOP.findall(done.stderr)
            if found:
                importtime[name].append(sum(int(us) for us in found) / 1e6)
    base = summary(wall["python (nothing imported)"])
    rows = []
    for name in list(COMMANDS)[1:]:
        rows.append(
            figure(
                f"{name}: wall time of the process",
                "ms",
                millis(summary(wall[name])),
                rounds=rounds,
                baseline=millis(base),
                baseline_name="python -c pass",
                higher_is_better=False,
            )
        )
        if importtime[name]:
            rows.append(
                figure(
                    f"{name}: -X importtime, brondata's modules",
                    "ms",
                    millis(summary(importtime[name])),
                    rounds=rounds,
                    higher_is_better=False,
                    target=150 if name == "import brondata" else None,
                    target_text="< 150 ms",
                )
            )
    print_table(
        f"start-up ({rounds} interleaved rounds, median)",
        [(r["name"], f"{r['median']:.0f} ms") for r in rows],
    )
    return {"title": "Start-up", "rows": rows, "raw": {"wall_s": wall, "importtime_s": importtime}}
