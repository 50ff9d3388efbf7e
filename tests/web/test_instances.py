"""One journey served by two instances of the lender's app, and the binding stores."""

from __future__ import annotations

import time
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
from brondata.gateway import CollectionResult
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


def test_a_pending_collection_is_seen_by_every_instance(
    make_store: Callable[[], BindingStore],
) -> None:
    one, two = make_store(), make_store()
    one.add("s-1", "application-1")
    one.mark_collection("s-1", 1_800_000_000.5)
    seen = two.get("s-1")
    assert seen is not None
    assert seen.collect_requested == 1_800_000_000.5
    two.mark_collection("s-1", None)
    ended = one.get("s-1")
    assert ended is not None
    assert ended.collect_requested is None
    one.mark_collection("nobody", 1.0)  # no journey: nothing to mark, no error
    assert one.get("nobody") is None


def test_bindings_are_forgotten_by_subject_and_by_session(
    make_store: Callable[[], BindingStore],
) -> None:
    one, two = make_store(), make_store()
    for session_id, subject in (("s-1", "application-1"), ("s-2", "application-1")):
        one.add(session_id, subject)
    one.add("s-3", "application-2")
    assert two.forget_subject("application-1") == 2  # every instance sees it gone
    assert one.get("s-1") is None
    assert one.get("s-2") is None
    assert two.forget_subject("application-1") == 0
    two.remove("s-3")
    assert one.get("s-3") is None
    one.remove("s-3")  # gone already: no error


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


async def _logged_in(
    first: Instance, second: Instance, sources: MockSources
) -> tuple[str, Browser, Browser, list[httpx2.AsyncClient]]:
    """A consumer who consented and logged in everywhere (on ``first``); a browser on each."""
    session = await first.gateway.start(REQUEST, "applicant-1")
    link = await first.journey.link(session.id, "applicant-1")
    jar = CookieJar()
    clients = [
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=instance.app),
            base_url=BASE,
            follow_redirects=False,
            cookies=jar,
        )
        for instance in (first, second)
    ]
    on_first, on_second = (Browser(client, sources) for client in clients)
    page = await on_first.follow(await on_first.get(link))
    response = await on_first.post(
        "/journey/consent",
        {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice"), "decision": "give"},
    )
    page = await on_first.follow(response)
    person = sources.person(0)
    for instance in first.gateway.session(session.id).sources:
        response = await on_first.post(f"/journey/login/{instance}", {"csrf": csrf_of(page.text)})
        back = await on_first.login(response, person.username, person.password)
        page = await on_first.follow(await on_first.get(back))
    return session.id, on_first, on_second, clients


@pytest.mark.anyio
async def test_a_collection_waiting_its_turn_shows_as_progress_on_another_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_instances("sqlite", str(tmp_path)) as (a, b, sources):
        session_id, on_a, on_b, clients = await _logged_in(a, b, sources)
        try:
            # On A the collection waits for a free slot (max_collections reached).
            turn = anyio.Event()
            collect = a.gateway.collect

            async def waiting(session: str) -> CollectionResult:
                await turn.wait()
                return await collect(session)

            monkeypatch.setattr(a.gateway, "collect", waiting)
            started_on_b: list[str] = []
            monkeypatch.setattr(b.gateway, "collect", started_on_b.append)
            page = await on_a.get("/journey/sources")
            await on_a.post("/journey/collect", {"csrf": csrf_of(page.text)})
            assert a.gateway.session(session_id).state is SessionState.CONSENTED

            progress = await on_b.get("/journey/progress")
            assert progress.status_code == 200, progress.headers.get("location")
            assert "Uw gegevens worden opgehaald" in progress.text
            for path in ("/journey/sources", "/journey/result"):
                assert (await on_b.get(path)).headers["location"] == "/journey/progress"
            await on_b.post("/journey/collect", {"csrf": csrf_of(page.text)})  # a second click
            assert started_on_b == []  # B does not start a second one

            turn.set()
            with anyio.fail_after(30):
                await a.journey.finished(session_id)
            done = await on_b.get("/journey/progress")
            assert done.headers["location"] == "/journey/result"
            assert "Wat is gedeeld" in (await on_b.follow(done)).text
        finally:
            for client in clients:
                await client.aclose()


@pytest.mark.anyio
async def test_a_collection_asked_for_long_ago_no_longer_counts(tmp_path: Path) -> None:
    """The instance that was to collect died before its turn: the consumer may ask again."""
    async with two_instances("sqlite", str(tmp_path)) as (a, b, sources):
        session_id, _, on_b, clients = await _logged_in(a, b, sources)
        try:
            b.bindings.mark_collection(session_id, time.time() - 3600)
            progress = await on_b.get("/journey/progress")
            assert progress.headers["location"] == "/journey/result"
            page = await on_b.follow(progress)
            assert "Mijn gegevens ophalen" in page.text  # on the sources page, fetch again
        finally:
            for client in clients:
                await client.aclose()
