"""The journey mounted in a tiny lender app, over the in-process mock sources.

``JourneyHarness`` plays the lender (starts sessions, makes links) and hands out browsers:
each ``Browser`` is a cookie jar talking to the lender app over ``httpx2.ASGITransport``,
plus the mock sources' own in-process browser for the logins there.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata.testing import MockSources
from brondata.web import Journey, JourneyConfig

BASE = "https://lender.test"
CALLBACK = BASE + "/journey/callback/{source}"
SECRET = b"s" * 32

REQUEST = DataRequest(
    purpose=Purpose(term="dpv:CreditChecking", text="Assess your loan application"),
    legal_basis=LegalBasis.CONTRACT,
    attributes=["bank.balance_total", "income.taxable_annual", "person.surname"],
    retention_days=30,
    recipient="Test Lender B.V.",
)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, name
    return found.group(1)


@dataclass
class Browser:
    client: httpx2.AsyncClient
    sources: MockSources

    async def get(self, path: str, **params: str) -> httpx2.Response:
        return await self.client.get(path, params=params or None)

    async def post(self, path: str, data: dict[str, str]) -> httpx2.Response:
        return await self.client.post(path, data=data)

    async def follow(self, response: httpx2.Response) -> httpx2.Response:
        while response.status_code in (302, 303, 307):
            response = await self.client.get(response.headers["location"])
        return response

    async def login(self, response: httpx2.Response, username: str, password: str) -> str:
        """At the source: log in and approve; the URL the source sends the browser back to."""
        assert response.status_code == 303, response.text
        async with self.sources.browser() as consumer:
            return await consumer.authorize(
                response.headers["location"], username=username, password=password
            )


@dataclass
class JourneyHarness:
    gateway: Gateway
    journey: Journey
    sources: MockSources
    app: Starlette
    _clients: list[httpx2.AsyncClient] = field(default_factory=list)

    def browser(self) -> Browser:
        client = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=self.app), base_url=BASE, follow_redirects=False
        )
        self._clients.append(client)
        return Browser(client, self.sources)

    async def start(self, subject: str = "applicant-1") -> tuple[str, str]:
        session = await self.gateway.start(REQUEST, subject)
        return session.id, await self.journey.link(session.id, subject)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self.journey.aclose()


@asynccontextmanager
async def journey_harness(**options: Any) -> AsyncIterator[JourneyHarness]:
    """The harness; ``options`` go to ``Journey`` (``webhook_url=``, ...)."""
    sources = MockSources(seed=7, redirect_uri=CALLBACK)
    async with Gateway.embedded(
        sources.connectors(), redirect_uri=CALLBACK, clock=sources.clock
    ) as gateway:
        journey = Journey(
            gateway,
            JourneyConfig(lender_name="Test Lender", secret=SECRET, return_url=BASE + "/back"),
            **options,
        )
        app = Starlette(routes=[Mount("/journey", app=journey)])
        harness = JourneyHarness(gateway, journey, sources, app)
        try:
            yield harness
        finally:
            await harness.aclose()


@pytest.fixture
async def harness() -> AsyncIterator[JourneyHarness]:
    async with journey_harness() as made:
        yield made
