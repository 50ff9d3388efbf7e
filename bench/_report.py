"""The report: Markdown tables for the README, and PNG plots of the scaling curves."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _row(row: dict[str, Any]) -> str:
    ratio = "–"
    if row.get("ratio") is not None:
        ratio = f"{row['ratio']:.2f}x"
        if row.get("ratio_best") is not None:
            ratio += f" (best {row['ratio_best']:.2f}x)"
    met = ""
    if "met" in row:
        met = ("met" if row["met"] else "**not met**") + f" ({row['target']})"
    baseline = ""
    if "baseline_name" in row:
        baseline = f"{row['baseline_name']}: {_number(row['baseline_median'], row['unit'])}"
    rounds = row.get("rounds", 1)
    value = _number(row["median"], row["unit"])
    if rounds > 1:
        value += f" (best {_number(row['best'])}, {rounds} rounds)"
    note = f" {row['note']}" if row.get("note") else ""
    load = f"{row['load']:.1f}" if row.get("load") is not None else "–"
    return f"| {row['name']}{note} | {value} | {baseline} | {ratio} | {met} | {load} |"


def write_markdown(report: dict[str, Any], plots: list[str]) -> str:
    machine = report["machine"]
    load = ", ".join(f"{x:.1f}" for x in machine["load_average_at_start"])
    lines = [
        "# brondata benchmark report",
        "",
        f"`make bench` on {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{report['started_at']}, load average {load} at the start; "
        f"{report['seconds']:.0f} s in all{' (BRONDATA_BENCH_FULL=1)' if report['full'] else ''}"
        f" (budget {report['budget_s']:.0f} s), load average "
        f"{machine['load_average_at_end'][0]:.1f} at the end. "
        "Every figure is the median of its rounds, with its baseline measured in the same "
        "run, the two alternating; a ratio is figure / baseline (for a rate above 1 is "
        "faster, for a cost below 1 is cheaper). _load_ is the 1-minute load average at the "
        "end of the row's measurement (2 CPUs: above 2, other work was waiting for them).",
        "",
    ]
    for section in report["sections"].values():
        seconds, budget = section.get("seconds", 0), section.get("budget_s")
        spent = f"{seconds:.0f} s" + (f" of a {budget:.0f} s budget" if budget else "")
        lines.append(f"## {section.get('title', '?')} ({spent}, load {section['load']})")
        lines.append("")
        if "error" in section:
            lines += ["Failed:", "", "```", section["error"].strip(), "```", ""]
            continue
        if section.get("rows"):
            lines += [
                "| figure | median | baseline (median) | ratio | target | load |",
                "|---|---:|---|---:|---|---:|",
            ]
            lines += [_row(row) for row in section["rows"]]
            lines.append("")
        elif section.get("raw") is None:
            lines += ["| figure | value |", "|---|---:|"]
            for key, value in section.items():
                if key not in ("title", "seconds") and isinstance(value, int | float | str):
                    shown = _number(value) if isinstance(value, int | float) else value
                    lines.append(f"| {key} | {shown} |")
            lines.append("")
        for title, table in section.get("tables", {}).items():
            lines += [f"**{title}**", "", *table, ""]
        for note in section.get("notes", []):
            lines += [f"_{note}_", ""]
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{name}]({name})" for name in plots]
        lines.append("")
    return "\n".join(lines)


def write_plots(report: dict[str, Any], out: Path) -> list[str]:
    """The scaling curves as PNG files in ``out``; their names (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written: list[str] = []
    scale = report["sections"].get("bench_scale", {}).get("curves")
    if scale:
        panels = (
            ("sessions_per_s.png", "sessions (flows) per second", lambda s: s["per_s"]["median"]),
            ("latency_p99.png", "p99 latency, s", lambda s: s["p99_s"]["median"]),
            (
                "rss_per_session.png",
                "resident memory per session in flight, MiB",
                lambda s: s["rss_per_session_mib"]["median"],
            ),
        )
        for name, label, pick in panels:
            figure, axes = plt.subplots(figsize=(6.4, 4.0))
            for mode, points in scale.items():
                if not points:
                    continue
                levels = [p[0] for p in points]
                where = mode.replace("_", " ")
                axes.plot(levels, [pick(p[1]) for p in points], "o-", label=f"gateway, {where}")
                axes.plot(levels, [pick(p[2]) for p in points], "s--", label=f"bare, {where}")
            axes.set_xscale("log")
            axes.set_xlabel("bank sessions in flight")
            axes.set_ylabel(label)
            axes.grid(True, alpha=0.3)
            axes.legend(fontsize="small")
            figure.tight_layout()
            figure.savefig(out / name, dpi=100)
            plt.close(figure)
            written.append(name)
    ledger = report["sections"].get("bench_ledger_sizes", {}).get("curves", {}).get("ledger")
    if ledger:
        figure, axes = plt.subplots(figsize=(6.4, 4.0))
        sizes = [p[0] for p in ledger]
        axes.plot(sizes, [p[1] for p in ledger], "o-", label="audit verify, s")
        axes.plot(sizes, [p[3] / 1000 for p in ledger], "s--", label="inclusion proof, ms")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("ledger entries")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="small")
        figure.tight_layout()
        figure.savefig(out / "ledger_by_size.png", dpi=100)
        plt.close(figure)
        written.append("ledger_by_size.png")
    return written
