"""The source registry holds: each kind's mapping produces exactly the attributes the kind
declares (and every catalogue attribute comes from a kind that maps it), and a registration
that does not hold together is refused with a typed error. Parametrised over the registry,
so a new kind is tested by registering it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import pytest

import brondata
from brondata import sources as source_kinds
from brondata.attributes import CATALOGUE, Attribute, Sensitivity, ValueType
from brondata.errors import SourceKindError, UnknownSourceError
from brondata.request import DataRequest
from brondata.sources import SourceKind, SourceMapping
from brondata.sources._kind import REGISTRY
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

KINDS = [kind.name for kind in source_kinds.kinds()]
MOCKED = [kind.name for kind in source_kinds.kinds() if kind.mock is not None]


async def fetched_raw(kind: str, scenario: str = "student_debt") -> Mapping[str, Any]:
    """The raw data the kind's first mock instance gives its connector, all attributes."""
    sources = MockSources(seed=5, clock=FixedClock())
    instance = source_kinds.get(kind).instance_ids()[0]
    person = sources.scenario(scenario)
    connector = sources.connector(instance)
    attributes = sorted(source_kinds.get(kind).attribute_names)
    redirect_uri = sources.redirect_uri.format(source=instance)
    today = sources.clock.now().date()
    try:
        start = await connector.begin_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=today
        )
        async with sources.browser() as browser:
            callback = await browser.authorize(
                start.authorization_url, username=person.username, password=person.password
            )
        grant = await connector.complete_login(
            callback_url=callback, pending=start.pending, redirect_uri=redirect_uri
        )
        response = await connector.fetch(grant=grant, attributes=attributes, today=today)
    finally:
        await connector.aclose()
    assert response.source == instance  # the connector speaks for its instance
    return response.raw


@pytest.mark.parametrize("kind", KINDS)
def test_the_mapping_provides_exactly_the_declared_attributes(kind: str) -> None:
    registered = source_kinds.get(kind)
    assert registered.mapping.provides == registered.attribute_names
    for attribute in registered.attributes:
        assert kind in CATALOGUE[attribute.name].sources
        assert CATALOGUE[attribute.name].definition() == attribute.definition()


def test_every_catalogue_attribute_comes_from_a_kind_that_maps_it() -> None:
    for name, attribute in CATALOGUE.items():
        if attribute.decision:  # computed in the gateway from attributes kinds map
            assert not attribute.sources, name
            continue
        assert attribute.sources, name
        for kind in attribute.sources:
            assert name in source_kinds.get(kind).mapping.provides


@pytest.mark.parametrize("kind", MOCKED)
async def test_the_mapping_of_real_mock_data_yields_exactly_the_declared_attributes(
    kind: str,
) -> None:
    registered = source_kinds.get(kind)
    raw = await fetched_raw(kind)
    declared = sorted(registered.attribute_names)
    today = FixedClock().now().date()
    assert set(registered.mapping.map(raw, declared, today)) == set(declared)
    for name in declared:  # and each alone: nothing more than asked
        assert set(registered.mapping.map(raw, [name], today)) == {name}


def test_kinds_are_in_login_order_and_named_once() -> None:
    orders = [(k.order, k.name) for k in source_kinds.kinds()]
    assert orders == sorted(orders)
    assert len(set(KINDS)) == len(KINDS)
    assert {"bank", "duo", "tax"} <= set(KINDS)


def test_an_unknown_kind_names_the_registered_ones() -> None:
    with pytest.raises(UnknownSourceError) as caught:
        source_kinds.get("moon")
    assert caught.value.code == "unknown_source"
    assert all(name in caught.value.message for name in KINDS)


# --- registering a kind of one's own ---------------------------------------------------------

LEASE = Attribute(
    "lease.monthly_payment",
    ValueType.MONEY,
    "Monthly lease payment",
    "Maandelijkse leasetermijn",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return {name: {"amount": str(raw["amount"]), "currency": "EUR"} for name in attributes}


def lease_kind(**changes: Any) -> SourceKind:
    kind = SourceKind(
        name="lease",
        title="Leasemaatschappij",
        attributes=(LEASE,),
        connector=MockSources,  # never called here
        mapping=SourceMapping("lease.v1", frozenset({LEASE.name}), _map),
    )
    return dataclasses.replace(kind, **changes)


@pytest.fixture
def restore_registry() -> Iterator[None]:
    yield
    REGISTRY.unregister("lease")


@pytest.mark.usefixtures("restore_registry")
def test_a_registered_kind_joins_the_catalogue_and_the_requests() -> None:
    brondata.sources.register(lease_kind())
    assert CATALOGUE["lease.monthly_payment"].sources == ("lease",)
    assert "lease" in source_kinds.names()
    request = DataRequest(
        purpose={"term": "dpv:CreditChecking", "text": "Check a lease."},
        legal_basis="dpv:Contract",
        attributes=["lease.monthly_payment", "bank.balance_total"],
        retention_days=30,
        recipient="Lessor",
    )
    assert request.sources() == {"bank": ["bank.balance_total"], "lease": [LEASE.name]}


@pytest.mark.usefixtures("restore_registry")
@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"name": "bank"}, "registered already"),
        ({"name": "Lease!"}, "is not"),
        (
            {"mapping": SourceMapping("lease.v1", frozenset({"lease.other"}), _map)},
            "declares but cannot map lease.monthly_payment; maps but does not declare lease.other",
        ),
        ({"attributes": ()}, "declares no attributes"),
        (
            {"attributes": (dataclasses.replace(CATALOGUE["bank.balance_total"], raw=True),)},
            "otherwise than 'bank'",
        ),
    ],
)
def test_a_registration_that_does_not_hold_is_refused(
    changes: dict[str, Any], complaint: str
) -> None:
    kind = lease_kind(**changes)
    if changes.get("attributes"):
        names = frozenset(a.name for a in changes["attributes"])
        kind = dataclasses.replace(kind, mapping=SourceMapping("lease.v1", names, _map))
    with pytest.raises(SourceKindError, match=complaint) as caught:
        brondata.sources.register(kind)
    assert caught.value.code == "invalid_source_kind"
    assert "lease" not in source_kinds.names()


@pytest.mark.usefixtures("restore_registry")
def test_a_kind_from_an_entry_point_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    class EntryPoint:
        name = "lease"
        value = "lease_package:KIND"

        def load(self) -> SourceKind:
            return lease_kind()

    fresh = type(REGISTRY)()
    monkeypatch.setattr(
        "importlib.metadata.entry_points",
        lambda group: [EntryPoint()] if group == source_kinds.ENTRY_POINT_GROUP else [],
    )
    assert "lease" in [k.name for k in fresh.kinds()]
    assert fresh.catalogue()["lease.monthly_payment"].sources == ("lease",)


@pytest.mark.parametrize("instance", MockSources.source_names())
def test_sample_requests_are_data_requests_of_the_kinds_api(instance: str) -> None:
    kind = source_kinds.get(instance)
    assert kind.mock is not None
    declared = dict(zip(kind.instance_ids(), kind.mock.instances, strict=True))[instance]
    person = MockSources(seed=5).scenario("two_incomes")  # banks at both banks
    requests = kind.mock.sample_requests(person, declared)
    assert requests
    assert requests[0][1].startswith(kind.mock.api)  # the data API first
    for method, path, _body in requests:
        assert method in ("GET", "POST")
        assert not path.startswith(("/oauth", "/.well-known")), path
