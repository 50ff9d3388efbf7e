"""ConsentLog: appends seal the subject, erasure destroys the key, the audit still verifies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from brondata.consent import (
    ConsentLog,
    LedgerEvent,
    LogSigner,
    MemoryLedger,
    MemorySubjectKeyring,
    audit_verify,
    export,
    merkle_root,
)
from brondata.errors import InvalidEventError, LedgerIntegrityError

from .factories import AT, DEFAULTS, digest

ALICE = "sub-a11ce0000000000000000000000000"
BOB = "sub-b0b0000000000000000000000000000"


def flow(log: ConsentLog, subject: str, n: int, *, at: str = AT) -> None:
    """One allowed consent session of ``subject``."""
    ids: dict[str, Any] = {"subject": subject, "at": at, "session_id": f"ses_{n}"}
    ids["consent_id"] = f"con_{n}"
    for kind in ("consent.requested", "consent.given", "data.retrieved", "data.delivered"):
        log.append(kind, **ids, **DEFAULTS[kind])


def test_append_seals_the_subject(consent_log: ConsentLog) -> None:
    entry = consent_log.append(
        "consent.requested",
        subject=ALICE,
        at=AT,
        session_id="s1",
        consent_id="c1",
        **DEFAULTS["consent.requested"],
    )
    assert ALICE.encode() not in entry.canonical
    event = entry.event
    assert "subject" not in event.to_json_dict()
    assert event.subject_key == consent_log.keyring.lookup(ALICE)
    assert consent_log.subject_of(entry) == ALICE
    assert consent_log.size() == 1
    assert consent_log.root() == merkle_root([entry.canonical])


def test_an_invalid_event_makes_no_key_and_no_entry() -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    with pytest.raises(InvalidEventError):
        log.append("data.delivered", subject=ALICE, at=AT, session_id="s", consent_id="c")
    with pytest.raises(InvalidEventError):
        log.append("consent.withdrawn", subject="999993653", at=AT, session_id="s", consent_id="c")
    assert log.size() == 0
    assert log.keyring.lookup(ALICE) is None


def test_entries_are_found_by_subject_and_by_consent(consent_log: ConsentLog) -> None:
    flow(consent_log, ALICE, 1)
    flow(consent_log, BOB, 2)
    flow(consent_log, ALICE, 3)
    alice = [entry.index for entry, _ in consent_log.entries_of_subject(ALICE)]
    assert alice == [0, 1, 2, 3, 8, 9, 10, 11]
    assert [e.index for e, _ in consent_log.entries_of_consent("con_2")] == [4, 5, 6, 7]
    assert list(consent_log.entries_of_subject("sub-nobody")) == []


def test_erasure_destroys_the_key_and_leaves_the_tree(consent_log: ConsentLog) -> None:
    flow(consent_log, ALICE, 1)
    flow(consent_log, BOB, 2)
    root = consent_log.root()
    key_id = consent_log.keyring.lookup(ALICE)
    entry = consent_log.erase(ALICE, at="2026-03-02T10:00:00Z")
    assert entry is not None
    assert entry.index == 8
    assert json.loads(entry.canonical) == {
        "at": "2026-03-02T10:00:00Z",
        "event": "data.erased",
        "index": 8,
        "subject_key": key_id,
    }
    # The tree only grew: every older entry and checkpoint stays valid.
    assert consent_log.root(8) == root
    assert len(consent_log.consistency_proof(8)) > 0
    assert all(consent_log.subject_of(e) is None for e in consent_log.entries(0, 4))
    assert all(consent_log.subject_of(e) == BOB for e in consent_log.entries(4, 8))
    assert list(consent_log.entries_of_subject(ALICE)) == []
    assert consent_log.keyring.was_erased(ALICE)
    assert consent_log.erasure_of(key_id or "") == entry
    assert consent_log.erase(ALICE, at="2026-03-02T10:00:00Z") is None  # already gone


def test_a_sealed_subject_moved_to_another_entry_does_not_open() -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    first, second = (e.event for e in log.entries(0, 2))
    moved = LedgerEvent.model_validate(
        {**second.to_json_dict(), "subject_sealed": first.subject_sealed}
    )
    with pytest.raises(LedgerIntegrityError):
        log.subject_of(moved)


def test_the_audit_verifies_after_an_erasure(tmp_path: Path) -> None:
    signer = LogSigner("hypotheek-bv.example/consent-ledger", Ed25519PrivateKey.generate())
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    flow(log, BOB, 2)
    before = export(log.ledger, tmp_path / "before", signer)
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    export(log.ledger, tmp_path / "after", signer)
    report = audit_verify(tmp_path / "after", tmp_path / "before" / "checkpoint")
    assert report.ok, report.findings
    assert report.since is not None
    assert report.since.size == before.size
    assert report.counts["data.erased"] == 1
    assert report.deliveries == 2
    assert ALICE.encode() not in (tmp_path / "after" / "ledger.jsonl").read_bytes()


def test_the_audit_flags_a_subject_written_after_its_erasure(tmp_path: Path) -> None:
    signer = LogSigner("hypotheek-bv.example/consent-ledger", Ed25519PrivateKey.generate())
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    stale = log.entry(3).event  # e.g. an instance that still held the key when it was erased
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    log.ledger.append(
        LedgerEvent.model_validate({**stale.to_json_dict(), "record_digest": digest("late")})
    )
    export(log.ledger, tmp_path, signer)
    report = audit_verify(tmp_path)
    assert [(f.code, f.index) for f in report.findings] == [("subject_after_erasure", 5)]
    assert not report.findings[0].is_integrity
