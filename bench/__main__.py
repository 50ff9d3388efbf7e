"""``python -m bench [OUT]`` (``make bench``): every benchmark, then one report.

Writes ``OUT/report.json`` (every figure and the raw rounds), ``OUT/report.md`` (the tables
for the README) and ``OUT/*.png`` (the scaling curves; needs matplotlib, the ``bench``
extra). ``OUT`` defaults to ``bench-out``. A benchmark that fails is reported as failed and
makes the exit status 1; the others still run. ``BRONDATA_BENCH_FULL=1`` adds the 1M-entry
ledger (and more rounds where a module reads it); every other point runs by default.

The whole run has a budget of ten minutes on the 2-core development machine, loaded by other
work; each section has its share (``BUDGET``), reported beside the time it took and the load
average at its start and end. The sections run one after another, never side by side: each
would take the other's CPU and the figures would measure the contention.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from bench._report import write_markdown, write_plots
from bench._util import FULL, load_average

MODULES = [
    "bench.bench_imports",
    "bench.bench_records",
    "bench.bench_session",
    "bench.bench_sources",
    "bench.bench_scale",
    "bench.bench_ledger_sizes",
]
#: Seconds each section may take on the loaded 2-core machine; 600 in all, with the margin
#: (the 1M-entry ledger of ``BRONDATA_BENCH_FULL=1`` is outside it).
BUDGET = {
    "bench_imports": 25,
    "bench_records": 25,
    "bench_session": 25,
    "bench_sources": 20,
    "bench_scale": 300,
    "bench_ledger_sizes": 180,
}


def main() -> int:
    args = sys.argv[1:]
    out = Path(args[0]) if args else Path("bench-out")
    only = set(os.environ.get("BRONDATA_BENCH_ONLY", "").split(",")) - {""}
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "full": FULL,
        "budget_s": sum(BUDGET.values()) + 25,
        "sections": {},
    }
    failed = False
    for name in MODULES:
        short = name.rsplit(".", 1)[1]
        if only and short not in only:
            continue
        section_start = time.perf_counter()
        load_before = load_average()
        print(f"\n== {short} (budget {BUDGET[short]} s, load {load_before:.1f})", flush=True)
        try:
            run = importlib.import_module(name).run
            result = anyio.run(run) if inspect.iscoroutinefunction(run) else run()
        except Exception:
            failed = True
            result = {"title": short, "error": traceback.format_exc(limit=5), "rows": []}
            print(f"\n{short} FAILED\n{result['error']}", file=sys.stderr)
        result.setdefault("title", short)
        result["seconds"] = round(time.perf_counter() - section_start, 1)
        result["budget_s"] = BUDGET[short]
        result["load"] = f"{load_before:.1f} to {load_average():.1f}"
        print(f"== {short}: {result['seconds']:.0f} s (budget {BUDGET[short]} s)", flush=True)
        report["sections"][short] = result
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", "utf-8")
    plots = write_plots(report, out)
    (out / "report.md").write_text(write_markdown(report, plots), "utf-8")
    print(
        f"\nwrote {out / 'report.json'}, {out / 'report.md'} and {len(plots)} plots; "
        f"{report['seconds']:.0f} s in all (budget {report['budget_s']} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
