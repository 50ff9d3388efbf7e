"""Two gateway instances on one database race for the same steps.

On one SQLite file and on one PostgreSQL database, the instance that loses a race for a
consent step leaves no ledger event behind: each consent is given, denied or withdrawn at
most once in the ledger, and ``audit verify`` would flag it otherwise.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from brondata import Gateway, SigningKey
from brondata.errors import SessionStateError
from brondata.stores import open_stores
from brondata.testing import FixedClock, MockSources

from .conftest import BANK, login, request

pytestmark = pytest.mark.anyio

STORE_KEY = b"s" * 32
PSEUDONYM_KEY = b"p" * 32


def _gateway(stores: Any, sources: MockSources, key: SigningKey) -> Gateway:
    return Gateway(
        issuer="https://lender.example",
        connectors=sources.connectors(),
        redirect_uri="https://lender.example/callback/{source}",
        ledger=stores.ledger,
        sessions=stores.sessions,
        keyring=stores.keyring,
        signing_key=key,
        store_key=STORE_KEY,
        pseudonym_key=PSEUDONYM_KEY,
        clock=sources.clock,
        owned=[stores],
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    if request.param == "sqlite":
        url = str(tmp_path / "shared.db")
        opener: Callable[[], Any] = lambda: open_stores(url)  # noqa: E731
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        schema = request.getfixturevalue("pg_schema")
        opener = lambda: open_stores(dsn, schema=schema, max_connections=4)  # noqa: E731
    sources = MockSources(seed=11, clock=FixedClock())
    key = SigningKey.generate("ES256")
    first = _gateway(opener(), sources, key)
    second = _gateway(opener(), sources, key)
    first.sources = second.sources = sources  # type: ignore[attr-defined]  # for logins
    async with first, second:
        yield first, second


def _events(gateway: Gateway, consent_id: str) -> list[str]:
    return [
        json.loads(e.canonical)["event"]
        for e in gateway.ledger.entries()
        if json.loads(e.canonical).get("consent_id") == consent_id
    ]


async def test_two_instances_giving_one_consent_append_it_once(
    pair: tuple[Gateway, Gateway],
) -> None:
    a, b = pair
    for _ in range(4):
        session = await a.start(request(), "applicant-1")
        async with anyio.create_task_group() as group:
            group.start_soon(a.give_consent, session.id)
            group.start_soon(b.give_consent, session.id)
        assert _events(a, session.consent_id).count("consent.given") == 1


async def test_a_consent_and_a_withdrawal_racing_leave_one_outcome(
    pair: tuple[Gateway, Gateway],
) -> None:
    a, b = pair
    for _ in range(4):
        session = await a.start(request(), "applicant-1")

        async def step(gateway: Gateway, name: str, session_id: str = session.id) -> None:
            # The loser finds the session final already: a typed error, nothing appended.
            with contextlib.suppress(SessionStateError):
                await getattr(gateway, name)(session_id)

        async with anyio.create_task_group() as group:
            group.start_soon(step, a, "deny_consent")
            group.start_soon(step, b, "withdraw")
        seen = _events(a, session.consent_id)
        # Exactly one final step happened, and the loser left nothing.
        assert seen.count("consent.denied") + seen.count("consent.withdrawn") == 1, seen


async def test_two_instances_collecting_one_session_deliver_once(
    pair: tuple[Gateway, Gateway],
) -> None:
    a, b = pair
    sources: MockSources = a.sources  # type: ignore[attr-defined]
    session = await a.start(request(), "applicant-1")
    await a.give_consent(session.id)
    callback = await login(sources, await a.login_url(session.id, BANK))
    await b.callback(session.id, BANK, callback)
    results: list[object] = []

    async def collect(gateway: Gateway) -> None:
        try:
            results.append(await gateway.collect(session.id))
        except SessionStateError as exc:  # the other instance holds the lease
            results.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(collect, a)
        group.start_soon(collect, b)
    seen = _events(a, session.consent_id)
    assert seen.count("data.retrieved") == 1
    assert seen.count("data.delivered") == 1
    assert "data.failed" not in seen
    # Whichever lost the race gets the same result once the winner is done.
    assert "bank" in b.result(session.id).records
