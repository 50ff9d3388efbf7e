"""Calls a session cannot take where it is: a typed error, nothing appended, nothing lost."""

from __future__ import annotations

import pytest

from brondata import Gateway
from brondata.errors import ConsentDeniedError, SessionNotFoundError, SessionStateError
from brondata.testing import MockSources

from .conftest import BANK, consented, login, request

pytestmark = pytest.mark.anyio


async def test_a_callback_after_the_withdrawal_changes_nothing(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.withdraw(session_id)
    size, before = gateway.ledger.size(), gateway.session(session_id)
    with pytest.raises(SessionStateError):
        await gateway.callback(session_id, BANK, callback)
    for step in (gateway.give_consent, gateway.renew):
        with pytest.raises(SessionStateError):
            await step(session_id)
    with pytest.raises(SessionStateError):
        await gateway.login_url(session_id, BANK)
    with pytest.raises(SessionStateError):
        await gateway.add_source(session_id, BANK)
    assert gateway.ledger.size() == size
    assert gateway.session(session_id) == before


async def test_a_passed_callback_keeps_the_result(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, callback)
    collected = await gateway.collect(session_id)
    size = gateway.ledger.size()
    with pytest.raises(SessionStateError):
        await gateway.login_url(session_id, BANK)
    assert await gateway.callback(session_id, BANK, callback) == gateway.session(session_id)
    kept = gateway.result(session_id)
    assert kept.records["bank"].compact == collected.records["bank"].compact
    assert gateway.ledger.size() == size


async def test_no_result_without_a_consent_or_a_session(gateway: Gateway) -> None:
    denied = await gateway.start(request(), "applicant-1")
    await gateway.deny_consent(denied.id)
    size = gateway.ledger.size()
    with pytest.raises(ConsentDeniedError):
        gateway.result(denied.id)
    with pytest.raises(ConsentDeniedError):
        await gateway.collect(denied.id)
    for unknown in ("", "no-such-session", "x" * 10_000):
        with pytest.raises(SessionNotFoundError):
            gateway.result(unknown)
        with pytest.raises(SessionNotFoundError):
            await gateway.collect(unknown)
    assert gateway.ledger.size() == size
