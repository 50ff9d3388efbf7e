"""Consent records rebuilt from the ledger, Kantara v1.1 receipts, the art. 15 report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from brondata.consent import (
    ConsentLog,
    Controller,
    MemoryLedger,
    MemorySubjectKeyring,
    consent_record_from_ledger,
    kantara_receipt,
    subject_report,
)
from brondata.errors import ConsentNotFoundError, ConsentRecordError, SubjectErasedError

from .factories import DEFAULTS, TERMS, digest

ALICE = "sub-a11ce0000000000000000000000000"
BOB = "sub-b0b0000000000000000000000000000"
RECORD_TERMS: dict[str, Any] = {
    **TERMS,
    "recipient": "Voorbeeld Hypotheken B.V.",
    "controller": "Voorbeeld Hypotheken B.V.",
    "controller_contact": "privacy@hypotheek.example",
    "categories": ["dpv-pd:BankAccount", "dpv-pd:Income"],
    "storage_location": "NL",
    "withdrawal_method": "https://hypotheek.example/toestemmingen",
    "notice_hash": digest("notice"),
    "notice_language": "nl",
}


def at(minute: int) -> str:
    return f"2026-03-01T09:{minute:02d}:00Z"


def consent(log: ConsentLog, subject: str, n: int, *kinds: str, **terms: Any) -> None:
    ids = {"subject": subject, "session_id": f"ses_{n}", "consent_id": f"con_{n}"}
    for minute, kind in enumerate(kinds):
        fields: dict[str, Any] = dict(DEFAULTS.get(kind, {}))
        if kind in ("consent.requested", "consent.given"):
            fields = {**RECORD_TERMS, **terms}
        if kind == "data.delivered":
            fields["recipient"] = RECORD_TERMS["recipient"]
        log.append(kind, at=at(minute), **ids, **fields)  # type: ignore[arg-type]


@pytest.fixture
def log() -> ConsentLog:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    consent(
        log,
        ALICE,
        1,
        "consent.requested",
        "consent.given",
        "data.retrieved",
        "data.delivered",
        "consent.withdrawn",
    )
    consent(log, BOB, 2, "consent.requested", "consent.denied")
    consent(log, ALICE, 3, "consent.requested", "consent.given", "data.failed")
    return log


def kantara_schema(reference: Path) -> dict[str, Any]:
    text = (reference / "consent-receipt" / "kantara-v1_1-schema.json").read_text()
    # The published schema opens with two comment lines, which JSON does not allow.
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return json.loads(body)  # type: ignore[no-any-return]


def test_the_record_holds_every_dpv_field(log: ConsentLog) -> None:
    record = consent_record_from_ledger(log, "con_1")
    assert record.subject == ALICE
    assert not record.subject_erased
    assert record.controller is not None
    assert record.controller.name == "Voorbeeld Hypotheken B.V."
    assert record.controller.contact == "privacy@hypotheek.example"
    assert [(p.term, p.text) for p in record.purposes] == [
        ("dpv:CreditChecking", TERMS["purpose_text"])
    ]
    assert record.legal_basis == "dpv:Consent"
    assert record.personal_data_categories == ("dpv-pd:BankAccount", "dpv-pd:Income")
    assert record.attributes == ("bank.balance_total", "income.gross_annual")
    assert record.sources == ("bank", "employment")
    assert record.recipients == ("Voorbeeld Hypotheken B.V.",)
    assert record.retention_days == 30
    assert record.storage_location == "NL"
    assert record.withdrawal_method == "https://hypotheek.example/toestemmingen"
    assert record.notice_hash == digest("notice")
    assert record.notice_language == "nl"
    assert (record.state, record.state_time) == ("withdrawn", at(4))
    assert record.given_at == at(1)
    assert [(h.state, h.index) for h in record.history] == [
        ("requested", 0),
        ("given", 1),
        ("withdrawn", 4),
    ]
    assert json.loads(json.dumps(record.to_dict()))["consent_id"] == "con_1"


def test_the_lifecycle_follows_the_audit_rules() -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    consent(
        log,
        ALICE,
        1,
        "consent.requested",
        "consent.given",
        "consent.expired",
        "consent.renewed",
    )
    consent(log, ALICE, 2, "consent.requested", "consent.denied", "consent.renewed")
    renewed = consent_record_from_ledger(log, "con_1")
    assert [h.state for h in renewed.history] == ["requested", "given", "expired", "renewed"]
    assert renewed.given_at == at(3)
    denied = consent_record_from_ledger(log, "con_2")
    assert denied.state == "denied"  # a renewal never revives a denial
    assert denied.given_at is None
    with pytest.raises(ConsentNotFoundError):
        consent_record_from_ledger(log, "con_9")


def test_a_kantara_receipt_validates_against_the_schema(log: ConsentLog, reference: Path) -> None:
    record = consent_record_from_ledger(log, "con_1")
    controller = Controller(
        name="Voorbeeld Hypotheken B.V.",
        contact="Functionaris gegevensbescherming",
        email="privacy@hypotheek.example",
        phone="+31 20 123 4567",
        address={"streetAddress": "Damrak 1", "addressLocality": "Amsterdam"},
        url="https://hypotheek.example/privacy",
    )
    receipt = kantara_receipt(record, controller=controller)
    jsonschema.Draft4Validator(kantara_schema(reference)).validate(receipt)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == "NL"
    assert receipt["piiPrincipalId"] == ALICE
    assert receipt["consentTimestamp"] == int(datetime(2026, 3, 1, 9, 1, tzinfo=UTC).timestamp())
    assert receipt["policyUrl"] == "https://hypotheek.example/privacy"
    (purpose,) = receipt["services"][0]["purposes"]
    assert purpose["purposeCategory"] == ["dpv:CreditChecking", "dpv:Consent"]
    assert purpose["piiCategory"] == ["dpv-pd:BankAccount", "dpv-pd:Income"]
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["thirdPartyDisclosure"] is False  # the recipient is the controller
    assert "withdrawal" in purpose["termination"]
    assert receipt["sensitive"] is False
    # The same consent state, the same receipt id; the record alone also makes a receipt.
    again = kantara_receipt(record)
    assert again["consentReceiptID"] == receipt["consentReceiptID"]
    jsonschema.Draft4Validator(kantara_schema(reference)).validate(again)


def test_a_receipt_marks_sensitive_data_and_third_parties(reference: Path) -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    consent(
        log,
        ALICE,
        1,
        "consent.requested",
        "consent.given",
        legal_basis="dpv:LegalObligation",
        categories=["dpv-pd:NationalIdentificationNumber", "dpv-pd:Name"],
        recipient="Notariskantoor De Vries",
    )
    receipt = kantara_receipt(consent_record_from_ledger(log, "con_1"))
    jsonschema.Draft4Validator(kantara_schema(reference)).validate(receipt)
    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["dpv-pd:NationalIdentificationNumber"]
    (purpose,) = receipt["services"][0]["purposes"]
    assert purpose["consentType"] == "N/A"
    assert purpose["thirdPartyName"] == "Notariskantoor De Vries"


def test_no_receipt_for_a_consent_never_given_or_an_erased_subject(log: ConsentLog) -> None:
    with pytest.raises(ConsentRecordError, match="never given"):
        kantara_receipt(consent_record_from_ledger(log, "con_2"))
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    record = consent_record_from_ledger(log, "con_1")
    assert record.subject is None
    assert record.subject_erased
    assert record.state == "withdrawn"  # the consent itself is still on record
    with pytest.raises(SubjectErasedError):
        kantara_receipt(record)


def test_the_subject_report(log: ConsentLog) -> None:
    report = subject_report(log, ALICE, now=datetime(2026, 3, 5, tzinfo=UTC))
    assert not report.erased
    assert [c.consent_id for c in report.consents] == ["con_1", "con_3"]
    assert [(d.kind, d.source, d.index) for d in report.data] == [
        ("retrieved", "bank", 2),
        ("delivered", "bank", 3),
        ("failed", "employment", 9),
    ]
    (delivery,) = report.deliveries
    assert delivery.record_digest == digest("record")
    assert delivery.recipient == "Voorbeeld Hypotheken B.V."
    assert delivery.kept_until == "2026-03-31T09:03:00Z"
    text = report.to_text()
    for expected in (ALICE, "con_1: withdrawn", "dpv:CreditChecking", "dpv-pd:Income", "30 days"):
        assert expected in text
    assert BOB not in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["deliveries"] == 1
    assert data["generated_at"] == "2026-03-05T00:00:00Z"


def test_the_report_of_an_erased_subject_says_so_and_nothing_else(log: ConsentLog) -> None:
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    report = subject_report(log, ALICE)
    assert report.erased
    assert report.consents == ()
    assert report.data == ()
    assert "ERASED" in report.to_text()
    assert not subject_report(log, BOB).erased
    assert "nothing" in subject_report(log, "sub-nobody").to_text()
