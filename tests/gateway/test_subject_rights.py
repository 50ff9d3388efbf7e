"""The data subject's rights through the gateway: receipt, access (art. 15), erasure (art. 17).

After an erasure the ledger still verifies offline, the subject's entries no longer open, the
report says the subject was erased, and the sessions are gone from the store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.consent import Controller, LogSigner, audit_verify, export
from brondata.errors import SessionNotFoundError
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

CONTROLLER = Controller(
    name="Voorbeeld Hypotheken B.V.",
    contact="privacy@hypotheek.example",
    email="privacy@hypotheek.example",
    phone="+31 20 000 0000",
    address={"streetAddress": "Damrak 1", "addressLocality": "Amsterdam", "postalCode": "1012 LG"},
    url="https://hypotheek.example",
)


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=4, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources, tmp_path: Path) -> AsyncIterator[Gateway]:
    async with Gateway.embedded(
        sources.connectors(), path=tmp_path / "g.db", clock=sources.clock, controller=CONTROLLER
    ) as gw:
        yield gw


async def collected(gateway: Gateway, sources: MockSources, subject: str) -> str:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess a mortgage application"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total", "person.surname"],
        retention_days=30,
        recipient="Voorbeeld Hypotheken B.V.",
    )
    session = await gateway.start(request, subject)
    await gateway.give_consent(session.id)
    await sources.authorise(gateway, session.id, sources.person(0))
    assert (await gateway.collect(session.id)).complete
    return session.id


def kantara_schema(reference: Path) -> dict[str, object]:
    text = (reference / "consent-receipt" / "kantara-v1_1-schema.json").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    loaded: dict[str, object] = json.loads(body)
    return loaded


async def test_consent_record_and_kantara_receipt(
    gateway: Gateway, sources: MockSources, reference: Path
) -> None:
    session_id = await collected(gateway, sources, "applicant-1")
    record = gateway.consent_record(session_id)
    assert record.controller is not None
    assert record.controller.name == CONTROLLER.name
    assert record.subject == gateway.pseudonym("applicant-1")
    assert set(record.sources) == {"bank", "population"}
    assert set(record.personal_data_categories) == {"dpv-pd:FinancialStatus", "dpv-pd:Name"}
    assert record.storage_location == "EU"
    receipt = gateway.consent_receipt(session_id)
    jsonschema.validate(receipt, kantara_schema(reference))
    assert receipt["piiPrincipalId"] == record.subject


async def test_access_report_lists_consent_and_deliveries(
    gateway: Gateway, sources: MockSources
) -> None:
    await collected(gateway, sources, "applicant-1")
    await collected(gateway, sources, "someone-else")
    report = gateway.subject_report("applicant-1").to_dict()
    text = json.dumps(report)
    assert len(report["consents"]) == 1
    assert "bank.balance_total" in text
    assert "Voorbeeld Hypotheken B.V." in text
    assert gateway.pseudonym("someone-else") not in text


async def test_erasure_shreds_the_subject_and_the_ledger_still_verifies(
    gateway: Gateway, sources: MockSources, tmp_path: Path
) -> None:
    erased_session = await collected(gateway, sources, "applicant-1")
    kept_session = await collected(gateway, sources, "applicant-2")
    pseudonym = gateway.pseudonym("applicant-1")
    assert await gateway.erase_subject("applicant-1")

    last = json.loads(list(gateway.ledger.entries())[-1].canonical)
    assert last["event"] == "data.erased"
    assert set(last) == {"event", "at", "index", "subject_key"}
    assert all(gateway.log.subject_of(e) != pseudonym for e in gateway.ledger.entries())
    with pytest.raises(SessionNotFoundError):
        gateway.session(erased_session)
    assert gateway.session(kept_session).subject == gateway.pseudonym("applicant-2")

    report = gateway.subject_report("applicant-1").to_dict()
    assert report["erased"]
    with pytest.raises(SessionNotFoundError):
        gateway.consent_receipt(erased_session)

    signer = LogSigner.generate("lender.example/consent-log")
    export(gateway.ledger, tmp_path / "export", signer)
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.to_dict()
    assert not await gateway.erase_subject("applicant-1")  # nothing left to erase
