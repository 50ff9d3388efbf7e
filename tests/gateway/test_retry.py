"""``Gateway.retry``: a source that failed is tried again within the consent, after a new login,
while the sources already delivered keep their records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.errors import SessionStateError
from brondata.mock._faults import Fault
from brondata.session import SessionState, SourceState
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=5, clock=FixedClock(), sources=("tax", "pension"))


@pytest.fixture
async def gateway(sources: MockSources) -> AsyncIterator[Gateway]:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gw:
        yield gw


async def test_a_failed_source_is_tried_again_after_a_new_login(
    gateway: Gateway, sources: MockSources
) -> None:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["tax.student_debt", "pension.accrued_annual"],
        retention_days=30,
        recipient="Lender",
    )
    session = await gateway.start(request, "applicant")
    await gateway.give_consent(session.id)
    person = sources.person(0)
    # Down for good (more than any retry covers): the first collection fails at the tax office.
    outage = sources.faults["tax"].add(Fault("status", status=503))
    await sources.authorise(gateway, session.id, person)
    first = await gateway.collect(session.id)
    assert set(first.errors) == {"tax"}
    assert gateway.session(session.id).sources["tax"].state is SourceState.FAILED

    sources.faults["tax"].faults.remove(outage)
    again = await gateway.retry(session.id, "tax")
    assert again.state is SessionState.CONSENTED
    assert again.sources["tax"].state is SourceState.WAITING
    assert again.sources["pension"].state is SourceState.COLLECTED
    url = await gateway.login_url(session.id, "tax")
    async with sources.browser() as browser:
        callback = await browser.authorize(url, username=person.username, password=person.password)
    await gateway.callback(session.id, "tax", callback)
    second = await gateway.collect(session.id)
    # The session's whole result: the pension record kept from the first collection (not
    # fetched again: one retrieval in the ledger), the tax record from this one.
    assert set(second.records) == {"tax", "pension"}
    assert second.records["pension"].digest == first.records["pension"].digest
    assert not second.errors
    assert gateway.session(session.id).state is SessionState.COLLECTED
    assert gateway.result(session.id).records.keys() == second.records.keys()
    retrieved = [
        e.event.source for e in gateway.ledger.entries() if e.event.event == "data.retrieved"
    ]
    assert sorted(retrieved) == ["pension", "tax"]


async def test_only_a_failed_source_can_be_retried(gateway: Gateway, sources: MockSources) -> None:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["tax.student_debt"],
        retention_days=30,
        recipient="Lender",
    )
    session = await gateway.start(request, "applicant")
    with pytest.raises(SessionStateError):
        await gateway.retry(session.id, "tax")  # no consent yet
    await gateway.give_consent(session.id)
    with pytest.raises(SessionStateError):
        await gateway.retry(session.id, "tax")  # waiting, not failed
