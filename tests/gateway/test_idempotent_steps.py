"""Steps taken twice: a retried request, a double submit, two instances racing.

Each step called again after it succeeded returns the same outcome and appends nothing; a
callback URL handled twice exchanges its code once, so the grant the first exchange got is
not revoked by a second (a bank answers a reused code by revoking what it issued).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
import pytest

from brondata import Gateway
from brondata._session_store import SessionRecord
from brondata.errors import AuthorizationDeniedError, SessionStateError, StoreUnavailableError
from brondata.session import SessionState, SourceState
from brondata.testing import MockSources

from .conftest import BANK, consented, events, give_consent_cut_short, login, request

pytestmark = pytest.mark.anyio


async def test_the_same_callback_twice_exchanges_once(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    first = await gateway.callback(session_id, BANK, callback)
    size = gateway.ledger.size()
    again = await gateway.callback(session_id, BANK, callback)
    assert again.sources[BANK].state is SourceState.AUTHORISED
    assert again.version == first.version
    assert gateway.ledger.size() == size
    result = await gateway.collect(session_id)
    assert result.complete, result.errors


async def test_concurrent_callbacks_exchange_once(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    outcomes: list[object] = []

    async def one() -> None:
        try:
            outcomes.append(await gateway.callback(session_id, BANK, callback))
        except Exception as exc:
            outcomes.append(exc)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(one)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert events(gateway).count("login.completed") == 1
    result = await gateway.collect(session_id)
    assert result.complete, result.errors


async def test_a_refused_callback_twice_is_refused_twice_with_one_entry(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK), approve=False)
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, callback)
    size = gateway.ledger.size()
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, callback)
    assert gateway.ledger.size() == size


async def test_a_failed_login_can_be_done_again(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    refused = await login(sources, await gateway.login_url(session_id, BANK), approve=False)
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, refused)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, callback)
    assert gateway.session(session_id).sources[BANK].state is SourceState.AUTHORISED


async def test_an_authorised_source_can_be_logged_in_to_again(
    gateway: Gateway, sources: MockSources
) -> None:
    # The grant may have died at the source (revoked, a refresh refused): a new login
    # replaces it in the same session.
    session_id = await consented(gateway)
    await gateway.callback(
        session_id, BANK, await login(sources, await gateway.login_url(session_id, BANK))
    )
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, callback)
    result = await gateway.collect(session_id)
    assert result.complete, result.errors


async def test_a_callback_for_a_step_the_session_passed_changes_nothing(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, callback)
    await gateway.collect(session_id)
    size = gateway.ledger.size()
    before = gateway.session(session_id)
    with pytest.raises(SessionStateError):
        await gateway.callback(session_id, BANK, callback.replace("code=", "code=other"))
    assert gateway.ledger.size() == size
    assert gateway.session(session_id) == before


@pytest.mark.parametrize("step", ["give_consent", "deny_consent", "withdraw"])
async def test_a_consent_step_again_returns_the_same_and_appends_nothing(
    gateway: Gateway, step: str
) -> None:
    session = await gateway.start(request(), "applicant-1")
    first = await getattr(gateway, step)(session.id)
    size = gateway.ledger.size()
    again = await getattr(gateway, step)(session.id)
    assert again.state is first.state
    assert again.version == first.version
    assert gateway.ledger.size() == size


async def test_withdraw_after_collect_twice_appends_once(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    await gateway.callback(
        session_id, BANK, await login(sources, await gateway.login_url(session_id, BANK))
    )
    await gateway.collect(session_id)
    await gateway.withdraw(session_id)
    await gateway.withdraw(session_id)
    assert events(gateway).count("consent.withdrawn") == 1
    assert gateway.session(session_id).state is SessionState.WITHDRAWN


async def test_concurrent_consents_append_one_given(gateway: Gateway) -> None:
    session = await gateway.start(request(), "applicant-1")

    async def one() -> None:
        await gateway.give_consent(session.id)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(one)
    assert events(gateway).count("consent.given") == 1


async def test_a_step_cut_short_before_its_ledger_append_is_repaired(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await gateway.start(request(), "applicant-1")
    append = gateway.log.append

    def failing(*args: object, **kwargs: object) -> object:
        raise StoreUnavailableError("the ledger is down")

    gateway.log.append = failing  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailableError):
        await gateway.give_consent(session.id)
    gateway.log.append = append  # type: ignore[method-assign]
    assert "consent.given" not in events(gateway)
    assert gateway.session(session.id).pending  # the step's events wait in the session
    sources.clock.advance(timedelta(seconds=6))  # type: ignore[attr-defined]
    repaired = await gateway.give_consent(session.id)
    assert repaired.state is SessionState.CONSENTED
    assert not repaired.pending
    assert events(gateway).count("consent.given") == 1


async def test_a_step_cut_short_after_its_ledger_append_appends_nothing_again(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await gateway.start(request(), "applicant-1")
    await give_consent_cut_short(gateway, session.id)
    assert events(gateway).count("consent.given") == 1
    sources.clock.advance(timedelta(seconds=6))  # type: ignore[attr-defined]
    await gateway.withdraw(session.id)  # any next step repairs first
    assert events(gateway).count("consent.given") == 1
    assert events(gateway)[-1] == "consent.withdrawn"


async def test_a_step_right_after_one_cut_short_appends_nothing_twice(
    gateway: Gateway, sources: MockSources
) -> None:
    """A step cut short between its ledger append and the clearing write leaves its events
    pending; the next step, before any repair is due, carries them and appends them only if
    the ledger does not hold them (the pending protocol of ``Gateway.embedded()``)."""
    assert gateway._steps._joined is None  # the pending protocol
    session = await gateway.start(request(), "applicant-1")
    await give_consent_cut_short(gateway, session.id)
    assert events(gateway).count("consent.given") == 1
    sources.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]  # no repair due
    await gateway.withdraw(session.id)
    assert events(gateway).count("consent.given") == 1, events(gateway)
    assert events(gateway)[-1] == "consent.withdrawn"
    assert not gateway.session(session.id).pending


# --- the commit after a code exchange ---------------------------------------------------------


def _exchanging(gateway: Gateway, meanwhile: Any) -> tuple[list[object], list[object]]:
    """The bank's first code exchange runs ``meanwhile`` once it has the grant; returns the
    grants exchanged and those revoked."""
    connector = gateway.connectors[BANK]
    complete, revoke = connector.complete_login, connector.revoke
    exchanged: list[object] = []
    revoked: list[object] = []

    async def complete_login(**kwargs: Any) -> Any:
        grant = await complete(**kwargs)
        exchanged.append(grant)
        if len(exchanged) == 1:
            await meanwhile()
        return grant

    async def revoking(*, grant: Any) -> None:
        revoked.append(grant)
        await revoke(grant=grant)

    connector.complete_login = complete_login  # type: ignore[method-assign]
    connector.revoke = revoking  # type: ignore[method-assign]
    return exchanged, revoked


async def test_a_grant_obtained_after_a_withdrawal_is_revoked(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))

    async def withdraw_in_another_tab() -> None:
        await gateway.withdraw(session_id)

    exchanged, revoked = _exchanging(gateway, withdraw_in_another_tab)
    with pytest.raises(SessionStateError):
        await gateway.callback(session_id, BANK, callback)
    assert gateway.session(session_id).state is SessionState.WITHDRAWN
    assert revoked == exchanged
    assert len(exchanged) == 1
    with pytest.raises(SessionStateError):  # said at once, not after waiting for a claim
        await gateway.callback(session_id, BANK, callback)
    assert len(exchanged) == 1
    assert "login.completed" not in events(gateway)


async def test_a_benign_write_during_the_exchange_is_retried(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))

    async def another_instance_writes() -> None:
        gateway.sessions.replace(gateway.session(session_id))  # a version bump elsewhere

    exchanged, revoked = _exchanging(gateway, another_instance_writes)
    record = await gateway.callback(session_id, BANK, callback)
    assert record.sources[BANK].state is SourceState.AUTHORISED
    assert len(exchanged) == 1
    assert not revoked
    assert events(gateway).count("login.completed") == 1
    assert (await gateway.collect(session_id)).complete


async def test_a_grant_that_cannot_be_kept_is_revoked_and_the_claim_ends(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    replace = gateway.sessions.replace

    async def the_store_goes_down() -> None:
        def down(record: SessionRecord) -> SessionRecord:
            if record.sources[BANK].state is SourceState.AUTHORISED:
                raise StoreUnavailableError("the session store is down")
            return replace(record)

        gateway.sessions.replace = down  # type: ignore[method-assign]

    exchanged, revoked = _exchanging(gateway, the_store_goes_down)
    with pytest.raises(StoreUnavailableError):
        await gateway.callback(session_id, BANK, callback)
    gateway.sessions.replace = replace  # type: ignore[method-assign]
    assert revoked == exchanged
    assert len(exchanged) == 1
    progress = gateway.session(session_id).sources[BANK]
    assert progress.state is SourceState.FAILED
    assert progress.error is not None
    assert progress.error["code"] == "login_not_recorded"
    # The browser's retry of the same redirect: answered, its code not exchanged again.
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, callback)
    assert len(exchanged) == 1
    assert events(gateway)[-1] == "data.failed"
    # The consumer logs in again, and the collection goes ahead.
    again = await login(sources, await gateway.login_url(session_id, BANK))
    await gateway.callback(session_id, BANK, again)
    assert (await gateway.collect(session_id)).complete


async def test_a_benign_concurrent_write_does_not_reach_the_caller(
    gateway: Gateway, sources: MockSources
) -> None:
    """add_source and retry lose a compare-and-set to another instance's write: retried on
    the newer session, not a ConcurrentUpdateError for the consumer."""
    session_id = await consented(gateway)
    replace = gateway.sessions.replace
    raced: list[int] = []

    def racing(record: SessionRecord) -> SessionRecord:
        if not raced:
            raced.append(1)
            replace(gateway.sessions.get(record.id))  # another instance writes first
        return replace(record)

    gateway.sessions.replace = racing  # type: ignore[method-assign]
    added = await gateway.add_source(session_id, "bank.noordbank")
    assert "bank.noordbank" in added.sources
    callback = await login(sources, await gateway.login_url(session_id, BANK), approve=False)
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, callback)
    raced.clear()
    retried = await gateway.retry(session_id, BANK)
    assert retried.sources[BANK].state is SourceState.WAITING
    assert len(raced) == 1
