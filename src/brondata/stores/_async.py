"""The stores as the gateway uses them: awaited, each call in a worker thread.

The stores are synchronous (``sqlite3``, psycopg's blocking connections), which keeps them
simple to use from the CLI and the offline auditor. On the event loop a store call would stop
every other session while it waits for a lock, a round trip or an fsync; ``off_loop`` runs it
in one of anyio's worker threads instead (anyio's default limiter: at most 40 at once per
event loop), so one session's slow commit delays nobody else's step, and concurrent ledger
appends meet in the ledger's group commit. A cancelled caller still lets the store call
finish in its thread: a write is never left half-known.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import anyio.to_thread

if TYPE_CHECKING:
    from brondata._session_store import SessionRecord, SessionStore

__all__ = ["AsyncSessionStore", "off_loop"]

P = ParamSpec("P")
R = TypeVar("R")


async def off_loop(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``func(*args, **kwargs)`` in a worker thread, awaited."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))


class AsyncSessionStore:
    """A ``SessionStore`` whose calls are awaited and run off the event loop."""

    __slots__ = ("store",)

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    async def create(self, record: SessionRecord) -> None:
        await off_loop(self.store.create, record)

    async def get(self, session_id: str) -> SessionRecord:
        return await off_loop(self.store.get, session_id)

    async def replace(self, record: SessionRecord) -> SessionRecord:
        return await off_loop(self.store.replace, record)

    async def due(self, now: datetime) -> list[str]:
        return await off_loop(self.store.due, now)

    async def of_subject(self, subject: str) -> list[SessionRecord]:
        return await off_loop(self.store.of_subject, subject)

    async def forget_subject(self, subject: str) -> int:
        return await off_loop(self.store.forget_subject, subject)
