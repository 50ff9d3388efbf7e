"""Public helpers for tests and demos: a fixed clock, and the mock sources wired in-process.

``MockSources`` builds the mock of every registered source kind that has one, one app per
mock instance (two banks: ``bank.mockbank`` and ``bank.noordbank``), over one synthetic
population, and hands out connectors whose transport is ``httpx2.ASGITransport`` around those
apps, plus a browser in which a person logs in; nothing in it opens a socket. Over real
HTTP: ``serve_mock_sources`` runs ``brondata mock serve`` in a child process (the one way the
tests and the benchmarks start it) and ``RemoteSources`` talks to what it serves. Needs the
``brondata[mock]`` extra.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx2

from brondata import sources as source_kinds
from brondata._clock import Clock, SystemClock, utc
from brondata.connectors._base import SourceConnector
from brondata.errors import ConsumerLoginError, UnknownSourceError
from brondata.mock._faults import Fault, FaultInjector
from brondata.mock.consumer import Consumer
from brondata.mock.digid import DigidIdP, create_digid_app
from brondata.mock.population import Person, Population

_V = TypeVar("_V")

if TYPE_CHECKING:
    from brondata.gateway import Gateway

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_REDIRECT_URI",
    "DIGID_URL",
    "Fault",
    "FixedClock",
    "HostDispatchTransport",
    "MockSources",
    "RemoteSources",
    "ServedMockSources",
    "in_process_urls",
    "mock_instances",
    "serve_mock_sources",
]

DEMO_CLIENT_ID = "brondata-demo"
DEMO_REDIRECT_URI = "https://lender.example/callback/{source}"

#: Where the in-process DigiD pretends to live; each mock source's host is in its kind's
#: registration. Nothing resolves these names: the ASGI transport hands every request
#: straight to the app.
DIGID_URL = "https://digid.mock.brondata.test"


def in_process_urls() -> dict[str, str]:
    """Instance id -> where its in-process mock pretends to live, and ``digid``."""
    urls = {
        source_kinds.instance_id(kind.name, instance.name): f"https://{instance.host}"
        for kind in source_kinds.kinds()
        if kind.mock is not None
        for instance in kind.mock.instances
    }
    return {**urls, "digid": DIGID_URL}


def mock_instances() -> dict[str, tuple[source_kinds.SourceKind, source_kinds.MockInstance]]:
    """Every mock instance of the registered kinds, by id, in login order."""
    return {
        source_kinds.instance_id(kind.name, instance.name): (kind, instance)
        for kind in source_kinds.kinds()
        if kind.mock is not None
        for instance in kind.mock.instances
    }


class _ByInstance(dict[str, _V]):
    """Instance id -> value, where a kind's name stands for the kind's first instance
    (``faults["bank"]`` is ``faults["bank.mockbank"]``), as it does for a session."""

    def __missing__(self, key: str) -> _V:
        for instance, value in self.items():
            if source_kinds.kind_of(instance) == key:
                return value
        raise KeyError(key)


class FixedClock:
    """A clock that only moves when told to."""

    __slots__ = ("_now",)

    def __init__(self, now: datetime | None = None) -> None:
        self._now = utc(now) if now is not None else datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


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

    def partner(self, person: Person) -> Person:
        """``person``'s fiscal partner (a ``two_incomes`` person's), who logs in at their own
        sources as themselves: for the partner's session (``Gateway.start_partner``)."""
        found = self.population.partner_of(person)
        if found is None:
            raise ValueError(f"person {person.index} has no fiscal partner")
        return found

    async def authorise(self, gateway: Gateway, session_id: str, person: Person) -> None:
        """Play the consumer: log in as ``person`` at every source the session uses (one
        browser, so DigiD's single sign-on applies) and hand each callback to the gateway.

        A bank where the person holds no account refuses the login: that instance is left
        without a login (its error says so), as a consumer would leave a bank that is not
        theirs, when another instance of its kind is in the session."""
        session = gateway.session(session_id)
        async with self.browser() as browser:
            for source in session.sources:
                url = await gateway.login_url(session_id, source)
                try:
                    callback = await browser.authorize(
                        url, username=person.username, password=person.password
                    )
                except ConsumerLoginError:
                    kind = source_kinds.kind_of(source)
                    if sum(source_kinds.kind_of(s) == kind for s in session.sources) > 1:
                        continue
                    raise
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
        sources: tuple[str, ...] | None = None,
        app_options: dict[str, dict[str, Any]] | None = None,
        base_urls: dict[str, str] | None = None,
    ) -> None:
        known = mock_instances()
        chosen = self.resolve(sources) if sources is not None else list(known)
        self.clock = clock or FixedClock()
        self.population = Population(seed=seed, as_of=as_of or self.clock.now().date())
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        #: Where each instance is reached: in-process names by default, real URLs when served.
        urls = base_urls or in_process_urls()
        self.base_urls = _ByInstance({s: urls[s] for s in chosen})
        #: The DigiD every government mock sends the consumer to (single sign-on).
        self.digid = DigidIdP(self.population, base_url=urls["digid"], clock=self.clock)
        self.digid_url = urls["digid"]
        options = app_options or {}
        #: Per instance, the fault injector around its app: ``faults["tax"].add(Fault(...))``.
        self.faults: _ByInstance[FaultInjector] = _ByInstance()
        for source in chosen:
            kind, instance = known[source]
            assert kind.mock is not None  # mock_instances lists kinds with a mock only
            extra: dict[str, Any] = {"digid": self.digid} if kind.mock.digid else {}
            self.faults[source] = FaultInjector(
                kind.mock.load()(
                    self.population,
                    base_url=self.base_urls[source],
                    # The callback may be named by the instance or, for the kind's
                    # first instance, by the kind (a gateway configured as {"bank": ...}).
                    clients={client_id: self._redirects(source)},
                    clock=self.clock,
                    **extra,
                    **instance.options,
                    **options.get(source, {}),
                )
            )
        self.apps: _ByInstance[Any] = _ByInstance(self.faults)
        self.digid_app = create_digid_app(self.digid)

    def _redirects(self, instance: str) -> list[str]:
        kind = source_kinds.kind_of(instance)
        names = [instance]
        if kind != instance and self.resolve([kind])[0] == instance:
            names.append(kind)
        return [self.redirect_uri.format(source=name) for name in names]

    def _instance(self, source: str) -> str:
        """``source`` if it is one of the apps, else the first app of kind ``source``."""
        if source in self.apps:
            return source
        of_kind = [s for s in self.apps if source_kinds.kind_of(s) == source]
        if not of_kind:
            raise UnknownSourceError(source, list(self.apps), what="mock source")
        return of_kind[0]

    def transport(self, source: str) -> httpx2.ASGITransport:
        """The in-process transport to instance ``source`` (or a kind's first instance)."""
        return httpx2.ASGITransport(app=self.apps[self._instance(source)])

    @staticmethod
    def source_names() -> list[str]:
        """Every mock instance there is, by id (``tax``, ``bank.mockbank``, ...)."""
        return list(mock_instances())

    @staticmethod
    def resolve(names: tuple[str, ...] | list[str]) -> list[str]:
        """Instance ids for ``names`` (ids, or kinds meaning all their mock instances), or
        ``UnknownSourceError`` naming the mock instances there are."""
        known = list(mock_instances())
        out: list[str] = []
        for name in names:
            ids = [name] if name in known else [i for i in known if source_kinds.kind_of(i) == name]
            if not ids:
                raise UnknownSourceError(name, known, what="mock source")
            out += [i for i in ids if i not in out]
        return out

    def all_apps(self) -> dict[str, Any]:
        """Every app to serve: the sources and DigiD."""
        return {**self.apps, "digid": self.digid_app}

    def connector(
        self, source: str, *, transport: httpx2.AsyncBaseTransport | None = None, **options: Any
    ) -> SourceConnector:
        """A connector for instance ``source`` (or a kind's first instance) over its
        in-process transport (or the one given)."""
        source = self._instance(source)
        factory = source_kinds.get(source).connector
        return factory(
            base_url=self.base_urls[source],
            client_id=self.client_id,
            transport=transport or self.transport(source),
            clock=self.clock,
            name=source,
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
        """The browser, for a login at ``source`` (an instance or a kind; all sources share
        one browser)."""
        self._instance(source)  # an unknown source is an error here, not at the login
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
        # Instance ids (as ``mock serve`` prints them) or kinds; ``digid`` is no source.
        kinds = set(source_kinds.names())
        self.base_urls = {
            s: u.rstrip("/") for s, u in urls.items() if source_kinds.kind_of(s) in kinds
        }
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None

    def connectors(self, **options: Any) -> dict[str, SourceConnector]:
        return {
            source: source_kinds.get(source).connector(
                base_url=url,
                client_id=self.client_id,
                clock=self.clock,
                timeout=self._timeout,
                name=source,
                **options,
            )
            for source, url in self.base_urls.items()
        }

    @asynccontextmanager
    async def browser(self) -> AsyncIterator[Consumer]:
        """A fresh browser (its own cookies) per login; all share one TLS context, as the
        tabs of one browser do: loading the certificate store costs more CPU than a login."""
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()
        async with httpx2.AsyncClient(
            follow_redirects=False, timeout=self._timeout, verify=self._tls
        ) as client:
            yield Consumer(client)


@dataclass(frozen=True, slots=True)
class ServedMockSources:
    """A running ``brondata mock serve``: the URL map it printed, and its process id."""

    urls: dict[str, str]
    pid: int


@contextmanager
def serve_mock_sources(*options: str) -> Iterator[ServedMockSources]:
    """``brondata mock serve`` in a child process on free 127.0.0.1 ports, for tests and
    benchmarks over real HTTP; ``options`` are its command-line options (``"--seed", "7"``,
    ``"--fault", "duo=delay::0.5"``). Ready when the block starts: the server has printed
    its URL map. Stopped afterwards with SIGINT (uvicorn's clean shutdown), killed if it is
    still running 10 s later.

    >>> with serve_mock_sources("--seed", "42") as served:         # doctest: +SKIP
    ...     sources = RemoteSources(served.urls, seed=42)
    """
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [sys.executable, "-m", "brondata.cli", "mock", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None  # stdout=PIPE
        first = process.stdout.readline()
        if not first:
            raise RuntimeError(f"mock serve exited ({process.wait()}) before it was ready")
        yield ServedMockSources(urls=json.loads(first), pid=process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


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
