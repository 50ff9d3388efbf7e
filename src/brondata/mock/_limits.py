"""What keeps a mock source standing under abuse: body and JSON limits, login throttling.

``BodyLimit`` is ASGI middleware that reads a request body up to a byte cap before the app sees
it and answers anything larger with a 413 in the API's own error style (the app says how, with
``too_large``). ``read_json`` parses a JSON body no deeper than ``MAX_JSON_DEPTH``: the
standard library parser recurses, and a body nested a thousand deep would otherwise end in a
``RecursionError`` instead of the API's own 400. ``route_errors`` answers an unknown path and a
wrong method in the API's style too, instead of Starlette's plain-text default.
``LoginThrottle`` counts failed logins per account and refuses further tries until a time on
the injected clock that doubles with every failure past the first few, so that guessing a
password costs hours, not seconds, without the server ever sleeping. The connection-level
limits (incomplete requests, idle connections, concurrency) live with the server in ``_serve``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brondata._clock import Clock

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "BodyLimit",
    "JsonTooDeepError",
    "LoginThrottle",
    "json_depth",
    "lockout_message",
    "read_json",
    "route_errors",
]

#: The largest request body a mock reads: its largest legitimate body is a few kilobytes.
MAX_BODY_BYTES = 64 * 1024
#: The deepest JSON a mock parses: its deepest legitimate body nests four levels.
MAX_JSON_DEPTH = 32

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]")


class JsonTooDeepError(ValueError):
    """A JSON body nested deeper than the limit (a ``ValueError``: bad JSON, to its caller)."""


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw``, without parsing it: brackets
    inside strings do not count."""
    skeleton = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", raw))
    depth = deepest = 0
    for byte in skeleton:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


async def read_json(request: Request, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The request's JSON body; ``ValueError`` if it is not JSON or nests too deep."""
    raw = await request.body()
    if json_depth(raw) > max_depth:
        raise JsonTooDeepError(f"the JSON body nests deeper than {max_depth} levels")
    return json.loads(raw)


class BodyLimit:
    """ASGI middleware: a body over ``max_bytes`` gets ``too_large(request)``, unread.

    The body is read here, up to the cap, and handed to the app whole: the mocks' bodies are
    small, and a declared or counted excess is refused before the app spends anything on it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        too_large: Callable[[Request], Response],
        max_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.too_large = too_large
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        response = self.too_large(Request(scope))
        # The rest of the body stays unread: the connection cannot carry another request.
        response.headers["Connection"] = "close"
        await response(scope, nothing, send)


def route_errors(
    render: Callable[[Request, int], Response],
) -> Mapping[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Starlette ``exception_handlers`` that answer an unknown path (404) and a method the path
    does not take (405, with its ``Allow`` header) as ``render(request, status)`` does."""

    async def handle(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        response = render(request, status)
        if isinstance(exc, HTTPException):
            for name, value in (exc.headers or {}).items():
                response.headers[name] = value
        return response

    return {404: handle, 405: handle}


@dataclass(slots=True)
class _Failures:
    count: int
    last: datetime
    locked_until: datetime | None = None


class LoginThrottle:
    """Failed logins per account, and until when the account refuses further tries.

    The first ``free`` failures cost nothing (a typo); each one after locks the account for
    ``base`` doubled per further failure, up to ``cap``. A success clears the count. The
    lock is per account, not per browser or authorization: starting afresh does not reset it.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        free: int = 3,
        base: timedelta = timedelta(seconds=30),
        cap: timedelta = timedelta(hours=1),
    ) -> None:
        self._clock = clock
        self._free = free
        self._base = base
        self._cap = cap
        self._accounts: dict[str, _Failures] = {}

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().casefold()

    def locked_until(self, username: str) -> datetime | None:
        """Until when ``username`` may not try again, or ``None`` if it may now."""
        found = self._accounts.get(self._key(username))
        if found is None or found.locked_until is None:
            return None
        return found.locked_until if self._clock.now() < found.locked_until else None

    def failed(self, username: str) -> datetime | None:
        """Count a failure; until when the account is now locked, if it is."""
        now = self._clock.now()
        self._forget_stale(now)
        found = self._accounts.setdefault(self._key(username), _Failures(0, now))
        found.count += 1
        found.last = now
        if found.count <= self._free:
            return None
        delay = min(self._base * 2 ** (found.count - self._free - 1), self._cap)
        found.locked_until = now + delay
        return found.locked_until

    def succeeded(self, username: str) -> None:
        self._accounts.pop(self._key(username), None)

    def _forget_stale(self, now: datetime) -> None:
        # Failures of accounts nobody has tried for a full cap are forgotten, so that random
        # user names cannot grow this table without bound.
        stale = [key for key, f in self._accounts.items() if now - f.last >= self._cap * 2]
        for key in stale:
            del self._accounts[key]


def lockout_message(until: datetime) -> str:
    """What the login page says while an account is locked (no account detail in it)."""
    return (
        "Te vaak een onjuist wachtwoord. Probeer het opnieuw na "
        f"{until.strftime('%H:%M:%S')} (UTC)."
    )
