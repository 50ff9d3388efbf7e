"""Several instances of one source kind in a session: the consumer's choice of banks, one
record per kind from all of them, and typed errors for instances nobody configured."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx2
import pytest

from brondata import Gateway, verify_record
from brondata._demo import preset_request
from brondata.errors import SessionStateError, SourceKindError, UnknownSourceError
from brondata.session import SessionState
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

BANKS = ["bank.mockbank", "bank.noordbank"]
ASKED = ["bank.balance_total", "bank.salary_monthly_average", "person.birth_date"]


def request() -> object:
    return preset_request("rental", ASKED)


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=21, clock=FixedClock())


async def test_an_unknown_instance_names_the_configured_ones(sources: MockSources) -> None:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        with pytest.raises(UnknownSourceError) as caught:
            await gateway.start(preset_request("rental", ASKED), "a", sources=["bank.moonbank"])
    assert caught.value.code == "unknown_source"
    assert all(bank in caught.value.message for bank in BANKS)


async def test_an_unregistered_kind_or_a_bad_id_is_refused_when_the_gateway_is_built(
    sources: MockSources,
) -> None:
    with pytest.raises(UnknownSourceError, match="unknown source kind 'moon'"):
        Gateway.embedded({"moon": sources.connector("tax")})
    with pytest.raises(UnknownSourceError):
        Gateway.embedded({"Bank!": sources.connector("tax")})


async def test_several_instances_of_a_kind_that_cannot_combine_are_refused(
    sources: MockSources,
) -> None:
    tax = sources.connector("tax")
    with pytest.raises(SourceKindError, match="cannot combine"):
        Gateway.embedded({"tax": tax, "tax.second": tax})
    await tax.aclose()


async def test_the_consumer_picks_the_banks_and_the_consent_names_the_kind(
    sources: MockSources,
) -> None:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        rental = preset_request("rental", ASKED)
        default = await gateway.start(rental, "a")
        both = await gateway.start(rental, "a", sources=["bank"])
        second = await gateway.start(rental, "a", sources=["bank.noordbank"])
        assert list(default.sources) == ["population", "bank.mockbank"]
        assert list(both.sources) == ["population", *BANKS]
        assert list(second.sources) == ["population", "bank.noordbank"]
        views = [gateway.consent_view(s.id) for s in (default, both, second)]
        # Which banks is the consumer's choice at login, not part of what they consent to.
        assert all(v.sources == views[0].sources for v in views)
        assert list(views[0].sources) == ["population", "bank"]
        await gateway.give_consent(both.id)
        with pytest.raises(SessionStateError, match="does not need source 'bank'"):
            await gateway.login_url(both.id, "bank")  # two banks: say which


async def test_a_bank_can_be_added_until_the_collection(sources: MockSources) -> None:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session = await gateway.start(preset_request("rental", ASKED), "a")
        with pytest.raises(UnknownSourceError):
            await gateway.add_source(session.id, "bank.moonbank")
        with pytest.raises(SessionStateError, match="asks nothing of a tax source"):
            await gateway.add_source(session.id, "tax")
        added = await gateway.add_source(session.id, "bank.noordbank")
        assert list(added.sources) == ["population", *BANKS]
        assert (
            added.sources["bank.noordbank"].attributes == added.sources["bank.mockbank"].attributes
        )
        assert (await gateway.add_source(session.id, "bank.noordbank")) == added  # idempotent
        await gateway.give_consent(session.id)
        person = sources.scenario("salaried")
        await sources.authorise(gateway, session.id, person)
        await gateway.collect(session.id)
        # After the collection an instance already there changes nothing (a new one would
        # take a login again: tests/gateway/test_dossier.py); after a withdrawal, none.
        unchanged = await gateway.add_source(session.id, "bank.noordbank")
        assert unchanged.state is SessionState.COLLECTED
        await gateway.withdraw(session.id)
        with pytest.raises(SessionStateError):
            await gateway.add_source(session.id, "bank.noordbank")
        entries = [json.loads(e.canonical) for e in gateway.ledger.entries()]
        assert [e["sources"] for e in entries if e["event"] == "consent.given"] == [
            ["bank", "population"]
        ]


def _balance(sources: MockSources, person_username: str, bank: str) -> Decimal:
    """What the population says the person holds at ``bank`` today (the mock's truth)."""
    app = sources.apps[bank]
    state = app.app.state.bank  # the FaultInjector wraps the bank's Starlette app
    person = sources.population.by_username(person_username)
    assert person is not None
    total = Decimal(0)
    for account in state.accounts_of(person):
        if account.currency != "EUR":
            continue
        for balance in state.balances(person, account):
            if balance["balanceType"] == "closingBooked":
                total += Decimal(balance["balanceAmount"]["amount"])
    return total


async def test_two_banks_make_one_bank_record(sources: MockSources) -> None:
    person = sources.scenario("two_incomes")
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session = await gateway.start(preset_request("rental", ASKED), "a", sources=["bank"])
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, person)
        result = await gateway.collect(session.id)
        assert result.complete, result.errors
        assert set(result.records) == {"population", "bank"}
        assert set(result.evidence) == {"population", *BANKS}
        verified = verify_record(result.records["bank"].compact, gateway.jwks())
        assert verified.claims["instances"] == BANKS
        expected = sum(_balance(sources, person.username, bank) for bank in BANKS)
        assert Decimal(verified.attributes["bank.balance_total"]["amount"]) == expected
        assert all(_balance(sources, person.username, bank) != 0 for bank in BANKS)
        entries = [json.loads(e.canonical) for e in gateway.ledger.entries()]
        retrieved = {e["source"] for e in entries if e["event"] == "data.retrieved"}
        delivered = {e["source"] for e in entries if e["event"] == "data.delivered"}
        assert retrieved == {"population", *BANKS}
        assert delivered == {"population", "bank"}


async def test_a_salary_paid_elsewhere_is_found_at_the_second_bank(sources: MockSources) -> None:
    person = sources.scenario("salary_elsewhere")
    salaries = {}
    for chosen in (["bank.mockbank"], ["bank"]):
        async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
            session = await gateway.start(preset_request("rental", ASKED), "a", sources=chosen)
            await gateway.give_consent(session.id)
            await sources.authorise(gateway, session.id, person)
            result = await gateway.collect(session.id)
            assert result.complete, result.errors
            values = verify_record(result.records["bank"].compact, gateway.jwks()).attributes
            salaries[len(chosen[0])] = Decimal(values["bank.salary_monthly_average"]["amount"])
    one_bank, both = salaries[len("bank.mockbank")], salaries[len("bank")]
    assert both > 0
    assert one_bank < both


async def test_a_bank_the_person_does_not_bank_at_refuses_and_the_other_delivers(
    sources: MockSources,
) -> None:
    person = sources.scenario("salaried")  # banks at the mockbank only
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session = await gateway.start(preset_request("rental", ASKED), "a", sources=["bank"])
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, person)  # leaves the noordbank
        result = await gateway.collect(session.id)
        assert set(result.records) == {"population", "bank"}
        assert set(result.errors) == {"bank.noordbank"}
        assert result.errors["bank.noordbank"].code == "authorization_error"
        assert result.delivered("bank.mockbank")
        assert not result.delivered("bank.noordbank")
        claims = verify_record(result.records["bank"].compact, gateway.jwks()).claims
        assert claims["instances"] == ["bank.mockbank"]


def test_the_mock_world_names_its_instances_and_refuses_unknown_ones() -> None:
    assert {"bank.mockbank", "bank.noordbank"} <= set(MockSources.source_names())
    banks = MockSources(seed=1, sources=("bank",))
    assert list(banks.apps) == BANKS
    with pytest.raises(UnknownSourceError) as caught:
        MockSources(seed=1, sources=("moon",))
    assert "bank.noordbank" in caught.value.message
    with pytest.raises(UnknownSourceError):
        banks.connector("tax")


async def test_a_timeout_may_be_set_per_kind_or_per_instance(sources: MockSources) -> None:
    connectors = sources.connectors()
    gateway = Gateway.embedded(
        connectors, clock=sources.clock, source_timeout={"bank": 7.0, "bank.noordbank": 3.0}
    )
    async with gateway:
        assert gateway._timeouts["bank.mockbank"] == 7.0
        assert gateway._timeouts["bank.noordbank"] == 3.0
        assert gateway._timeouts["tax"] == 30.0


@pytest.mark.parametrize(
    ("bank", "title", "colour"),
    [("bank.mockbank", "Mockbank", "#e8590c"), ("bank.noordbank", "Noordbank", "#0b7285")],
)
async def test_each_bank_has_its_own_login_page(
    sources: MockSources, bank: str, title: str, colour: str
) -> None:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session = await gateway.start(preset_request("rental", ASKED), "a", sources=[bank])
        await gateway.give_consent(session.id)
        url = await gateway.login_url(session.id, bank)
    assert url.startswith(sources.base_urls[bank])
    async with httpx2.AsyncClient(transport=sources.transport(bank)) as browser:
        page = await browser.get(url, follow_redirects=True)
    assert page.status_code == 200
    assert f"{title} Internetbankieren" in page.text
    assert colour in page.text
