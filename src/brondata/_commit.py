"""How the gateway commits a step of the flow: the session change and its ledger events.

The session store and the ledger may be separate stores, so a step writes in this order:

1. the session change together with the step's ledger events as ``pending`` in the session
   record, in one compare-and-set: of two instances racing for a step exactly one gets here,
   and the loser, having appended nothing, retries the step on what the winner wrote (which
   for a step taken twice is the winner's own outcome);
2. the events to the ledger;
3. the session again, with ``pending`` cleared.

A step cut short after 1 leaves its events in ``pending``; the next call on the session (on
any instance) appends those the ledger does not already hold (found by consent, event and
time) and clears them. So every consent step is idempotent: called again after it
succeeded, it returns the session as it is and appends nothing.

Every store call runs in a worker thread (``off_loop``): none blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import anyio
import anyio.lowlevel

from brondata._clock import Clock
from brondata._inputs import require_text
from brondata._session_store import SessionRecord, SessionStore
from brondata.consent import ConsentLog
from brondata.errors import ConcurrentUpdateError, SessionNotFoundError
from brondata.flow import Step
from brondata.stores import AsyncSessionStore, off_loop

__all__ = ["Change", "Committer"]

T = TypeVar("T")

#: How often a step lost to a concurrent write is tried again on the newer session.
RETRIES = 8
#: A session's ``pending`` events older than this belong to a step that was cut short: the
#: next call appends them. Younger ones are the running step's own, appended by it.
REPAIR_AFTER = timedelta(seconds=5)

#: A change of the session made from the current one: what ``update`` commits.
Change = Callable[[SessionRecord], Step]


class Committer:
    """Loads sessions and commits the flow's steps on them, for one gateway."""

    def __init__(self, sessions: SessionStore, log: ConsentLog, clock: Clock) -> None:
        self.store = AsyncSessionStore(sessions)
        self._log = log
        self._clock = clock
        #: Per session collected here, the lock its collection's own writes take turns on.
        self.locks: dict[str, anyio.Lock] = {}

    async def load(self, session_id: str) -> SessionRecord:
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        return await self.store.get(session_id)

    async def current(self, session_id: str) -> SessionRecord:
        """The session, with the events of a step cut short appended first."""
        record = await self.load(session_id)
        if record.pending and self._clock.now() - record.updated_at >= REPAIR_AFTER:
            record = await self.flush(record, repair=True)
        return record

    def _append(self, record: SessionRecord, *, repair: bool) -> None:
        """Append the session's pending events; on a repair, only those not in the ledger."""
        present: set[tuple[str, str]] = set()
        if repair:
            entries = self._log.entries_of_consent(record.consent_id)
            present = {(event.event, event.at) for _, event in entries}
        for pending in record.pending:
            if (pending.event, pending.at) in present:
                continue
            self._log.append(
                pending.event,  # type: ignore[arg-type]  # written from an EventType
                subject=record.subject,
                at=pending.at,
                session_id=record.id,
                consent_id=record.consent_id,
                **pending.fields,
            )

    async def flush(self, record: SessionRecord, *, repair: bool = False) -> SessionRecord:
        """Append ``record``'s pending events and clear them from the session."""
        while record.pending:
            await off_loop(self._append, record, repair=repair)
            try:
                return await self.store.replace(record.model_copy(update={"pending": ()}))
            except ConcurrentUpdateError:
                # Another call moved the session on; what is pending there now is checked
                # against the ledger, so nothing is appended twice.
                record, repair = await self.store.get(record.id), True
        return record

    async def create(self, step: Step) -> SessionRecord:
        """A new session, with its first events."""
        record = step.record.model_copy(update={"pending": step.events})
        await self.store.create(record)
        return await self.flush(record)

    async def commit(self, step: Step) -> SessionRecord:
        """Write the step's session (a compare-and-set on its version) with its events
        pending, then append them: a lost race raises ``ConcurrentUpdateError`` having
        appended nothing."""
        updated, events = step.record, step.events
        changes: dict[str, Any] = {"pending": (*updated.pending, *events)}
        if events:
            changes["updated_at"] = self._clock.now()  # when the events became pending
        stored = await self.store.replace(updated.model_copy(update=changes))
        return await self.flush(stored)

    async def retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt`` again on the newer session each time it loses a compare-and-set."""
        for _ in range(RETRIES - 1):
            try:
                return await attempt()
            except ConcurrentUpdateError:
                await anyio.lowlevel.checkpoint()
        return await attempt()

    async def step(self, session_id: str, change: Change) -> SessionRecord:
        """Load the session (repaired), take ``change`` on it and commit it, again on a lost
        race; a step that changes nothing (taken already) returns the session as it is."""

        async def once() -> SessionRecord:
            record = await self.current(session_id)
            step = change(record)
            if step.record is record and not step.events:
                return record
            return await self.commit(step)

        return await self.retrying(once)

    async def update(self, session_id: str, change: Change) -> SessionRecord:
        """Read, change, compare-and-set (with the change's events), again on a lost race.

        A collection's own writes (its sources answering at once, its lease) take turns on
        the session's lock, so that they race only with other callers."""
        lock = self.locks.get(session_id)
        if lock is not None:
            async with lock:
                return await self._update_now(session_id, change)
        return await self._update_now(session_id, change)

    async def _update_now(self, session_id: str, change: Change) -> SessionRecord:
        for _ in range(RETRIES):
            current = await self.store.get(session_id)
            step = change(current)
            if step.record is current and not step.events:
                return current
            try:
                return await self.commit(step)
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError(f"session {session_id} keeps changing; try again")

    async def replace(self, session_id: str, change: Change) -> SessionRecord:
        """A change without events, written as it is (no pending events are touched), again
        on a lost race; ``ConcurrentUpdateError`` once it keeps losing."""
        for _ in range(RETRIES):
            current = await self.store.get(session_id)
            step = change(current)
            if step.record is current:
                return current
            try:
                return await self.store.replace(step.record)
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError(f"session {session_id} keeps changing; try again")
