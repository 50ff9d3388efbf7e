"""The consent ledger in the report: appends next to a bare INSERT (SQLite and PostgreSQL,
one and four writers), inclusion proofs and ``audit verify`` against ledger size.

The measuring is ``bench.bench_ledger``'s (its functions are called, not copied): appends
through ``ConsentLog`` with the same durability as the bare INSERT of the same bytes, the
ledger bulk-loaded to each size, the export verified in a fresh process (wall time, peak
RSS). Sizes 1k, 10k and 100k; 1M with ``BRONDATA_BENCH_FULL=1``. One round each: these
take tens of seconds a piece; the ratios are against baselines run right beside them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import bench_ledger
from bench._util import FULL, figure, print_table

SIZES = (1_000, 10_000, 100_000, 1_000_000) if FULL else (1_000, 10_000, 100_000)


def _once(value: float) -> tuple[float, float]:
    return value, value


def _append_rows(engine: str, one: dict[str, Any], many: dict[str, Any] | None) -> list[Any]:
    rows = [
        figure(
            f"{engine} ledger appends, 1 writer, vs bare INSERT",
            "appends/s",
            _once(one["ledger_appends_per_s"]),
            baseline=_once(one["bare_inserts_per_s"]),
            baseline_name="bare INSERT, same durability",
            target=0.67 if engine == "SQLite (synchronous=FULL)" else None,
            target_text=">= 0.67x",
        )
    ]
    if many is not None:
        rows.append(
            figure(
                f"{engine} ledger appends, {bench_ledger.WRITERS} writers, vs bare INSERT",
                "appends/s",
                _once(many["ledger_appends_per_s"]),
                baseline=_once(many["bare_inserts_per_s"]),
                baseline_name=f"bare INSERT, {bench_ledger.WRITERS} writers",
                note=">= 2,000 appends/s is the PostgreSQL target"
                if engine == "PostgreSQL"
                else "",
            )
        )
    return rows


def run() -> dict[str, Any]:
    rows: list[Any] = []
    raw: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sqlite = bench_ledger.bench_sqlite_appends(tmp)
        raw["sqlite"] = sqlite
        rows += _append_rows(
            "SQLite (synchronous=FULL)",
            sqlite["full"],
            sqlite.get(f"full_{bench_ledger.WRITERS}_writers"),
        )
        rows += _append_rows("SQLite (synchronous=NORMAL)", sqlite["normal"], None)
        postgres = bench_ledger.bench_postgres_appends()
        raw["postgres"] = postgres
        if "skipped" not in postgres:
            many = postgres.get(f"{bench_ledger.WRITERS}_writers")
            rows += _append_rows("PostgreSQL", postgres, many)
            if many is not None:
                rows.append(
                    figure(
                        f"PostgreSQL ledger appends, {bench_ledger.WRITERS} writers",
                        "appends/s",
                        _once(many["ledger_appends_per_s"]),
                        target=2000,
                        target_text=">= 2,000/s",
                    )
                )
        scale = {}
        for size in SIZES:
            scale[size] = bench_ledger.bench_scale(tmp, size, with_tracemalloc=False)
        raw["scale"] = scale
    top = scale[max(SIZES)]
    rows.append(
        figure(
            f"audit verify of {max(SIZES):,} entries",
            "s",
            _once(top["audit_verify_s"]),
            higher_is_better=False,
            target=30 * max(SIZES) / 1_000_000,
            target_text=f"< {30 * max(SIZES) / 1_000_000:g} s (30 s per 1M)",
            note=f"peak RSS {top['audit_verify_peak_rss_mib']:.0f} MiB (target 256 MB at 1M)",
        )
    )
    table = [
        "| entries | inclusion proof (median) | audit verify | entries/s | peak RSS | export |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, s in scale.items():
        proofs = ", ".join(f"{k[:-3]}: {v:.0f} µs" for k, v in s["inclusion_proof_median"].items())
        table.append(
            f"| {size:,} | {proofs} | {s['audit_verify_s']:.1f} s "
            f"| {s['audit_verify_entries_per_s']:,.0f} | {s['audit_verify_peak_rss_mib']:.0f} MiB "
            f"| {s['export_mib']:.1f} MiB |"
        )
    print("\nledger by size\n" + "\n".join(table))
    print_table("ledger", [(r["name"], f"{r['median']:.1f} {r['unit']}") for r in rows])
    curve = [
        (
            size,
            s["audit_verify_s"],
            s["audit_verify_peak_rss_mib"],
            max(s["inclusion_proof_median"].values()),
        )
        for size, s in scale.items()
    ]
    return {
        "title": "Consent ledger",
        "rows": rows,
        "tables": {"Inclusion proofs and audit verify by ledger size": table},
        "raw": raw,
        "curves": {"ledger": curve},
        "notes": [] if FULL else ["1M entries: set BRONDATA_BENCH_FULL=1 (a few minutes)."],
    }
