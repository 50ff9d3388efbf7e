"""The two flows every session benchmark compares: a gateway session and the bare requests.

A *gateway session* is what an application runs for one consumer and one bank: start,
consent, login URL, the consumer's login (a scripted browser), callback, collect. The *bare
flow* makes the same HTTP requests to the same bank by hand with plain httpx2: no OAuth
library, no session store, no ledger, no signing. Both take a ``Site``: in-process (ASGI
transports) or real HTTP (``brondata mock serve``), so the same code measures both.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from bench._util import RecordingTransport
from brondata import DataRequest, Gateway
from brondata._clock import SystemClock
from brondata._demo import PRESETS, preset_request
from brondata.connectors._http import DEFAULT_LIMITS
from brondata.mock.consumer import Consumer
from brondata.mock.population import Person
from brondata.sources.bank.connector import transaction_period
from brondata.testing import MockSources, RemoteSources

#: The mock bank the benchmark's person banks at.
BANK = "bank.mockbank"

BANK_ATTRIBUTES = [
    "bank.accounts",
    "bank.balance_total",
    "bank.fixed_costs_monthly_average",
    "bank.salary_monthly_average",
]
REDIRECT = "https://lender.example/callback/bank"


def mortgage_sources() -> DataRequest:
    """The mortgage preset's source attributes without its decisions: a decision needs the
    partner's income, which the ``two_incomes`` couple's session does not hold (it is the
    partner's own data), and the benchmark is about collecting."""
    return preset_request("mortgage", PRESETS["mortgage"]["attributes"])


@dataclass
class Site:
    """Where the bank is, and how a request reaches it."""

    base_url: str
    client_id: str
    person: Person
    #: The bank's transport in-process; ``None`` over the network.
    transport: Callable[[], httpx2.AsyncBaseTransport] | None
    browser: Callable[[], AbstractAsyncContextManager[Consumer]]
    gateway: Callable[[Path], Gateway]


def in_process(log: list[str] | None = None) -> Site:
    """The mock bank in this process (``httpx2.ASGITransport``); ``log`` records requests."""
    sources = MockSources(seed=42, clock=SystemClock())

    def transport() -> httpx2.AsyncBaseTransport:
        inner = sources.transport(BANK)
        return inner if log is None else RecordingTransport(inner, log)

    @asynccontextmanager
    async def browser() -> AsyncIterator[Consumer]:
        async with httpx2.AsyncClient(transport=transport()) as client:
            yield Consumer(client)

    def gateway(db: Path) -> Gateway:
        from brondata import Psd2Connector

        connector = Psd2Connector(
            base_url=sources.base_urls[BANK],
            client_id=sources.client_id,
            transport=transport(),
        )
        return Gateway.embedded({BANK: connector}, path=db)

    return Site(
        sources.base_urls[BANK], sources.client_id, sources.person(0), transport, browser, gateway
    )


def over_http(urls: dict[str, str]) -> Site:
    """The mock bank served by ``brondata mock serve`` at ``urls``."""
    sources = RemoteSources({BANK: urls[BANK]}, seed=42, timeout=120.0)

    def gateway(db: Path) -> Gateway:
        return Gateway.embedded(sources.connectors(), path=db, source_timeout=120.0)

    return Site(
        sources.base_urls[BANK],
        sources.client_id,
        sources.person(0),
        None,
        sources.browser,
        gateway,
    )


async def gateway_session(gateway: Gateway, site: Site) -> None:
    session = await gateway.start(preset_request("mortgage", BANK_ATTRIBUTES), "bench")
    await gateway.give_consent(session.id)
    url = await gateway.login_url(session.id, "bank")
    async with site.browser() as browser:
        callback = await browser.authorize(
            url, username=site.person.username, password=site.person.password
        )
    await gateway.callback(session.id, "bank", callback)
    result = await gateway.collect(session.id)
    if not result.complete:
        raise SessionFailed(result.errors)


class SessionFailed(RuntimeError):
    """A session without all its data; ``code`` names each source's error code."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.code = ", ".join(
            sorted(
                f"{source}: {getattr(e, 'code', type(e).__name__)}" for source, e in errors.items()
            )
        )
        super().__init__(f"session failed: {self.code}")


def bare_client(site: Site) -> httpx2.AsyncClient:
    """The bare side's HTTP client: one for many flows, pooled as a connector's client is
    (the same limits), so that neither side pays for a client per session."""
    transport = site.transport() if site.transport is not None else None
    return httpx2.AsyncClient(
        base_url=site.base_url, transport=transport, timeout=120.0, limits=DEFAULT_LIMITS
    )


async def bare_requests(site: Site, http: httpx2.AsyncClient | None = None) -> None:
    """The same requests by hand: plain httpx2, no OAuth library, no ledger, no signing;
    on ``http`` (``bare_client``) if given, else on a client of its own."""
    if http is None:
        async with bare_client(site) as own:
            await _bare_flow(site, own)
    else:
        await _bare_flow(site, http)


async def _bare_flow(site: Site, http: httpx2.AsyncClient) -> None:
    def headers(**extra: str) -> dict[str, str]:
        return {"X-Request-ID": str(uuid.uuid4()), **extra}

    today = date.today()
    consent = (
        await http.post(
            "/v1/consents",
            headers=headers(),
            json={
                "access": {"allPsd2": "allAccounts"},
                "recurringIndicator": False,
                "validUntil": today.isoformat(),
                "frequencyPerDay": 1,
                "combinedServiceIndicator": False,
            },
        )
    ).json()
    meta = (await http.get(consent["_links"]["scaOAuth"]["href"])).json()
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    auth_url = str(
        httpx2.URL(
            meta["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": site.client_id,
                "redirect_uri": REDIRECT,
                "scope": f"AIS:{consent['consentId']}",
                "state": "s",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    )
    async with site.browser() as browser:
        callback = await browser.authorize(
            auth_url, username=site.person.username, password=site.person.password
        )
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = (
        await http.post(
            meta["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": site.client_id,
                "code_verifier": verifier,
            },
        )
    ).json()
    api = {
        "Consent-ID": consent["consentId"],
        "Authorization": f"Bearer {token['access_token']}",
    }
    accounts = (await http.get("/v1/accounts", headers=headers(**api))).json()["accounts"]
    start, end = transaction_period(today)
    for account in accounts:
        await http.get(f"/v1/accounts/{account['resourceId']}/balances", headers=headers(**api))
    for account in accounts:
        page: Any = (
            await http.get(
                f"/v1/accounts/{account['resourceId']}/transactions",
                params={"bookingStatus": "booked", "dateFrom": str(start), "dateTo": str(end)},
                headers=headers(**api),
            )
        ).json()
        while nxt := page["transactions"].get("_links", {}).get("next"):
            page = (await http.get(nxt["href"], headers=headers(**api))).json()
    # Give the access back, as the gateway does once the data is in.
    await http.delete(f"/v1/consents/{consent['consentId']}", headers=headers())
    for kind in ("refresh_token", "access_token"):
        await http.post(
            meta["revocation_endpoint"],
            data={
                "token": token[kind],
                "token_type_hint": kind,
                "client_id": site.client_id,
            },
        )
