"""``python -m bench``: every benchmark module's ``run()``, one after the other."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

import anyio

MODULES = [
    "bench.bench_session",
    "bench.bench_sources",
    "bench.bench_records",
    "bench.bench_ledger",
]


def main() -> None:
    results: dict[str, Any] = {}
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        run = module.run
        results[name] = anyio.run(run) if inspect.iscoroutinefunction(run) else run()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if out is not None:
        out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
