"""``Gateway.session_for_state``: the session from a callback's ``state``, MAC-checked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from tests.web.conftest import REQUEST, JourneyHarness

from brondata.errors import StateMismatchError

pytestmark = pytest.mark.anyio


async def _state(harness: JourneyHarness, instance: str) -> tuple[str, str]:
    session = await harness.gateway.start(REQUEST, "applicant")
    await harness.gateway.give_consent(session.id)
    url = await harness.gateway.login_url(session.id, instance)
    return session.id, parse_qs(urlsplit(url).query)["state"][0]


async def test_the_state_names_its_session(harness: JourneyHarness) -> None:
    session_id, state = await _state(harness, "bank.mockbank")
    assert state.startswith(session_id + ".")
    assert harness.gateway.session_for_state("bank.mockbank", state) == session_id


async def test_a_forged_or_misdirected_state_names_none(harness: JourneyHarness) -> None:
    session_id, state = await _state(harness, "bank.mockbank")
    _, tag, nonce = state.split(".")
    other, _ = await _state(harness, "tax")
    for bad in (
        "",
        "nonsense",
        f"{other}.{tag}.{nonce}",  # another session's id under this MAC
        f"{session_id}.{'0' * len(tag)}.{nonce}",
        f"{session_id}.{tag}.{nonce}x",
        f"{session_id}.{tag[:-1]}\u00e9.{nonce}",  # not ASCII: refused, not a TypeError
        f"{session_id}.\ud800.{nonce}",
    ):
        with pytest.raises(StateMismatchError):
            harness.gateway.session_for_state("bank.mockbank", bad)
    with pytest.raises(StateMismatchError):
        harness.gateway.session_for_state("tax", state)  # made for the bank's login


async def test_the_whole_state_is_still_checked_at_the_callback(harness: JourneyHarness) -> None:
    session_id, state = await _state(harness, "bank.mockbank")
    before = harness.gateway.session(session_id)
    nonce_only = state.split(".")[2]
    callback = f"https://lender.test/journey/callback/bank.mockbank?code=x&state={nonce_only}"
    with pytest.raises(StateMismatchError):
        await harness.gateway.callback(session_id, "bank.mockbank", callback)
    assert harness.gateway.session(session_id).sources == before.sources
