"""The terms of one consent, defined once: what the consumer is shown and agrees to.

``ConsentTerms`` feeds everything that states the terms: the notice whose hash binds the
consent to the text shown (``notice`` and ``notice_hash``), the consent view the consumer
reads (``brondata.flow.consent_view``), the terms fields of the ledger's consent events
(``event_fields``; which of them an event requires is ``REQUIRED_TERMS``, which it may carry
``RECORD_TERMS``) and the consent record folded back from those events
(``consent._records``, over ``TERM_FIELDS``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from brondata._canonical import canonical_json

__all__ = ["RECORD_TERMS", "REQUIRED_TERMS", "TERM_FIELDS", "ConsentTerms"]

#: The terms every ``consent.requested`` and ``consent.given`` event carries.
REQUIRED_TERMS: Final = frozenset(
    {"purpose", "legal_basis", "attributes", "sources", "recipient", "retention_days"}
)
#: The rest of a DPV consent record: optional in an event, so that a ledger written before
#: they existed still reads; an event that has them holds the whole consent record.
RECORD_TERMS: Final = frozenset(
    {
        "purpose_text",
        "notice_hash",
        "notice_language",
        "controller",
        "controller_contact",
        "categories",
        "storage_location",
        "withdrawal_method",
    }
)
#: Every terms field of a consent event, in the order a consent record lists them.
TERM_FIELDS: Final = (
    "purpose",
    "purpose_text",
    "legal_basis",
    "attributes",
    "sources",
    "recipient",
    "retention_days",
    "notice_hash",
    "notice_language",
    "controller",
    "controller_contact",
    "categories",
    "storage_location",
    "withdrawal_method",
)
assert frozenset(TERM_FIELDS) == REQUIRED_TERMS | RECORD_TERMS


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What one consent asks, why, of whom, for how long, and who answers for it."""

    consent_id: str
    purpose: str  # the DPV purpose term
    purpose_text: str  # the sentence the consumer reads
    legal_basis: str  # the DPV legal basis term
    recipient: str
    retention_days: int
    #: Per source kind, the attribute names asked of it (instances are not part of it).
    plan: tuple[tuple[str, tuple[str, ...]], ...]
    #: The DPV-PD categories of the attributes asked.
    categories: tuple[str, ...]
    controller: str
    controller_contact: str
    storage_location: str
    notice_language: str
    withdrawal_method: str
    #: The application's facts, the decisions (with rule versions) and the checks the
    #: request asks (``brondata.dossier.notice_terms``); empty when it asks none, and then
    #: not in the notice, so such a notice hashes as it always did.
    dossier: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[str, ...]:
        """The source kinds asked, in the request's order."""
        return tuple(kind for kind, _ in self.plan)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(name for _, names in self.plan for name in names)

    def notice(self) -> dict[str, Any]:
        """Everything the consumer is shown; its hash binds the consent to exactly this."""
        return {
            "consent_id": self.consent_id,
            "purpose": self.purpose,
            "purpose_text": self.purpose_text,
            "legal_basis": self.legal_basis,
            "recipient": self.recipient,
            "retention_days": self.retention_days,
            "sources": {kind: list(names) for kind, names in self.plan},
            "controller": self.controller,
            "controller_contact": self.controller_contact,
            "storage_location": self.storage_location,
            "notice_language": self.notice_language,
            "withdrawal_method": self.withdrawal_method,
            **({"dossier": dict(self.dossier)} if self.dossier else {}),
        }

    def notice_hash(self) -> str:
        """``sha-256:<hex>`` of the notice's RFC 8785 canonical JSON."""
        return "sha-256:" + hashlib.sha256(canonical_json(self.notice())).hexdigest()

    def event_fields(self, *, notice_hash: str) -> dict[str, Any]:
        """The terms fields of a ``consent.requested`` or ``consent.given`` event, with the
        ``notice_hash`` the session holds (of the notice as it was shown)."""
        fields = {
            "purpose": self.purpose,
            "purpose_text": self.purpose_text,
            "legal_basis": self.legal_basis,
            "attributes": self.attributes,
            "sources": self.sources,
            "recipient": self.recipient,
            "retention_days": self.retention_days,
            "notice_hash": notice_hash,
            "categories": self.categories,
            "controller": self.controller,
            "controller_contact": self.controller_contact,
            "storage_location": self.storage_location,
            "notice_language": self.notice_language,
            "withdrawal_method": self.withdrawal_method,
        }
        assert set(fields) == set(TERM_FIELDS)
        return fields
