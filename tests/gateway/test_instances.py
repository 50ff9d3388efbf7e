"""Many application instances, one PostgreSQL ledger and session store.

A session started on one gateway instance completes on another, as it does behind a load
balancer; both instances append to the same ledger, which stays one consistent tree.
"""

from __future__ import annotations

import json

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose, SigningKey, verify_record
from brondata._session_store import PostgresSessionStore
from brondata.consent import PostgresLedger, PostgresSubjectKeyring, merkle_root
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def test_a_session_started_on_one_instance_completes_on_another(
    postgres_dsn: str, pg_schema: str
) -> None:
    sources = MockSources(seed=21, clock=FixedClock())
    shared = {
        "issuer": "https://lender.example",
        "redirect_uri": "https://lender.example/callback/{source}",
        "signing_key": SigningKey.generate(),
        "store_key": b"s" * 32,
        "pseudonym_key": b"p" * 32,
        "clock": sources.clock,
    }

    def instance() -> Gateway:
        return Gateway(
            connectors=sources.connectors(),
            ledger=PostgresLedger(postgres_dsn, schema=pg_schema),
            sessions=PostgresSessionStore(postgres_dsn, schema=pg_schema),
            keyring=PostgresSubjectKeyring(postgres_dsn, schema=pg_schema),
            **shared,
        )

    first, second = instance(), instance()
    try:
        request = DataRequest(
            purpose=Purpose(term="dpv:CreditChecking", text="Mortgage"),
            legal_basis=LegalBasis.CONTRACT,
            attributes=["bank.balance_total", "bank.accounts"],
            retention_days=30,
            recipient="Lender",
        )
        session = await first.start(request, "applicant-7")
        await second.give_consent(session.id)
        url = await first.login_url(session.id, BANK)
        person = sources.person(0)
        async with sources.browser() as browser:
            callback = await browser.authorize(
                url, username=person.username, password=person.password
            )
        await second.callback(session.id, BANK, callback)
        result = await first.collect(session.id)

        assert result.complete
        verified = verify_record(
            result.records["bank"].compact, second.jwks(), now=sources.clock.now()
        )
        assert set(verified.attributes) == {"bank.balance_total", "bank.accounts"}
        lines = [e.canonical for e in second.ledger.entries()]
        assert [json.loads(line)["event"] for line in lines] == [
            "consent.requested",
            "consent.given",
            "login.completed",
            "data.retrieved",
            "data.delivered",
        ]
        assert first.ledger.root() == second.ledger.root() == merkle_root(lines)
        # One keyring: each instance opens the subjects the other sealed.
        assert {first.log.subject_of(e) for e in second.ledger.entries()} == {session.subject}
    finally:
        for gateway in (first, second):
            for connector in gateway.connectors.values():
                await connector.aclose()
            gateway.log.close()
            gateway.sessions.close()
