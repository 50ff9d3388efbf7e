"""Public helpers for tests and demos: a fixed clock, and the mock sources wired in-process.

``MockSources`` builds each mock source's ASGI app over one synthetic population and hands
out connectors whose transport is ``httpx2.ASGITransport`` around those apps, plus a
``Consumer`` per source that logs in as a person would. Nothing here opens a socket. Needs the
``brondata[mock]`` extra.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2

from brondata._clock import Clock, SystemClock, utc
from brondata.connectors._base import SourceConnector
from brondata.connectors.duo import DuoConnector
from brondata.connectors.government import (
    EmploymentConnector,
    LandRegistryConnector,
    PensionConnector,
    PopulationConnector,
    TaxConnector,
)
from brondata.connectors.psd2 import Psd2Connector
from brondata.mock._faults import Fault, FaultInjector
from brondata.mock.bank import create_bank_app
from brondata.mock.consumer import Consumer
from brondata.mock.digid import DigidIdP, create_digid_app
from brondata.mock.duo import create_duo_app
from brondata.mock.employment import create_employment_app
from brondata.mock.land_registry import create_land_registry_app
from brondata.mock.pension import create_pension_app
from brondata.mock.population import Person, Population
from brondata.mock.population_api import create_population_app
from brondata.mock.tax import create_tax_app

if TYPE_CHECKING:
    from brondata.gateway import Gateway

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_REDIRECT_URI",
    "Fault",
    "FixedClock",
    "HostDispatchTransport",
    "MockSources",
    "RemoteSources",
]

DEMO_CLIENT_ID = "brondata-demo"
DEMO_REDIRECT_URI = "https://lender.example/callback/{source}"

#: Where each in-process mock pretends to live. Nothing resolves these names: the ASGI
#: transport hands every request straight to the app.
IN_PROCESS_URLS: dict[str, str] = {
    "digid": "https://digid.mock.brondata.test",
    "population": "https://brp.mock.brondata.test",
    "tax": "https://belastingdienst.mock.brondata.test",
    "employment": "https://uwv.mock.brondata.test",
    "pension": "https://mijnpensioenoverzicht.mock.brondata.test",
    "land_registry": "https://kadaster.mock.brondata.test",
    "duo": "https://mijn.duo.mock.brondata.test",
    "bank": "https://bank.mock.brondata.test",
}


class FixedClock:
    """A clock that only moves when told to."""

    __slots__ = ("_now",)

    def __init__(self, now: datetime | None = None) -> None:
        self._now = utc(now) if now is not None else datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


_AppFactory = Callable[..., Any]
#: source -> (app factory, whether it logs in through DigiD), in the order of ``SOURCES``.
_APPS: dict[str, tuple[_AppFactory, bool]] = {
    "population": (create_population_app, True),
    "tax": (create_tax_app, True),
    "employment": (create_employment_app, True),
    "pension": (create_pension_app, True),
    "land_registry": (create_land_registry_app, True),
    "duo": (create_duo_app, True),
    "bank": (create_bank_app, False),
}
_CONNECTORS: dict[str, Callable[..., SourceConnector]] = {
    "population": PopulationConnector,
    "tax": TaxConnector,
    "employment": EmploymentConnector,
    "pension": PensionConnector,
    "land_registry": LandRegistryConnector,
    "duo": DuoConnector,
    "bank": Psd2Connector,
}


class _Consumers:
    """What every set of sources offers a test: the population's persons, and a browser
    in which one of them logs in where a session needs it."""

    population: Population

    def browser(self) -> AbstractAsyncContextManager[Consumer]:
        raise NotImplementedError

    def person(self, index: int) -> Person:
        return self.population.person(index)

    def scenario(self, name: str, n: int = 0) -> Person:
        """The ``n``-th person of a named scenario (``salaried``, ``retired``, ...)."""
        return self.population.scenario(name, n)

    async def authorise(self, gateway: Gateway, session_id: str, person: Person) -> None:
        """Play the consumer: log in as ``person`` at every source the session needs (one
        browser, so DigiD's single sign-on applies) and hand each callback to the gateway."""
        session = gateway.session(session_id)
        async with self.browser() as browser:
            for source in session.sources:
                url = await gateway.login_url(session_id, source)
                callback = await browser.authorize(
                    url, username=person.username, password=person.password
                )
                await gateway.callback(session_id, source, callback)


class MockSources(_Consumers):
    """Every mock source in-process, over one deterministic population.

    >>> sources = MockSources(seed=7)                                  # doctest: +SKIP
    >>> gateway = Gateway.embedded(sources.connectors())               # doctest: +SKIP
    >>> callback = await sources.consumer("bank").authorize(url, ...)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        seed: int = 42,
        as_of: date | None = None,
        clock: Clock | None = None,
        client_id: str = DEMO_CLIENT_ID,
        redirect_uri: str = DEMO_REDIRECT_URI,
        sources: tuple[str, ...] = tuple(_APPS),
        app_options: dict[str, dict[str, Any]] | None = None,
        base_urls: dict[str, str] | None = None,
    ) -> None:
        unknown = set(sources) - set(_APPS)
        if unknown:
            raise KeyError(
                f"no mock for {', '.join(sorted(unknown))}; there are {', '.join(_APPS)}"
            )
        self.clock = clock or FixedClock()
        self.population = Population(seed=seed, as_of=as_of or self.clock.now().date())
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        #: Where each source is reached: in-process names by default, real URLs when served.
        urls = base_urls or IN_PROCESS_URLS
        self.base_urls = {s: urls[s] for s in sources}
        #: The DigiD every government mock sends the consumer to (single sign-on).
        self.digid = DigidIdP(self.population, base_url=urls["digid"], clock=self.clock)
        self.digid_url = urls["digid"]
        options = app_options or {}
        #: Per source, the fault injector around its app: ``faults["bank"].add(Fault(...))``.
        self.faults: dict[str, FaultInjector] = {}
        for source in sources:
            factory, behind_digid = _APPS[source]
            extra: dict[str, Any] = {"digid": self.digid} if behind_digid else {}
            self.faults[source] = FaultInjector(
                factory(
                    self.population,
                    base_url=self.base_urls[source],
                    clients={client_id: [redirect_uri.format(source=source)]},
                    clock=self.clock,
                    **extra,
                    **options.get(source, {}),
                )
            )
        self.apps: dict[str, Any] = dict(self.faults)
        self.digid_app = create_digid_app(self.digid)

    def transport(self, source: str) -> httpx2.ASGITransport:
        return httpx2.ASGITransport(app=self.apps[source])

    @staticmethod
    def source_names() -> list[str]:
        """Every source there is a mock of."""
        return list(_APPS)

    def all_apps(self) -> dict[str, Any]:
        """Every app to serve: the sources and DigiD."""
        return {**self.apps, "digid": self.digid_app}

    def connector(
        self, source: str, *, transport: httpx2.AsyncBaseTransport | None = None, **options: Any
    ) -> SourceConnector:
        """A connector for ``source`` over its in-process transport (or the one given)."""
        return _CONNECTORS[source](
            base_url=self.base_urls[source],
            client_id=self.client_id,
            transport=transport or self.transport(source),
            clock=self.clock,
            **options,
        )

    def connectors(self, **options: Any) -> dict[str, SourceConnector]:
        """One connector per source, each over its own in-process transport."""
        return {source: self.connector(source, **options) for source in self.apps}

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[Consumer]:
        """A person's browser: one cookie jar, every mock source reachable by its host."""
        routes: dict[str, httpx2.AsyncBaseTransport] = {
            urlsplit(url).netloc: self.transport(source) for source, url in self.base_urls.items()
        }
        routes[urlsplit(self.digid_url).netloc] = httpx2.ASGITransport(app=self.digid_app)
        async with httpx2.AsyncClient(
            transport=HostDispatchTransport(routes), follow_redirects=False
        ) as client:
            yield Consumer(client)

    def consumer(self, source: str) -> AbstractAsyncContextManager[Consumer]:
        """The browser, for a login at ``source`` (all sources share one browser)."""
        if source not in self.apps:
            raise KeyError(f"no mock source {source!r}")
        return self.browser()


class RemoteSources(_Consumers):
    """Mock sources already running as real servers (``brondata mock serve``).

    Takes the URL map the server printed; connectors and the browser use the network. The
    population is rebuilt from the same seed, so the persons' logins match the servers'.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        seed: int = 42,
        as_of: date | None = None,
        client_id: str = DEMO_CLIENT_ID,
        redirect_uri: str = DEMO_REDIRECT_URI,
        timeout: float = 10.0,
    ) -> None:
        self.clock: Clock = SystemClock()
        self.population = Population(seed=seed, as_of=as_of or self.clock.now().date())
        self.base_urls = {s: u.rstrip("/") for s, u in urls.items() if s in _CONNECTORS}
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._timeout = timeout

    def connectors(self, **options: Any) -> dict[str, SourceConnector]:
        return {
            source: _CONNECTORS[source](
                base_url=url,
                client_id=self.client_id,
                clock=self.clock,
                timeout=self._timeout,
                **options,
            )
            for source, url in self.base_urls.items()
        }

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[Consumer]:
        async with httpx2.AsyncClient(follow_redirects=False, timeout=self._timeout) as client:
            yield Consumer(client)


class HostDispatchTransport(httpx2.AsyncBaseTransport):
    """Routes each request to the transport registered for its ``host[:port]``.

    In-process, this is the network: the browser follows a redirect from one mock source to
    another (or to DigiD) and lands on the right app. An unknown host is a connection error,
    as it would be on a network.
    """

    def __init__(self, routes: Mapping[str, httpx2.AsyncBaseTransport]) -> None:
        self._routes = dict(routes)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = self._routes.get(request.url.netloc.decode("ascii"))
        if transport is None:
            raise httpx2.ConnectError(f"no route to {request.url.host}", request=request)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._routes.values():
            await transport.aclose()
