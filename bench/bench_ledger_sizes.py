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


def _pair(rates: dict[str, float]) -> tuple[float, float]:
    return rates["best"], rates["median"]


def _append_rows(engine: str, rates: dict[str, Any], target: float | None) -> list[Any]:
    """One row per writer configuration of ``bench_ledger._rates``: 1 writer, the writers as
    threads sharing one ledger (one gateway), and as processes (several gateways)."""
    rows = []
    for config, how in (
        ("1_writer", "1 writer"),
        (f"{bench_ledger.WRITERS}_threads", f"{bench_ledger.WRITERS} writer threads"),
        (f"{bench_ledger.WRITERS}_processes", f"{bench_ledger.WRITERS} writer processes"),
    ):
        if config not in rates:
            continue
        rows.append(
            figure(
                f"{engine} ledger appends, {how}, vs bare INSERT",
                "appends/s",
                _pair(rates[config]["ledger_appends_per_s"]),
                rounds=rates.get("rounds", 1),
                baseline=_pair(rates[config]["bare_inserts_per_s"]),
                baseline_name="bare INSERT, same durability",
                target=target,
                target_text=f">= {target:g}x" if target is not None else "",
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
        rows += _append_rows("SQLite (synchronous=FULL)", sqlite, 0.67)
        postgres = bench_ledger.bench_postgres_appends()
        raw["postgres"] = postgres
        if "skipped" not in postgres:
            rows += _append_rows("PostgreSQL", postgres, None)
            for config in (f"{bench_ledger.WRITERS}_threads", f"{bench_ledger.WRITERS}_processes"):
                rows.append(
                    figure(
                        f"PostgreSQL ledger appends, {config.replace('_', ' ')}",
                        "appends/s",
                        _pair(postgres[config]["ledger_appends_per_s"]),
                        rounds=postgres.get("rounds", 1),
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
            note=f"peak RSS {top['audit_verify_peak_rss_mib']:.0f} MiB (target 256 MB at 1M), "
            f"{top['audit_verify_cpu_s']:.1f} s of CPU",
        )
    )
    table = [
        "| entries | inclusion proof (median) | audit verify (wall) | CPU | entries/s |"
        " peak RSS | export |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, s in scale.items():
        proofs = ", ".join(f"{k[:-3]}: {v:.0f} µs" for k, v in s["inclusion_proof_median"].items())
        table.append(
            f"| {size:,} | {proofs} | {s['audit_verify_s']:.1f} s "
            f"| {s['audit_verify_cpu_s']:.1f} s "
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
