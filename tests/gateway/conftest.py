"""Shared fixtures of the gateway tests: a mock world, an embedded gateway, a logged-in bank.

The helpers here drive the consumer's side (the bank's login page) so that each test reads as
the steps an application takes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata._session_store import SessionRecord
from brondata.errors import StoreUnavailableError
from brondata.session import SessionState
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"
BANK_ATTRIBUTES = ["bank.accounts", "bank.balance_total", "bank.salary_monthly_average"]


def request(attributes: list[str] = BANK_ATTRIBUTES) -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess a mortgage application"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=attributes,
        retention_days=30,
        recipient="Voorbeeld Hypotheken B.V.",
    )


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=11, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources) -> AsyncIterator[Gateway]:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gw:
        yield gw


async def login(sources: MockSources, url: str, *, person: int = 0, approve: bool = True) -> str:
    """The consumer logs in at the bank; returns the callback URL the bank redirects to."""
    p = sources.person(person)
    async with sources.consumer("bank") as consumer:
        return await consumer.authorize(
            url, username=p.username, password=p.password, approve=approve
        )


async def consented(gateway: Gateway, attributes: list[str] = BANK_ATTRIBUTES) -> str:
    session = await gateway.start(request(attributes), "applicant-1")
    await gateway.give_consent(session.id)
    return session.id


def events(gateway: Gateway) -> list[str]:
    return [json.loads(e.canonical)["event"] for e in gateway.ledger.entries()]


async def give_consent_cut_short(gateway: Gateway, session_id: str) -> None:
    """``give_consent`` cut short between its ledger append and the write that clears its
    pending events (the session store down for that one write): the events stay pending."""
    replace = gateway.sessions.replace

    def clearing_fails(record: SessionRecord) -> SessionRecord:
        if record.state is SessionState.CONSENTED and not record.pending:
            raise StoreUnavailableError("the session store is down")
        return replace(record)

    gateway.sessions.replace = clearing_fails  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreUnavailableError):
            await gateway.give_consent(session_id)
    finally:
        gateway.sessions.replace = replace  # type: ignore[method-assign]
