"""Fixtures for the mock sources: a population, a clock the test moves, the bank and a TPP,
the government mocks (``world``) and a browser that reaches them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from starlette.applications import Starlette

from brondata.mock.bank import create_bank_app
from brondata.mock.consumer import Consumer
from brondata.mock.population import Person, Population

if TYPE_CHECKING:  # ``_government`` imports this module: the fixtures import it when they run
    from ._government import World

AS_OF = date(2026, 11, 1)
BASE = "https://bank.mock.brondata.test"
CLIENT_ID = "brondata-demo"
REDIRECT = "https://lender.example/callback/bank"
PAGE_SIZE = 20


class SteppingClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def new_request_id() -> str:
    return str(uuid.uuid4())


def consent_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access": {"allPsd2": "allAccounts"},
        "recurringIndicator": True,
        "validUntil": "2027-01-31",
        "frequencyPerDay": 4,
        "combinedServiceIndicator": False,
    }
    body.update(overrides)
    return body


@dataclass
class Tpp:
    """What the gateway's bank connector does, written out plainly for the tests."""

    client: httpx2.AsyncClient

    async def create_consent(self, **overrides: Any) -> str:
        response = await self.client.post(
            "/v1/consents",
            json=consent_body(**overrides),
            headers={"X-Request-ID": new_request_id()},
        )
        assert response.status_code == 201, response.text
        return str(response.json()["consentId"])

    def authorization_url(
        self, consent_id: str, challenge: str, state: str = "st-123", **extra: str
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": f"AIS:{consent_id}",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{BASE}/oauth/authorize?{urlencode(params)}"

    async def login(
        self, consent_id: str, person: Person, *, approve: bool = True
    ) -> tuple[str, str]:
        """(the callback URL, the PKCE verifier)."""
        verifier, challenge = pkce_pair()
        callback = await Consumer(self.client).authorize(
            self.authorization_url(consent_id, challenge),
            username=person.username,
            password=person.password,
            approve=approve,
        )
        return callback, verifier

    async def token(self, code: str, verifier: str, **extra: str) -> httpx2.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
            **extra,
        }
        return await self.client.post("/oauth/token", data=data)

    async def connect(self, person: Person, **overrides: Any) -> tuple[str, dict[str, Any]]:
        """A consent, authorised by ``person``, and its token response."""
        consent_id = await self.create_consent(**overrides)
        callback, verifier = await self.login(consent_id, person)
        response = await self.token(query_of(callback)["code"], verifier)
        assert response.status_code == 200, response.text
        return consent_id, response.json()

    @staticmethod
    def headers(consent_id: str, token: str, *, psu_ip: bool = False) -> dict[str, str]:
        headers = {
            "X-Request-ID": new_request_id(),
            "Consent-ID": consent_id,
            "Authorization": f"Bearer {token}",
        }
        if psu_ip:
            headers["PSU-IP-Address"] = "192.0.2.10"
        return headers


@pytest.fixture(scope="session")
def population() -> Population:
    return Population(seed=42, as_of=AS_OF)


@pytest.fixture
def person(population: Population) -> Person:
    """Someone with a savings account too, so that multi-account paths are exercised."""
    return next(p for p in population.people(50) if len(p.accounts) > 1)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(datetime(2026, 11, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def bank_app(population: Population, clock: SteppingClock) -> Starlette:
    return create_bank_app(
        population,
        base_url=BASE,
        clients={CLIENT_ID: [REDIRECT]},
        clock=clock,
        page_size=PAGE_SIZE,
        code_ttl_seconds=60,
        token_ttl_seconds=3600,
    )


@pytest.fixture
async def client(anyio_backend: str, bank_app: Starlette) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=bank_app)
    async with httpx2.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


@pytest.fixture
def tpp(client: httpx2.AsyncClient) -> Tpp:
    return Tpp(client)


@pytest.fixture
def world(population: Population, clock: SteppingClock) -> World:
    """DigiD and the government mocks over one population and clock."""
    from ._government import World

    return World(population, clock)


@pytest.fixture
async def browser(anyio_backend: str, world: World) -> AsyncIterator[httpx2.AsyncClient]:
    """One browser that reaches every government mock by its host name."""
    async with world.browser() as http:
        yield http
