"""Every registered source, every kind of misbehaviour: a typed error for that source, never
a record. Parametrised over the registry: a new source kind is tested by registering it."""

from __future__ import annotations

import json

import pytest

from brondata import Gateway
from brondata import sources as source_kinds
from brondata._demo import PRESETS, preset_request
from brondata.errors import (
    ConnectorError,
    SourceProtocolError,
    SourceRateLimitedError,
    SourceTimeoutError,
    SourceUnavailableError,
)
from brondata.mock._faults import Fault
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

#: Per kind with a mock, its first instance (the one a session uses by default) and the
#: path prefix of its data API.
API = {
    kind.instance_ids()[0]: kind.mock.api for kind in source_kinds.kinds() if kind.mock is not None
}
FAULTS: list[tuple[str, dict[str, object], type[ConnectorError]]] = [
    ("status", {"status": 500}, SourceUnavailableError),
    ("status", {"status": 429}, SourceRateLimitedError),
    ("malformed_json", {}, SourceProtocolError),
    ("schema_violation", {}, SourceProtocolError),
    ("hang", {}, SourceTimeoutError),
]


@pytest.mark.parametrize("source", list(API))
@pytest.mark.parametrize(
    ("kind", "options", "error"), FAULTS, ids=[f[0] + str(f[1].get("status", "")) for f in FAULTS]
)
async def test_a_faulty_source(
    source: str, kind: str, options: dict[str, object], error: type[ConnectorError]
) -> None:
    sources = MockSources(seed=3, clock=FixedClock())
    fault = Fault(kind, API[source], **options)  # type: ignore[arg-type]
    sources.faults[source].add(fault)
    request = preset_request("mortgage", PRESETS["mortgage"]["attributes"])  # no decisions
    async with Gateway.embedded(
        sources.connectors(),
        clock=sources.clock,
        # Short for the faulty source (a hang must end), generous for the healthy ones, so
        # that a slow CI machine never turns a healthy source into a second error.
        source_timeout=dict.fromkeys(API, 30.0) | {source: 0.5},
    ) as gw:
        session = await gw.start(request, "applicant")
        await gw.give_consent(session.id)
        person = sources.scenario("several_properties")
        await sources.authorise(gw, session.id, person)
        result = await gw.collect(session.id)
        assert fault.hits >= 1
        of_kind = source_kinds.kind_of(source)
        assert set(result.errors) == {source}, result.errors
        assert isinstance(result.errors[source], error), result.errors[source]
        # Codes and source names only: nothing that identifies the person.
        message = json.dumps(result.errors[source].to_dict())
        for value in (person.bsn, person.surname, person.iban, person.username):
            assert value not in message
        assert of_kind not in result.records
        assert len(result.records) == len(request.sources()) - 1
        events = [json.loads(e.canonical) for e in gw.ledger.entries()]
        assert not any(e["event"] == "data.delivered" and e["source"] == of_kind for e in events)
        assert any(e["event"] == "data.failed" and e["source"] == source for e in events)


async def test_each_source_has_its_own_timeout() -> None:
    sources = MockSources(seed=3, clock=FixedClock())
    for name in ("tax", "bank.mockbank"):
        sources.faults[name].add(Fault("delay", API[name], seconds=0.2))
    request = preset_request("mortgage", PRESETS["mortgage"]["attributes"])  # no decisions
    timeouts = dict.fromkeys(API, 5.0) | {"tax": 0.1}
    async with Gateway.embedded(
        sources.connectors(), clock=sources.clock, source_timeout=timeouts
    ) as gw:
        session = await gw.start(request, "applicant")
        await gw.give_consent(session.id)
        await sources.authorise(gw, session.id, sources.scenario("salaried"))
        result = await gw.collect(session.id)
    assert set(result.errors) == {"tax"}  # the bank is as slow, but it may take 5 s
    assert isinstance(result.errors["tax"], SourceTimeoutError)
    assert "bank" in result.records
