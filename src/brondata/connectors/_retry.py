"""Retries within the rules: an httpx2 transport that tries an idempotent request again.

``RetryingTransport`` wraps any async transport. A ``GET``, ``HEAD``, ``OPTIONS`` or
``DELETE`` that fails with 429, 502, 503 or 504, or cannot connect at all, is tried again after
an exponential backoff with full jitter, or after the ``Retry-After`` the source named if that
is longer, for as long as the whole exchange stays within the source's time budget. Anything
else is never retried: a ``POST`` may have taken effect (a token exchange spends its code, a
consent request creates a consent), and a timeout has already used the source's time.

A connector may narrow retries further with ``allow``: the PSD2 connector, for instance, lets
an account-information request be retried only while the consent's ``frequencyPerDay`` leaves
room, counting every attempt as one the bank may have counted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anyio
import httpx2

__all__ = ["RETRY_STATUSES", "RetryPolicy", "RetryingTransport", "retry_after"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# Connection failures before or while the request was sent: nothing reached the source, or
# nothing came back from it. Timeouts are not among them: they have spent the time budget.
_RETRY_ERRORS = (
    httpx2.ConnectError,
    httpx2.ReadError,
    httpx2.WriteError,
    httpx2.RemoteProtocolError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently: at most ``attempts`` tries in all, backoff ``base`` doubled
    per try up to ``cap`` seconds (full jitter), everything within ``budget`` seconds."""

    attempts: int = 3
    base: float = 0.1
    cap: float = 2.0
    budget: float = 10.0

    def backoff(self, attempt: int, draw: Callable[[], float]) -> float:
        """The pause after failed try number ``attempt`` (1-based): uniform in [0, ceiling]."""
        return draw() * min(self.cap, self.base * float(2 ** (attempt - 1)))


def retry_after(response: httpx2.Response, now: datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class RetryingTransport(httpx2.AsyncBaseTransport):
    """``inner`` with retries of idempotent requests under ``policy``.

    ``allow(request, attempt)`` may refuse a retry (``attempt`` is the try about to be made);
    ``sleep``, ``draw`` and ``monotonic`` are injectable so that tests neither wait nor guess.
    ``retries`` counts the retries made, for the soak test and for logs.
    """

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        *,
        policy: RetryPolicy | None = None,
        allow: Callable[[httpx2.Request, int], bool] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        draw: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self.policy = policy or RetryPolicy()
        self._allow = allow
        self._sleep = sleep
        self._draw = draw
        self._monotonic = monotonic
        self.retries = 0

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method not in _IDEMPOTENT:
            return await self._inner.handle_async_request(request)
        policy = self.policy
        deadline = self._monotonic() + policy.budget
        attempt = 1
        while True:
            pause: float | None
            started = self._monotonic()
            try:
                response = await self._inner.handle_async_request(request)
            except _RETRY_ERRORS:
                pause = self._pause(request, attempt, deadline, None, self._monotonic() - started)
                if pause is None:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                took = self._monotonic() - started
                pause = self._pause(request, attempt, deadline, response, took)
                if pause is None:
                    return response
                await response.aclose()
            await self._sleep(pause)
            self.retries += 1
            attempt += 1

    def _pause(
        self,
        request: httpx2.Request,
        attempt: int,
        deadline: float,
        response: httpx2.Response | None,
        took: float = 0.0,
    ) -> float | None:
        """How long to wait before trying again, or ``None`` not to try again. ``took`` is
        how long the failed attempt lasted: the next one is expected to last as long, and a
        retry whose answer would come after the source's time is up is not made (the
        source's own answer, a 429 or a 503, is then the truer error than a timeout)."""
        if attempt >= self.policy.attempts:
            return None
        pause = self.policy.backoff(attempt, self._draw)
        if response is not None:
            asked = retry_after(response)
            if asked is not None:
                pause = max(pause, asked)
        if self._monotonic() + pause + took >= deadline:
            return None  # the answer would come after the source's time is up
        if self._allow is not None and not self._allow(request, attempt + 1):
            return None
        return pause
