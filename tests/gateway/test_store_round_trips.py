"""Each call of the gateway reads its session once and batches its store work.

A step hands the session it read or wrote to the next step of the same call instead of
reading it again (the compare-and-set on commit still guards against other writers), and
store work that happens back to back (read, change, commit) runs in one worker-thread hop.
Pinned here as counts per call, for the embedded SQLite file (session change and events in
one transaction) and for the in-memory stores (events pending in the session first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from brondata import Gateway, flow
from brondata._session_store import SessionRecord
from brondata.errors import SessionStateError
from brondata.session import SessionState
from brondata.testing import MockSources

from .conftest import BANK, login, request

pytestmark = pytest.mark.anyio

#: Worker-thread hops per call of the gateway, at most.
HOPS = {
    "start": 1,
    "give_consent": 1,
    # Read; the connector builds the login; the login's secrets committed.
    "login_url": 2,
    # Read; the callback claimed; the code exchanged; the grant committed.
    "callback": 3,
    # Claimed; the answer committed; mapped, signed and committed; the checks; finished.
    "collect": 5,
}


@pytest.fixture(params=["memory", "sqlite-file"])
async def gateway(
    request: pytest.FixtureRequest, sources: MockSources, tmp_path: Path
) -> AsyncIterator[Gateway]:
    path = ":memory:" if request.param == "memory" else tmp_path / "gateway.db"
    async with Gateway.embedded(sources.connectors(), path=path, clock=sources.clock) as gw:
        yield gw


class Counted:
    """Session reads and thread hops, per call of the gateway."""

    def __init__(self, gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: Counter[str] = Counter()
        self.hops: Counter[str] = Counter()
        self._call = ""
        store = gateway.sessions
        get = store.get

        def counting_get(session_id: str) -> Any:
            self.reads[self._call] += 1
            return get(session_id)

        monkeypatch.setattr(store, "get", counting_get)
        run_sync = anyio.to_thread.run_sync

        async def counting_run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            self.hops[self._call] += 1
            return await run_sync(func, *args, **kwargs)

        monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)

    def call(self, name: str) -> None:
        self._call = name


async def test_each_call_reads_its_session_once_and_batches_its_store_work(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = Counted(gateway, monkeypatch)
    counted.call("start")
    session = await gateway.start(request(), "applicant-1")
    counted.call("give_consent")
    await gateway.give_consent(session.id)
    counted.call("login_url")
    url = await gateway.login_url(session.id, BANK)
    counted.call("")
    callback = await login(sources, url)
    counted.call("callback")
    await gateway.callback(session.id, BANK, callback)
    counted.call("collect")
    result = await gateway.collect(session.id)
    assert result.complete, result.errors
    assert all(n <= 1 for n in counted.reads.values()), counted.reads
    over = {call: n for call, n in counted.hops.items() if call and n > HOPS[call]}
    assert not over, f"thread hops per call {dict(counted.hops)}, budget {HOPS}"


async def test_a_stale_known_session_never_answers_for_the_store(gateway: Gateway) -> None:
    """A session a call knows but another writer moved on since: a change that commits on
    it loses the compare-and-set and is taken again on the stored session, and a change
    that refuses or has nothing to do on it is asked again of the stored session."""
    session = await gateway.start(request(), "applicant-1")
    consented = await gateway.give_consent(session.id)
    stale = session  # before the consent: the store is a version on
    steps = gateway._steps
    now = gateway._clock.now()

    # Commits on the stale session: the race is lost, then won on the stored one (which is
    # consented: the denial is refused there, as it must be).
    with pytest.raises(SessionStateError):
        await steps.update(session.id, lambda r: flow.deny_consent(r, now), known=stale)
    assert gateway.session(session.id).state is SessionState.CONSENTED

    # Refused on the stale session (no consent yet), allowed on the stored one.
    def needs_consent(record: SessionRecord) -> flow.Step:
        if record.state is not SessionState.CONSENTED:
            raise SessionStateError("not consented")
        return flow.Step(record.model_copy(update={"renewed_at": now}))

    renewed = await steps.update(session.id, needs_consent, known=stale)
    assert renewed.renewed_at == now
    assert renewed.version == consented.version + 1

    # Nothing to do on the stale session, something on the stored one.
    def once_consented(record: SessionRecord) -> flow.Step:
        if record.state is not SessionState.CONSENTED:
            return flow.Step(record)
        return flow.Step(record.model_copy(update={"renewed_at": None}))

    cleared = await steps.update(session.id, once_consented, known=stale)
    assert cleared.renewed_at is None
    assert cleared.version == renewed.version + 1
    assert gateway.session(session.id) == cleared
