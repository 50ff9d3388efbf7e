"""A collect cut short resumes where it stopped; a finished one returns what it delivered.

Cancellation is tried at each step of a source's collection: while fetching, after the
answer was committed (before mapping and signing), and after the record was committed
(before the session is finished). A SIGKILL of a subprocess in the middle of a collection is
resumed by another process. Each time: no source fetched again once its data was retrieved,
no record signed twice, no source both delivered and failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from brondata import Gateway
from brondata.errors import ConsentDeniedError, SessionNotFoundError, SessionStateError
from brondata.session import SessionState
from brondata.testing import FixedClock, MockSources

from .conftest import BANK, consented, events, login

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


async def ready(gateway: Gateway, sources: MockSources) -> str:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, callback)
    return session_id


def counting(target: Any, name: str) -> list[int]:
    """Count calls of ``target.name`` (patched on the instance)."""
    calls: list[int] = []
    original = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    setattr(target, name, wrapper)
    return calls


def stall_once(target: Any, name: str, reached: anyio.Event) -> None:
    """The first call of ``target.name`` (async) signals ``reached`` and never returns."""
    original = getattr(target, name)
    stalled: list[bool] = []

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not stalled:
            stalled.append(True)
            reached.set()
            await anyio.sleep_forever()
        return await original(*args, **kwargs)

    setattr(target, name, wrapper)


async def cancelled_at(
    gateway: Gateway, session_id: str, stall: Callable[[anyio.Event], None]
) -> None:
    reached = anyio.Event()
    stall(reached)
    async with anyio.create_task_group() as group:
        group.start_soon(gateway.collect, session_id)
        await reached.wait()
        group.cancel_scope.cancel()


def delivered_and_failed(gateway: Gateway) -> tuple[list[str], list[str]]:
    log = [json.loads(e.canonical) for e in gateway.ledger.entries()]
    return (
        [e["source"] for e in log if e["event"] == "data.delivered"],
        [e["source"] for e in log if e["event"] == "data.failed"],
    )


@pytest.mark.parametrize("step", ["fetch", "deliver", "finish"])
async def test_a_cancelled_collect_resumes_at_once(
    gateway: Gateway, sources: MockSources, step: str
) -> None:
    session_id = await ready(gateway, sources)
    connector = gateway.connectors[BANK]
    fetches = counting(connector, "fetch")
    signs = counting(gateway._collector, "_sign")
    target: tuple[Any, str] = {
        "fetch": (connector, "fetch"),
        "deliver": (gateway._collector, "_deliver"),
        "finish": (gateway._collector, "_finish_collection"),
    }[step]
    await cancelled_at(gateway, session_id, lambda e: stall_once(*target, e))
    assert gateway.session(session_id).state is SessionState.COLLECTING
    result = await gateway.collect(session_id)  # at once: the cancelled claim was freed
    assert result.complete, result.errors
    assert "bank" in result.records
    # The stalled call never reached the bank or the signer: each happened once.
    assert len(fetches) == 1
    assert len(signs) == 1
    delivered, failed = delivered_and_failed(gateway)
    assert delivered == ["bank"]
    assert failed == []
    assert events(gateway).count("data.retrieved") == 1
    assert gateway.result(session_id).records["bank"].compact == result.records["bank"].compact


async def test_a_collect_cancelled_before_the_answer_is_committed_keeps_the_answer(
    gateway: Gateway, sources: MockSources
) -> None:
    """Cancelled between the fetch and the commit of its ``data.retrieved``: the answer is
    committed all the same (a source counts its fetches: the bank allows one a day), the
    grant given up after it, and the resumed collection maps the answer kept."""
    session_id = await ready(gateway, sources)
    connector = gateway.connectors[BANK]
    fetches = counting(connector, "fetch")
    revokes = counting(connector, "revoke")
    update = gateway._steps.update
    reached, go = anyio.Event(), anyio.Event()

    async def stalling(session_id: str, change: Any, **known: Any) -> Any:
        if "_fetch" in getattr(change, "__qualname__", "") and not reached.is_set():
            reached.set()
            await go.wait()
        return await update(session_id, change, **known)

    gateway._steps.update = stalling  # type: ignore[method-assign]
    async with anyio.create_task_group() as group:
        group.start_soon(gateway.collect, session_id)
        await reached.wait()
        group.cancel_scope.cancel()  # the request task, or a shutdown, cancels the collect
        go.set()
    assert gateway.session(session_id).state is SessionState.COLLECTING
    assert events(gateway).count("data.retrieved") == 1
    assert len(revokes) == 1
    result = await gateway.collect(session_id)
    assert result.complete, result.errors
    assert "bank" in result.records
    assert len(fetches) == 1
    assert len(revokes) == 1
    assert events(gateway).count("data.retrieved") == 1
    assert delivered_and_failed(gateway) == (["bank"], [])


async def test_a_finished_collect_again_returns_the_same(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await ready(gateway, sources)
    first = await gateway.collect(session_id)
    size = gateway.ledger.size()
    again = await gateway.collect(session_id)
    assert {k: r.compact for k, r in again.records.items()} == {
        k: r.compact for k, r in first.records.items()
    }
    assert again.evidence == first.evidence
    assert gateway.ledger.size() == size


async def test_result_bad_input(gateway: Gateway, sources: MockSources) -> None:
    with pytest.raises(SessionNotFoundError):
        gateway.result("no-such-session")
    session_id = await ready(gateway, sources)
    size = gateway.ledger.size()
    with pytest.raises(SessionStateError):
        gateway.result(session_id)
    await gateway.collect(session_id)
    await gateway.erase_subject("applicant-1")
    with pytest.raises(SessionNotFoundError):
        gateway.result(session_id)
    assert gateway.ledger.size() == size + 3  # retrieved, delivered, erased


async def test_a_withdrawn_or_expired_session_is_not_collected(
    gateway: Gateway, sources: MockSources
) -> None:
    withdrawn = await ready(gateway, sources)
    await gateway.withdraw(withdrawn)
    expired = await ready(gateway, sources)
    sources.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await gateway.expire_due()
    size = gateway.ledger.size()
    for session_id in (withdrawn, expired):
        with pytest.raises(ConsentDeniedError):
            await gateway.collect(session_id)
        with pytest.raises(ConsentDeniedError):
            gateway.result(session_id)
    assert gateway.ledger.size() == size


_CHILD = """
import anyio, os, sys
from brondata import Gateway
from brondata.testing import FixedClock, MockSources
sys.path.insert(0, {root!r})
from tests.gateway.conftest import BANK, consented, login

async def main() -> None:
    sources = MockSources(seed=11, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), path={path!r}, clock=sources.clock) as gw:
        session_id = await consented(gw)
        callback = await login(sources, await gw.login_url(session_id, BANK))
        await gw.callback(session_id, BANK, callback)
        async def stop(*args, **kwargs):
            print(session_id, flush=True)  # the answer is committed: kill me now
            await anyio.sleep_forever()
        gw._collector._deliver = stop
        await gw.collect(session_id)

anyio.run(main)
"""


def _run_and_kill(script: Path) -> str:
    """Run the child collector until its answer is committed, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ}
    )
    try:
        assert child.stdout is not None
        session_id = child.stdout.readline().decode().strip()
        assert session_id, "the child collector did not get to its answer"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    return session_id


async def test_a_killed_collector_is_resumed_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_CHILD.format(root=str(ROOT), path=str(path))))
    session_id = await anyio.to_thread.run_sync(_run_and_kill, script)
    clock = FixedClock()
    sources = MockSources(seed=11, clock=clock)
    connectors = sources.connectors()
    fetches = counting(connectors[BANK], "fetch")
    async with Gateway.embedded(connectors, path=path, clock=clock) as gateway:
        assert gateway.session(session_id).state is SessionState.COLLECTING
        with pytest.raises(SessionStateError, match="being collected"):
            await gateway.collect(session_id)
        clock.advance(timedelta(seconds=7))  # the dead collector's lease lapses in seconds
        result = await gateway.collect(session_id)
        assert "bank" in result.records, result.errors
        assert fetches == []  # its answer was kept: the bank is not asked again
        delivered, failed = delivered_and_failed(gateway)
        assert delivered == ["bank"]
        assert failed == []
