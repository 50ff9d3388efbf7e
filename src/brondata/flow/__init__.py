"""The flow's pure core: every step of a consent session as a function of the session, the
step's input and the time, returning the new session and the ledger events to append.

No I/O, no clock, no randomness inside: in the manner of h11's state machine, the caller
(the ``Gateway``) passes in the time, the ids and what its I/O brought, and commits what a
step returns. The transition tables are ``brondata.session``'s; the consent's terms are one
``ConsentTerms``; the notice the consumer reads is ``ConsentView``.
"""

from __future__ import annotations

from brondata.consent._terms import ConsentTerms
from brondata.flow._codec import array_elements, choose_instances, record_claims
from brondata.flow._notice import ConsentView, NoticeSettings, consent_view, plan_of, terms_of
from brondata.flow._steps import (
    GIVEN,
    RENEWAL_WINDOW,
    CallbackSeen,
    Step,
    add_source,
    callback_seen,
    check_callback,
    check_collecting,
    check_login,
    check_result,
    claim_callback,
    claim_collection,
    delivered_event,
    deny_consent,
    event,
    expire,
    finish_collection,
    give_consent,
    grants_held,
    instance_of,
    kind_outcome,
    login_completed,
    login_refused,
    login_started,
    refusal,
    release_callback,
    release_lease,
    renew,
    renew_lease,
    retry,
    source_failed,
    source_fetched,
    start,
    withdraw,
)

__all__ = [
    "GIVEN",
    "RENEWAL_WINDOW",
    "CallbackSeen",
    "ConsentTerms",
    "ConsentView",
    "NoticeSettings",
    "Step",
    "add_source",
    "array_elements",
    "callback_seen",
    "check_callback",
    "check_collecting",
    "check_login",
    "check_result",
    "choose_instances",
    "claim_callback",
    "claim_collection",
    "consent_view",
    "delivered_event",
    "deny_consent",
    "event",
    "expire",
    "finish_collection",
    "give_consent",
    "grants_held",
    "instance_of",
    "kind_outcome",
    "login_completed",
    "login_refused",
    "login_started",
    "plan_of",
    "record_claims",
    "refusal",
    "release_callback",
    "release_lease",
    "renew",
    "renew_lease",
    "retry",
    "source_failed",
    "source_fetched",
    "start",
    "terms_of",
    "withdraw",
]
