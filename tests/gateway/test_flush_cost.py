"""A step's pending events are looked up in the ledger from the step's own mark on.

Under the pending protocol (``Gateway.embedded()``: the ledger and the session store share
no database) a step keeps its events in the session, appends those the ledger lacks and
clears them. Which ones the ledger holds is read from the entries appended since the
session write that made them pending (the record's ``pending_from``), not from the whole
ledger: a step costs the same on a ledger of ten entries and of ten thousand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from brondata import Gateway
from brondata._session_store import SessionRecord
from brondata.consent import LedgerEntry, LedgerEvent
from brondata.testing import MockSources

from .conftest import events, give_consent_cut_short, request

pytestmark = pytest.mark.anyio


def _fill(gateway: Gateway, count: int) -> None:
    """``count`` entries of other consents, as a busy ledger holds them."""
    for n in range(count):
        gateway.ledger.append(
            LedgerEvent(
                event="consent.withdrawn",
                at="2026-01-01T00:00:00Z",
                session_id=f"ses_other{n}",
                consent_id=f"con_other{n}",
                subject_key="key-other",
                subject_sealed="A" * 43,
            )
        )


def _counting(gateway: Gateway) -> list[int]:
    """Counts every entry read through ``entries()`` from now on."""
    read = [0]
    entries = gateway.ledger.entries

    def counted(start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        for entry in entries(start, stop):
            read[0] += 1
            yield entry

    gateway.ledger.entries = counted  # type: ignore[method-assign]
    return read


async def _entries_read_by_a_step(gateway: Gateway, prior: int) -> int:
    assert gateway._steps._joined is None  # the pending protocol
    _fill(gateway, prior)
    session = await gateway.start(request(), "applicant-1")
    read = _counting(gateway)
    await gateway.give_consent(session.id)
    count = read[0]
    assert events(gateway).count("consent.given") == 1
    return count


@pytest.mark.parametrize("prior", [10, 10_000])
async def test_a_step_reads_no_entry_from_before_it(gateway: Gateway, prior: int) -> None:
    assert await _entries_read_by_a_step(gateway, prior) == 0


async def test_a_repair_reads_only_the_entries_since_the_step(
    gateway: Gateway, sources: MockSources
) -> None:
    _fill(gateway, 5_000)
    session = await gateway.start(request(), "applicant-1")
    await give_consent_cut_short(gateway, session.id)
    mark = gateway.session(session.id).pending_from
    assert mark == 5_001  # the ledger's size before the write that made them pending
    _fill(gateway, 100)
    read = _counting(gateway)
    sources.clock.advance(timedelta(seconds=6))  # type: ignore[attr-defined]
    await gateway.withdraw(session.id)  # repairs first: the consent.given is there already
    assert read[0] == 1 + 100  # the step's own entry and those after it, not the 5,000
    assert events(gateway).count("consent.given") == 1
    assert events(gateway)[-1] == "consent.withdrawn"


async def test_a_session_stored_without_a_mark_is_checked_against_the_whole_ledger(
    gateway: Gateway, sources: MockSources
) -> None:
    """A session written before sessions kept the mark: its pending events are looked up in
    every entry, so those appended already are not appended again."""
    session = await gateway.start(request(), "applicant-1")
    await give_consent_cut_short(gateway, session.id)
    stored = gateway.session(session.id)
    body = stored.model_dump(mode="json")
    del body["pending_from"]
    older = SessionRecord.model_validate(body)
    assert older.pending_from is None
    assert older.pending
    gateway.sessions.replace(older)
    _fill(gateway, 10)
    sources.clock.advance(timedelta(seconds=6))  # type: ignore[attr-defined]
    await gateway.withdraw(session.id)
    assert events(gateway).count("consent.given") == 1
    assert events(gateway)[-1] == "consent.withdrawn"
