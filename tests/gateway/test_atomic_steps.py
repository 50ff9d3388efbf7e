"""A step's ledger events and its session change commit together or not at all, wherever the
session store and the ledger share a database (one SQLite file; one PostgreSQL schema)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from brondata import Gateway, flow
from brondata._session_store import SessionRecord
from brondata.consent import ConsentLog
from brondata.consent._ledger import LedgerUnit
from brondata.errors import ConcurrentUpdateError
from brondata.session import SessionState
from brondata.stores import Stores, open_stores, shares_database
from brondata.testing import FixedClock, MockSources

from .conftest import request

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "sqlite":
        opened = open_stores(f"sqlite:///{tmp_path / 'shared.db'}")
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        opened = open_stores(dsn, schema=request.getfixturevalue("pg_schema"))
    with opened:
        yield opened


_SETTINGS = flow.NoticeSettings(
    controller="Voorbeeld Hypotheken B.V.",
    controller_contact="privacy@lender.example",
    storage_location="EU",
    notice_language="en",
    withdrawal_method="https://lender.example/consent/withdraw",
)


def _session(stores: Stores) -> SessionRecord:
    step = flow.start(
        session_id="ses-1",
        consent_id="con-1",
        subject="sub-abc",
        request=request(),
        plan={"bank.mockbank": ["bank.balance_total"]},
        holder_jwk=None,
        now=FixedClock().now(),
        consent_ttl=timedelta(hours=1),
        settings=_SETTINGS,
    )
    stores.sessions.create(step.record)
    return step.record


def test_open_stores_share_one_database(stores: Stores) -> None:
    assert shares_database(stores.ledger, stores.sessions)


def test_a_step_that_loses_its_race_leaves_no_event(stores: Stores) -> None:
    """Two steps on the same version of one session, in one batch or two: one commits its
    session change with its event, the other gets ``ConcurrentUpdateError`` and appends
    nothing."""
    record = _session(stores)
    terms = flow.terms_of(record, _SETTINGS).event_fields(notice_hash=record.notice_hash)
    log = ConsentLog(stores.ledger, stores.keyring)
    sessions: Any = stores.sessions
    size = stores.ledger.size()
    outcomes: list[object] = []
    start = threading.Barrier(8)

    def step(n: int) -> None:
        changed = record.model_copy(update={"state": SessionState.CONSENTED})
        event = log.seal(
            "consent.given" if n % 2 else "consent.denied",
            subject=record.subject,
            at=f"2026-03-01T09:00:0{n}Z",
            session_id=record.id,
            consent_id=record.consent_id,
            **({} if n % 2 == 0 else terms),
        )
        write, _ = sessions.cas_write(changed)
        start.wait()
        try:
            ledger: Any = stores.ledger
            outcomes.append(ledger.append_unit(LedgerUnit((event,), write)))
        except ConcurrentUpdateError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=step, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [o for o in outcomes if not isinstance(o, ConcurrentUpdateError)]
    assert len(won) == 1
    assert len(outcomes) == 8
    assert stores.ledger.size() == size + 1  # the winner's event, and no other
    assert stores.sessions.get(record.id).version == record.version + 1


_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
import anyio
from brondata import Gateway, flow
from brondata.consent import _sqlite
from brondata.testing import FixedClock, MockSources
from tests.gateway.conftest import request

armed = False
original = _sqlite.lay_out

def stop(*args, **kwargs):
    if armed:  # the session's row is written in this transaction; its COMMIT is not
        print("in the commit", flush=True)
        time.sleep(600)
    return original(*args, **kwargs)

_sqlite.lay_out = stop

async def main() -> None:
    global armed
    sources = MockSources(seed=11, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), path={path!r}, clock=sources.clock) as gw:
        session = await gw.start(request(), "applicant-1")
        print(session.id, flush=True)
        armed = True
        await gw.give_consent(session.id)

anyio.run(main)
"""


def _kill_in_the_commit(script: Path) -> str:
    child = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ}
    )
    try:
        assert child.stdout is not None
        session_id = child.stdout.readline().decode().strip()
        assert child.stdout.readline().decode().strip() == "in the commit"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    return session_id


async def test_a_process_killed_in_a_commit_leaves_both_or_neither(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_CHILD.format(root=str(ROOT), path=str(path))))
    session_id = await anyio.to_thread.run_sync(_kill_in_the_commit, script)
    with open_stores(path) as stores:
        record = stores.sessions.get(session_id)  # as stored: nothing repaired on reading
        given = [
            e
            for e in stores.ledger.entries()
            if json.loads(e.canonical)["event"] == "consent.given"
        ]
    assert record.pending == ()
    assert (record.state is SessionState.CONSENTED) == bool(given)
    sources = MockSources(seed=11, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), path=path, clock=sources.clock) as gw:
        again = await gw.give_consent(session_id)  # the consumer's retry
        assert again.state is SessionState.CONSENTED
        events = [json.loads(e.canonical)["event"] for e in gw.ledger.entries()]
    assert events.count("consent.given") == 1
