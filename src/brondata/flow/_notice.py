"""The consent notice: its terms from a session, and its text in English and Dutch.

``terms_of`` makes the session's ``ConsentTerms`` (one definition, ``consent._terms``) from
the request, the instances chosen and the controller's settings the session was started
with (kept in it: another instance, or a redeploy with other settings, shows, hashes and
records the same terms); ``consent_view`` is what the
consumer reads, made from those terms; ``ConsentView.text`` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brondata._session_store import NoticeSettings, SessionRecord
from brondata.attributes import CATALOGUE
from brondata.consent._terms import ConsentTerms
from brondata.dossier import notice_lines, notice_terms
from brondata.dossier._run import DECISION_SOURCE
from brondata.errors import SessionStateError
from brondata.sources._kind import kind_of

__all__ = ["ConsentView", "NoticeSettings", "consent_view", "plan_of", "terms_of"]

_ENGLISH = {
    "asks": "{recipient} asks for the following data, with your consent.",
    "purpose": "Purpose",
    "basis": "Legal basis",
    "from": "From",
    "kept": "Kept for {days} days, stored in {where}.",
    "controller": "Controller",
    "withdraw": "Withdraw your consent at",
    "notice": "Notice",
}
_DUTCH = {
    "asks": "{recipient} vraagt met uw toestemming de volgende gegevens.",
    "purpose": "Doel",
    "basis": "Grondslag",
    "from": "Van",
    "kept": "Bewaard gedurende {days} dagen, opgeslagen in {where}.",
    "controller": "Verwerkingsverantwoordelijke",
    "withdraw": "Trek uw toestemming in via",
    "notice": "Kennisgeving",
}


def plan_of(record: SessionRecord) -> dict[str, list[str]]:
    """Per source kind, the attributes asked: what the consumer consents to. Which
    instances (banks) deliver them is the consumer's choice and not part of the consent."""
    plan: dict[str, list[str]] = {}
    for instance, progress in record.sources.items():
        plan.setdefault(kind_of(instance), list(progress.attributes))
    return plan


def terms_of(record: SessionRecord, settings: NoticeSettings | None = None) -> ConsentTerms:
    """The terms of the session's consent: its request, its plan and the controller's side
    it was started with (``record.notice``). ``settings`` (the gateway's now) stand in only
    for a session stored before sessions kept their notice."""
    settings = record.notice or settings
    if settings is None:
        raise SessionStateError(f"session {record.id} keeps no notice and none was given")
    request = record.request
    plan = tuple((kind, tuple(names)) for kind, names in plan_of(record).items())
    if request.decisions:  # computed by the gateway, released like any attribute
        plan += ((DECISION_SOURCE, request.decisions),)
    if request.feeds:  # a partner's: the applicant's decisions computed with their data
        plan += ((DECISION_SOURCE, request.feeds),)
    return ConsentTerms(
        consent_id=record.consent_id,
        purpose=request.purpose.term,
        purpose_text=request.purpose.text,
        legal_basis=request.legal_basis.value,
        recipient=request.recipient,
        retention_days=request.retention_days,
        plan=plan,
        categories=tuple(
            sorted({CATALOGUE[a].category for a in (*request.attributes, *(request.feeds or ()))})
        ),
        controller=settings.controller,
        controller_contact=settings.controller_contact,
        storage_location=settings.storage_location,
        notice_language=settings.notice_language,
        withdrawal_method=settings.withdrawal_method,
        dossier=notice_terms(request),
    )


@dataclass(frozen=True, slots=True)
class ConsentView:
    """What the consumer is shown before saying yes or no. Its hash goes into the ledger."""

    session_id: str
    consent_id: str
    purpose: str
    purpose_text: str
    legal_basis: str
    recipient: str
    retention_days: int
    #: source -> [(attribute name, English description, Dutch description)]
    sources: dict[str, list[tuple[str, str, str]]]
    notice_hash: str
    controller: str
    controller_contact: str
    withdrawal_method: str
    storage_location: str
    notice_language: str
    #: The facts, decisions and checks of the request, per language ("en", "nl").
    dossier_lines: dict[str, list[str]] = field(default_factory=dict)

    def text(self, language: str | None = None) -> str:
        """The notice as the consumer reads it, in English or Dutch (``"nl"``)."""
        dutch = (language or self.notice_language).startswith("nl")
        label = _DUTCH if dutch else _ENGLISH
        lines = [
            label["asks"].format(recipient=self.recipient),
            f"{label['purpose']}: {self.purpose_text} ({self.purpose})",
            f"{label['basis']}: {self.legal_basis}",
        ]
        for source, rows in self.sources.items():
            lines.append(f"{label['from']} {source}:")
            lines += [f"  - {nl if dutch else en} ({name})" for name, en, nl in rows]
        lines += self.dossier_lines.get("nl" if dutch else "en", [])
        lines += [
            label["kept"].format(days=self.retention_days, where=self.storage_location),
            f"{label['controller']}: {self.controller} ({self.controller_contact})",
            f"{label['withdraw']}: {self.withdrawal_method}",
            f"{label['notice']}: {self.notice_hash}",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "consent_id": self.consent_id,
            "purpose": self.purpose,
            "purpose_text": self.purpose_text,
            "legal_basis": self.legal_basis,
            "recipient": self.recipient,
            "retention_days": self.retention_days,
            "sources": {
                source: [{"name": n, "en": en, "nl": nl} for n, en, nl in rows]
                for source, rows in self.sources.items()
            },
            "notice_hash": self.notice_hash,
            "controller": self.controller,
            "controller_contact": self.controller_contact,
            "withdrawal_method": self.withdrawal_method,
            "storage_location": self.storage_location,
            "notice_language": self.notice_language,
            **({"dossier_lines": self.dossier_lines} if self.dossier_lines else {}),
        }


def consent_view(record: SessionRecord, terms: ConsentTerms) -> ConsentView:
    """What the consumer of ``record`` is shown, from the consent's ``terms``."""
    return ConsentView(
        session_id=record.id,
        consent_id=record.consent_id,
        purpose=terms.purpose,
        purpose_text=terms.purpose_text,
        legal_basis=terms.legal_basis,
        recipient=terms.recipient,
        retention_days=terms.retention_days,
        sources={
            kind: [(n, CATALOGUE[n].description_en, CATALOGUE[n].description_nl) for n in names]
            for kind, names in terms.plan
        },
        notice_hash=record.notice_hash,
        controller=terms.controller,
        controller_contact=terms.controller_contact,
        withdrawal_method=terms.withdrawal_method,
        storage_location=terms.storage_location,
        notice_language=terms.notice_language,
        dossier_lines={
            language: lines
            for language in ("en", "nl")
            if (lines := notice_lines(record.request, language))
        },
    )
