"""The fiscal partner's own session: how it joins the applicant's, and what of it counts.

A couple's mortgage counts both incomes (``brondata.dossier._partner``), but the partner's
data are the partner's: they give their own consent and log in at their own sources, in a
session of their own that ``Gateway.start_partner`` opens from the applicant's collected
session. What holds:

* Only the fiscal partner the applicant's data name may join. The applicant's tax return
  (and register entry) name the partner's citizen service number; the applicant's delivered
  kinds keep it, as a digest, with the identities they answered for (``Identity
  .partner_digest``, the late-bank identity check's digests). The partner's session keeps
  that digest sealed (``PartnerLink.expected``; nothing of the applicant's own), and its
  collection delivers nothing unless the sources the partner logged in at answered for
  exactly that number: ``mismatch``, with the same ``identity_conflict`` the sources of one
  session are held to.
* The partner's session is the partner's own: never under the applicant's subject (their
  consent would be in the applicant's access report and erased with the applicant).
* Starting it is idempotent: the partner's session and consent ids derive from the
  applicant's session (under the store key), so a retry, or a call cut short between
  creating the partner's session and linking it, creates nothing twice (``session_ids``).
  A couple has that one partner's session: once it has ended (withdrawn, denied, erased,
  its consent's term over) it is not started again under the same ids (which the ledger
  holds already) but refused (``standing``: ``PartnerSessionEndedError``), and the couple
  starts a new application session.
* The applicant's session reads the partner's as it stands (``parts``): their delivered
  kinds' record digests and the decision inputs they give, only while both sessions name
  each other and the partner's consent stands, its term included (as of the gateway's
  clock, whether or not ``expire_due`` has swept it yet). The partner's values stay in the
  partner's session (sealed there, erased with the partner), never in the applicant's
  records, logs or errors; the applicant's decision record names the partner record's
  response digest.
* After the partner's collection, the applicant's computed outcomes are redone over it
  (``claim_refresh``: claimed like a collection; the checks again, with their
  ``dossier.checked``, and each decision whose inputs changed, superseding the earlier),
  once per state of the partner's data: the applicant's session notes what of it its
  outcomes last ran over (``cover``, ``PartnerLink.covered``), whichever collection
  computed them.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from brondata import flow
from brondata._session_store import PartnerLink, SecretBox, SessionRecord, SessionStore
from brondata.attributes import CATALOGUE
from brondata.connectors._base import Identity, combined_digest, identity_conflict
from brondata.dossier._partner import feeds, needs_partner, partner_parts
from brondata.dossier._run import kept_of
from brondata.errors import (
    NoFiscalPartnerError,
    PartnerMismatchError,
    PartnerSessionEndedError,
    RequestError,
    SessionNotFoundError,
    SessionStateError,
)
from brondata.flow import Step
from brondata.request import DataRequest, LegalBasis
from brondata.session import SessionEvent, SessionState, next_session_state

__all__ = [
    "claim_refresh",
    "cover",
    "covered",
    "expected_identity",
    "link",
    "mismatch",
    "partner_of",
    "partner_request",
    "parts",
    "session_ids",
    "standing",
]

#: How the partner's session names the applicant's data in an identity conflict.
_NAMED = "the applicant's data"


def partner_request(request: DataRequest, attributes: Sequence[str]) -> DataRequest:
    """The partner's request: the applicant's purpose, recipient and retention, on their own
    consent; ``attributes`` is what the partner's session releases itself (none by default)."""
    if not needs_partner(request):
        raise NoFiscalPartnerError("the request needs no fiscal partner's data")
    if any(CATALOGUE.require(a).decision for a in attributes):
        raise RequestError("a partner's session computes no decisions of its own")
    return DataRequest(
        purpose=request.purpose,
        legal_basis=LegalBasis.CONSENT,
        attributes=list(attributes),
        retention_days=request.retention_days,
        recipient=request.recipient,
        rules_year=request.rules_year,
        feeds=feeds(request),
    )


def session_ids(store_key: bytes, applicant: str) -> tuple[str, str]:
    """The partner's session and consent ids: the same for the same applicant's session
    (a retried start finds the session it made), not guessable without the store key."""

    def derived(what: str) -> str:
        digest = hmac.new(store_key, f"brondata partner {what}/{applicant}".encode(), "sha256")
        return str(uuid.UUID(bytes=digest.digest()[:16], version=4))

    return derived("session"), derived("consent")


def expected_identity(applicant: SessionRecord, box: SecretBox) -> dict[str, str]:
    """Who the applicant's delivered data name as fiscal partner, as a BSN digest (nothing
    of the applicant's own); ``NoFiscalPartnerError`` when they name none, or two who
    differ."""
    named: set[str] = set()
    for key, sealed in applicant.kinds.items():
        outcome = box.open(sealed, f"{applicant.id}/{key}/outcome")
        named |= {k["partner"] for k in outcome.get("identities", {}).values() if k.get("partner")}
    if len(named) != 1:
        raise NoFiscalPartnerError(
            f"session {applicant.id}: the data collected name "
            + ("no fiscal partner" if not named else "different fiscal partners")
        )
    return {"partner": named.pop()}


def link(record: SessionRecord, partner: str, now: datetime) -> Step:
    """The applicant's session names their partner's session (once)."""
    flow.check_result(record)
    if record.partner is not None:
        if record.partner.session_id != partner:  # pragma: no cover - ids are derived
            raise SessionStateError(f"session {record.id} has another partner's session")
        return Step(record)
    changed = {"partner": PartnerLink(session_id=partner), "updated_at": now}
    return Step(record.model_copy(update=changed))


def mismatch(
    record: SessionRecord, box: SecretBox, identities: Mapping[str, Identity]
) -> PartnerMismatchError | None:
    """For a partner's session: why the sources did not answer for the fiscal partner the
    applicant's data name (``None`` if they did, or for any other session)."""
    if record.joins is None or record.joins.expected is None:
        return None
    expected = box.open(record.joins.expected, f"{record.id}/joins")
    if not any(i.bsn_digest for i in identities.values()):
        return PartnerMismatchError(
            "no source of the partner's session answered with a citizen service number"
        )
    named = {**identities, _NAMED: Identity(bsn_digest=expected["partner"])}
    if identity_conflict(named) is not None:
        return PartnerMismatchError(
            "the person logged in is not the fiscal partner the applicant's data name"
        )
    return None


def _ended(partner: SessionRecord, now: datetime) -> bool:
    """Whether the partner's consent is over: denied, withdrawn, expired (the final states,
    which are never due), or its term ended before ``expire_due`` swept it."""
    return partner.due_at is None or now >= partner.consent_expires_at


def _joined(
    record: SessionRecord, partner: SessionRecord | None, now: datetime
) -> SessionRecord | None:
    """``partner`` if it and ``record`` name each other, it is collected and its consent
    stands at ``now``."""
    if partner is None or partner.joins is None or partner.joins.session_id != record.id:
        return None
    if record.partner is None or record.partner.session_id != partner.id:
        return None
    if partner.state is not SessionState.COLLECTED or _ended(partner, now):
        return None
    return partner


def standing(
    applicant: SessionRecord, partner: SessionRecord | None, now: datetime
) -> SessionRecord:
    """The partner's session of ``applicant`` (``None``: erased) if it has not ended; else
    ``PartnerSessionEndedError``: the couple starts a new application session."""
    if partner is None or _ended(partner, now):
        raise PartnerSessionEndedError(
            f"the fiscal partner's session of session {applicant.id} has ended (withdrawn, "
            "denied, erased or its consent's term over); start a new application session"
        )
    return partner


def partner_of(
    sessions: SessionStore, record: SessionRecord, now: datetime
) -> SessionRecord | None:
    """The partner's session of ``record`` if it counts at ``now`` (a store read: off the
    loop in async code)."""
    if record.partner is None:
        return None
    try:
        return _joined(record, sessions.get(record.partner.session_id), now)
    except SessionNotFoundError:
        return None  # the partner was erased


def parts(
    record: SessionRecord, partner: SessionRecord | None, box: SecretBox, now: datetime
) -> dict[str, dict[str, Any]]:
    """What the applicant's checks and decisions read of the partner's session at ``now``
    (its kinds delivered: record digests and decision inputs; ``brondata.dossier._partner``),
    nothing once its consent is over."""
    joined = _joined(record, partner, now)
    if joined is None:
        return {}
    opened = {k: box.open(s, f"{joined.id}/{k}/outcome") for k, s in joined.kinds.items()}
    # The applicant's own kept data: the birth date they name for the partner.
    own = {k: box.open(s, f"{record.id}/{k}/outcome") for k, s in record.kinds.items()}
    return partner_parts(kept_of({k: o for k, o in opened.items() if "record" in o}), kept_of(own))


def covered(partner_parts: Mapping[str, Mapping[str, Any]]) -> str | None:
    """One digest of the partner's parts: what the applicant's outcomes ran over."""
    if not partner_parts:
        return None
    return combined_digest({key: str(part["digest"]) for key, part in partner_parts.items()})


def cover(covered: str | None, record: SessionRecord) -> Step:
    """The applicant's computed outcomes ran over the partner's data ``covered`` names."""
    if record.partner is None or record.partner.covered == covered:
        return Step(record)
    link = record.partner.model_copy(update={"covered": covered})
    return Step(record.model_copy(update={"partner": link}))


def claim_refresh(
    record: SessionRecord, me: str, now: datetime, *, lease: timedelta, covered: str | None
) -> Step:
    """The applicant's collected session claimed to redo its computed outcomes over the
    partner's data ``covered`` names; nothing if they ran over those already (``cover``,
    written when they are computed). A collection cut short (its lease lapsed) is taken over
    as any collect would."""
    if record.state is SessionState.COLLECTING:
        return flow.claim_collection(record, me, now, lease=lease)
    if record.state is not SessionState.COLLECTED or record.partner is None:
        raise SessionStateError(f"session {record.id} is {record.state.value}: nothing to redo")
    if record.partner.covered == covered:
        return Step(record)
    if now >= record.consent_expires_at:
        raise SessionStateError(f"the consent of session {record.id} has ended")
    changes = {
        "state": next_session_state(record.state, SessionEvent.COLLECT),
        "updated_at": now,
        "collecting_since": now,
        "collector": me,
        "lease_until": now + lease,
    }
    return Step(record.model_copy(update=changes))
