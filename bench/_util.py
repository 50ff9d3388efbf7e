"""Shared bits: a transport that records what it carries, interleaved rounds, figures.

Every figure in the report is a ratio against a baseline measured in the same run: the two
sides run in alternating rounds (A, B, A, B, ...), so a noisy neighbour on the machine slows
both alike, and each side is summarised by the min and the median of its rounds.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx2

#: ``BRONDATA_BENCH_FULL=1``: the 1M-entry ledger (and more rounds where a module reads it).
FULL = os.environ.get("BRONDATA_BENCH_FULL") == "1"


def load_average() -> float:
    """The 1-minute load average now: read at the end of a measurement, the load during it."""
    return os.getloadavg()[0]


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft open-file limit to ``wanted`` (at most the hard limit), for
    many connections at once; the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Wraps a transport and notes ``METHOD /path`` of every request, in order."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, log: list[str]) -> None:
        self._inner = inner
        self._log = log

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self._log.append(f"{request.method} {request.url.path}")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def summary(samples: list[float]) -> dict[str, float]:
    """``min``, ``median`` and ``rounds`` of a list of per-round figures."""
    return {
        "min": min(samples),
        "median": statistics.median(samples),
        "rounds": len(samples),
    }


def interleaved(
    sides: Mapping[str, Callable[[], object]],
    rounds: int,
    batch: int,
    *,
    clock: Callable[[], float] = time.process_time,
) -> dict[str, dict[str, float]]:
    """Seconds per operation of each side: ``rounds`` rounds, the sides alternating within
    each, ``batch`` operations per side per round (after one warm-up each).

    CPU seconds of this process by default: on a shared machine wall time also counts the
    time other processes held the CPU, which is noise for work that never waits."""
    for run in sides.values():
        run()
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, run in sides.items():
            start = clock()
            for _ in range(batch):
                run()
            samples[name].append((clock() - start) / batch)
    return {name: summary(values) for name, values in samples.items()}


async def interleaved_async(
    sides: Mapping[str, Callable[[], Awaitable[object]]], rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """As ``interleaved``, one awaited operation per side per round, each timed twice at
    once: ``wall`` (``perf_counter``) and ``cpu`` (``process_time``, this process's CPU);
    ``{"wall": {side: summary}, "cpu": {side: summary}}``."""
    for run in sides.values():
        await run()
    wall: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, run in sides.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            await run()
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start)
    return {
        "wall": {name: summary(values) for name, values in wall.items()},
        "cpu": {name: summary(values) for name, values in cpu.items()},
    }


def per_second(seconds: Mapping[str, float], count: float = 1.0) -> tuple[float, float]:
    """(best, median) operations per second from seconds per ``count`` operations."""
    return count / seconds["min"], count / seconds["median"]


def millis(seconds: Mapping[str, float]) -> tuple[float, float]:
    """(best, median) milliseconds."""
    return seconds["min"] * 1000, seconds["median"] * 1000


def figure(
    name: str,
    unit: str,
    value: tuple[float, float],
    *,
    rounds: int = 1,
    baseline: tuple[float, float] | None = None,
    baseline_name: str = "",
    higher_is_better: bool = True,
    target: float | None = None,
    target_text: str = "",
    note: str = "",
    load: float | None = None,
) -> dict[str, Any]:
    """One row of the report.

    ``value`` and ``baseline`` are (best round, median round) in ``unit``. The ratio is
    value / baseline, of the medians (and ``ratio_best`` of the best rounds); for a rate
    above 1 is faster than the baseline, for a cost (``higher_is_better=False``) below 1 is
    cheaper. ``target`` is held against the ratio when there is a baseline, else against
    the median itself. ``load`` is the 1-minute load average during the measurement (by
    default now: make the row right after measuring it).
    """
    best, median = value
    row: dict[str, Any] = {
        "name": name,
        "unit": unit,
        "best": best,
        "median": median,
        "rounds": rounds,
        "higher_is_better": higher_is_better,
        "note": note,
        "load": load_average() if load is None else load,
    }
    measured: float | None = median
    if baseline is not None:
        base_best, base_median = baseline
        row |= {
            "baseline_name": baseline_name,
            "baseline_best": base_best,
            "baseline_median": base_median,
            "ratio": median / base_median if base_median else None,
            "ratio_best": best / base_best if base_best else None,
        }
        measured = row["ratio"]
    if target is not None:
        row["target"] = target_text or f"{target:g}"
        row["met"] = measured is not None and (
            measured >= target if higher_is_better else measured <= target
        )
    return row


def peak_rss_mib() -> float:
    """This process's peak resident set so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * len(title))
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
