"""Consent records (ISO/IEC TS 27560 fields, DPV terms) rebuilt from the ledger, and Kantara
Consent Receipts (v1.1) made from them.

A ``ConsentRecord`` is not stored anywhere: the consent events of the ledger hold every field
(``consent.requested``, ``consent.given`` and ``consent.renewed`` carry the terms), and
``consent_record_from_ledger`` folds them into the record as it stands after the last one.
The lifecycle is the one consent table (``brondata.session.CONSENT_TRANSITIONS``), which the
audit folds with too: a renewal revives a given or expired consent, never a denied or
withdrawn one; an event the table has no row for changes nothing.

Kantara v1.1 mapping (``kantara_receipt``), where the receipt's vocabulary is open text:

* ``purposes[].purpose`` the sentence the consumer read; ``purposeCategory`` the DPV purpose
  term (``dpv:CreditChecking``), machine-readable where Kantara suggests free labels;
* ``consentType`` ``EXPLICIT`` for the legal basis ``dpv:Consent``, else ``N/A`` (as the
  specification's own example does for a legal obligation); the DPV legal basis term also
  goes into ``purposeCategory``;
* ``piiCategory`` the DPV-PD categories (``dpv-pd:Income``); ``sensitive`` and ``spiCat``
  the special categories of art. 9 and 10 GDPR and the national identification number
  (art. 87 GDPR, art. 46 UAVG) among them;
* ``termination`` the retention and the withdrawal method; ``thirdPartyDisclosure`` whether
  a recipient other than the controller receives the records, and ``thirdPartyName`` who;
* ``piiPrincipalId`` the subject pseudonym (the controller's key to the person); a receipt
  of an erased subject cannot be made;
* ``consentTimestamp`` when consent was (last) given; ``consentReceiptID`` a UUID derived from
  the consent and that time, so the same consent state always gets the same receipt id;
* ``policyUrl`` the controller's notice; without one, a URN naming the hash of the notice
  the consumer saw.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from brondata._inputs import TypedModel
from brondata.consent._events import LedgerEvent
from brondata.consent._terms import TERM_FIELDS
from brondata.errors import ConsentNotFoundError, ConsentRecordError, SubjectErasedError
from brondata.session import ConsentState, next_consent_state

if TYPE_CHECKING:
    from brondata.consent._log import ConsentLog

__all__ = [
    "ConsentRecord",
    "ConsentState",
    "Controller",
    "PurposeTerm",
    "StateChange",
    "consent_record_from_ledger",
    "kantara_receipt",
]

KANTARA_VERSION: Final = "KI-CR-v1.1.0"
_RECEIPT_NAMESPACE: Final = uuid.UUID("5b0f9a3e-61c4-4d0e-9d53-2f1b6c7a8e41")

# Special categories (art. 9, 10 GDPR) and the national identification number: the DPV-PD
# terms for which a receipt says "sensitive".
SENSITIVE_CATEGORIES: Final = frozenset(
    {
        "dpv-pd:NationalIdentificationNumber",
        "dpv-pd:Biometric",
        "dpv-pd:Criminal",
        "dpv-pd:CriminalConviction",
        "dpv-pd:CriminalOffense",
        "dpv-pd:EthnicOrigin",
        "dpv-pd:Genetic",
        "dpv-pd:HealthRecord",
        "dpv-pd:Health",
        "dpv-pd:PoliticalAffiliation",
        "dpv-pd:PoliticalOpinion",
        "dpv-pd:Racial",
        "dpv-pd:Religion",
        "dpv-pd:ReligiousBelief",
        "dpv-pd:SexualOrientation",
        "dpv-pd:TradeUnionMembership",
    }
)


class Controller(TypedModel):
    """The data controller. The ledger holds ``name`` and ``contact``; the postal and phone
    details a Kantara receipt asks for come from the controller's configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    input_error = ConsentRecordError

    name: str
    contact: str | None = None
    email: str | None = None
    phone: str | None = None
    address: dict[str, str] = Field(default_factory=dict)
    url: str | None = None


class PurposeTerm(BaseModel):
    """One purpose: its DPV term and the sentence the consumer read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    term: str
    text: str | None = None


class StateChange(BaseModel):
    """One step of the consent's lifecycle, with the ledger entry that recorded it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: ConsentState
    at: str
    index: int


class ConsentRecord(BaseModel):
    """One consent as the ledger says it stands: the DPV / ISO/IEC TS 27560 fields.

    ``subject`` is the pseudonym, or ``None`` once the subject was erased (``subject_erased``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    consent_id: str
    session_id: str
    subject: str | None
    subject_key: str | None
    subject_erased: bool
    controller: Controller | None
    purposes: tuple[PurposeTerm, ...]
    legal_basis: str | None
    personal_data_categories: tuple[str, ...]
    attributes: tuple[str, ...]
    sources: tuple[str, ...]
    recipients: tuple[str, ...]
    retention_days: int | None
    storage_location: str | None
    withdrawal_method: str | None
    notice_hash: str | None
    notice_language: str | None
    state: ConsentState
    state_time: str
    given_at: str | None = Field(description="when consent was last given or renewed")
    history: tuple[StateChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(slots=True)
class ConsentFold:
    """The consent events of one consent, folded in log order into a ``ConsentRecord``."""

    consent_id: str
    session_id: str = ""
    subject_key: str | None = None
    subject: str | None = None
    terms: dict[str, Any] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    history: list[StateChange] = field(default_factory=list)
    given_at: str | None = None

    @property
    def state(self) -> ConsentState | None:
        return self.history[-1].state if self.history else None

    def add(self, index: int, event: LedgerEvent, subject: str | None) -> None:
        """Take one entry of this consent; ``subject`` is its opened pseudonym, if readable."""
        self.session_id = self.session_id or (event.session_id or "")
        self.subject_key = self.subject_key or event.subject_key
        self.subject = self.subject or subject
        kind = event.event
        if kind == "data.delivered":
            self._recipient(event.recipient)
            return
        moved = next_consent_state(self.state or "requested", kind)
        if moved is None:
            return  # not a consent event, or one the lifecycle refuses: nothing moves
        if kind in ("consent.requested", "consent.given", "consent.renewed"):
            for name in TERM_FIELDS:
                value = getattr(event, name)
                if value is not None:
                    self.terms[name] = value
            self._recipient(event.recipient)
            if kind != "consent.requested":
                self.given_at = event.at
        self._to(moved, event.at, index)

    def _recipient(self, name: str | None) -> None:
        if name is not None and name not in self.recipients:
            self.recipients.append(name)

    def _to(self, state: ConsentState, at: str, index: int) -> None:
        self.history.append(StateChange(state=state, at=at, index=index))

    def record(self, *, subject_erased: bool) -> ConsentRecord:
        if not self.history:
            raise ConsentRecordError(f"consent {self.consent_id} has no consent event")
        t = self.terms
        controller = None
        if "controller" in t:
            controller = Controller(name=t["controller"], contact=t.get("controller_contact"))
        purposes = (
            (PurposeTerm(term=t["purpose"], text=t.get("purpose_text")),) if "purpose" in t else ()
        )
        last = self.history[-1]
        return ConsentRecord(
            consent_id=self.consent_id,
            session_id=self.session_id,
            subject=None if subject_erased else self.subject,
            subject_key=self.subject_key,
            subject_erased=subject_erased,
            controller=controller,
            purposes=purposes,
            legal_basis=t.get("legal_basis"),
            personal_data_categories=tuple(t.get("categories", ())),
            attributes=tuple(t.get("attributes", ())),
            sources=tuple(t.get("sources", ())),
            recipients=tuple(self.recipients),
            retention_days=t.get("retention_days"),
            storage_location=t.get("storage_location"),
            withdrawal_method=t.get("withdrawal_method"),
            notice_hash=t.get("notice_hash"),
            notice_language=t.get("notice_language"),
            state=last.state,
            state_time=last.at,
            given_at=self.given_at,
            history=tuple(self.history),
        )


def fold_consent(
    log: ConsentLog, consent_id: str, entries: Iterable[tuple[int, LedgerEvent]]
) -> ConsentRecord:
    """Fold ``entries`` (index, event) of one consent into its record, opening the subject
    with ``log``'s keyring while the key exists."""
    fold = ConsentFold(consent_id)
    seen = False
    for index, event in entries:
        seen = True
        subject = None if fold.subject is not None else log.subject_of(event)
        fold.add(index, event, subject)
    if not seen:
        raise ConsentNotFoundError(f"the ledger has no entry of consent {consent_id}")
    erased = (
        fold.subject is None
        and fold.subject_key is not None
        and log.keyring.key(fold.subject_key) is None
    )
    return fold.record(subject_erased=erased)


def consent_record_from_ledger(log: ConsentLog, consent_id: str) -> ConsentRecord:
    """The record of ``consent_id`` as the ledger says it stands now (a scan of the log)."""
    entries = log.entries_of_consent(consent_id)
    return fold_consent(log, consent_id, ((entry.index, event) for entry, event in entries))


def _epoch(at: str) -> int:
    return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())


def kantara_receipt(
    record: ConsentRecord,
    *,
    jurisdiction: str = "NL",
    controller: Controller | None = None,
    policy_url: str | None = None,
    collection_method: str = "brondata consent screen: explicit opt-in before any login",
    service: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """A Kantara Consent Receipt v1.1 of ``record`` (see the module docstring for the mapping).

    ``controller`` gives the details the ledger does not hold (address, email, phone); by
    default the record's own controller. Raises ``SubjectErasedError`` for an erased subject
    and ``ConsentRecordError`` for a consent that was never given.
    """
    if record.subject is None:
        raise SubjectErasedError(
            f"the subject of consent {record.consent_id} was erased: no receipt can name them"
        )
    if record.given_at is None:
        raise ConsentRecordError(f"consent {record.consent_id} was never given")
    who = controller or record.controller
    if who is None:
        raise ConsentRecordError(
            f"consent {record.consent_id} names no controller: pass controller="
        )
    categories = list(record.personal_data_categories)
    sensitive = sorted(c for c in categories if c in SENSITIVE_CATEGORIES)
    third_parties = [r for r in record.recipients if r != who.name]
    termination = (
        f"{record.retention_days} days after delivery"
        if record.retention_days is not None
        else "at the end of the service"
    )
    if record.withdrawal_method:
        termination += f", or earlier on withdrawal: {record.withdrawal_method}"
    explicit = record.legal_basis in (None, "dpv:Consent")
    basis = [record.legal_basis] if record.legal_basis else []
    purposes: list[dict[str, Any]] = []
    for i, purpose in enumerate(record.purposes):
        entry: dict[str, Any] = {
            "purpose": purpose.text or purpose.term,
            "purposeCategory": [purpose.term, *basis],
            "consentType": "EXPLICIT" if explicit else "N/A",
            "piiCategory": categories,
            "primaryPurpose": i == 0,
            "termination": termination,
            "thirdPartyDisclosure": bool(third_parties),
        }
        if third_parties:
            entry["thirdPartyName"] = ", ".join(third_parties)
        purposes.append(entry)
    receipt_id = uuid.uuid5(_RECEIPT_NAMESPACE, f"{record.consent_id}/{record.given_at}")
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": jurisdiction,
        "consentTimestamp": _epoch(record.given_at),
        "collectionMethod": collection_method,
        "consentReceiptID": str(receipt_id),
        "language": language or record.notice_language or "nl",
        "piiPrincipalId": record.subject,
        "piiControllers": [
            {
                "piiController": who.name,
                "contact": who.contact or who.email or who.name,
                "address": dict(who.address),
                "email": who.email or (who.contact if who.contact and "@" in who.contact else ""),
                "phone": who.phone or "",
                **({"piiControllerUrl": who.url} if who.url else {}),
            }
        ],
        "policyUrl": policy_url or who.url or f"urn:brondata:notice:{record.notice_hash or 'none'}",
        "services": [
            {
                "service": service
                or (record.purposes[0].text if record.purposes else who.name)
                or who.name,
                "purposes": purposes,
            }
        ],
        "sensitive": bool(sensitive),
        "spiCat": sensitive,
    }
