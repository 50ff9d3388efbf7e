"""No store call blocks the event loop: while one session's store call is stuck (a slow fsync,
a lock held elsewhere), another session's step runs to its end.

The stuck call waits on an event in its worker thread. Had it run on the event loop, the
other session could not even start until it returned, and the order of completion checked
below would be the other way round; it gives up after a while so that such a failure is a
failure, not a hang. Nothing here measures time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata._session_store import SecretBox, SessionRecord, SessionStore
from brondata.consent import ConsentLedger, LedgerEntry, LedgerEvent
from brondata.records import SigningKey
from brondata.session import SessionState
from brondata.stores import Stores, open_stores
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

GIVE_UP = 20.0  # seconds a stuck call waits for the test to let it go


class Stall:
    """Makes the calls of one session stick in their thread until ``release``."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.entered = threading.Event()
        self.released = threading.Event()
        self.order: list[str] = []

    def maybe_block(self, session_id: str | None) -> None:
        # The first call only: a step writes its session more than once (pending events).
        if session_id is not None and session_id == self.session_id and not self.entered.is_set():
            self.entered.set()
            self.released.wait(GIVE_UP)
            self.order.append("stalled call returned")


class StallingSessions:
    """A session store whose ``replace`` of the stalled session hangs."""

    def __init__(self, store: SessionStore, stall: Stall) -> None:
        self._store = store
        self._stall = stall

    def replace(self, record: SessionRecord) -> SessionRecord:
        self._stall.maybe_block(record.id)
        return self._store.replace(record)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class StallingLedger:
    """A ledger whose appends for the stalled session hang (a slow fsync)."""

    def __init__(self, ledger: ConsentLedger, stall: Stall) -> None:
        self._ledger = ledger
        self._stall = stall

    def append(self, event: LedgerEvent) -> LedgerEntry:
        self._stall.maybe_block(event.session_id)
        return self._ledger.append(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with open_stores(tmp_path / "brondata.db") as opened:
        yield opened


def gateway(stores: Stores, stall: Stall, where: str) -> Gateway:
    sources = MockSources(seed=8, clock=FixedClock())
    return Gateway(
        issuer="https://lender.example",
        connectors=sources.connectors(),
        redirect_uri="https://lender.example/callback/{source}",
        ledger=StallingLedger(stores.ledger, stall) if where == "ledger" else stores.ledger,  # type: ignore[arg-type]
        sessions=StallingSessions(stores.sessions, stall)  # type: ignore[arg-type]
        if where == "sessions"
        else stores.sessions,
        signing_key=SigningKey.generate(),
        store_key=SecretBox.generate_key(),
        pseudonym_key=os.urandom(32),
        keyring=stores.keyring,
        clock=sources.clock,
    )


def request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Mortgage"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total"],
        retention_days=30,
        recipient="Lender",
    )


@pytest.mark.parametrize("where", ["sessions", "ledger"])
async def test_a_stuck_store_call_does_not_delay_another_session(
    stores: Stores, where: str
) -> None:
    stall = Stall()
    gw = gateway(stores, stall, where)
    slow = await gw.start(request(), "applicant-a")
    fast = await gw.start(request(), "applicant-b")
    stall.session_id = slow.id

    async def consent_slow() -> None:
        await gw.give_consent(slow.id)
        stall.order.append("slow session consented")

    async with anyio.create_task_group() as group:
        group.start_soon(consent_slow)
        # Wait (in a thread, so the loop stays free) until the slow call is stuck.
        assert await anyio.to_thread.run_sync(stall.entered.wait, GIVE_UP)
        await gw.give_consent(fast.id)
        stall.order.append("fast session consented")
        assert gw.session(fast.id).state is SessionState.CONSENTED
        given = [(e.event.event, e.event.session_id) for e in stores.ledger.entries()]
        assert ("consent.given", slow.id) not in given  # still stuck
        stall.released.set()
    assert stall.order == [
        "fast session consented",
        "stalled call returned",
        "slow session consented",
    ]
    assert gw.session(slow.id).state is SessionState.CONSENTED
    events = [(e.event.event, e.event.session_id) for e in stores.ledger.entries()]
    assert events.count(("consent.given", slow.id)) == 1
    assert events.count(("consent.given", fast.id)) == 1
