"""Many bank sessions at once: sessions/s, latency and memory at 1, 50, 200 and 1,000 in
flight, in-process and against ``brondata mock serve`` over real HTTP.

Each level runs in a fresh process (``bench._scale_worker``), so its peak resident set is
its own; gateway rounds and bare rounds (the same requests by hand, ``bench._flows``)
alternate within it. Over HTTP the server is one ``mock serve`` subprocess on free
127.0.0.1 ports, stopped afterwards; the CPU a session costs is this side's (the gateway's
or the bare client's) CPU time, the server's reported beside it. Request counts are
bounded: each round runs as many sessions as are in flight (10 in-process and 5 over HTTP
one after another at level 1). Every level runs in the default ``make bench``: rounds are
what buys the time, several at 1 and 50 in flight, where a round is short and the spread
between rounds is the noise, one at 200 and 1,000, where a round is hundreds of sessions and
its percentiles are already over all of them. One ``mock serve`` answers every HTTP level.
Each level's row carries the 1-minute load average at its end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bench._server import cpu_seconds
from bench._util import figure, print_table, summary
from brondata.testing import serve_mock_sources

LEVELS = (1, 50, 200, 1000)
#: Sessions per round at one in flight (sequential), in-process and over HTTP.
MIN_SESSIONS = {"inproc": 10, "http": 5}
#: Rounds per level (each side): a level of 200 or 1,000 is one long round.
ROUNDS = {1: 3, 50: 2, 200: 1, 1000: 1}


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def _side(rounds: list[dict[str, Any]], level: int) -> dict[str, Any]:
    """Per-round figures of one side, summarised (min and median over rounds)."""
    rates = [r["completed"] / r["wall_s"] for r in rounds]
    p50 = [_percentile(r["latencies_s"], 0.50) for r in rounds]
    p99 = [_percentile(r["latencies_s"], 0.99) for r in rounds]
    cpu = [r["cpu_s"] / max(1, r["completed"]) for r in rounds]
    per_session = [(r["rss_peak_mib"] - r["rss_before_mib"]) / level for r in rounds]
    return {
        "per_s": summary(rates),
        "p50_s": summary(p50),
        "p99_s": summary(p99),
        "cpu_per_session_s": summary(cpu),
        "peak_rss_mib": max(r["rss_peak_mib"] for r in rounds),
        "rss_per_session_mib": summary(per_session),
        "failed": sum(r["failed"] for r in rounds),
        "failure_reasons": [r.get("failure_reasons", {}) for r in rounds],
        "completed": sum(r["completed"] for r in rounds),
    }


def _level(mode: str, level: int, urls: dict[str, str] | None = None) -> dict[str, Any]:
    args = {
        "mode": mode,
        "level": level,
        "sessions": max(level, MIN_SESSIONS[mode]),
        "rounds": ROUNDS[level],
        "urls": urls,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench._scale_worker", json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} level {level} failed:\n{done.stderr[-2000:]}")
    raw = json.loads(done.stdout)
    return {
        "level": level,
        "sessions_per_round": args["sessions"],
        "rounds": args["rounds"],
        "load": raw["load"],
        "gateway": _side(raw["gateway"], level),
        "bare": _side(raw["bare"], level),
    }


def _table(levels: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| in flight | sessions/s | bare flows/s | ratio | vs 1 in flight | p50 | p99 "
        "| bare p99 | CPU/session | bare CPU/session | peak RSS | RSS/session | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    one = levels[0]["gateway"]["per_s"]["median"]
    for entry in levels:
        g, b = entry["gateway"], entry["bare"]
        failed = f" ({g['failed']} failed)" if g["failed"] else ""
        lines.append(
            f"| {entry['level']:,} | {g['per_s']['median']:.1f}{failed} "
            f"| {b['per_s']['median']:.1f} "
            f"| {g['per_s']['median'] / b['per_s']['median']:.2f}x "
            f"| {g['per_s']['median'] / one:.2f}x "
            f"| {g['p50_s']['median'] * 1000:.0f} ms | {g['p99_s']['median'] * 1000:.0f} ms "
            f"| {b['p99_s']['median'] * 1000:.0f} ms "
            f"| {g['cpu_per_session_s']['median'] * 1000:.0f} ms "
            f"| {b['cpu_per_session_s']['median'] * 1000:.0f} ms "
            f"| {g['peak_rss_mib']:.0f} MiB | {g['rss_per_session_mib']['median']:.2f} MiB "
            f"| {entry['load']:.1f} |"
        )
    return lines


def _pair(s: dict[str, float], scale: float = 1.0) -> tuple[float, float]:
    return s["min"] * scale, s["median"] * scale


def run() -> dict[str, Any]:
    in_process = [_level("inproc", level) for level in LEVELS]
    with serve_mock_sources("--seed", "42") as server:
        before = cpu_seconds(server.pid)
        over_http = [_level("http", level, server.urls) for level in LEVELS]
        server_cpu = cpu_seconds(server.pid) - before
    served = sum(e["gateway"]["completed"] + e["bare"]["completed"] for e in over_http)

    rows: list[dict[str, Any]] = []
    by_level = {e["level"]: e for e in in_process}
    if 200 in by_level:
        g200, g1 = by_level[200]["gateway"], by_level[1]["gateway"]
        rows.append(
            figure(
                "sessions/s at 200 in flight vs at 1, in-process",
                "sessions/s",
                (g200["per_s"]["median"], g200["per_s"]["median"]),
                rounds=by_level[200]["rounds"],
                load=by_level[200]["load"],
                baseline=(g1["per_s"]["median"], g1["per_s"]["median"]),
                baseline_name="sessions/s at 1 in flight",
                target=1.0,
                target_text=">= 1x",
            )
        )
        rows.append(
            figure(
                "p99 latency at 200 in flight, in-process",
                "ms",
                _pair(g200["p99_s"], 1000),
                rounds=by_level[200]["rounds"],
                load=by_level[200]["load"],
                higher_is_better=False,
                target=2000,
                target_text="< 2000 ms",
            )
        )
    for entry in in_process:
        g, b = entry["gateway"], entry["bare"]
        rows.append(
            figure(
                f"sessions/s at {entry['level']:,} in flight, in-process, vs bare flows",
                "sessions/s",
                (max(g["per_s"]["min"], g["per_s"]["median"]), g["per_s"]["median"]),
                rounds=entry["rounds"],
                load=entry["load"],
                baseline=(max(b["per_s"]["min"], b["per_s"]["median"]), b["per_s"]["median"]),
                baseline_name="bare flows/s, same level",
                note=f"p99 {g['p99_s']['median'] * 1000:.0f} ms; "
                f"{g['rss_per_session_mib']['median']:.2f} MiB per session in flight",
            )
        )
    first = over_http[0]
    rows.append(
        figure(
            "gateway CPU per bank session over HTTP vs bare httpx2 client",
            "ms CPU",
            _pair(first["gateway"]["cpu_per_session_s"], 1000),
            rounds=first["rounds"],
            load=first["load"],
            baseline=_pair(first["bare"]["cpu_per_session_s"], 1000),
            baseline_name="bare httpx2 client, same requests",
            higher_is_better=False,
            target=2.0,
            target_text="<= 2x",
            note="one bank (the target names six sources); client side only, "
            f"the mock server's own CPU was {server_cpu / max(1, served) * 1000:.0f} ms per flow",
        )
    )
    for entry in over_http:
        g, b = entry["gateway"], entry["bare"]
        rows.append(
            figure(
                f"sessions/s at {entry['level']:,} in flight over HTTP, vs bare flows",
                "sessions/s",
                (max(g["per_s"]["min"], g["per_s"]["median"]), g["per_s"]["median"]),
                rounds=entry["rounds"],
                load=entry["load"],
                baseline=(max(b["per_s"]["min"], b["per_s"]["median"]), b["per_s"]["median"]),
                baseline_name="bare flows/s, same level",
                note=f"p99 {g['p99_s']['median'] * 1000:.0f} ms; "
                f"{g['rss_per_session_mib']['median']:.2f} MiB per session in flight",
            )
        )
    tables = {
        "In-process, by sessions in flight": _table(in_process),
        "Over HTTP (`brondata mock serve`), by sessions in flight": _table(over_http),
    }
    for title, lines in tables.items():
        print(f"\n{title}")
        print("\n".join(lines))
    print_table("scale", [(r["name"], f"{r['median']:.1f} {r['unit']}") for r in rows])
    notes = [
        "In-process, a bare flow never waits on real I/O, so concurrent bare flows run one "
        "after another and their latency is one flow's: compare rates, not bare p99.",
        "A failed session (a source timeout, for one) is counted, not timed; "
        "report.json has the reasons.",
    ]
    notes.append(
        "Rounds per level (each side): "
        + ", ".join(f"{n:,} in flight: {r}" for n, r in ROUNDS.items())
        + "; the best of one round is its median."
    )
    return {
        "title": "Concurrent sessions",
        "notes": notes,
        "rows": rows,
        "tables": tables,
        "raw": {
            "in_process": in_process,
            "over_http": over_http,
            "server_cpu_s": server_cpu,
        },
        "curves": {
            "in_process": [(e["level"], e["gateway"], e["bare"]) for e in in_process],
            "over_http": [(e["level"], e["gateway"], e["bare"]) for e in over_http],
        },
    }
