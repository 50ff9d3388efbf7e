"""``python -m bench [OUT]`` (``make bench``): every benchmark, then one report.

Writes ``OUT/report.json`` (every figure and the raw rounds), ``OUT/report.md`` (the tables
for the README) and ``OUT/*.png`` (the scaling curves; needs matplotlib, the ``bench``
extra). ``OUT`` defaults to ``bench-out``. A benchmark that fails is reported as failed and
makes the exit status 1; the others still run. ``BRONDATA_BENCH_FULL=1`` adds the long
variants (1M-entry ledger, HTTP at 200 and 1,000 in flight, more rounds).
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
from bench._util import FULL

MODULES = [
    "bench.bench_imports",
    "bench.bench_records",
    "bench.bench_session",
    "bench.bench_sources",
    "bench.bench_scale",
    "bench.bench_ledger_sizes",
]


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
        "sections": {},
    }
    failed = False
    for name in MODULES:
        short = name.rsplit(".", 1)[1]
        if only and short not in only:
            continue
        section_start = time.perf_counter()
        try:
            run = importlib.import_module(name).run
            result = anyio.run(run) if inspect.iscoroutinefunction(run) else run()
        except Exception:
            failed = True
            result = {"title": short, "error": traceback.format_exc(limit=5), "rows": []}
            print(f"\n{short} FAILED\n{result['error']}", file=sys.stderr)
        result.setdefault("title", short)
        result["seconds"] = round(time.perf_counter() - section_start, 1)
        report["sections"][short] = result
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", "utf-8")
    plots = write_plots(report, out)
    (out / "report.md").write_text(write_markdown(report, plots), "utf-8")
    print(f"\nwrote {out / 'report.json'}, {out / 'report.md'} and {len(plots)} plots")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
