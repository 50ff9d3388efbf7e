"""The bank connector's paging: every page followed, relative links resolved, and no link
followed off the bank (it would carry the token and Consent-ID elsewhere), nor forever."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx2
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.errors import SourceProtocolError
from brondata.mock._faults import Fault
from brondata.sources.bank import connector as psd2
from brondata.sources.bank.connector import Psd2Connector
from brondata.sources.bank.models import BankData
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

BASE = "https://noordbank.example"
TODAY = date(2026, 11, 2)
METADATA = {
    "issuer": BASE,
    "authorization_endpoint": f"{BASE}/oauth/authorize",
    "token_endpoint": f"{BASE}/oauth/token",
    "code_challenge_methods_supported": ["S256"],
}
GRANT = {
    "token": {"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
    "metadata_url": f"{BASE}/.well-known/oauth-authorization-server",
    "consent_id": "c-1",
}
ACCOUNTS = {"accounts": [{"resourceId": "a1", "iban": "NL02ABNA0123456789", "currency": "EUR"}]}


def booked(n: int) -> dict[str, Any]:
    return {
        "transactionId": f"t{n}",
        "bookingDate": "2026-10-0" + str(n % 9 + 1),
        "transactionAmount": {"currency": "EUR", "amount": f"-{n}.00"},
        "creditorName": f"Shop {n}",
    }


class Bank:
    """A bank whose transaction list comes in pages linked as ``links`` says."""

    def __init__(self, links: list[str | None]) -> None:
        self.links = links
        self.seen: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.seen.append(str(request.url))
        assert request.headers.get("Consent-ID", "c-1") == "c-1"
        if path.startswith("/.well-known"):
            return httpx2.Response(200, json=METADATA)
        if path == "/v1/accounts":
            return httpx2.Response(200, json=ACCOUNTS)
        page = int(request.url.params.get("page", "0"))
        body: dict[str, Any] = {"transactions": {"booked": [booked(page)]}}
        link = self.links[page] if page < len(self.links) else None
        if link is not None:
            body["transactions"]["_links"] = {"next": {"href": link}}
        return httpx2.Response(200, json=body)


async def fetch(bank: Bank) -> dict[str, Any]:
    connector = Psd2Connector(
        base_url=BASE,
        client_id="demo",
        transport=httpx2.MockTransport(bank),
        name="bank.noordbank",
    )
    try:
        response = await connector.fetch(grant=GRANT, attributes=["bank.transactions"], today=TODAY)
    finally:
        await connector.aclose()
    assert response.source == "bank.noordbank"
    return response.raw


async def test_every_page_is_followed_relative_and_absolute_links_alike() -> None:
    bank = Bank(
        ["/v1/accounts/a1/transactions?page=1", f"{BASE}/v1/accounts/a1/transactions?page=2"]
    )
    raw = await fetch(bank)
    data = BankData.from_raw(raw)
    assert [t.transaction_id for t in data.transactions["a1"]] == ["t0", "t1", "t2"]
    assert all(url.startswith(BASE) for url in bank.seen)


async def test_a_link_off_the_bank_is_refused_before_it_is_followed() -> None:
    bank = Bank(["https://collector.example/steal?page=1"])
    with pytest.raises(SourceProtocolError, match="leaves the bank") as caught:
        await fetch(bank)
    assert caught.value.source == "bank.noordbank"
    assert not any("collector.example" in url for url in bank.seen)


async def test_a_bank_that_pages_forever_is_a_protocol_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psd2, "MAX_PAGES", 3)
    bank = Bank([f"/v1/accounts/a1/transactions?page={n + 1}" for n in range(10)])
    with pytest.raises(SourceProtocolError, match="more than 3 transaction pages"):
        await fetch(bank)


async def test_a_next_page_link_to_another_host_is_not_followed() -> None:
    sources = MockSources(seed=1, clock=FixedClock())
    page = {
        "account": {"iban": "NL76RABO0359400371"},
        "transactions": {
            "booked": [],
            "_links": {"next": {"href": "https://collector.example/steal?page=2"}},
        },
    }
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        request = DataRequest(
            purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
            legal_basis=LegalBasis.CONTRACT,
            attributes=["bank.salary_monthly_average"],
            retention_days=30,
            recipient="Lender",
        )
        session = await gateway.start(request, "applicant")
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, sources.person(0))
        sources.faults["bank.mockbank"].add(Fault("body", "/v1/accounts/", body=page))
        result = await gateway.collect(session.id)
    assert isinstance(result.errors["bank.mockbank"], SourceProtocolError)
    assert "leaves the bank" in result.errors["bank.mockbank"].message
