"""The session's steps as pure functions: (session, step input, now) -> (session, events).

No step here reads a clock, draws a random number, opens a socket or a store: the time, the
ids and whatever I/O brought (a sealed grant, a response digest, a signed record's digest)
are passed in, and a step returns a ``Step``, the new session record and the ledger events
to append with it. A step the tables (``brondata.session``) refuse raises the typed error and
changes nothing. The ``Gateway`` is the driver: it loads the session, does the I/O a step
needs (connectors, signing), calls the step and commits what it returns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from brondata._inputs import same_secret
from brondata._session_store import PendingEvent, SessionRecord, SourceProgress
from brondata.consent._events import EventType, _format_at
from brondata.errors import (
    AuthorizationDeniedError,
    BrondataError,
    ConsentDeniedError,
    SessionStateError,
    UnknownSourceError,
)
from brondata.flow._notice import NoticeSettings, plan_of, terms_of
from brondata.request import DataRequest
from brondata.session import (
    SessionEvent,
    SessionState,
    SourceState,
    next_session_state,
    next_source_state,
)
from brondata.sources._kind import kind_of

__all__ = [
    "GIVEN",
    "RENEWAL_WINDOW",
    "CallbackSeen",
    "Step",
    "add_source",
    "callback_seen",
    "check_callback",
    "check_collecting",
    "check_login",
    "check_result",
    "claim_callback",
    "claim_collection",
    "close_late_window",
    "delivered_event",
    "deny_consent",
    "event",
    "expire",
    "finish_collection",
    "give_consent",
    "grants_held",
    "instance_of",
    "kind_outcome",
    "late_window_closed",
    "login_completed",
    "login_refused",
    "login_started",
    "refusal",
    "release_callback",
    "release_lease",
    "renew",
    "renew_lease",
    "retry",
    "source_failed",
    "source_fetched",
    "start",
    "withdraw",
]

#: A renewal within this time of the last one is that renewal again (a double submit).
RENEWAL_WINDOW: Final = timedelta(seconds=60)
#: The states in which the consent is given (and a second ``give_consent`` a no-op).
GIVEN: Final = (SessionState.CONSENTED, SessionState.COLLECTING, SessionState.COLLECTED)
_ENDED: Final = (SessionState.DENIED, SessionState.WITHDRAWN, SessionState.EXPIRED)


@dataclass(frozen=True, slots=True)
class Step:
    """What a step came to: the session as it is now, and the ledger events it appends."""

    record: SessionRecord
    events: tuple[PendingEvent, ...] = ()


def event(kind: EventType, now: datetime, **fields: Any) -> PendingEvent:
    """A ledger event of the session, at ``now`` (RFC 3339 UTC, as the ledger writes it)."""
    return PendingEvent(event=kind, at=_format_at(now), fields=fields)


def _moved(
    record: SessionRecord, event_: SessionEvent, now: datetime, **changes: Any
) -> SessionRecord:
    state = next_session_state(record.state, event_)
    return record.model_copy(update={"state": state, "updated_at": now, **changes})


def _source_moved(
    record: SessionRecord, source: str, event_: SessionEvent, **changes: Any
) -> SessionRecord:
    progress = record.sources[source]
    state = next_source_state(source, progress.state, event_)
    return _source_changed(record, source, state=state, **changes)


def _source_changed(record: SessionRecord, source: str, **changes: Any) -> SessionRecord:
    sources = dict(record.sources)
    sources[source] = sources[source].model_copy(update=changes)
    return record.model_copy(update={"sources": sources})


def _check_not_expired(record: SessionRecord, now: datetime) -> None:
    if now >= record.consent_expires_at:
        raise SessionStateError(
            f"the consent of session {record.id} expired at "
            f"{record.consent_expires_at.isoformat()}; start a new session"
        )


def _check_notice(shown: str | None, record: SessionRecord) -> None:
    if shown is not None and not same_secret(shown, record.notice_hash):
        raise ConsentDeniedError("the consent notice changed after it was shown")


def _without_secrets(record: SessionRecord) -> SessionRecord:
    """The session without grants, answers or records: nothing more is covered."""
    sources = {
        s: p.model_copy(update={"sealed": None, "fetched": None}) for s, p in record.sources.items()
    }
    return record.model_copy(update={"sources": sources, "kinds": {}, "late_sources_until": None})


# --- consent --------------------------------------------------------------------------------


def start(
    *,
    session_id: str,
    consent_id: str,
    subject: str,
    request: DataRequest,
    plan: Mapping[str, Sequence[str]],
    holder_jwk: dict[str, str] | None,
    now: datetime,
    consent_ttl: timedelta,
    settings: NoticeSettings,
) -> Step:
    """A new session asking ``plan`` (instance -> attributes), with its ``consent.requested``."""
    draft = SessionRecord(
        id=session_id,
        consent_id=consent_id,
        subject=subject,
        request=request,
        created_at=now,
        updated_at=now,
        consent_expires_at=now + consent_ttl,
        notice_hash="",
        notice=settings,
        sources={s: SourceProgress(attributes=tuple(a)) for s, a in plan.items()},
        holder_jwk=holder_jwk,
    )
    terms = terms_of(draft, settings)
    notice_hash = terms.notice_hash()
    record = draft.model_copy(update={"notice_hash": notice_hash})
    requested = event("consent.requested", now, **terms.event_fields(notice_hash=notice_hash))
    return Step(record, (requested,))


def give_consent(
    record: SessionRecord,
    now: datetime,
    *,
    settings: NoticeSettings | None = None,
    notice_hash: str | None,
) -> Step:
    """The consumer agrees to the notice ``notice_hash`` names (if given); a consent given
    already is the same step again: nothing changes. The terms recorded are the session's
    own (``terms_of``; ``settings`` only for a session stored without them)."""
    _check_notice(notice_hash, record)
    if record.state in GIVEN:
        return Step(record)
    updated = _moved(record, SessionEvent.GIVE_CONSENT, now)
    _check_not_expired(record, now)
    terms = terms_of(record, settings).event_fields(notice_hash=record.notice_hash)
    return Step(updated, (event("consent.given", now, **terms),))


def deny_consent(record: SessionRecord, now: datetime) -> Step:
    if record.state is SessionState.DENIED:
        return Step(record)
    updated = _moved(record, SessionEvent.DENY_CONSENT, now)
    return Step(updated, (event("consent.denied", now, notice_hash=record.notice_hash),))


def withdraw(record: SessionRecord, now: datetime) -> Step:
    """The consent withdrawn; the session keeps no grant, answer or record after it."""
    if record.state is SessionState.WITHDRAWN:
        return Step(record)
    updated = _moved(record, SessionEvent.WITHDRAW, now)
    return Step(_without_secrets(updated), (event("consent.withdrawn", now),))


def expire(record: SessionRecord, now: datetime) -> Step:
    updated = _moved(record, SessionEvent.EXPIRE, now)
    return Step(_without_secrets(updated), (event("consent.expired", now),))


def renew(
    record: SessionRecord,
    now: datetime,
    *,
    consent_ttl: timedelta,
    notice_hash: str | None,
    window: timedelta = RENEWAL_WINDOW,
) -> Step:
    """A new term: the login window before collection, the retention after it.

    A renewal within ``window`` of the last one is the same renewal (a form submitted
    twice, a retried request): the session is returned as it is and nothing is appended.
    A consent whose term has ended cannot be renewed (``SessionStateError``): it expires."""
    updated = _moved(record, SessionEvent.RENEW, now)
    _check_notice(notice_hash, record)
    if record.renewed_at is not None and now - record.renewed_at < window:
        return Step(record)
    _check_not_expired(record, now)
    term = (
        consent_ttl
        if record.state is SessionState.CONSENTED
        else timedelta(days=record.request.retention_days)
    )
    renewed = event("consent.renewed", now, notice_hash=record.notice_hash)
    changes = {"consent_expires_at": now + term, "renewed_at": now}
    return Step(updated.model_copy(update=changes), (renewed,))


def grants_held(record: SessionRecord) -> list[str]:
    """The instances whose grant the session still holds: to revoke on withdrawal, expiry
    or erasure, or when a new login replaces it."""
    return [
        s
        for s, p in record.sources.items()
        if p.state is SourceState.AUTHORISED and p.sealed is not None
    ]


# --- sources and logins ---------------------------------------------------------------------


def instance_of(record: SessionRecord, source: str) -> str:
    """The session's instance ``source`` names: its id, or a kind the session uses one
    instance of (``"bank"`` for a session with one bank)."""
    if isinstance(source, str) and source in record.sources:
        return source
    same_kind = [s for s in record.sources if kind_of(s) == source]
    if len(same_kind) == 1:
        return same_kind[0]
    raise SessionStateError(
        f"session {record.id} does not need source {source!r} (it uses {', '.join(record.sources)})"
    )


def add_source(
    record: SessionRecord, instance: str, now: datetime, *, configured: Collection[str]
) -> Step:
    """Another instance of a kind the session asks (a second bank), before collection or
    after it (the dossier checks found the salary at another bank): then the session takes
    logins again, like a retry, and the next collection merges the new instance into its
    kind's record, which it supersedes (see the collector). After a collection only until
    its window for late sources closes (``late_sources_until``); then ``SessionStateError``
    and nothing changes."""
    if record.state not in (SessionState.CREATED, SessionState.CONSENTED, SessionState.COLLECTED):
        raise SessionStateError(f"cannot add a source to a session that is {record.state.value}")
    if instance not in configured:
        raise UnknownSourceError(instance, list(configured), what="source instance")
    plan = plan_of(record)
    kind = kind_of(instance)
    if kind not in plan:
        raise SessionStateError(
            f"session {record.id} asks nothing of a {kind} source (it asks of {', '.join(plan)})"
        )
    if instance in record.sources:
        return Step(record)
    if record.state is SessionState.COLLECTED or record.kinds:
        _check_late_window(record, now)
    if record.state is SessionState.COLLECTED:
        _check_not_expired(record, now)
        record = _moved(record, SessionEvent.RETRY, now)
    sources = {**record.sources, instance: SourceProgress(attributes=tuple(plan[kind]))}
    return Step(record.model_copy(update={"sources": sources, "updated_at": now}))


def check_login(record: SessionRecord, source: str, now: datetime) -> str:
    """The instance a login may start at now (before its I/O), or the typed refusal: also
    for an instance whose data could no longer join its kind's record (``_check_joins``),
    before a login the consumer would go through for nothing."""
    next_session_state(record.state, SessionEvent.START_LOGIN)
    _check_not_expired(record, now)
    instance = instance_of(record, source)
    next_source_state(instance, record.sources[instance].state, SessionEvent.START_LOGIN)
    _check_joins(record, instance, now)
    return instance


def login_started(record: SessionRecord, instance: str, sealed: str, now: datetime) -> Step:
    """The login's secrets (sealed) kept; a callback seen before is forgotten."""
    updated = _source_moved(
        record, instance, SessionEvent.START_LOGIN, sealed=sealed, error=None, callback=None
    )
    return Step(updated.model_copy(update={"updated_at": now}))


CallbackSeen = Literal["new", "authorised", "refused", "in_flight"]


def callback_seen(record: SessionRecord, instance: str, digest: str) -> CallbackSeen:
    """What became of the callback ``digest`` names: not seen (``new``), its code exchanged
    (``authorised``), refused, or being exchanged by another call (``in_flight``)."""
    progress = record.sources[instance]
    if progress.callback != digest:
        return "new"
    if progress.state in (SourceState.AUTHORISED, SourceState.COLLECTED):
        return "authorised"
    if progress.state is SourceState.FAILED and progress.error is not None:
        return "refused"
    return "in_flight"


def refusal(record: SessionRecord, instance: str) -> AuthorizationDeniedError:
    error = record.sources[instance].error or {}
    return AuthorizationDeniedError(error.get("message", "refused"))


def check_callback(record: SessionRecord, instance: str, now: datetime) -> None:
    """Whether a callback may complete ``instance``'s login now (before any I/O)."""
    next_session_state(record.state, SessionEvent.COMPLETE_LOGIN)
    _check_not_expired(record, now)
    next_source_state(instance, record.sources[instance].state, SessionEvent.COMPLETE_LOGIN)


def claim_callback(record: SessionRecord, instance: str, digest: str) -> Step:
    """The callback claimed: the one call that wins this write exchanges its code."""
    return Step(_source_changed(record, instance, callback=digest))


def release_callback(record: SessionRecord, instance: str) -> Step:
    """The claim given up (the code was not exchanged): the consumer may still finish."""
    if record.sources[instance].callback is None:
        return Step(record)
    return Step(_source_changed(record, instance, callback=None))


def _check_claim(record: SessionRecord, instance: str, callback: str, now: datetime) -> None:
    """That the session can still take the outcome of the callback ``callback`` claimed:
    the consent stands, its term has not ended, and no other login replaced the claim."""
    check_callback(record, instance, now)
    if record.sources[instance].callback != callback:
        raise SessionStateError(f"{instance}: the login was started again meanwhile")


def login_completed(
    record: SessionRecord,
    instance: str,
    sealed: str,
    now: datetime,
    *,
    callback: str | None = None,
) -> Step:
    """The code exchanged: the grant (sealed) kept, ``login.completed``. With ``callback``
    (the claim's digest) the session is first checked to still take it (``SessionStateError``
    if withdrawn, expired or started again meanwhile: the grant is then to be revoked)."""
    if callback is not None:
        _check_claim(record, instance, callback, now)
    updated = _source_moved(record, instance, SessionEvent.COMPLETE_LOGIN, sealed=sealed)
    updated = updated.model_copy(update={"updated_at": now})
    return Step(updated, (event("login.completed", now, source=instance),))


def login_refused(
    record: SessionRecord,
    instance: str,
    error: BrondataError,
    now: datetime,
    *,
    callback: str | None = None,
) -> Step:
    """The consumer or the source said no: the source failed, ``data.failed``. With
    ``callback`` (the claim's digest) a session that moved on meanwhile (withdrawn, another
    login started) is left as it is."""
    if callback is not None:
        try:
            _check_claim(record, instance, callback, now)
        except SessionStateError:
            return Step(record)
    updated = _source_moved(
        record, instance, SessionEvent.FAIL_LOGIN, sealed=None, error=error.to_dict()
    )
    updated = updated.model_copy(update={"updated_at": now})
    return Step(updated, (event("data.failed", now, source=instance, error_code=error.code),))


def _late_window_open(record: SessionRecord, now: datetime) -> bool:
    """Whether a source joining after a collection can still be merged: its window for late
    sources is open (the answers kept to merge with are there)."""
    until = record.late_sources_until
    return until is not None and now < until


def addable_sources(
    record: SessionRecord, now: datetime, *, configured: Collection[str]
) -> list[str]:
    """The instances ``add_source`` would take now: of a kind the session asks, not in it
    yet, while the session takes sources (before its collection, or within its window for
    late sources after it, its consent standing)."""
    if record.state not in (SessionState.CREATED, SessionState.CONSENTED, SessionState.COLLECTED):
        return []
    if (record.state is SessionState.COLLECTED or record.kinds) and (
        not _late_window_open(record, now) or now >= record.consent_expires_at
    ):
        return []
    plan = plan_of(record)
    return [i for i in configured if kind_of(i) in plan and i not in record.sources]


def _check_late_window(record: SessionRecord, now: datetime) -> None:
    """That a source joining after a collection can still be merged (``_late_window_open``)."""
    if not _late_window_open(record, now):
        raise SessionStateError(
            f"the window for adding a source to session {record.id} after its collection "
            "has closed; start a new session with every source"
        )


def _check_joins(record: SessionRecord, instance: str, now: datetime) -> None:
    """That ``instance``'s data can still join its kind's record: where another instance of
    its kind delivered, it is merged like a late source, within the window only."""
    kind = kind_of(instance)
    if any(
        other != instance and kind_of(other) == kind and progress.state is SourceState.COLLECTED
        for other, progress in record.sources.items()
    ):
        _check_late_window(record, now)


def retry(record: SessionRecord, source: str, now: datetime) -> Step:
    """A failed source waits for a login again, within the consent given. After a
    collection in which another instance of its kind delivered, the retried one is merged
    with it like a late source: within the window for late sources only."""
    _check_not_expired(record, now)
    instance = instance_of(record, source)
    _check_joins(record, instance, now)
    updated = _moved(record, SessionEvent.RETRY, now)
    updated = _source_moved(updated, instance, SessionEvent.RETRY, sealed=None, error=None)
    return Step(updated)


# --- collection -----------------------------------------------------------------------------


def claim_collection(record: SessionRecord, me: str, now: datetime, *, lease: timedelta) -> Step:
    """The collection claimed by collector ``me`` under a lease until ``now + lease``; a
    finished collection is returned as it is."""
    if record.state in _ENDED:
        raise ConsentDeniedError(f"session {record.id} has no consent ({record.state.value})")
    if record.state is SessionState.COLLECTED:
        return Step(record)
    if record.state is SessionState.COLLECTING and (record.lease_until or now) > now:
        raise SessionStateError(f"session {record.id} is being collected already")
    _check_not_expired(record, now)
    if record.state is SessionState.CONSENTED and not any(
        p.state is SourceState.AUTHORISED for p in record.sources.values()
    ):
        raise SessionStateError(f"session {record.id} has no completed login to collect from")
    claim = _moved(
        record,
        SessionEvent.COLLECT,
        now,
        collecting_since=record.collecting_since or now,
        collector=me,
        lease_until=now + lease,
    )
    return Step(claim)


def renew_lease(record: SessionRecord, me: str, now: datetime, *, lease: timedelta) -> Step:
    if record.collector != me:
        raise SessionStateError(f"session {record.id}: the collection lease is lost")
    return Step(record.model_copy(update={"lease_until": now + lease}))


def release_lease(record: SessionRecord, me: str) -> Step:
    """The claim freed at once (a cancelled collect is resumed by the next call)."""
    if record.collector != me:
        raise SessionStateError(f"session {record.id}: the collection is not {me}'s")
    return Step(record.model_copy(update={"collector": None, "lease_until": None}))


def check_collecting(record: SessionRecord, me: str, what: str) -> None:
    """That ``me`` still collects: else the consent ended meanwhile, or another took over."""
    if record.state is not SessionState.COLLECTING:
        raise ConsentDeniedError(
            f"{what}: not delivered, the consent was {record.state.value} during the collection"
        )
    if record.collector != me:
        raise SessionStateError(f"session {record.id}: another collector took over")


def source_fetched(
    record: SessionRecord,
    me: str,
    instance: str,
    sealed: str,
    now: datetime,
    *,
    response_digest: str,
    mapping_version: str,
) -> Step:
    """An instance's answer (sealed) kept with its ``data.retrieved``: a resumed collection
    maps it instead of fetching it again."""
    check_collecting(record, me, kind_of(instance))
    attributes = record.sources[instance].attributes
    updated = _source_changed(record, instance, fetched=sealed, sealed=None)
    retrieved = event(
        "data.retrieved",
        now,
        source=instance,
        response_digest=response_digest,
        attributes=attributes,
        mapping_version=mapping_version,
    )
    return Step(updated, (retrieved,))


def source_failed(
    record: SessionRecord, instance: str, error: BrondataError, now: datetime
) -> Step:
    """An authorised instance failed during collection: ``data.failed`` (once)."""
    if record.sources[instance].state is not SourceState.AUTHORISED:
        return Step(record)
    updated = _source_moved(
        record, instance, SessionEvent.FAIL_COLLECT, sealed=None, error=error.to_dict()
    )
    return Step(updated, (event("data.failed", now, source=instance, error_code=error.code),))


def delivered_event(
    record: SessionRecord,
    kind: str,
    now: datetime,
    *,
    attributes: Sequence[str],
    record_digest: str,
    response_digest: str,
    mapping_version: str,
    supersedes: str | None = None,
) -> PendingEvent:
    """A kind's record delivered; ``supersedes``: the digest of the record of the kind it
    replaces (a merge), if any."""
    superseded = {"supersedes": supersedes} if supersedes is not None else {}
    return event(
        "data.delivered",
        now,
        source=kind,
        attributes=tuple(attributes),
        record_digest=record_digest,
        response_digest=response_digest,
        mapping_version=mapping_version,
        recipient=record.request.recipient,
        **superseded,
    )


def kind_outcome(
    record: SessionRecord, me: str, kind: str, outcome: str, events: tuple[PendingEvent, ...]
) -> Step:
    """A kind's outcome (its sealed record, or its error) kept with its events, once."""
    check_collecting(record, me, kind)
    if kind in record.kinds:
        return Step(record)
    return Step(record.model_copy(update={"kinds": {**record.kinds, kind: outcome}}), events)


def finish_collection(
    record: SessionRecord,
    me: str,
    now: datetime,
    *,
    delivered: Collection[str],
    errors: Mapping[str, BrondataError],
    late_source_window: timedelta | None,
) -> Step:
    """What became of each authorised instance (``delivered`` ones are in a record, the
    others failed with their own error or their kind's); the session leaves ``collecting``
    unless the consent ended meanwhile. From here the consent covers keeping the data: its
    term is the retention; and for ``late_source_window`` a source may still be added
    (``add_source``), the raw answers kept for it to merge with (``close_late_window``);
    ``None``: no source can join (the gateway has one instance of each kind asked, or the
    kinds' records keep no answers to merge with any more): the window closes."""
    updated = record
    if record.state is SessionState.COLLECTING:
        if record.collector != me:
            raise SessionStateError(f"session {record.id}: another collector took over")
        retention = timedelta(days=record.request.retention_days)
        updated = _moved(
            record,
            SessionEvent.FINISH_COLLECT,
            now,
            collecting_since=None,
            collector=None,
            lease_until=None,
            consent_expires_at=now + retention,
            late_sources_until=(
                now + late_source_window if late_source_window is not None else None
            ),
        )
    for source, progress in record.sources.items():
        if progress.state is not SourceState.AUTHORISED:
            continue
        if source in delivered:
            updated = _source_moved(
                updated, source, SessionEvent.COLLECT, sealed=None, fetched=None
            )
        else:
            # Never failed without an error: the consumer and ``callback_seen`` read it.
            problem = (
                errors.get(source)
                or errors.get(kind_of(source))
                or SessionStateError(f"{source}: its answer is in no record of its kind")
            )
            updated = _source_moved(
                updated,
                source,
                SessionEvent.FAIL_COLLECT,
                sealed=None,
                fetched=None,
                error=problem.to_dict(),
            )
    return Step(updated)


def late_window_closed(record: SessionRecord, now: datetime) -> bool:
    """Whether the session's window for late sources has closed with the raw answers kept
    for it still there, and they can go now: not while a collection runs (its lease holds:
    it may be merging with them) nor once the session has ended (nothing is kept then). A
    collection cut short (its lease lapsed or freed) protects nothing: a resumed one fails
    a late instance that has not joined yet with the typed "answers not kept" error."""
    until = record.late_sources_until
    if until is None or now < until:
        return False
    if record.state is SessionState.COLLECTING:
        return record.lease_until is None or record.lease_until <= now
    return record.state in (SessionState.CONSENTED, SessionState.COLLECTED)


def close_late_window(record: SessionRecord, now: datetime, *, outcomes: Mapping[str, str]) -> Step:
    """The window for late sources closed: the raw answers kept to merge a late source with
    go; and a session taking logins again for sources that can no longer join returns to its
    result (``_late_logins_closed``). ``outcomes``: the kinds' outcomes without the answers
    (sealed again by the driver, which reads them from this same record). Before the window
    closed, while a collection runs (``late_window_closed``), or taken again (a retried
    sweep): nothing changes.

    No ledger event: the answers are the gateway's working copy of data whose retrieval the
    ledger holds already (``data.retrieved``), never released, so dropping them changes
    nothing the consent, a delivery or the consumer's access report states; a source that
    can no longer join had no login completed (nothing the ledger holds of it changes). The
    records, evidence and the dossier the session serves stay as they are."""
    if not late_window_closed(record, now):
        return Step(record)
    kinds = {**record.kinds, **outcomes}
    closed = record.model_copy(update={"kinds": kinds, "late_sources_until": None})
    return Step(_late_logins_closed(closed, now))


def _late_logins_closed(record: SessionRecord, now: datetime) -> SessionRecord:
    """A session taking logins again after its collection (a source added or retried in the
    window) whose window just closed: the sources waiting for a login whose data could no
    longer join fail with that refusal (``check_login`` refuses their login now), and with
    no source left to collect the session returns to its result (``collected``); a source
    logged in to already is still collected, and fails alone then."""
    if record.state is not SessionState.CONSENTED:
        return record
    for source, progress in record.sources.items():
        if progress.state not in (SourceState.WAITING, SourceState.LOGIN_STARTED):
            continue
        try:
            _check_joins(record, source, now)
        except SessionStateError as refused:
            record = _source_moved(
                record, source, SessionEvent.FAIL_LOGIN, sealed=None, error=refused.to_dict()
            )
    pending = (SourceState.WAITING, SourceState.LOGIN_STARTED, SourceState.AUTHORISED)
    if any(p.state in pending for p in record.sources.values()):
        return record
    return _moved(record, SessionEvent.FINISH_COLLECT, now)


def check_result(record: SessionRecord) -> None:
    """That the session keeps a result: collected, and its consent still standing."""
    if record.state in _ENDED:
        raise ConsentDeniedError(
            f"session {record.id} has no consent ({record.state.value}): no result kept"
        )
    if record.state is not SessionState.COLLECTED:
        raise SessionStateError(
            f"session {record.id} has not been collected ({record.state.value})"
        )
