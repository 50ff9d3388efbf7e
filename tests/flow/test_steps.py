"""The flow's pure core without any I/O: a session record in, a session record and the ledger
events out; no store, no connector, no clock (the time is passed in)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brondata import flow
from brondata._session_store import SessionRecord
from brondata.errors import (
    AuthorizationDeniedError,
    BrondataError,
    ConsentDeniedError,
    SessionStateError,
    SourceTimeoutError,
)
from brondata.request import DataRequest, LegalBasis, Purpose
from brondata.session import (
    CONSENT_EVENTS,
    CONSENT_TRANSITIONS,
    SESSION_TRANSITIONS,
    SOURCE_TRANSITIONS,
    SessionState,
    SourceState,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=1)
BANK = "bank.mockbank"
SETTINGS = flow.NoticeSettings(
    controller="Voorbeeld Hypotheken B.V.",
    controller_contact="privacy@lender.example",
    storage_location="EU",
    notice_language="nl",
    withdrawal_method="https://lender.example/consent/withdraw",
)
_CONSENT_OF = {
    SessionState.CREATED: "requested",
    SessionState.CONSENTED: "given",
    SessionState.COLLECTING: "given",
    SessionState.COLLECTED: "given",
    SessionState.DENIED: "denied",
    SessionState.WITHDRAWN: "withdrawn",
    SessionState.EXPIRED: "expired",
}


def request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess a mortgage application"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total", "income.taxable_annual"],
        retention_days=30,
        recipient="Voorbeeld Hypotheken B.V.",
    )


def started(now: datetime = T0) -> flow.Step:
    return flow.start(
        session_id="ses-1",
        consent_id="con-1",
        subject="sub-abc",
        request=request(),
        plan={BANK: ["bank.balance_total"], "tax": ["income.taxable_annual"]},
        holder_jwk=None,
        now=now,
        consent_ttl=TTL,
        settings=SETTINGS,
    )


def test_start_binds_the_session_to_its_terms() -> None:
    step = started()
    terms = flow.terms_of(step.record, SETTINGS)
    assert step.record.notice_hash == terms.notice_hash()
    assert terms.sources == ("bank", "tax")  # kinds, never instances
    [requested] = step.events
    assert requested.event == "consent.requested"
    assert requested.at == "2026-03-01T09:00:00Z"
    assert requested.fields == terms.event_fields(notice_hash=step.record.notice_hash)
    view = flow.consent_view(step.record, terms)
    assert view.notice_hash == step.record.notice_hash
    assert "Kennisgeving" in view.text()
    assert "Notice" in view.text("en")


def test_a_step_is_a_function_of_its_inputs() -> None:
    record = started().record
    before = record.model_dump()
    one = flow.give_consent(record, T0, settings=SETTINGS, notice_hash=record.notice_hash)
    two = flow.give_consent(record, T0, settings=SETTINGS, notice_hash=record.notice_hash)
    assert one == two
    assert record.model_dump() == before  # the input is left as it was


def test_consent_given_twice_is_the_same_step() -> None:
    record = started().record
    given_ = flow.give_consent(record, T0, settings=SETTINGS, notice_hash=None)
    assert given_.record.state is SessionState.CONSENTED
    assert [e.event for e in given_.events] == ["consent.given"]
    again = flow.give_consent(given_.record, T0, settings=SETTINGS, notice_hash=None)
    assert again.record is given_.record
    assert again.events == ()


def test_consent_to_another_notice_or_too_late_is_refused() -> None:
    record = started().record
    with pytest.raises(ConsentDeniedError):
        flow.give_consent(record, T0, settings=SETTINGS, notice_hash="sha-256:" + "0" * 64)
    with pytest.raises(SessionStateError, match="expired"):
        flow.give_consent(record, T0 + TTL, settings=SETTINGS, notice_hash=None)


def test_a_callback_for_a_step_the_session_passed_is_refused() -> None:
    record = consented_with_login()
    done = flow.login_completed(record, BANK, "sealed-grant", T0)
    assert [e.event for e in done.events] == ["login.completed"]
    with pytest.raises(SessionStateError):
        flow.check_callback(done.record, BANK, T0)
    withdrawn = flow.withdraw(done.record, T0).record
    with pytest.raises(SessionStateError):
        flow.check_callback(withdrawn, BANK, T0)


def test_a_refused_callback_is_seen_as_refused_again() -> None:
    record = flow.claim_callback(consented_with_login(), BANK, "digest-1").record
    refused = flow.login_refused(record, BANK, AuthorizationDeniedError("no"), T0)
    assert flow.callback_seen(refused.record, BANK, "digest-1") == "refused"
    assert flow.callback_seen(refused.record, BANK, "digest-2") == "new"
    assert [(e.event, e.fields["error_code"]) for e in refused.events] == [
        ("data.failed", AuthorizationDeniedError.code)
    ]


def test_collect_of_an_ended_session_and_its_result_are_refused() -> None:
    record = consented_with_login()
    for ended in (flow.withdraw(record, T0).record, flow.expire(record, T0).record):
        with pytest.raises(ConsentDeniedError):
            flow.claim_collection(ended, "me", T0, lease=timedelta(seconds=6))
        with pytest.raises(ConsentDeniedError):
            flow.check_result(ended)
    with pytest.raises(SessionStateError):
        flow.check_result(record)


def test_a_collection_fetched_delivered_and_finished() -> None:
    record = flow.login_completed(consented_with_login(), BANK, "sealed-grant", T0).record
    lease = timedelta(seconds=6)
    claimed = flow.claim_collection(record, "me", T0, lease=lease).record
    assert claimed.state is SessionState.COLLECTING
    assert claimed.lease_until == T0 + lease
    with pytest.raises(SessionStateError, match="being collected"):
        flow.claim_collection(claimed, "other", T0, lease=lease)
    fetched = flow.source_fetched(
        claimed,
        "me",
        BANK,
        "sealed-answer",
        T0,
        response_digest="sha-256:" + "1" * 64,
        mapping_version="1",
    )
    assert fetched.record.sources[BANK].fetched == "sealed-answer"
    assert [e.event for e in fetched.events] == ["data.retrieved"]
    with pytest.raises(SessionStateError, match="another collector"):
        flow.source_fetched(
            claimed,
            "other",
            BANK,
            "x",
            T0,
            response_digest="sha-256:" + "1" * 64,
            mapping_version="1",
        )
    done = flow.finish_collection(
        fetched.record,
        "me",
        T0,
        delivered={BANK},
        errors={"tax": SourceTimeoutError("slow")},
        late_source_window=TTL,
    ).record
    assert done.state is SessionState.COLLECTED
    assert done.sources[BANK].state is SourceState.COLLECTED
    assert done.consent_expires_at == T0 + timedelta(days=30)  # the retention from here
    assert done.late_sources_until == T0 + TTL  # a source may be added until then
    assert done.due_at == T0 + TTL


def collected() -> SessionRecord:
    record = flow.login_completed(consented_with_login(), BANK, "sealed-grant", T0).record
    record = flow.claim_collection(record, "me", T0, lease=timedelta(seconds=6)).record
    record = record.model_copy(update={"kinds": {"bank": "sealed-outcome"}})
    return flow.finish_collection(
        record, "me", T0, delivered={BANK}, errors={}, late_source_window=TTL
    ).record


def test_a_source_is_added_after_the_collection_only_within_its_window() -> None:
    record = collected()
    configured = {BANK, "bank.noordbank", "tax"}
    added = flow.add_source(record, "bank.noordbank", T0 + TTL / 2, configured=configured)
    assert added.record.state is SessionState.CONSENTED
    assert added.record.late_sources_until == record.late_sources_until
    assert added.events == ()
    with pytest.raises(SessionStateError, match="window"):
        flow.add_source(record, "bank.noordbank", T0 + TTL, configured=configured)
    # Once its answers were dropped the window is closed for good (as for a session stored
    # before sessions kept it).
    closed = flow.close_late_window(record, T0 + TTL, outcomes={"bank": "sealed-without"})
    with pytest.raises(SessionStateError, match="window"):
        flow.add_source(closed.record, "bank.noordbank", T0 + TTL, configured=configured)
    # An instance the session has already: the same step again, nothing to refuse.
    assert flow.add_source(closed.record, BANK, T0 + TTL, configured=configured).record is (
        closed.record
    )


def test_the_window_closed_drops_the_kept_answers_once_and_appends_nothing() -> None:
    record = collected()
    outcomes = {"bank": "sealed-without"}
    assert flow.close_late_window(record, T0 + TTL / 2, outcomes=outcomes).record is record
    closed = flow.close_late_window(record, T0 + TTL, outcomes=outcomes)
    assert closed.events == ()  # the answers are no released record: no ledger event
    assert closed.record.kinds == outcomes
    assert closed.record.late_sources_until is None
    assert closed.record.due_at == closed.record.consent_expires_at
    again = flow.close_late_window(closed.record, T0 + TTL, outcomes={"bank": "other"})
    assert again.record is closed.record
    # While a collection runs (it may be merging with the answers) nothing is dropped.
    collecting = record.model_copy(
        update={"state": SessionState.COLLECTING, "lease_until": T0 + TTL + timedelta(seconds=6)}
    )
    assert flow.close_late_window(collecting, T0 + TTL, outcomes=outcomes).record is collecting


def test_a_session_stored_by_the_previous_release_is_due_for_its_kept_answers() -> None:
    # Stored before sessions kept the window: no ``late_sources_until``, and the raw answers
    # perhaps kept with its kinds' outcomes. No source can be added to it after its
    # collection, so the answers serve nothing: its window counts as closed when it was last
    # written, and it is due now (the sweep drops them), not when its consent ends.
    body = json.loads(collected().model_dump_json())
    del body["late_sources_until"]
    record = SessionRecord.model_validate(body)
    assert record.late_sources_until == record.updated_at
    assert record.due_at == record.updated_at
    assert flow.late_window_closed(record, T0)
    with pytest.raises(SessionStateError, match="window"):
        flow.add_source(record, "bank.noordbank", T0, configured={BANK, "bank.noordbank"})
    closed = flow.close_late_window(record, T0, outcomes={"bank": "sealed-without"}).record
    assert closed.late_sources_until is None
    assert closed.due_at == closed.consent_expires_at
    # Written again, it reads as this release's session: due when its consent ends.
    again = SessionRecord.model_validate_json(closed.model_dump_json())
    assert again.due_at == again.consent_expires_at
    # One stored before any collection kept nothing: due when its consent ends, as before.
    body = json.loads(consented_with_login().model_dump_json())
    del body["late_sources_until"]
    fresh = SessionRecord.model_validate(body)
    assert fresh.late_sources_until is None
    assert fresh.due_at == fresh.consent_expires_at


def test_a_collection_cut_short_lets_the_answers_go_once_its_lease_lapsed() -> None:
    # A late collection that died (its lease lapsed, or was freed) protects no running merge:
    # the answers go when the window closed. A running one (its lease holds) keeps them.
    record = collected()
    outcomes = {"bank": "sealed-without"}
    after = T0 + TTL
    for lease_until in (None, after - timedelta(seconds=1), after):
        cut = record.model_copy(
            update={"state": SessionState.COLLECTING, "lease_until": lease_until}
        )
        assert flow.late_window_closed(cut, after)
        closed = flow.close_late_window(cut, after, outcomes=outcomes).record
        assert closed.kinds == outcomes
        assert closed.late_sources_until is None
        assert closed.state is SessionState.COLLECTING  # a resumed collection finishes it
    running = record.model_copy(
        update={"state": SessionState.COLLECTING, "lease_until": after + timedelta(seconds=1)}
    )
    assert not flow.late_window_closed(running, after)
    assert flow.close_late_window(running, after, outcomes=outcomes).record is running


def test_a_source_never_fails_without_an_error() -> None:
    # An authorised instance in no record, with no error of its own or of its kind: it
    # still fails with one (the consumer and ``callback_seen`` read it), never ``None``.
    record = flow.login_completed(consented_with_login(), BANK, "sealed-grant", T0).record
    record = flow.claim_collection(record, "me", T0, lease=timedelta(seconds=6)).record
    done = flow.finish_collection(
        record, "me", T0, delivered=(), errors={}, late_source_window=None
    ).record
    assert done.sources[BANK].state is SourceState.FAILED
    assert done.sources[BANK].error is not None
    assert done.sources[BANK].error["code"]


def test_a_late_source_not_logged_in_to_in_the_window_is_refused_and_closed() -> None:
    # Added in time, but the window closed before the consumer went to log in there: its
    # data could not join the kind's record, so no login for nothing (as ``retry``). The
    # window's close fails it with that refusal and, nothing left to collect, the session
    # returns to its result; one logged in to already stays, to be collected (alone).
    record = flow.login_refused(collected(), "tax", AuthorizationDeniedError("no"), T0).record
    configured = {BANK, "bank.noordbank", "tax"}
    added = flow.add_source(record, "bank.noordbank", T0, configured=configured).record
    assert flow.check_login(added, "bank.noordbank", T0 + TTL / 2) == "bank.noordbank"
    with pytest.raises(SessionStateError, match="window"):
        flow.check_login(added, "bank.noordbank", T0 + TTL)
    closed = flow.close_late_window(added, T0 + TTL, outcomes={}).record
    assert closed.state is SessionState.COLLECTED
    assert closed.sources["bank.noordbank"].state is SourceState.FAILED
    assert closed.sources["bank.noordbank"].error is not None
    assert closed.sources["bank.noordbank"].error["code"] == "invalid_transition"
    assert flow.close_late_window(closed, T0 + TTL, outcomes={}).record is closed
    started = flow.login_started(added, "bank.noordbank", "sealed-pending", T0).record
    authorised = flow.login_completed(started, "bank.noordbank", "sealed-grant", T0).record
    still = flow.close_late_window(authorised, T0 + TTL, outcomes={}).record
    assert still.state is SessionState.CONSENTED
    assert still.sources["bank.noordbank"].state is SourceState.AUTHORISED
    assert still.late_sources_until is None
    # A source whose kind has no record to join (the tax login refused) can still log in.
    tax = flow.retry(added, "tax", T0).record
    waiting = flow.close_late_window(tax, T0 + TTL, outcomes={}).record
    assert waiting.state is SessionState.CONSENTED
    assert waiting.sources["tax"].state is SourceState.WAITING
    assert waiting.sources["bank.noordbank"].state is SourceState.FAILED


def consented_with_login() -> SessionRecord:
    record = flow.give_consent(started().record, T0, settings=SETTINGS, notice_hash=None).record
    instance = flow.check_login(record, "bank", T0)
    assert instance == BANK
    record = flow.login_started(record, BANK, "sealed-pending", T0).record
    return flow.login_started(record, "tax", "sealed-pending", T0).record


# --- any sequence of steps -------------------------------------------------------------------

_LEASE = timedelta(seconds=6)
_STEPS = {
    "give": lambda r, t: flow.give_consent(r, t, settings=SETTINGS, notice_hash=None),
    "deny": lambda r, t: flow.deny_consent(r, t),
    "withdraw": lambda r, t: flow.withdraw(r, t),
    "expire": lambda r, t: flow.expire(r, t),
    "renew": lambda r, t: flow.renew(r, t, consent_ttl=TTL, notice_hash=None),
    "login": lambda r, t: flow.login_started(r, flow.check_login(r, BANK, t), "s", t),
    "callback": lambda r, t: (
        flow.check_callback(r, BANK, t),
        flow.login_completed(r, BANK, "g", t),
    )[1],
    "refused": lambda r, t: flow.login_refused(r, BANK, AuthorizationDeniedError("no"), t),
    "claim": lambda r, t: flow.claim_collection(r, "me", t, lease=_LEASE),
    "fetched": lambda r, t: flow.source_fetched(
        r, "me", BANK, "a", t, response_digest="sha-256:" + "2" * 64, mapping_version="1"
    ),
    "failed": lambda r, t: flow.source_failed(r, BANK, SourceTimeoutError("slow"), t),
    "finish": lambda r, t: flow.finish_collection(
        r, "me", t, delivered={BANK}, errors={}, late_source_window=TTL
    ),
    "close": lambda r, t: flow.close_late_window(r, t, outcomes={}),
    "release": lambda r, t: flow.release_lease(r, "me"),
    "retry": lambda r, t: flow.retry(r, BANK, t),
}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(_STEPS)), st.integers(min_value=0, max_value=5_000)),
        max_size=25,
    )
)
def test_any_sequence_of_steps_stays_in_the_tables(steps: list[tuple[str, int]]) -> None:
    record = started().record
    now = T0
    for name, seconds in steps:
        now += timedelta(seconds=seconds)
        try:
            step = _STEPS[name](record, now)
        except BrondataError:
            continue  # refused: nothing changes, nothing to append
        before, after = record.state, step.record.state
        if before is not after:
            assert any(
                (before, event) in SESSION_TRANSITIONS
                and SESSION_TRANSITIONS[(before, event)] is after
                for event in {e for (s, e) in SESSION_TRANSITIONS if s is before}
            ), f"{name}: {before} -> {after} is not in the session table"
        for instance, progress in step.record.sources.items():
            old = record.sources[instance].state
            if progress.state is not old:
                assert progress.state in {
                    n for (s, _), n in SOURCE_TRANSITIONS.items() if s is old
                }, f"{name}: {instance} {old} -> {progress.state}"
        # The consent events match the change of the consent, as its one table says.
        consent_events = [e.event for e in step.events if e.event.startswith("consent.")]
        if _CONSENT_OF[before] != _CONSENT_OF[after]:
            assert len(consent_events) == 1
            moved = CONSENT_TRANSITIONS[(_CONSENT_OF[before], consent_events[0])]
            assert (moved if moved != "renewed" else "given") == _CONSENT_OF[after]
        else:
            assert consent_events in ([], ["consent.renewed"])
        assert set(consent_events) <= set(CONSENT_EVENTS.values())
        for event in step.events:
            assert event.at == now.strftime("%Y-%m-%dT%H:%M:%SZ")
        record = step.record


def test_a_claimed_callback_completes_only_while_the_session_takes_it() -> None:
    claimed = flow.claim_callback(consented_with_login(), BANK, "digest-1").record
    done = flow.login_completed(claimed, BANK, "sealed-grant", T0, callback="digest-1")
    assert done.record.sources[BANK].state is SourceState.AUTHORISED
    for moved_on in (
        flow.withdraw(claimed, T0).record,
        flow.claim_callback(claimed, BANK, "digest-2").record,
    ):
        with pytest.raises(SessionStateError):
            flow.login_completed(moved_on, BANK, "sealed-grant", T0, callback="digest-1")
        refused = flow.login_refused(
            moved_on, BANK, AuthorizationDeniedError("no"), T0, callback="digest-1"
        )
        assert refused.record is moved_on
        assert refused.events == ()
    with pytest.raises(SessionStateError, match="expired"):
        flow.login_completed(claimed, BANK, "sealed-grant", T0 + TTL, callback="digest-1")


def test_a_session_keeps_the_notice_it_started_with() -> None:
    record = started().record
    assert record.notice == SETTINGS
    elsewhere = SETTINGS.model_copy(update={"storage_location": "US"})
    assert flow.terms_of(record, elsewhere).storage_location == "EU"
    given_ = flow.give_consent(record, T0, settings=elsewhere, notice_hash=record.notice_hash)
    assert given_.events[0].fields["storage_location"] == "EU"
    # A session stored before sessions kept their notice: the gateway's settings stand in.
    legacy = record.model_copy(update={"notice": None})
    assert flow.terms_of(legacy, SETTINGS).notice_hash() == record.notice_hash
    with pytest.raises(SessionStateError):
        flow.terms_of(legacy)
