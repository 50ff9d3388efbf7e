"""A full demo session next to the bare HTTP requests it makes.

Both sides run against the same in-process mock bank (``httpx2.ASGITransport``), make the
same requests to the same endpoints (checked, not assumed), and have the same scripted
consumer fill in the login pages. The gateway side adds what brondata is for: the session
state machine and SQLite session store, authlib's OAuth client, mapping, minimisation,
SD-JWT signing, and five ledger appends to SQLite. The ratio is that overhead.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from bench._util import RecordingTransport, median_ms, print_table, timed
from brondata import Gateway, Psd2Connector
from brondata._clock import SystemClock
from brondata._demo import preset_request
from brondata.mock.consumer import Consumer
from brondata.sources.bank.connector import transaction_period
from brondata.testing import MockSources

REPEAT = 20
BANK_ATTRIBUTES = [
    "bank.accounts",
    "bank.balance_total",
    "bank.fixed_costs_monthly_average",
    "bank.salary_monthly_average",
]


#: The mock bank the benchmark's person banks at.
BANK = "bank.mockbank"


def _sources() -> MockSources:
    return MockSources(seed=42, clock=SystemClock())


def make_gateway(sources: MockSources, log: list[str], db: Path) -> Gateway:
    """One long-lived gateway, as an application runs it: SQLite ledger and sessions."""
    connector = Psd2Connector(
        base_url=sources.base_urls[BANK],
        client_id=sources.client_id,
        transport=RecordingTransport(sources.transport(BANK), log),
    )
    return Gateway.embedded({BANK: connector}, path=db)


async def gateway_session(gateway: Gateway, sources: MockSources, log: list[str]) -> None:
    person = sources.person(0)
    session = await gateway.start(preset_request("mortgage", BANK_ATTRIBUTES), "bench")
    await gateway.give_consent(session.id)
    url = await gateway.login_url(session.id, "bank")
    async with httpx2.AsyncClient(
        transport=RecordingTransport(sources.transport(BANK), log)
    ) as browser:
        callback = await Consumer(browser).authorize(
            url, username=person.username, password=person.password
        )
    await gateway.callback(session.id, "bank", callback)
    result = await gateway.collect(session.id)
    if not result.complete:
        raise RuntimeError(f"session failed: {result.errors}")


async def bare_requests(sources: MockSources, log: list[str]) -> None:
    """The same requests by hand: plain httpx2, no OAuth library, no ledger, no signing."""
    base = sources.base_urls[BANK]
    redirect = f"https://lender.example/callback/{BANK}"
    person = sources.person(0)
    transport = RecordingTransport(sources.transport(BANK), log)
    async with httpx2.AsyncClient(base_url=base, transport=transport) as http:

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
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        auth_url = str(
            httpx2.URL(
                meta["authorization_endpoint"],
                params={
                    "response_type": "code",
                    "client_id": sources.client_id,
                    "redirect_uri": redirect,
                    "scope": f"AIS:{consent['consentId']}",
                    "state": "s",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                },
            )
        )
        async with httpx2.AsyncClient(transport=transport) as browser:
            callback = await Consumer(browser).authorize(
                auth_url, username=person.username, password=person.password
            )
        code = parse_qs(urlsplit(callback).query)["code"][0]
        token = (
            await http.post(
                meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect,
                    "client_id": sources.client_id,
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
                    "client_id": sources.client_id,
                },
            )


def _endpoint(line: str) -> str:
    """``DELETE /v1/consents/abc`` -> ``DELETE /v1/consents/{id}``: ids differ per run."""
    return re.sub(r"^(DELETE /v1/consents/).+$", r"\1{id}", line)


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        gateway_log: list[str] = []
        bare_log: list[str] = []
        sources = _sources()
        async with make_gateway(sources, gateway_log, db) as gateway:
            await gateway_session(gateway, sources, gateway_log)
            await bare_requests(sources, bare_log)
            if sorted(map(_endpoint, gateway_log)) != sorted(map(_endpoint, bare_log)):
                raise RuntimeError(f"request sets differ:\n{gateway_log}\n{bare_log}")
            requests = len(gateway_log)
            full = await timed(lambda: gateway_session(gateway, sources, []), REPEAT)
            bare = await timed(lambda: bare_requests(sources, []), REPEAT)
    result = {
        "requests_per_session": requests,
        "session_ms": median_ms(full),
        "bare_http_ms": median_ms(bare),
    }
    result["ratio"] = result["session_ms"] / result["bare_http_ms"]
    print_table(
        f"full demo session vs bare HTTP (median of {REPEAT}, in-process mock bank)",
        [
            ("requests per session", str(requests)),
            ("gateway session", f"{result['session_ms']:.1f} ms"),
            ("bare httpx2 requests", f"{result['bare_http_ms']:.1f} ms"),
            ("ratio", f"{result['ratio']:.2f}x"),
        ],
    )
    return result
