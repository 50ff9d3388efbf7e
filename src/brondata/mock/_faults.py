"""Fault injection for the mock sources: an ASGI middleware that misbehaves on purpose.

Wrap any mock app in ``FaultInjector(app, faults)`` and matching requests get what a real
source sometimes gives: a delay, a 5xx or 429, a body that is not JSON, a JSON body that
violates the API's schema, or no answer at all. Faults are deterministic (they match by
method and path prefix and fire a set number of times, or always), so a test that injects one
knows exactly which request it hits.

Each fault counts the requests it hit (``hits``) and, per value of the request header
``FAULT_TAG_HEADER``, the tagged ones (``injected``): a soak that tags every request of a
session with the session tells a failure where a fault struck from one where none did.

Only the API is affected by default: OAuth and login paths (``/oauth``, ``/.well-known``,
``/login``) keep working, so a test can reach the point where data is fetched.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["FAULT_TAG_HEADER", "Fault", "FaultInjector", "FaultKind", "parse_fault"]

#: A client's label for its request (a soak's session), by which injections are recorded.
FAULT_TAG_HEADER = "x-brondata-fault-tag"

FaultKind = Literal["delay", "status", "malformed_json", "schema_violation", "hang", "body"]

_AUTH_PATHS = ("/oauth", "/.well-known", "/login")


@dataclass(slots=True)
class Fault:
    """One kind of misbehaviour, for requests whose path starts with ``path``.

    ``times`` is how many matching requests it hits (``None``: all of them); ``status`` is
    the HTTP status for ``kind="status"``; ``seconds`` the delay for ``delay`` and ``hang``;
    ``body`` the JSON that ``kind="body"`` answers with (status 200), a crafted payload;
    ``retry_after`` the ``Retry-After`` seconds a ``status`` answer names (a 429 or 503 that
    says when to come back).
    """

    kind: FaultKind
    path: str = "/"
    methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
    times: int | None = None
    status: int = 503
    seconds: float = 0.15
    body: Any = None
    include_auth: bool = False
    retry_after: int | None = None
    #: The share of matching requests it hits, drawn from a generator seeded with ``seed``
    #: (a soak's "5 % of requests"), so that a run can be repeated exactly.
    probability: float = 1.0
    seed: int = 0
    hits: int = field(default=0, init=False)
    #: Per ``FAULT_TAG_HEADER`` value, the requests carrying it that this fault hit.
    injected: Counter[str] = field(default_factory=Counter, init=False)
    _draw: random.Random | None = field(default=None, init=False, repr=False)

    def matches(self, method: str, path: str) -> bool:
        if method not in self.methods or not path.startswith(self.path):
            return False
        if not self.include_auth and path.startswith(_AUTH_PATHS):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.probability >= 1.0:
            return True
        if self._draw is None:
            self._draw = random.Random(self.seed)
        return self._draw.random() < self.probability


def parse_fault(text: str) -> Fault:
    """``kind[:path][:value]`` as the CLI takes it, e.g. ``status:/v1/accounts:502``,
    ``delay::0.15``, ``hang:/api``, ``malformed_json``."""
    kind, _, rest = text.partition(":")
    path, _, value = rest.partition(":")
    if kind not in ("delay", "status", "malformed_json", "schema_violation", "hang", "body"):
        raise ValueError(f"unknown fault kind {kind!r}")
    fault = Fault(kind=kind, path=path or "/")  # type: ignore[arg-type]  # checked just above
    if value:
        if kind == "body":
            fault.body = json.loads(value)
        elif kind == "status":
            fault.status = int(value)
        else:
            fault.seconds = float(value)
    return fault


def _violate(body: Any) -> Any:
    """The same JSON with its shape broken: every string becomes a number, lists objects."""
    if isinstance(body, dict):
        return {k: _violate(v) for k, v in body.items()}
    if isinstance(body, list):
        return {"unexpected": [_violate(v) for v in body]}
    if isinstance(body, str):
        return 12345
    return body


class FaultInjector:
    """ASGI middleware: pass requests through, except where a ``Fault`` says otherwise."""

    def __init__(self, app: ASGIApp, faults: Sequence[Fault] = ()) -> None:
        self.app = app
        self.faults = list(faults)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        active = [f for f in self.faults if f.matches(method, path)]
        tag = _tag(scope) if active else None
        for fault in active:
            fault.hits += 1
            if tag is not None:
                fault.injected[tag] += 1
        kinds = {f.kind: f for f in active}
        if "delay" in kinds:
            await anyio.sleep(kinds["delay"].seconds)
        if "hang" in kinds:
            # Longer than any sane client timeout; the client gives up, we never answer.
            await anyio.sleep(max(kinds["hang"].seconds, 3600.0))
            return
        if "status" in kinds:
            status = kinds["status"]
            extra = (
                [] if status.retry_after is None else [(b"retry-after", b"%d" % status.retry_after)]
            )
            await _send_json(send, status.status, {"error": "injected fault"}, extra)
            return
        if "body" in kinds:
            await _send_json(send, 200, kinds["body"].body)
            return
        rewrite = kinds.get("malformed_json") or kinds.get("schema_violation")
        if rewrite is None:
            await self.app(scope, receive, send)
            return
        await self._rewritten(scope, receive, send, rewrite.kind)

    async def _rewritten(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return  # the client went away before the app answered: nothing to rewrite
        body = b"".join(chunks)
        if kind == "malformed_json":
            body = body[: max(1, len(body) // 2)] + b"\x00{not json"
        else:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                body = json.dumps(_violate(json.loads(body))).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _tag(scope: Scope) -> str | None:
    name = FAULT_TAG_HEADER.encode()
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))[:128]
    return None


async def _send_json(
    send: Send, status: int, payload: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
