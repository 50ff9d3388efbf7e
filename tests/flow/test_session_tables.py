from __future__ import annotations

import pytest

from brondata.errors import SessionStateError
from brondata.session import (
    SESSION_TRANSITIONS,
    SessionEvent,
    SessionState,
    SourceState,
    next_session_state,
    next_source_state,
)

FINAL = {SessionState.DENIED, SessionState.WITHDRAWN, SessionState.EXPIRED}


def test_nothing_leaves_a_final_state() -> None:
    for (state, _event), _ in SESSION_TRANSITIONS.items():
        assert state not in FINAL


@pytest.mark.parametrize("event", [SessionEvent.START_LOGIN, SessionEvent.COLLECT])
def test_no_login_or_collection_before_consent(event: SessionEvent) -> None:
    with pytest.raises(SessionStateError, match="created"):
        next_session_state(SessionState.CREATED, event)


def test_happy_path() -> None:
    state = next_session_state(SessionState.CREATED, SessionEvent.GIVE_CONSENT)
    assert state is SessionState.CONSENTED
    collecting = next_session_state(state, SessionEvent.COLLECT)
    assert collecting is SessionState.COLLECTING
    assert next_session_state(collecting, SessionEvent.FINISH_COLLECT) is SessionState.COLLECTED
    source = next_source_state("bank", SourceState.WAITING, SessionEvent.START_LOGIN)
    source = next_source_state("bank", source, SessionEvent.COMPLETE_LOGIN)
    assert next_source_state("bank", source, SessionEvent.COLLECT) is SourceState.COLLECTED


def test_callback_without_login_is_out_of_order() -> None:
    with pytest.raises(SessionStateError) as caught:
        next_source_state("bank", SourceState.WAITING, SessionEvent.COMPLETE_LOGIN)
    assert caught.value.code == "invalid_transition"
    assert "bank" in caught.value.message


def test_withdrawal_is_possible_until_final() -> None:
    for state in SessionState:
        if state in FINAL:
            with pytest.raises(SessionStateError):
                next_session_state(state, SessionEvent.WITHDRAW)
        else:
            assert next_session_state(state, SessionEvent.WITHDRAW) is SessionState.WITHDRAWN
