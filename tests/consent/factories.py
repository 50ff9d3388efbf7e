"""Event factories shared by the consent tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from brondata.consent import LedgerEvent, seal_subject

EventFactory = Callable[..., LedgerEvent]

AT = "2026-03-01T09:30:00Z"
SUBJECT = "sub-7f3a9c4e0b1d2a3f"
KEY_ID = "key-00000000000000000000000000000001"
KEY = bytes(range(32))  # the factory's subject key: events are sealed as ConsentLog seals them


def digest(text: str) -> str:
    return "sha-256:" + hashlib.sha256(text.encode()).hexdigest()


TERMS: dict[str, Any] = {
    "purpose": "dpv:CreditChecking",
    "purpose_text": "Beoordeling van uw hypotheekaanvraag",
    "legal_basis": "dpv:Consent",
    "attributes": ["bank.balance_total", "income.gross_annual"],
    "sources": ["bank", "employment"],
    "recipient": "hypotheek-bv",
    "retention_days": 30,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "consent.requested": TERMS,
    "consent.given": {**TERMS, "notice_hash": digest("notice")},
    "login.completed": {"source": "bank"},
    "data.retrieved": {
        "source": "bank",
        "response_digest": digest("response"),
        "attributes": ["bank.balance_total"],
        "mapping_version": "bank-1.0.0",
    },
    "data.delivered": {
        "source": "bank",
        "attributes": ["bank.balance_total"],
        "record_digest": digest("record"),
    },
    "data.failed": {"source": "employment", "error_code": "source_timeout"},
    "dossier.checked": {"preset": "mortgage", "codes": ["salary_not_in_bank"]},
}


def make_event(kind: str = "consent.requested", **fields: Any) -> LedgerEvent:
    """A valid event of ``kind``, its subject sealed under ``KEY``; ``fields`` override the
    defaults, ``subject_key`` or ``subject_sealed`` replaces that part of the seal."""
    base: dict[str, Any] = {
        "event": kind,
        "at": AT,
        "session_id": "ses_01",
        "consent_id": "con_01",
        **DEFAULTS.get(kind, {}),
    }
    base.update(fields)
    # The time as an entry writes it (the seal is bound to that text): a bare erasure has it.
    at = LedgerEvent(event="data.erased", at=base["at"], subject_key=KEY_ID).at
    base["at"] = at
    base.setdefault("subject_key", KEY_ID)
    base.setdefault(
        "subject_sealed",
        seal_subject(
            KEY,
            SUBJECT,
            event=kind,
            at=at,
            session_id=base.get("session_id"),
            consent_id=base.get("consent_id"),
            key_id=KEY_ID,
        ),
    )
    return LedgerEvent.model_validate(base)
