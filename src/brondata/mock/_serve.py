"""Running the mock sources as real HTTP servers, and sampling what their APIs return.

``serve`` binds one port per mock instance of every registered source kind, and one for
DigiD (from ``port`` upwards, in login order) and runs a single uvicorn server
over all those sockets; an ASGI dispatcher sends each connection to the app of the port it
arrived on. One server means one event loop and one signal handler, so Ctrl-C stops
everything cleanly. Each app's issuer is its real base URL, so discovery, redirects and
``iss`` checks work exactly as against a deployed source.

The server holds up against clients that never finish: a connection has ``REQUEST_TIMEOUT``
seconds to deliver each complete request (head and body; a trickle does not extend it), an idle
keep-alive connection is closed after ``KEEP_ALIVE_TIMEOUT``, a request head is capped at
``MAX_HEAD_BYTES``, and while ``connection_cap()`` connections are open every request gets a
503 at once (uvicorn counts open connections, not requests in progress: a thousand consumers
in flight hold a thousand keep-alive connections). The cap is ``MAX_CONNECTIONS`` or what the
open-file limit leaves room for, after ``serve`` has raised that limit's soft value towards
its hard one; each port listens with the system's largest backlog, so that a burst of new
connections waits to be accepted rather than for a SYN retry. Body size and JSON depth are
each app's own (``_limits``), answered in its API's style.

``sample`` logs a synthetic person in at one source (in-process) and records every request
its connector makes and the body that came back: what a connector receives, for a tester.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from datetime import date
from typing import Any

import anyio
import httpx2
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from brondata._clock import SystemClock
from brondata.attributes import CATALOGUE
from brondata.mock._faults import Fault

__all__ = [
    "KEEP_ALIVE_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_HEAD_BYTES",
    "REQUEST_TIMEOUT",
    "GuardedH11Protocol",
    "PortDispatcher",
    "connection_cap",
    "sample",
    "serve",
]

REQUEST_TIMEOUT = 10.0
#: Longer than a client's own idle expiry (httpx: 5 s), so that the client drops an idle
#: connection first: a server closing it at the same moment loses the request the client has
#: just sent on it (``RemoteProtocolError``), which a thousand consumers in flight hit often.
KEEP_ALIVE_TIMEOUT = 10
MAX_HEAD_BYTES = 16 * 1024
#: Open connections at which every request is answered 503: room for a few thousand
#: consumers in flight (each holds one or two keep-alive connections), and bounded so that
#: a flood of idle connections is refused before the process runs out of file descriptors.
MAX_CONNECTIONS = 4096
#: File descriptors kept free of connections: the listening sockets, logs, the interpreter.
_RESERVED_FDS = 64


def connection_cap() -> int:
    """Raise this process's soft open-file limit towards its hard limit (as far as
    ``MAX_CONNECTIONS`` needs) and return the connection cap that limit leaves room for."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + _RESERVED_FDS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if raised > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    room = MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else soft - _RESERVED_FDS
    return max(1, min(MAX_CONNECTIONS, room))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each complete request.

    uvicorn times out only idle keep-alive connections; a client that sends a request head or
    body one byte at a time would hold its connection (and a file descriptor) for ever. Here
    every connection must have delivered a whole request within ``request_timeout`` of opening
    or of its previous response, or it is closed.
    """

    request_timeout: float = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        cycle = self.cycle
        received = cycle is not None and not cycle.response_complete and not cycle.more_body
        if not received and not self.transport.is_closing():
            # No complete request in time (or only a finished one and nothing since).
            self.transport.close()


def guarded_protocol(request_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class with its own deadline (uvicorn takes a class, not an instance)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"request_timeout": request_timeout})


class PortDispatcher:
    """ASGI app that hands each connection to the app bound to its local port."""

    def __init__(self, apps: Mapping[int, ASGIApp]) -> None:
        self._apps = dict(apps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        server = scope.get("server") or ("", 0)
        app = self._apps.get(int(server[1]))
        if app is None:  # pragma: no cover - only reachable through a port we did not bind
            raise RuntimeError(f"no mock source on port {server[1]}")
        await app(scope, receive, send)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(socket.SOMAXCONN)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8700,
    seed: int = 42,
    as_of: date | None = None,
    faults: Mapping[str, Sequence[Fault]] | None = None,
    on_ready: Callable[[dict[str, str]], None] = lambda urls: None,
    log_level: str = "warning",
    request_timeout: float = REQUEST_TIMEOUT,
    redirect_uri: str | None = None,
) -> None:
    """Serve every mock source on ``host`` from ``port`` upwards until cancelled.

    ``redirect_uri`` (with ``{source}``) is the callback the demo client may use, for an
    application of your own (``http://127.0.0.1:8000/journey/callback/{source}``); by
    default the in-process demo's.
    """
    from brondata.testing import DEMO_REDIRECT_URI, MockSources

    with ExitStack() as stack:
        names = [*MockSources.source_names(), "digid"]
        sockets: dict[str, socket.socket] = {}
        for offset, name in enumerate(names):
            sock = _bind(host, port + offset if port else 0)
            stack.callback(sock.close)
            sockets[name] = sock
        urls = {name: _url(host, s.getsockname()[1]) for name, s in sockets.items()}
        sources = MockSources(
            seed=seed,
            as_of=as_of,
            clock=SystemClock(),
            base_urls=urls,
            sources=tuple(MockSources.source_names()),
            redirect_uri=redirect_uri or DEMO_REDIRECT_URI,
        )
        apps = sources.all_apps()
        for name, planned in (faults or {}).items():
            for instance in MockSources.resolve([name]):  # a kind: each of its instances
                for fault in planned:
                    sources.faults[instance].add(fault)
        dispatcher = PortDispatcher({s.getsockname()[1]: apps[name] for name, s in sockets.items()})
        config = uvicorn.Config(
            dispatcher,
            log_level=log_level,
            lifespan="off",
            access_log=False,
            http=guarded_protocol(request_timeout),
            timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            limit_concurrency=connection_cap(),
        )
        server = uvicorn.Server(config)

        async def announce() -> None:
            # uvicorn exposes readiness only as a flag, not as an event to wait on.
            while not server.started:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            on_ready(urls)

        async with anyio.create_task_group() as group:
            group.start_soon(announce)
            await server.serve(sockets=list(sockets.values()))
            group.cancel_scope.cancel()


class _Recorder(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport, log: dict[str, Any]) -> None:
        self._inner = inner
        self._log = log

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        path = request.url.raw_path.decode("ascii")
        if path.startswith(("/oauth", "/.well-known")):
            return response
        body = await response.aread()
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body.decode("utf-8", "replace")
        key = f"{request.method} {path}"
        self._log[key] = parsed
        return httpx2.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


async def sample(
    source: str, *, seed: int = 42, person: int | None = None, scenario: str | None = None
) -> dict[str, Any]:
    """Every API request a connector makes for one person at ``source`` (an instance id, or
    a kind for its first instance), with its body."""
    from brondata.testing import MockSources

    sources = MockSources(seed=seed, clock=SystemClock())
    source = MockSources.resolve([source])[0]
    who = sources.scenario(scenario) if scenario else sources.person(person or 0)
    log: dict[str, Any] = {}
    connector = sources.connector(source, transport=_Recorder(sources.transport(source), log))
    attributes = [a.name for a in CATALOGUE.provided_by(source)]
    redirect_uri = sources.redirect_uri.format(source=source)
    today = sources.clock.now().date()
    try:
        start = await connector.begin_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=today
        )
        async with sources.browser() as browser:
            callback = await browser.authorize(
                start.authorization_url, username=who.username, password=who.password
            )
        grant = await connector.complete_login(
            callback_url=callback, pending=start.pending, redirect_uri=redirect_uri
        )
        log.clear()  # the consent set-up is not the data; keep only what fetch receives
        await connector.fetch(grant=grant, attributes=attributes, today=today)
    finally:
        await connector.aclose()
    return log
