"""How the gateway commits a step of the flow: the session change and its ledger events.

Where the session store and the ledger share one database (the embedded SQLite file, one
PostgreSQL database and schema: ``shares_database``), a step's session change and its events
commit in one transaction or not at all: the ledger's group-committed batch writes the
session's compare-and-set first and appends the step's events only if it held. A step that
loses the race raises ``ConcurrentUpdateError`` having written nothing, and is retried on
the newer session; a process killed at any moment leaves both or neither.

Where they cannot share one (an in-memory ledger, stores of the application's own), a step
writes in this order:

1. the session change together with the step's ledger events as ``pending`` in the session
   record, in one compare-and-set: of two instances racing for a step exactly one gets here,
   and the loser, having appended nothing, retries the step on what the winner wrote (which
   for a step taken twice is the winner's own outcome);
2. the events to the ledger;
3. the session again, with ``pending`` cleared.

A step cut short after 1 leaves its events in ``pending``; the next call on the session (on
any instance) appends those the ledger does not already hold and clears them. A pending
event is found in the ledger by what its entry says about the step (type, time, fields:
``_identity_of``), and every flush checks, so a flush repeated after a step cut short
between 2 and 3, or racing another, appends nothing twice. So every consent step is
idempotent: called again after it succeeded, it returns the session as it is and appends
nothing.

Every store call runs in a worker thread (``off_loop``): none blocks the event loop. Store
work that happens back to back runs in one hop: ``update`` reads the session, takes the
change on it and commits it in one worker call, and a commit's parts (the compare-and-set,
the appends, the pending events cleared) are one call too, so a cancellation lands before
or after them, never between.

Within one call of the driver the session is read once and handed on: a step that knows
the session (it read or wrote it earlier in the same call: the callback's claim, a
collection's own writes) passes it as ``known`` and the change is taken on it without a
read. The compare-and-set on commit still guards against every other writer: a session
changed meanwhile is a lost race, retried on a fresh read. A change that refuses, or has
nothing to do, on a known session is taken again on a fresh read before its verdict counts,
so a session known to this call never answers for the store.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import anyio
import anyio.lowlevel

from brondata._clock import Clock
from brondata._inputs import require_text
from brondata._session_store import (
    PendingEvent,
    PostgresSessionStore,
    SessionRecord,
    SessionStore,
    SqliteSessionStore,
)
from brondata.consent import ConsentLog, LedgerEvent
from brondata.consent._ledger import LedgerUnit
from brondata.errors import BrondataError, ConcurrentUpdateError, SessionNotFoundError
from brondata.flow import Step
from brondata.stores import AsyncSessionStore, off_loop, shares_database

__all__ = ["Change", "Committer"]

T = TypeVar("T")

#: How often a step lost to a concurrent write is tried again on the newer session.
RETRIES = 8
#: A session's ``pending`` events older than this belong to a step that was cut short: the
#: next call appends them. Younger ones are the running step's own, appended by it.
REPAIR_AFTER = timedelta(seconds=5)

#: A change of the session made from the current one: what ``update`` commits.
Change = Callable[[SessionRecord], Step]


@dataclass(eq=False, slots=True)
class _Held:
    """A session collected here: the lock its collection's own writes take turns on, and the
    session as the last of them left it (``None`` once a write failed: read it again)."""

    lock: anyio.Lock
    record: SessionRecord | None


def _identity_of(event: LedgerEvent) -> str:
    content = event.model_dump(mode="json", exclude={"subject_key", "subject_sealed"})
    return json.dumps(content, sort_keys=True)


class Committer:
    """Loads sessions and commits the flow's steps on them, for one gateway."""

    def __init__(self, sessions: SessionStore, log: ConsentLog, clock: Clock) -> None:
        self.store = AsyncSessionStore(sessions)
        self._sessions = sessions
        self._log = log
        self._clock = clock
        #: The session store whose writes join the ledger's transaction, if they share one.
        self._joined = (
            sessions
            if isinstance(sessions, SqliteSessionStore | PostgresSessionStore)
            and shares_database(log.ledger, sessions)
            else None
        )
        #: Per session, checking the ledger and appending to it take turns (the non-atomic
        #: path); other sessions never wait on a stuck one. (lock, users) while in use.
        self._appending: dict[str, tuple[threading.Lock, list[int]]] = {}
        self._appending_guard = threading.Lock()
        #: Per session collected here: its writes' lock and the session they left.
        self._held: dict[str, _Held] = {}

    # --- a session collected here -------------------------------------------------------------

    def hold(self, record: SessionRecord) -> None:
        """From now until ``let_go``, the collection of ``record`` (claimed by this call) runs
        here: its writes take turns, and each hands the session it left to the next."""
        self._held[record.id] = _Held(anyio.Lock(), record)

    def let_go(self, session_id: str) -> None:
        self._held.pop(session_id, None)

    def known(self, session_id: str) -> SessionRecord | None:
        """The session as the collection running here last wrote or read it, if it does."""
        held = self._held.get(session_id)
        return held.record if held is not None else None

    async def latest(self, session_id: str) -> SessionRecord:
        """``known``, else the session read from the store."""
        record = self.known(session_id)
        return record if record is not None else await self.store.get(session_id)

    # --- reading ------------------------------------------------------------------------------

    async def current(self, session_id: str) -> SessionRecord:
        """The session, with the events of a step cut short appended first."""
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        return await off_loop(self._current_now, session_id)

    def _current_now(self, session_id: str) -> SessionRecord:
        record = self._sessions.get(session_id)
        if record.pending and self._clock.now() - record.updated_at >= REPAIR_AFTER:
            record = self._flush_now(record)
        return record

    def _identity(self, record: SessionRecord, pending: PendingEvent) -> str:
        """What the ledger entry of ``pending`` says about the step (its type, time and
        fields; not the subject's seal, which differs each time it is made): the id a
        pending event is found by in the ledger."""
        draft = self._log.draft(
            pending.event,  # type: ignore[arg-type]  # written from an EventType
            at=pending.at,
            session_id=record.id,
            consent_id=record.consent_id,
            **pending.fields,
        )
        return _identity_of(draft)

    def _not_in_ledger(
        self, record: SessionRecord, events: tuple[PendingEvent, ...]
    ) -> tuple[PendingEvent, ...]:
        """``events`` less those the ledger holds already (appended by a step cut short
        before it cleared them, or by a flush racing this one)."""
        if not events:
            return events
        present = {_identity_of(e) for _, e in self._log.entries_of_consent(record.consent_id)}
        kept = []
        for pending in events:
            identity = self._identity(record, pending)
            if identity not in present:
                present.add(identity)
                kept.append(pending)
        return tuple(kept)

    @contextmanager
    def _turn_of(self, session_id: str) -> Iterator[None]:
        """Hold ``session_id``'s append lock (made while in use, dropped after)."""
        with self._appending_guard:
            lock, users = self._appending.setdefault(session_id, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._appending_guard:
                users[0] -= 1
                if not users[0]:
                    del self._appending[session_id]

    def _append(self, record: SessionRecord) -> None:
        """Append the session's pending events the ledger does not already hold."""
        with self._turn_of(record.id):
            for pending in self._not_in_ledger(record, record.pending):
                self._log.append(
                    pending.event,  # type: ignore[arg-type]  # written from an EventType
                    subject=record.subject,
                    at=pending.at,
                    session_id=record.id,
                    consent_id=record.consent_id,
                    **pending.fields,
                )

    def _flush_now(self, record: SessionRecord) -> SessionRecord:
        """Append ``record``'s pending events (those the ledger does not hold yet) and clear
        them from the session: a flush repeated, or racing another, appends nothing twice."""
        if self._joined is not None and record.pending:
            return self._together(self._joined, record, (), create=False)
        while record.pending:
            self._append(record)
            try:
                return self._sessions.replace(record.model_copy(update={"pending": ()}))
            except ConcurrentUpdateError:
                # Another call moved the session on; what is pending there now is checked
                # against the ledger, so nothing is appended twice.
                record = self._sessions.get(record.id)
        return record

    def _sealed(self, record: SessionRecord, events: tuple[PendingEvent, ...]) -> list[LedgerEvent]:
        return [
            self._log.seal(
                pending.event,  # type: ignore[arg-type]  # written from an EventType
                subject=record.subject,
                at=pending.at,
                session_id=record.id,
                consent_id=record.consent_id,
                **pending.fields,
            )
            for pending in events
        ]

    def _together(
        self,
        joined: SqliteSessionStore | PostgresSessionStore,
        record: SessionRecord,
        events: tuple[PendingEvent, ...],
        *,
        create: bool,
    ) -> SessionRecord:
        """Write ``record`` (created, or a compare-and-set on its version) and append
        ``events`` in one transaction of the ledger's batch. Events the session still holds
        as pending (a step cut short under the pending protocol) go with them, except those
        the ledger holds already."""
        if record.pending:
            kept = self._not_in_ledger(record, record.pending)
            events, record = (*kept, *events), record.model_copy(update={"pending": ()})
        sealed = tuple(self._sealed(record, events))
        if create:
            write, stored = joined.insert_write(record), record
        else:
            write, stored = joined.cas_write(record)
        self._log.ledger.append_unit(LedgerUnit(sealed, write))  # type: ignore[attr-defined]
        return stored

    # --- committing ---------------------------------------------------------------------------

    def _create_now(self, step: Step) -> SessionRecord:
        if self._joined is not None:
            return self._together(self._joined, step.record, step.events, create=True)
        record = step.record.model_copy(update={"pending": step.events})
        self._sessions.create(record)
        return self._flush_now(record)

    async def create(self, step: Step) -> SessionRecord:
        """A new session, with its first events."""
        return await off_loop(self._create_now, step)

    def _commit_now(self, step: Step) -> SessionRecord:
        updated, events = step.record, step.events
        if events:
            updated = updated.model_copy(update={"updated_at": self._clock.now()})
        if self._joined is not None and (events or updated.pending):
            return self._together(self._joined, updated, events, create=False)
        changes: dict[str, Any] = {"pending": (*updated.pending, *events)}
        stored = self._sessions.replace(updated.model_copy(update=changes))
        return self._flush_now(stored)

    async def commit(self, step: Step) -> SessionRecord:
        """Write the step's session (a compare-and-set on its version) and its events: in one
        transaction where the stores share a database, else with the events pending first
        and appended after. A lost race raises ``ConcurrentUpdateError`` having appended
        nothing."""
        return await off_loop(self._commit_now, step)

    def _attempt(
        self, session_id: str, change: Change, known: SessionRecord | None
    ) -> SessionRecord:
        """One try of ``update``, in a worker thread: ``change`` on ``known`` if it makes a
        change there, else on the session read (repaired); committed if it changes it."""
        if known is not None and not known.pending:
            try:
                step = change(known)
            except BrondataError:
                pass  # refused on what this call knew: the stored session decides
            else:
                if step.record is not known or step.events:
                    return self._commit_now(step)
        record = self._current_now(session_id)
        step = change(record)
        if step.record is record and not step.events:
            return record
        return self._commit_now(step)

    async def retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``attempt`` again on the newer session each time it loses a compare-and-set."""
        for _ in range(RETRIES - 1):
            try:
                return await attempt()
            except ConcurrentUpdateError:
                await anyio.lowlevel.checkpoint()
        return await attempt()

    async def update(
        self, session_id: str, change: Change, *, known: SessionRecord | None = None
    ) -> SessionRecord:
        """The one way a change without I/O of its own is committed: read the session
        (repaired), take ``change`` on it and commit it (with the change's events), in one
        worker-thread hop, again on a fresh read each time it loses a compare-and-set; a
        change that changes nothing (taken already) returns the session as it is.
        ``ConcurrentUpdateError`` only once it keeps losing.

        ``known``: the session as this call last read or wrote it, taken instead of a read
        (see the module docstring); a collection running here knows its own. A collection's
        own writes (its sources answering at once, its lease) take turns on the session's
        lock, so that they race only with other callers."""
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        held = self._held.get(session_id)
        if held is None:
            return await self._update_now(session_id, change, known)
        async with held.lock:
            try:
                record = await self._update_now(session_id, change, known or held.record)
            except BaseException:
                held.record = None
                raise
            held.record = record
            return record

    async def _update_now(
        self, session_id: str, change: Change, known: SessionRecord | None
    ) -> SessionRecord:
        first = [known]

        async def once() -> SessionRecord:
            # What this call knew counts for the first try only: a lost race reads again.
            record, first[0] = first[0], None
            return await off_loop(self._attempt, session_id, change, record)

        try:
            return await self.retrying(once)
        except ConcurrentUpdateError:
            raise ConcurrentUpdateError(f"session {session_id} keeps changing; try again") from None
