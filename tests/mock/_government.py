"""Test helpers for the government mocks: one browser that reaches every mock by host name.

``HostDispatchTransport`` hands each request to the ASGI app registered for its host, the way
DNS and real servers would; ``World`` builds DigiD and the government sources over one
population and clock, and drives the OAuth flow as a connector would.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
from starlette.applications import Starlette

from brondata import sources as source_kinds
from brondata.mock.consumer import Consumer
from brondata.mock.digid import DigidIdP, create_digid_app
from brondata.mock.population import Person, Population

from .conftest import SteppingClock, pkce_pair, query_of

CLIENT_ID = "brondata-demo"
DIGID = "https://digid.mock.brondata.test"


class HostDispatchTransport(httpx2.AsyncBaseTransport):
    """Sends each request to the in-process app serving its host."""

    def __init__(self, apps: Mapping[str, Starlette]) -> None:
        self._transports = {host: httpx2.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = self._transports.get(request.url.host)
        if transport is None:
            raise httpx2.ConnectError(f"no mock serves {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def _factories() -> dict[str, tuple[str, Callable[..., Starlette]]]:
    """Every registered kind whose mock logs in through DigiD: where it lives, its factory."""
    return {
        kind.name: (f"https://{kind.mock.instances[0].host}", kind.mock.load())
        for kind in source_kinds.kinds()
        if kind.mock is not None and kind.mock.digid
    }


def redirect_uri(source: str) -> str:
    return f"https://lender.example/callback/{source}"


@dataclass
class World:
    """DigiD, every government mock, and one browser with a cookie jar."""

    population: Population
    clock: SteppingClock
    digid: DigidIdP = field(init=False)
    apps: dict[str, Starlette] = field(init=False)
    base_urls: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.digid = DigidIdP(self.population, base_url=DIGID, clock=self.clock)
        self.apps = {}
        self.base_urls = {}
        for source, (base, factory) in _factories().items():
            self.base_urls[source] = base
            self.apps[source] = factory(
                self.population,
                digid=self.digid,
                base_url=base,
                clients={CLIENT_ID: [redirect_uri(source)]},
                clock=self.clock,
            )

    @property
    def sources(self) -> list[str]:
        return sorted(self.apps)

    def transport(self) -> HostDispatchTransport:
        hosts = {urlsplit(DIGID).hostname or "": create_digid_app(self.digid)}
        for source, app in self.apps.items():
            hosts[urlsplit(self.base_urls[source]).hostname or ""] = app
        return HostDispatchTransport(hosts)

    def browser(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=self.transport(), follow_redirects=False)

    def authorization_url(self, source: str, challenge: str, state: str = "st-1") -> str:
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri(source),
            "scope": source,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.base_urls[source]}/oauth/authorize?{urlencode(params)}"

    async def token(
        self, http: httpx2.AsyncClient, source: str, code: str, verifier: str
    ) -> httpx2.Response:
        return await http.post(
            f"{self.base_urls[source]}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(source),
                "client_id": CLIENT_ID,
                "code_verifier": verifier,
            },
        )

    async def connect(
        self, browser: httpx2.AsyncClient, source: str, person: Person, password: str | None = None
    ) -> str:
        """Log in at ``source`` through DigiD in ``browser``, approve, and return a token."""
        verifier, challenge = pkce_pair()
        callback = await Consumer(browser).authorize(
            self.authorization_url(source, challenge),
            username=person.username,
            password=person.password if password is None else password,
        )
        params = query_of(callback)
        assert params.get("iss") == self.base_urls[source], callback
        assert params.get("state") == "st-1"
        response = await self.token(browser, source, params["code"], verifier)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def api(
        self,
        http: httpx2.AsyncClient,
        source: str,
        method: str,
        path: str,
        token: str | None,
        body: Any = None,
    ) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return await http.request(
            method, f"{self.base_urls[source]}{path}", json=body, headers=headers
        )


def random_state() -> str:
    return secrets.token_urlsafe(8)
