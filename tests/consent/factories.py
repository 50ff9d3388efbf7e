"""Event factories shared by the consent tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from brondata.consent import LedgerEvent

EventFactory = Callable[..., LedgerEvent]

AT = "2026-03-01T09:30:00Z"


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
}


def make_event(kind: str = "consent.requested", **fields: Any) -> LedgerEvent:
    """A valid event of ``kind``; ``fields`` override the defaults."""
    base: dict[str, Any] = {
        "event": kind,
        "at": AT,
        "session_id": "ses_01",
        "consent_id": "con_01",
        "subject": "psn_7f3a9c",
        **DEFAULTS.get(kind, {}),
    }
    base.update(fields)
    return LedgerEvent.model_validate(base)
