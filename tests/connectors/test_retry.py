"""Retries within the rules: which requests, on what, how long apart, and within what budget."""

from __future__ import annotations

from datetime import date

import httpx2
import pytest

from brondata.connectors._retry import RetryingTransport, RetryPolicy, retry_after
from brondata.mock._faults import Fault
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio


class Script(httpx2.AsyncBaseTransport):
    """Answers from a list, in order; an exception in the list is raised instead."""

    def __init__(self, *answers: int | tuple[int, dict[str, str]] | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(request.method)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx2.Response(status, headers=headers, request=request)


def retrying(script: Script, pauses: list[float], **policy: float) -> httpx2.AsyncClient:
    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    transport = RetryingTransport(
        script,
        policy=RetryPolicy(**policy),
        sleep=sleep,
        draw=lambda: 1.0,  # type: ignore[arg-type]
    )
    return httpx2.AsyncClient(transport=transport, base_url="https://source.test")


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_a_get_is_retried_on_a_passing_failure(status: int) -> None:
    script, pauses = Script(status, 200), []
    async with retrying(script, pauses) as client:
        assert (await client.get("/x")).status_code == 200
    assert script.seen == ["GET", "GET"]
    assert pauses == [0.1]


async def test_connection_errors_are_retried_with_growing_backoff() -> None:
    script, pauses = Script(httpx2.ConnectError("refused"), httpx2.ReadError("reset"), 200), []
    async with retrying(script, pauses) as client:
        assert (await client.delete("/x")).status_code == 200
    assert pauses == [0.1, 0.2]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_non_idempotent_request_is_never_retried(method: str) -> None:
    script, pauses = Script(503, 200), []
    async with retrying(script, pauses) as client:
        assert (await client.request(method, "/token")).status_code == 503
    assert script.seen == [method]


async def test_a_timeout_is_not_retried() -> None:
    script, pauses = Script(httpx2.ReadTimeout("slow"), 200), []
    async with retrying(script, pauses) as client:
        with pytest.raises(httpx2.ReadTimeout):
            await client.get("/x")
    assert pauses == []


async def test_retry_after_is_honoured() -> None:
    script, pauses = Script((429, {"Retry-After": "2"}), 200), []
    async with retrying(script, pauses) as client:
        assert (await client.get("/x")).status_code == 200
    assert pauses == [2.0]


async def test_no_retry_beyond_the_sources_time_budget() -> None:
    script, pauses = Script((503, {"Retry-After": "30"}), 200), []
    async with retrying(script, pauses, budget=10.0) as client:
        assert (await client.get("/x")).status_code == 503
    assert script.seen == ["GET"]


async def test_attempts_are_bounded() -> None:
    script, pauses = Script(503, 503, 503, 200), []
    async with retrying(script, pauses, attempts=3) as client:
        assert (await client.get("/x")).status_code == 503
    assert len(script.seen) == 3


def test_retry_after_reads_seconds_and_dates() -> None:
    request = httpx2.Request("GET", "https://x.test")
    assert retry_after(httpx2.Response(429, headers={"Retry-After": "7"}, request=request)) == 7
    dated = httpx2.Response(
        503, headers={"Retry-After": "Wed, 02 Dec 2026 10:00:10 GMT"}, request=request
    )
    from datetime import UTC, datetime

    assert retry_after(dated, now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC)) == 10
    assert (
        retry_after(httpx2.Response(503, headers={"Retry-After": "soon"}, request=request)) is None
    )


async def _fetch_with(fault: Fault, source: str, **options: object) -> tuple[int, object]:
    sources = MockSources(seed=7, sources=(source,), clock=FixedClock())
    sources.faults[MockSources.resolve([source])[0]].add(fault)
    connector = sources.connector(source, **options)  # type: ignore[arg-type]
    person = sources.person(0)
    from brondata.attributes import CATALOGUE

    instance = MockSources.resolve([source])[0]
    attributes = [a.name for a in CATALOGUE.provided_by(instance)]
    redirect_uri = sources.redirect_uri.format(source=instance)
    try:
        start = await connector.begin_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=date(2026, 12, 31)
        )
        async with sources.browser() as browser:
            callback = await browser.authorize(
                start.authorization_url, username=person.username, password=person.password
            )
        grant = await connector.complete_login(
            callback_url=callback, pending=start.pending, redirect_uri=redirect_uri
        )
        outcome: object
        try:
            outcome = await connector.fetch(
                grant=grant, attributes=attributes, today=date(2026, 11, 2)
            )
        except Exception as exc:
            outcome = exc
        return fault.hits, outcome
    finally:
        await connector.aclose()


async def test_a_government_source_recovers_from_one_503() -> None:
    hits, result = await _fetch_with(
        Fault("status", times=1, status=503, methods=frozenset({"GET", "POST"})), "tax"
    )
    assert not isinstance(result, Exception), result
    assert hits == 1


async def test_a_one_off_bank_consent_is_not_retried_past_its_frequency() -> None:
    # frequencyPerDay 1: the failed read may have been counted, so no second try.
    hits, result = await _fetch_with(
        Fault("status", path="/v1/accounts", times=1, status=503, methods=frozenset({"GET"})),
        "bank",
    )
    assert hits == 1
    assert isinstance(result, Exception)


async def test_a_recurring_bank_consent_retries_within_its_frequency() -> None:
    hits, result = await _fetch_with(
        Fault("status", path="/v1/accounts", times=1, status=503, methods=frozenset({"GET"})),
        "bank",
        frequency_per_day=4,
    )
    assert hits == 1
    assert not isinstance(result, Exception), result


async def test_a_429_with_retry_after_from_a_mock_is_waited_out() -> None:
    fault = Fault("status", times=1, status=429, retry_after=1, methods=frozenset({"GET"}))
    hits, result = await _fetch_with(fault, "tax")
    assert not isinstance(result, Exception), result
    assert hits == 1


async def test_no_retry_when_the_next_attempt_would_outlast_the_budget() -> None:
    """An attempt that took 6 s of a 10 s budget is not followed by a pause and a second
    attempt of another 6 s: the source's own 503 is the truer answer than a timeout."""
    clock = [0.0]

    class Slow(Script):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            clock[0] += 6.0
            return await super().handle_async_request(request)

    script, pauses = Slow(503, 200), []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    transport = RetryingTransport(
        script,
        policy=RetryPolicy(budget=10.0),
        sleep=sleep,
        draw=lambda: 1.0,  # type: ignore[arg-type]
        monotonic=lambda: clock[0],
    )
    async with httpx2.AsyncClient(transport=transport, base_url="https://source.test") as client:
        assert (await client.get("/x")).status_code == 503
    assert script.seen == ["GET"]
    assert pauses == []
