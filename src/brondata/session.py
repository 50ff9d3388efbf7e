"""The consent session as a state machine: one table, no I/O.

A session has a state of its own and, for each source it needs, a source state. Every call on
the gateway is an event; the tables below are the whole of what may happen next. A call the
table does not allow raises ``SessionStateError`` and changes nothing, so an application that
calls out of order (collect before consent, a callback before a login was started, a second
consent after a withdrawal) gets a typed error instead of a half-done session.

Rules the tables encode:

* Nothing is fetched before consent is given, and nothing after it is denied or withdrawn.
* A login can only be started for a source the request needs, after consent.
* A callback is only accepted for a login that was started and not yet completed; the same
  callback again gets the outcome the first one had (the gateway keeps a keyed digest of it).
* A login can be started again while the session is consented: after a refusal, or when the
  grant died at the source (revoked, a refresh refused); the new grant replaces the old.
* Collection happens once per session, claimed before any I/O; a withdrawal during it
  stops further deliveries. A source that failed stays failed for that session.
* Withdrawal is possible from every non-final state and is always final.
* A consent expires when its term ends: the login window before collection, the retention
  period after it. A renewal (the consumer agreeing again) extends the term; expiry is final.

The consent itself, as the ledger states it, has a lifecycle of its own: ``CONSENT_TRANSITIONS``
((consent state, consent event) -> consent state). It is the one table of it: the audit's fold
(``audit verify``) and the consent records (``consent_record_from_ledger``) fold the ledger's
consent events with it, and the session table is checked against it when this module loads
(every session step that appends a consent event moves the consent as that table says).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from brondata.errors import SessionStateError

__all__ = [
    "CONSENT_EVENTS",
    "CONSENT_TRANSITIONS",
    "LIVE_CONSENT",
    "SESSION_TRANSITIONS",
    "SOURCE_TRANSITIONS",
    "ConsentState",
    "SessionEvent",
    "SessionState",
    "SourceState",
    "next_consent_state",
    "next_session_state",
    "next_source_state",
]


class SessionState(StrEnum):
    CREATED = "created"  # request shown to the consumer, no answer yet
    CONSENTED = "consented"  # consent given; logins may start
    COLLECTING = "collecting"  # one gateway instance is fetching; claimed in the store
    COLLECTED = "collected"  # records delivered (or per-source errors); final for data
    DENIED = "denied"  # the consumer said no; final
    WITHDRAWN = "withdrawn"  # consent withdrawn; final
    EXPIRED = "expired"  # consent ran out before collection; final


class SourceState(StrEnum):
    WAITING = "waiting"  # needed, no login yet
    LOGIN_STARTED = "login_started"  # authorization URL handed out; pending state/PKCE kept
    AUTHORISED = "authorised"  # code exchanged; token kept (encrypted)
    COLLECTED = "collected"  # fetched, mapped, signed, delivered
    FAILED = "failed"  # login or fetch failed; a typed error is recorded


class SessionEvent(StrEnum):
    GIVE_CONSENT = "give_consent"
    DENY_CONSENT = "deny_consent"
    START_LOGIN = "start_login"
    COMPLETE_LOGIN = "complete_login"
    FAIL_LOGIN = "fail_login"
    COLLECT = "collect"
    FINISH_COLLECT = "finish_collect"
    FAIL_COLLECT = "fail_collect"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    RENEW = "renew"
    RETRY = "retry"


_S, _E, _Q = SessionState, SessionEvent, SourceState

#: (session state, event) -> next session state. Login events keep the session state.
SESSION_TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.CREATED, _E.GIVE_CONSENT): _S.CONSENTED,
    (_S.CREATED, _E.DENY_CONSENT): _S.DENIED,
    (_S.CREATED, _E.WITHDRAW): _S.WITHDRAWN,
    (_S.CREATED, _E.EXPIRE): _S.EXPIRED,
    (_S.CONSENTED, _E.START_LOGIN): _S.CONSENTED,
    (_S.CONSENTED, _E.COMPLETE_LOGIN): _S.CONSENTED,
    (_S.CONSENTED, _E.FAIL_LOGIN): _S.CONSENTED,
    # Collection is claimed first (a compare-and-set in the store), so that two instances
    # never fetch and deliver the same session twice; the claim ends in COLLECTED.
    (_S.CONSENTED, _E.COLLECT): _S.COLLECTING,
    (_S.CONSENTED, _E.WITHDRAW): _S.WITHDRAWN,
    (_S.CONSENTED, _E.EXPIRE): _S.EXPIRED,
    (_S.COLLECTING, _E.FINISH_COLLECT): _S.COLLECTED,
    # A collector that died leaves its claim behind; the gateway lets another take it over
    # once the claim is older than any source could take.
    (_S.COLLECTING, _E.COLLECT): _S.COLLECTING,
    (_S.COLLECTING, _E.WITHDRAW): _S.WITHDRAWN,
    (_S.COLLECTING, _E.EXPIRE): _S.EXPIRED,
    # Data already delivered stays delivered, but the consent can still be withdrawn (art. 7(3)
    # GDPR) so that the ledger shows it and no further use is covered.
    (_S.COLLECTED, _E.WITHDRAW): _S.WITHDRAWN,
    # A collected session's computed outcomes (decisions, checks) redone over data that came
    # after it, in a session of their own (the fiscal partner's): claimed like a collection.
    (_S.COLLECTED, _E.COLLECT): _S.COLLECTING,
    (_S.COLLECTED, _E.EXPIRE): _S.EXPIRED,
    # The consumer agrees to a longer term: more time to log in, or a longer retention.
    (_S.CONSENTED, _E.RENEW): _S.CONSENTED,
    (_S.COLLECTED, _E.RENEW): _S.COLLECTED,
    # A failed source may be tried again within the consent: the session takes logins again.
    (_S.CONSENTED, _E.RETRY): _S.CONSENTED,
    (_S.COLLECTED, _E.RETRY): _S.CONSENTED,
    # Taking logins again after its collection (a source added or retried), the session
    # returns to its result once no source is left to collect: those still waiting for a
    # login could no longer join (the late-source window closed; ``flow.close_late_window``).
    (_S.CONSENTED, _E.FINISH_COLLECT): _S.COLLECTED,
}

#: (source state, event) -> next source state.
SOURCE_TRANSITIONS: dict[tuple[SourceState, SessionEvent], SourceState] = {
    (_Q.WAITING, _E.START_LOGIN): _Q.LOGIN_STARTED,
    # The consumer may abandon a login page and start again: a new state and PKCE pair.
    (_Q.LOGIN_STARTED, _E.START_LOGIN): _Q.LOGIN_STARTED,
    (_Q.LOGIN_STARTED, _E.COMPLETE_LOGIN): _Q.AUTHORISED,
    (_Q.LOGIN_STARTED, _E.FAIL_LOGIN): _Q.FAILED,
    # A login that can no longer be of use (its data could not join: the window closed).
    (_Q.WAITING, _E.FAIL_LOGIN): _Q.FAILED,
    # A refused login, or a grant that died at the source, can be done again.
    (_Q.FAILED, _E.START_LOGIN): _Q.LOGIN_STARTED,
    (_Q.AUTHORISED, _E.START_LOGIN): _Q.LOGIN_STARTED,
    (_Q.AUTHORISED, _E.COLLECT): _Q.COLLECTED,
    (_Q.AUTHORISED, _E.FAIL_COLLECT): _Q.FAILED,
    # Its grant died with the failure (or never came): the consumer logs in there again.
    (_Q.FAILED, _E.RETRY): _Q.WAITING,
}


ConsentState = Literal["requested", "given", "denied", "withdrawn", "expired", "renewed"]

#: (consent state, consent event) -> consent state: the consent's whole lifecycle as the
#: ledger states it. A consent starts ``requested``. An event the table has no row for moves
#: nothing (a renewal of a denied or withdrawn consent; an expiry of an ended one); for
#: ``consent.given``, ``consent.denied`` and ``consent.withdrawn`` it is a step taken twice,
#: which ``audit verify`` reports (``consent_repeated``).
CONSENT_TRANSITIONS: Final[dict[tuple[ConsentState, str], ConsentState]] = {
    ("requested", "consent.requested"): "requested",
    ("requested", "consent.given"): "given",
    ("requested", "consent.denied"): "denied",
    ("requested", "consent.withdrawn"): "withdrawn",
    ("requested", "consent.expired"): "expired",
    ("given", "consent.withdrawn"): "withdrawn",
    ("given", "consent.expired"): "expired",
    ("renewed", "consent.withdrawn"): "withdrawn",
    ("renewed", "consent.expired"): "expired",
    # The renewal rule: the consumer agreeing again revives a given or expired consent,
    # never a denied or withdrawn one.
    ("given", "consent.renewed"): "renewed",
    ("renewed", "consent.renewed"): "renewed",
    ("expired", "consent.renewed"): "renewed",
}

#: The consent states under which data may be retrieved and delivered.
LIVE_CONSENT: Final = frozenset({"given", "renewed"})

#: The consent event each session step appends, if any.
CONSENT_EVENTS: Final[dict[SessionEvent, str]] = {
    _E.GIVE_CONSENT: "consent.given",
    _E.DENY_CONSENT: "consent.denied",
    _E.WITHDRAW: "consent.withdrawn",
    _E.EXPIRE: "consent.expired",
    _E.RENEW: "consent.renewed",
}

# The consent each session state stands for (``renewed`` is a given consent).
_CONSENT_OF: Final[dict[SessionState, ConsentState]] = {
    _S.CREATED: "requested",
    _S.CONSENTED: "given",
    _S.COLLECTING: "given",
    _S.COLLECTED: "given",
    _S.DENIED: "denied",
    _S.WITHDRAWN: "withdrawn",
    _S.EXPIRED: "expired",
}


def next_consent_state(state: ConsentState, event: str) -> ConsentState | None:
    """The consent's state after the ledger's ``event``; ``None`` if it moves nothing."""
    return CONSENT_TRANSITIONS.get((state, event))


def _check_tables() -> None:
    """Every session step that appends a consent event moves the consent as the consent
    table says: one lifecycle, stated once."""
    for (state, event), after in SESSION_TRANSITIONS.items():
        consent_event = CONSENT_EVENTS.get(event)
        if consent_event is None:
            continue
        moved = next_consent_state(_CONSENT_OF[state], consent_event)
        settled = "given" if moved == "renewed" else moved
        if settled != _CONSENT_OF[after]:  # pragma: no cover - a table edited wrong
            raise AssertionError(f"{state.value} --{event.value}--> {after.value}: {moved}")


_check_tables()


def next_session_state(state: SessionState, event: SessionEvent) -> SessionState:
    """The state after ``event``, or ``SessionStateError`` if the table does not allow it."""
    try:
        return SESSION_TRANSITIONS[(state, event)]
    except KeyError:
        raise SessionStateError(
            f"cannot {event.value.replace('_', ' ')} in a session that is {state.value}"
        ) from None


def next_source_state(source: str, state: SourceState, event: SessionEvent) -> SourceState:
    """The source's state after ``event``, or ``SessionStateError``."""
    try:
        return SOURCE_TRANSITIONS[(state, event)]
    except KeyError:
        raise SessionStateError(
            f"cannot {event.value.replace('_', ' ')} for source {source!r} "
            f"whose login is {state.value}"
        ) from None
