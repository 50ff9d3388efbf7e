"""Consent after the collection: withdrawal, expiry, renewal, and access given back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.errors import ConsentDeniedError, SessionStateError
from brondata.flow import RENEWAL_WINDOW
from brondata.session import SessionState
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

pytestmark = pytest.mark.anyio


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=9, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources) -> AsyncIterator[Gateway]:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gw:
        yield gw


def request(retention_days: int = 30) -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total"],
        retention_days=retention_days,
        recipient="Lender",
    )


async def logged_in(gateway: Gateway, sources: MockSources) -> tuple[str, str]:
    """A session whose bank login is done; returns (session id, the bank's consent id)."""
    session = await gateway.start(request(), "applicant")
    await gateway.give_consent(session.id)
    url = await gateway.login_url(session.id, BANK)
    bank_consent = parse_qs(urlsplit(url).query)["scope"][0].removeprefix("AIS:")
    person = sources.person(0)
    async with sources.browser() as browser:
        callback = await browser.authorize(url, username=person.username, password=person.password)
    await gateway.callback(session.id, BANK, callback)
    return session.id, bank_consent


async def bank_consent_status(sources: MockSources, consent_id: str) -> str:
    async with httpx2.AsyncClient(
        transport=sources.transport(BANK), base_url=sources.base_urls[BANK]
    ) as client:
        response = await client.get(
            f"/v1/consents/{consent_id}/status", headers={"X-Request-ID": str(uuid.uuid4())}
        )
    return str(response.json()["consentStatus"])


def events(gateway: Gateway) -> list[str]:
    return [json.loads(e.canonical)["event"] for e in gateway.ledger.entries()]


async def test_collection_gives_the_bank_access_back(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id, bank_consent = await logged_in(gateway, sources)
    assert await bank_consent_status(sources, bank_consent) == "valid"
    await gateway.collect(session_id)
    assert await bank_consent_status(sources, bank_consent) == "terminatedByTpp"
    assert all(p.sealed is None for p in gateway.session(session_id).sources.values())


async def test_withdrawal_before_collection_revokes_and_closes(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id, bank_consent = await logged_in(gateway, sources)
    withdrawn = await gateway.withdraw(session_id)
    assert withdrawn.state is SessionState.WITHDRAWN
    assert events(gateway)[-1] == "consent.withdrawn"
    assert await bank_consent_status(sources, bank_consent) == "terminatedByTpp"
    assert withdrawn.sources[BANK].sealed is None
    with pytest.raises(ConsentDeniedError):
        await gateway.collect(session_id)
    # Withdrawn again (a double submit): the same session, nothing appended.
    size = gateway.ledger.size()
    assert (await gateway.withdraw(session_id)).version == withdrawn.version
    assert gateway.ledger.size() == size


async def test_withdrawal_after_collection(gateway: Gateway, sources: MockSources) -> None:
    session_id, _ = await logged_in(gateway, sources)
    await gateway.collect(session_id)
    await gateway.withdraw(session_id)
    assert events(gateway)[-2:] == ["data.delivered", "consent.withdrawn"]


async def test_expire_due_expires_only_what_is_due(gateway: Gateway, sources: MockSources) -> None:
    assert isinstance(sources.clock, FixedClock)
    waiting = await gateway.start(request(), "a")
    collected, _ = await logged_in(gateway, sources)
    await gateway.collect(collected)
    assert await gateway.expire_due() == []

    sources.clock.advance(timedelta(hours=2))  # the login window (1 h) has passed
    assert await gateway.expire_due() == [waiting.id]
    assert gateway.session(waiting.id).state is SessionState.EXPIRED
    assert gateway.session(collected).state is SessionState.COLLECTED

    sources.clock.advance(timedelta(days=31))  # the 30-day retention has passed
    assert await gateway.expire_due() == [collected]
    assert events(gateway).count("consent.expired") == 2
    assert await gateway.expire_due() == []


async def test_renewal_extends_the_term(gateway: Gateway, sources: MockSources) -> None:
    assert isinstance(sources.clock, FixedClock)
    session = await gateway.start(request(), "a")
    await gateway.give_consent(session.id)
    sources.clock.advance(timedelta(minutes=50))
    renewed = await gateway.renew(session.id)
    assert renewed.consent_expires_at == sources.clock.now() + timedelta(hours=1)
    sources.clock.advance(timedelta(minutes=30))
    assert await gateway.expire_due() == []
    assert events(gateway)[-1] == "consent.renewed"
    with pytest.raises(ConsentDeniedError):
        await gateway.renew(session.id, notice_hash="sha-256:" + "1" * 64)


async def test_a_session_not_yet_consented_cannot_be_renewed(gateway: Gateway) -> None:
    session = await gateway.start(request(), "a")
    with pytest.raises(SessionStateError):
        await gateway.renew(session.id)


async def test_a_renewal_submitted_twice_renews_once(
    gateway: Gateway, sources: MockSources
) -> None:
    """The same form posted twice (a double click, a retried POST): one renewal."""
    assert isinstance(sources.clock, FixedClock)
    session = await gateway.start(request(), "a")
    await gateway.give_consent(session.id)
    sources.clock.advance(timedelta(minutes=10))
    first = await gateway.renew(session.id, notice_hash=session.notice_hash)
    sources.clock.advance(timedelta(seconds=1))
    again = await gateway.renew(session.id, notice_hash=session.notice_hash)
    assert again.version == first.version
    assert again.consent_expires_at == first.consent_expires_at
    assert events(gateway).count("consent.renewed") == 1
    # A renewal later on is a renewal of its own.
    sources.clock.advance(RENEWAL_WINDOW)
    later = await gateway.renew(session.id, notice_hash=session.notice_hash)
    assert later.consent_expires_at > first.consent_expires_at
    assert events(gateway).count("consent.renewed") == 2


async def test_a_consent_whose_term_ended_cannot_be_renewed(
    gateway: Gateway, sources: MockSources
) -> None:
    assert isinstance(sources.clock, FixedClock)
    session = await gateway.start(request(), "a")
    await gateway.give_consent(session.id)
    sources.clock.advance(timedelta(hours=2))  # the term (1 h) ended; expire_due not yet run
    with pytest.raises(SessionStateError, match="expired"):
        await gateway.renew(session.id)
    assert "consent.renewed" not in events(gateway)
