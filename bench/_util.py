"""Shared bits: a transport that records what it carries, timing, a table printer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2


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


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` runs (after one warm-up run)."""
    await run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return times


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}")
    print("-" * len(title))
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
