"""A misbehaving source gives a typed per-source error, a ledger entry, and never a record."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.errors import (
    ConnectorError,
    SourceProtocolError,
    SourceRateLimitedError,
    SourceTimeoutError,
    SourceUnavailableError,
)
from brondata.mock._faults import Fault, parse_fault
from brondata.session import SourceState
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

pytestmark = pytest.mark.anyio


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=5, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources) -> AsyncIterator[Gateway]:
    async with Gateway.embedded(
        sources.connectors(), clock=sources.clock, source_timeout=2.0
    ) as gw:
        yield gw


async def authorised_session(gateway: Gateway, sources: MockSources) -> str:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total", "bank.salary_monthly_average"],
        retention_days=30,
        recipient="Lender",
    )
    session = await gateway.start(request, "applicant")
    await gateway.give_consent(session.id)
    url = await gateway.login_url(session.id, BANK)
    person = sources.person(0)
    async with sources.consumer("bank") as consumer:
        callback = await consumer.authorize(url, username=person.username, password=person.password)
    await gateway.callback(session.id, BANK, callback)
    return session.id


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault("status", "/v1/accounts", status=500), SourceUnavailableError),
        (Fault("status", "/v1/accounts", status=503), SourceUnavailableError),
        (Fault("status", "/v1/accounts", status=429), SourceRateLimitedError),
        (Fault("malformed_json", "/v1/accounts"), SourceProtocolError),
        (Fault("schema_violation", "/v1/accounts"), SourceProtocolError),
        (Fault("schema_violation", "/v1/accounts/", times=1), SourceProtocolError),
        (Fault("hang", "/v1/accounts/"), SourceTimeoutError),
    ],
    ids=["500", "503", "429", "malformed", "schema-accounts", "schema-balances", "hang"],
)
async def test_fault_becomes_a_typed_error_and_a_ledger_entry(
    gateway: Gateway, sources: MockSources, fault: Fault, error: type[ConnectorError]
) -> None:
    session_id = await authorised_session(gateway, sources)
    sources.faults[BANK].add(fault)
    result = await gateway.collect(session_id)

    assert result.records == {}
    assert isinstance(result.errors[BANK], error)
    assert fault.hits >= 1
    last = json.loads(list(gateway.ledger.entries())[-1].canonical)
    assert last["event"] == "data.failed"
    assert last["error_code"] == error.code
    assert "data.delivered" not in {
        json.loads(e.canonical)["event"] for e in gateway.ledger.entries()
    }
    progress = gateway.session(session_id).sources[BANK]
    assert progress.state is SourceState.FAILED
    assert progress.error == {
        "code": error.code,
        "message": result.errors[BANK].message,
        "source": BANK,
    }
    assert progress.sealed is None  # the token is gone with the failure


async def test_a_delay_under_the_timeout_is_only_slower(
    gateway: Gateway, sources: MockSources
) -> None:
    session_id = await authorised_session(gateway, sources)
    sources.faults[BANK].add(Fault("delay", "/v1", seconds=0.01))
    result = await gateway.collect(session_id)
    assert result.complete


def test_parse_fault() -> None:
    assert parse_fault("status:/v1/accounts:502").status == 502
    assert parse_fault("delay::0.15").seconds == 0.15
    assert parse_fault("hang").path == "/"
    with pytest.raises(ValueError, match="unknown fault"):
        parse_fault("explode")


async def test_the_injector_records_each_injection_by_the_request_tag() -> None:
    """A soak tells a failure at a faulted source from one at a healthy source: each fault
    counts the requests it hit per ``FAULT_TAG_HEADER`` value (untagged ones only as hits)."""
    import httpx2
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from brondata.mock._faults import FAULT_TAG_HEADER, FaultInjector

    async def ok(request: object) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/api/{x}", ok), Route("/other", ok)])
    fault = Fault("status", "/api", status=503, times=3)
    injector = FaultInjector(app, [fault])
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=injector), base_url="http://mock"
    ) as client:
        assert (await client.get("/other", headers={FAULT_TAG_HEADER: "s0"})).status_code == 200
        assert (await client.get("/api/1", headers={FAULT_TAG_HEADER: "s1"})).status_code == 503
        assert (await client.get("/api/2", headers={FAULT_TAG_HEADER: "s1"})).status_code == 503
        assert (await client.get("/api/3")).status_code == 503
        assert (await client.get("/api/4", headers={FAULT_TAG_HEADER: "s2"})).status_code == 200
    assert fault.hits == 3
    assert dict(fault.injected) == {"s1": 2}


async def test_a_rewriting_fault_passes_on_a_request_the_app_never_answered() -> None:
    """The client went away before its body arrived (the app sends nothing): a malformed-JSON
    fault then has nothing to rewrite, and the server logs no error for it."""
    from starlette.types import Message, Receive, Scope, Send

    from brondata.mock._faults import FaultInjector

    async def gone(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # http.disconnect: nothing to answer

    async def disconnect() -> Message:
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    injector = FaultInjector(gone, [Fault("malformed_json")])
    scope = {"type": "http", "method": "GET", "path": "/api", "headers": []}
    await injector(scope, disconnect, send)
    assert sent == []
