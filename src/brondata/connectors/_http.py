"""A connector's one HTTP client, the time a source is given to answer, and HTTP errors typed.

A connector opens one ``httpx2.AsyncClient`` when it is built and closes it with the gateway
(``aclose``). Every login, callback, fetch and revocation of every session goes over it: its
pool keeps connections to the source alive between requests and sessions, and its TLS context
(the trust anchors, the client certificate of mTLS) is loaded once. The pool's size and
keep-alive (``httpx2.Limits``) and the per-request timeouts (``httpx2.Timeout``: connect,
read, write, and the wait for a pooled connection) are set per source instance, on its
connector.

A source's timeout at the gateway (``source_timeout``) is a budget of *source time*
(``SourceDeadline``): its clock runs from the moment a request leaves (on the network: once
a pooled connection is ours) until its answer's last byte is read, and stands still in
between. Waiting for admission, the
gateway's own work between requests (parsing, validating, other sessions' turns on the
event loop) and everything after the fetch are not the source's time and do not count.

Every request leaves through ``SourceClient.send``, and every transport failure becomes a
typed error there, from one table (``_TRANSPORT_ERRORS``).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio
import httpx2

from brondata.errors import ConnectorError, SourceTimeoutError, SourceUnavailableError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "SourceClient",
    "SourceDeadline",
    "source_deadline",
]

#: Per request: 10 s for each of connect, read, write and the wait for a pooled connection.
DEFAULT_TIMEOUT = httpx2.Timeout(10.0)
#: Per source instance. More connections than the gateway's default admission (64
#: collections, each reading one source one request at a time) so that a collection admitted
#: never waits for a connection, and as many kept alive, so that a burst of sessions does not
#: end in a wave of new connections (each a TCP and, on the network, a TLS handshake).
DEFAULT_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=64)

#: ``(exception, error raised, what the message says)``: the first that matches wins, so a
#: timeout (a ``TransportError`` too) is named as one.
_TRANSPORT_ERRORS: tuple[tuple[type[Exception], type[ConnectorError], str], ...] = (
    (httpx2.TimeoutException, SourceTimeoutError, "no answer in time"),
    (httpx2.TransportError, SourceUnavailableError, "unreachable"),
)


class SourceDeadline:
    """The seconds of source time one source may take (``limit``) and has taken (``spent``)."""

    __slots__ = ("limit", "spent")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0

    def remaining(self) -> float:
        return self.limit - self.spent


_deadline: ContextVar[SourceDeadline | None] = ContextVar("brondata_source_deadline", default=None)


@contextmanager
def source_deadline(limit: float) -> Iterator[SourceDeadline]:
    """Give the requests made inside (by ``send``, in this task and tasks it starts)
    ``limit`` seconds of source time in all; one that would exceed it is cut off as a
    ``SourceTimeoutError``."""
    deadline = SourceDeadline(limit)
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


class SourceClient:
    """The one HTTP client of a connector: ``send`` for every request, ``aclose`` once.

    A given ``transport`` (an in-process mock, a test's recorder) carries every request and
    is closed with the client; ``ssl_context`` and ``limits`` then have no say, as they are
    the network transport's. Without one, httpx2's network transport is built here, once:
    with the system's trust anchors, or around ``ssl_context`` (certificate and key loaded by
    the caller; httpx2 then reads no proxy variables, as for any transport given to it).
    """

    __slots__ = ("_client", "_traced", "source")

    def __init__(
        self,
        *,
        source: str,
        base_url: str,
        transport: httpx2.AsyncBaseTransport | None,
        ssl_context: ssl.SSLContext | None,
        timeout: float | httpx2.Timeout,
        limits: httpx2.Limits | None,
    ) -> None:
        self.source = source
        # The network transport tells (httpcore's ``trace``) when a request leaves, after
        # the wait for a pooled connection; another transport's clock starts at the call.
        self._traced = transport is None
        if transport is None and ssl_context is not None:
            transport = httpx2.AsyncHTTPTransport(
                verify=ssl_context, limits=limits or DEFAULT_LIMITS
            )
        self._client = httpx2.AsyncClient(
            base_url=base_url,
            transport=transport,
            limits=limits or DEFAULT_LIMITS,
            timeout=timeout,
            follow_redirects=False,  # a redirect from a source API is an answer, not a hop
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self, method: str, url: str, *, what: str = "", **kwargs: Any
    ) -> httpx2.Response:
        """One request, on the source's clock when a deadline is set, its failure typed.

        ``what`` names the endpoint in an error message ("token endpoint"); never a value.
        ``request`` returns once the whole body is read: the answer's last byte is in time.
        """
        deadline = _deadline.get()
        try:
            if deadline is None:
                return await self._client.request(method, url, **kwargs)
            return await self._on_the_clock(deadline, method, url, **kwargs)
        except httpx2.TransportError as exc:
            for caught, error, said in _TRANSPORT_ERRORS:
                if isinstance(exc, caught):
                    # The exception's class, not its text: that may carry a URL with an
                    # account id, or the source's own words.
                    where = f"{what}, " if what else ""
                    message = f"{self.source}: {said} ({where}{type(exc).__name__})"
                    raise error(message, source=self.source) from exc
            raise  # pragma: no cover - the table ends with TransportError itself

    async def _on_the_clock(
        self, deadline: SourceDeadline, method: str, url: str, **kwargs: Any
    ) -> httpx2.Response:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise self._over(deadline)
        started = anyio.current_time()
        # Until the request leaves, the wait for a pooled connection is bounded by the pool
        # timeout (its own error), not by the source's time.
        waiting = (self._client.timeout.pool or 0.0) if self._traced else 0.0
        left = False
        with anyio.CancelScope(deadline=started + remaining + waiting) as scope:

            async def trace(event: str, info: Any) -> None:
                nonlocal started, left
                if not left:  # the first event: a connection is ours, the request goes out
                    left = True
                    started = anyio.current_time()
                    scope.deadline = started + remaining

            if self._traced:
                kwargs["extensions"] = {**kwargs.get("extensions", {}), "trace": trace}
            try:
                return await self._client.request(method, url, **kwargs)
            finally:
                deadline.spent += anyio.current_time() - started
        # Only reached when the scope's deadline cancelled the request.
        raise self._over(deadline)

    def _over(self, deadline: SourceDeadline) -> SourceTimeoutError:
        return SourceTimeoutError(
            f"{self.source}: no complete answer within {deadline.limit:g} s of the source's time",
            source=self.source,
        )
