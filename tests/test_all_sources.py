"""Every registered source kind in one session, for every scenario of the synthetic population.

The records of different sources must tell one consistent story about one person, one
failing source must not cost the others their records, and the sources are fetched at once.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from brondata import Gateway, verify_record
from brondata import sources as source_kinds
from brondata._demo import PRESETS, preset_request
from brondata.errors import SourceUnavailableError
from brondata.mock._faults import Fault
from brondata.mock.population import SCENARIOS
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

# The preset's source attributes (its decisions are tests/gateway/test_dossier.py's).
ATTRIBUTES = [
    *PRESETS["mortgage"]["attributes"],
    "pension.providers",
    "property.count",
    "person.nationality",
]


async def session(sources: MockSources, scenario: str) -> tuple[Gateway, Any]:
    gateway = Gateway.embedded(sources.connectors(), clock=sources.clock)
    request = preset_request("mortgage", ATTRIBUTES)
    started = await gateway.start(request, f"applicant-{scenario}")
    await gateway.give_consent(started.id)
    await sources.authorise(gateway, started.id, sources.scenario(scenario))
    return gateway, await gateway.collect(started.id)


def released(gateway: Gateway, result: Any, now: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for record in result.records.values():
        out.update(verify_record(record.compact, gateway.jwks(), now=now).attributes)
    return out


#: new_build has a property without a WOZ value: its land registry record is delivered with
#: property.woz_value left out (None), which the dossier checks report (property_without_woz).
WHOLE = [s for s in SCENARIOS if s != "new_build"]


async def test_a_property_without_woz_leaves_out_the_value_alone() -> None:
    sources = MockSources(seed=17, clock=FixedClock())
    gateway, result = await session(sources, "new_build")
    try:
        assert result.errors == {}
        assert set(result.records) == set(source_kinds.names())
        v = released(gateway, result, sources.clock.now())
        assert v["property.woz_value"] is None
        assert v["property.count"] >= 1
    finally:
        await gateway.aclose()


@pytest.mark.parametrize("scenario", WHOLE)
async def test_every_scenario_tells_one_story(scenario: str) -> None:
    sources = MockSources(seed=17, clock=FixedClock())
    gateway, result = await session(sources, scenario)
    try:
        assert result.errors == {}
        assert set(result.records) == set(source_kinds.names())
        v = released(gateway, result, sources.clock.now())
        assert sorted(v) == sorted(set(ATTRIBUTES))
        person = sources.scenario(scenario)

        assert v["person.surname"].endswith(person.surname.split()[-1])
        assert (v["household.partner"] is not None) == (scenario == "two_incomes")
        assert (v["employment.current"] == []) == (scenario in ("self_employed", "retired"))
        assert v["tax.student_debt"] is (
            True if scenario == "student_debt" else v["tax.student_debt"]
        )
        # DUO and the tax return know one student debt, or none (a recent arrival has no
        # return yet).
        owed = float(v["student_debt.outstanding"]["amount"])
        assert (owed > 0) is (v["tax.student_debt"] or False)
        assert (v["student_debt.repayment_regime"] is None) is (owed == 0)
        assert v["student_debt.repayment_regime"] in (None, "SF15", "SF35")
        if scenario.startswith("student_debt"):  # a pause does not make the term zero
            assert float(v["student_debt.monthly_repayment"]["amount"]) > 0
            assert v["student_debt.repayment_regime"] in ("SF15", "SF35")
        if scenario == "tenant":
            assert v["property.owned"] == []
            assert v["property.count"] == 0
        if scenario == "several_properties":
            assert v["property.count"] >= 2
        if scenario == "three_pension_providers":
            assert len({p["provider"] for p in v["pension.providers"]}) == 3
        if scenario == "recent_arrival":
            assert v["person.nationality"][0]["description"] != "Nederlandse"
        if v["property.owned"] and scenario != "several_properties":
            # The home in the land registry is where the population register says they live.
            owned = {a["postcode"] for p in v["property.owned"] for a in p["addresses"]}
            assert v["person.address"]["postcode"] in owned
        if scenario in ("salaried", "temporary_contract", "two_incomes", "student_debt"):
            # The bank's salary and UWV's SV-loon describe one payroll: net below gross.
            net = float(v["bank.salary_monthly_average"]["amount"])
            gross_month = float(v["employment.sv_wage_12m"]["amount"]) / 12
            assert 0.45 * gross_month < net < gross_month
    finally:
        await gateway.aclose()


async def test_one_failing_source_costs_only_its_own_record() -> None:
    sources = MockSources(seed=17, clock=FixedClock())
    sources.faults["tax"].add(Fault("status", "/api/via", status=503))
    gateway, result = await session(sources, "salaried")
    try:
        assert set(result.errors) == {"tax"}
        assert isinstance(result.errors["tax"], SourceUnavailableError)
        assert set(result.records) == set(source_kinds.names()) - {"tax"}
        entries = [json.loads(e.canonical) for e in gateway.ledger.entries()]
        failed = [e for e in entries if e["event"] == "data.failed"]
        assert [(e["source"], e["error_code"]) for e in failed] == [("tax", "source_unavailable")]
        delivered = {e["source"] for e in entries if e["event"] == "data.delivered"}
        assert delivered == set(result.records)
    finally:
        await gateway.aclose()


class _InFlight:
    """ASGI wrapper counting requests in flight across every source it wraps.

    Each data request waits (up to 5 s) until five are in flight at once: concurrent
    collection gets there at once, a sequential one never does, whatever the machine's speed.
    """

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.armed = False  # only the collection counts, not the logins before it
        self.together = anyio.Event()

    def wrap(self, app: Any) -> Any:
        async def counted(scope: Any, receive: Any, send: Any) -> None:
            data = scope["type"] == "http" and scope["path"].startswith(
                ("/api", "/v1/accounts", "/esd", "/haal")
            )
            if self.armed and data:
                self.now += 1
                self.most = max(self.most, self.now)
                if self.most >= 5:
                    self.together.set()
                try:
                    with anyio.move_on_after(5):
                        await self.together.wait()
                    await app(scope, receive, send)
                finally:
                    self.now -= 1
            else:
                await app(scope, receive, send)

        return counted


async def test_sources_are_fetched_at_the_same_time() -> None:
    sources = MockSources(seed=17, clock=FixedClock())
    flight = _InFlight()
    sources.apps = {name: flight.wrap(app) for name, app in sources.apps.items()}
    gateway = Gateway.embedded(sources.connectors(), clock=sources.clock)
    try:
        started = await gateway.start(preset_request("mortgage", ATTRIBUTES), "applicant")
        await gateway.give_consent(started.id)
        await sources.authorise(gateway, started.id, sources.scenario("salaried"))
        flight.armed = True
        result = await gateway.collect(started.id)
        assert result.complete
        assert flight.most >= 5  # one request per source in flight together (seven sources)
    finally:
        await gateway.aclose()
