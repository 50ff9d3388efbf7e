"""Collection under stress: odd answers, refused refreshes, a second collector, a withdrawal.

Each case must end with typed errors for the sources concerned, records for the others, and a
ledger that an auditor accepts.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.consent import LogSigner, audit_verify, export
from brondata.errors import (
    ConsentDeniedError,
    SessionStateError,
    SourceProtocolError,
    SourceRejectedError,
    StoreError,
    TokenExchangeError,
)
from brondata.mock._faults import Fault
from brondata.session import SessionState
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

pytestmark = pytest.mark.anyio

ATTRIBUTES = ["person.birth_date", "person.surname", "bank.balance_total", "employment.sv_wage_12m"]


def request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Mortgage"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=ATTRIBUTES,
        retention_days=30,
        recipient="Lender",
    )


async def ready(gateway: Gateway, sources: MockSources) -> str:
    session = await gateway.start(request(), "applicant")
    await gateway.give_consent(session.id)
    await sources.authorise(gateway, session.id, sources.person(0))
    return session.id


def events(gateway: Gateway) -> list[dict[str, Any]]:
    return [json.loads(e.canonical) for e in gateway.ledger.entries()]


def audited(gateway: Gateway, tmp_path: Path) -> None:
    export(gateway.ledger, tmp_path / "export", LogSigner.generate("lender.example/log"))
    report = audit_verify(tmp_path / "export")
    assert report.ok, report.to_dict()


async def test_an_answer_the_mapping_cannot_read_fails_only_its_source(tmp_path: Path) -> None:
    sources = MockSources(seed=8, clock=FixedClock())
    odd = {
        "type": "RaadpleegMetBurgerservicenummer",
        "personen": [{"geboorte": {"datum": {"type": "JaarMaandDatum", "jaar": 1980}}}],
    }
    sources.faults["population"].add(Fault("body", "/haalcentraal", body=odd))
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        result = await gateway.collect(await ready(gateway, sources))
        assert set(result.errors) == {"population"}
        assert isinstance(result.errors["population"], SourceProtocolError)
        assert set(result.records) == {"bank", "employment"}
        audited(gateway, tmp_path)


async def test_a_refused_refresh_is_a_token_error_of_that_source() -> None:
    sources = MockSources(
        seed=8, clock=FixedClock(), app_options={"employment": {"token_ttl_seconds": 30}}
    )
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session_id = await ready(gateway, sources)
        # authlib refreshes the 30 s token before its first call; the server says no.
        sources.faults["employment"].add(
            Fault("status", "/oauth/token", status=400, include_auth=True)
        )
        result = await gateway.collect(session_id)
    assert set(result.errors) == {"employment"}
    assert isinstance(result.errors["employment"], TokenExchangeError)
    assert set(result.records) == {"population", "bank"}


async def test_a_second_collect_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    sources = MockSources(seed=8, clock=FixedClock())
    sources.faults[BANK].add(Fault("delay", "/v1/accounts", seconds=0.2))
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session_id = await ready(gateway, sources)
        outcomes: list[object] = []

        async def attempt() -> None:
            try:
                outcomes.append(await gateway.collect(session_id))
            except (SessionStateError, StoreError) as exc:
                outcomes.append(exc)

        async with anyio.create_task_group() as group:
            group.start_soon(attempt)
            group.start_soon(attempt)
        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert len(refused) == 1
        delivered = [e for e in events(gateway) if e["event"] == "data.delivered"]
        assert len(delivered) == 3  # once per source, not twice
        assert gateway.session(session_id).state is SessionState.COLLECTED
        audited(gateway, tmp_path)


async def test_a_withdrawal_during_collection_stops_the_deliveries(tmp_path: Path) -> None:
    sources = MockSources(seed=8, clock=FixedClock())
    sources.faults[BANK].add(Fault("delay", "/v1/accounts", seconds=0.3))
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session_id = await ready(gateway, sources)
        results: list[Any] = []

        async def collect() -> None:
            results.append(await gateway.collect(session_id))

        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            await anyio.sleep(0.1)  # population and employment are in, the bank is slow
            await gateway.withdraw(session_id)
        (result,) = results
        # The bank had its consent ended by the withdrawal: it refuses the slow fetch.
        assert isinstance(result.errors[BANK], SourceRejectedError)
        assert "bank" not in result.records
        log = events(gateway)
        withdrawn_at = next(i for i, e in enumerate(log) if e["event"] == "consent.withdrawn")
        assert not any(e["event"] == "data.delivered" for e in log[withdrawn_at:])
        assert gateway.session(session_id).state is SessionState.WITHDRAWN
        audited(gateway, tmp_path)


async def test_a_stale_claim_can_be_taken_over() -> None:
    clock = FixedClock()
    sources = MockSources(seed=8, clock=clock)
    async with Gateway.embedded(sources.connectors(), clock=clock, source_timeout=5) as gateway:
        session_id = await ready(gateway, sources)
        # A collector claimed the session and died before writing anything else.
        record = gateway.session(session_id)
        gateway.sessions.replace(
            record.model_copy(
                update={
                    "state": SessionState.COLLECTING,
                    "collecting_since": clock.now(),
                    "collector": "dead",
                    "lease_until": clock.now() + timedelta(seconds=6),
                }
            )
        )
        with pytest.raises(SessionStateError, match="being collected"):
            await gateway.collect(session_id)
        clock.advance(timedelta(seconds=7))  # the lease lapses in seconds
        result = await gateway.collect(session_id)
        assert result.complete


async def test_data_fetched_before_a_withdrawal_is_not_delivered_after_it() -> None:
    """Another instance withdraws between this one's fetch and its delivery."""
    sources = MockSources(seed=8, clock=FixedClock())
    connectors = sources.connectors()
    async with Gateway.embedded(connectors, clock=sources.clock) as gateway:
        session_id = await ready(gateway, sources)
        bank = connectors[BANK]
        fetch = bank.fetch

        async def fetch_then_withdrawn_elsewhere(**kwargs: Any) -> Any:
            response = await fetch(**kwargs)
            await gateway.withdraw(session_id)
            return response

        bank.fetch = fetch_then_withdrawn_elsewhere  # type: ignore[method-assign]
        result = await gateway.collect(session_id)
    assert isinstance(result.errors["bank"], ConsentDeniedError)  # the kind did not deliver
    assert "bank" not in result.records


async def test_the_signing_key_is_looked_up_off_the_event_loop() -> None:
    """A key store may read files to find its active key: never on the event loop."""
    import threading

    from brondata.records import MemoryKeyStore

    looked_up_on: list[bool] = []
    loop_thread = threading.current_thread()

    class Watched(MemoryKeyStore):
        __slots__ = ()

        def active(self) -> Any:
            looked_up_on.append(threading.current_thread() is loop_thread)
            return super().active()

    keys = Watched()
    keys.generate()
    sources = MockSources(seed=11, clock=FixedClock())
    gateway = Gateway.embedded(sources.connectors(), clock=sources.clock, signing_key=keys)
    async with gateway:
        session_id = await ready(gateway, sources)
        looked_up_on.clear()
        result = await gateway.collect(session_id)
    assert result.complete, result.errors
    assert looked_up_on
    assert not any(looked_up_on)


async def test_a_failed_revocation_is_logged_by_its_code_only() -> None:
    from structlog.testing import capture_logs

    from brondata.errors import SourceRejectedError

    sources = MockSources(seed=11, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session_id = await ready(gateway, sources)

        async def refusing(*, grant: Any) -> None:
            raise SourceRejectedError("token tok-SECRET-123 unknown for NL91MOCK0000000001")

        gateway.connectors[BANK].revoke = refusing  # type: ignore[method-assign]
        with capture_logs() as logs:
            await gateway.withdraw(session_id)
    [failed] = [e for e in logs if e["event"] == "source.revoke_failed"]
    assert failed["error"] == "source_rejected"
    assert "SECRET" not in json.dumps(logs, default=str)
