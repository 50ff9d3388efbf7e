"""One journey served by two instances of the lender's app, and the binding stores."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar
from pathlib import Path

import anyio
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.web.conftest import BASE, CALLBACK, REQUEST, SECRET, Browser, csrf_of, hidden

from brondata import Gateway
from brondata._secrets import GatewaySecrets
from brondata.records import SigningKey
from brondata.session import SessionState
from brondata.stores import open_stores
from brondata.testing import MockSources
from brondata.web import (
    BindingStore,
    Journey,
    JourneyConfig,
    MemoryBindingStore,
    PostgresBindingStore,
    SqliteBindingStore,
    open_binding_store,
)

# --- the stores --------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], BindingStore]]:
    """A maker of binding stores that all open the same place (two instances' views)."""
    opened: list[BindingStore] = []
    if request.param == "memory":
        shared = MemoryBindingStore()
        maker: Callable[[], BindingStore] = lambda: shared  # noqa: E731
    elif request.param == "sqlite":
        maker = lambda: SqliteBindingStore(tmp_path / "journey.db")  # noqa: E731
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        schema = request.getfixturevalue("pg_schema")
        maker = lambda: PostgresBindingStore(dsn, schema=schema)  # noqa: E731

    def make() -> BindingStore:
        store = maker()
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def test_a_binding_is_made_once_and_binds_one_browser(
    make_store: Callable[[], BindingStore],
) -> None:
    one, two = make_store(), make_store()
    assert one.get("s-1") is None
    assert one.bind("s-1", "h") is None  # no journey: nothing to bind
    made = one.add("s-1", "application-1")
    assert (made.subject, made.browser_hash) == ("application-1", None)
    assert two.add("s-1", "application-1") == made  # a second link: the same binding
    first = two.bind("s-1", "browser-a")
    assert first is not None
    assert first.browser_hash == "browser-a"
    # The second browser loses, on either instance; the first stays bound.
    second = one.bind("s-1", "browser-b")
    assert second is not None
    assert second.browser_hash == "browser-a"
    assert one.get("s-1") == two.get("s-1") == first


def test_open_binding_store_picks_by_url(tmp_path: Path) -> None:
    assert isinstance(open_binding_store(":memory:"), MemoryBindingStore)
    store = open_binding_store(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert isinstance(store, SqliteBindingStore)
    finally:
        store.close()


# --- two instances -----------------------------------------------------------------------------


class Instance:
    """One instance of the lender's app: its gateway, its journey, a client to it."""

    def __init__(self, gateway: Gateway, bindings: BindingStore) -> None:
        self.gateway = gateway
        self.bindings = bindings
        self.journey = Journey(
            gateway,
            JourneyConfig(lender_name="Test Lender", secret=SECRET, return_url=BASE + "/back"),
            bindings=bindings,
        )
        self.app = Starlette(routes=[Mount("/journey", app=self.journey)])


@asynccontextmanager
async def two_instances(
    kind: str, place: str
) -> AsyncIterator[tuple[Instance, Instance, MockSources]]:
    """Two gateways and journeys over one database (``kind``: sqlite or postgres), and the
    mock sources both call."""
    sources = MockSources(seed=7, redirect_uri=CALLBACK)
    secrets, key = GatewaySecrets.generate(), SigningKey.generate()
    instances = []
    for _ in range(2):
        if kind == "sqlite":
            gateway = Gateway.embedded(
                sources.connectors(),
                path=Path(place) / "lender.db",
                redirect_uri=CALLBACK,
                clock=sources.clock,
            )
            bindings: BindingStore = SqliteBindingStore(Path(place) / "lender.db")
        else:
            dsn, schema = place.split("|")
            stores = open_stores(dsn, schema=schema)
            connectors = sources.connectors()
            gateway = Gateway(
                issuer="https://lender.test",
                connectors=connectors,
                redirect_uri=CALLBACK,
                ledger=stores.ledger,
                sessions=stores.sessions,
                keyring=stores.keyring,
                signing_key=key,
                store_key=secrets.store_key,
                pseudonym_key=secrets.pseudonym_key,
                clock=sources.clock,
                owned=[stores, *connectors.values()],
            )
            bindings = PostgresBindingStore(dsn, schema=schema, pool=stores.shared[0])
        instances.append(Instance(gateway, bindings))
    try:
        yield instances[0], instances[1], sources
    finally:
        for instance in instances:
            await instance.journey.aclose()
            instance.bindings.close()
            await instance.gateway.aclose()


async def _journey_across(first: Instance, second: Instance, sources: MockSources) -> None:
    """The consumer starts on ``first``; every callback lands on ``second``; the collection
    runs on ``second``; the result page is read on ``first``."""
    session = await first.gateway.start(REQUEST, "applicant-1")
    link = await first.journey.link(session.id, "applicant-1")
    jar = CookieJar()  # one browser: one cookie jar, whichever instance it reaches
    clients = [
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=instance.app),
            base_url=BASE,
            follow_redirects=False,
            cookies=jar,
        )
        for instance in (first, second)
    ]
    try:
        on_first, on_second = (Browser(client, sources) for client in clients)
        page = await on_first.follow(await on_first.get(link))
        response = await on_first.post(
            "/journey/consent",
            {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice"), "decision": "give"},
        )
        page = await on_second.follow(response)
        assert page.status_code == 200, page.text
        person = sources.person(0)
        for instance in first.gateway.session(session.id).sources:
            response = await on_first.post(
                f"/journey/login/{instance}", {"csrf": csrf_of(page.text)}
            )
            back = await on_first.login(response, person.username, person.password)
            page = await on_second.follow(await on_second.get(back))
            assert page.status_code == 200, page.text
        await on_second.post("/journey/collect", {"csrf": csrf_of(page.text)})
        with anyio.fail_after(30):
            await second.journey.finished(session.id)
        assert first.gateway.session(session.id).state is SessionState.COLLECTED
        result = await on_first.follow(await on_first.get("/journey/progress"))
        assert result.status_code == 200
        assert "Wat is gedeeld" in result.text
        assert set(first.gateway.result(session.id).records) == {"bank", "population", "tax"}
        # Another browser still cannot use the link, on either instance.
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=second.app), base_url=BASE
        ) as stranger:
            assert (await stranger.get(link)).status_code == 403
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.anyio
async def test_a_journey_continues_on_another_instance_sqlite(tmp_path: Path) -> None:
    async with two_instances("sqlite", str(tmp_path)) as (a, b, sources):
        await _journey_across(a, b, sources)


@pytest.mark.anyio
async def test_a_journey_continues_on_another_instance_postgres(
    postgres_dsn: str, pg_schema: str
) -> None:
    async with two_instances("postgres", f"{postgres_dsn}|{pg_schema}") as (a, b, sources):
        await _journey_across(a, b, sources)


@pytest.mark.anyio
async def test_a_link_for_another_subject_is_refused(tmp_path: Path) -> None:
    from brondata.errors import JourneyLinkError

    async with two_instances("sqlite", str(tmp_path)) as (a, _, _sources):
        session = await a.gateway.start(REQUEST, "applicant-1")
        with pytest.raises(JourneyLinkError):
            await a.journey.link(session.id, "applicant-2")
        assert a.bindings.get(session.id) is None
