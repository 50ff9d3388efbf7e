"""Signed webhooks: the JWS over the body hash and ``iat``, refused once older than 5 min."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import httpx2
import pytest
from structlog.testing import capture_logs
from tests.web.conftest import csrf_of, journey_harness
from tests.web.test_journey import consent, log_in_everywhere

from brondata.errors import ConfigurationError, WebhookError, WebhookReplayError
from brondata.records import KeySet, SigningKey
from brondata.web import WEBHOOK_MAX_AGE, WebhookReplayCache, sign_webhook, verify_webhook
from brondata.web._webhook import SIGNATURE_HEADER

NOW = 1_800_000_000.0


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def test_a_fresh_webhook_verifies(key: SigningKey) -> None:
    body = b'{"session_id": "s"}'
    signature = sign_webhook(body, key, now=NOW)
    assert verify_webhook(body, signature, KeySet([key.public_jwk()]), now=NOW + 10) == int(NOW)


def test_an_old_webhook_is_refused(key: SigningKey) -> None:
    body = b"{}"
    signature = sign_webhook(body, key, now=NOW)
    jwks = KeySet([key.public_jwk()])
    verify_webhook(body, signature, jwks, now=NOW + WEBHOOK_MAX_AGE)
    with pytest.raises(WebhookError, match="older than 300 seconds"):
        verify_webhook(body, signature, jwks, now=NOW + WEBHOOK_MAX_AGE + 1)
    with pytest.raises(WebhookError, match="future"):
        verify_webhook(body, signature, jwks, now=NOW - 3600)


def test_another_body_or_key_or_garbage_is_refused(key: SigningKey) -> None:
    signature = sign_webhook(b"{}", key, now=NOW)
    jwks = KeySet([key.public_jwk()])
    with pytest.raises(WebhookError, match="not the one signed"):
        verify_webhook(b'{"x": 1}', signature, jwks, now=NOW)
    other = KeySet([SigningKey.generate().public_jwk()])
    with pytest.raises(WebhookError, match="not signed by a key"):
        verify_webhook(b"{}", signature, other, now=NOW)
    for garbage in ("", "a.b", "a.b.c"):
        with pytest.raises(WebhookError):
            verify_webhook(b"{}", garbage, jwks, now=NOW)
    header, payload, sig = signature.split(".")
    forged = f"{header}.{payload}.{sig[:-4]}AAAA"
    with pytest.raises(WebhookError):
        verify_webhook(b"{}", forged, jwks, now=NOW)


@pytest.mark.anyio
async def test_the_journey_posts_a_signed_webhook_when_a_collection_ends() -> None:
    received: list[httpx2.Request] = []

    def hook(request: httpx2.Request) -> httpx2.Response:
        received.append(request)
        return httpx2.Response(204)

    async with journey_harness(
        webhook_url="https://lender.test/hooks/brondata",
        webhook_transport=httpx2.MockTransport(hook),
    ) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        await browser.post("/journey/collect", {"csrf": csrf_of(page)})
        await harness.journey.finished(session_id)
        jwks = harness.gateway.jwks()
    assert len(received) == 1
    body = received[0].content
    verify_webhook(body, received[0].headers[SIGNATURE_HEADER], jwks)
    sent = json.loads(body)
    assert sent["session_id"] == session_id
    assert set(sent["records"]) == {"bank", "population", "tax"}


@pytest.mark.anyio
async def test_the_signing_key_is_never_looked_up_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key store may read its files to find the active key: the gateway signing records
    and the journey signing its webhook both ask it from a worker thread."""
    on_the_loop: list[bool] = []

    async with journey_harness(
        webhook_url="https://lender.test/hooks/brondata",
        webhook_transport=httpx2.MockTransport(lambda request: httpx2.Response(204)),
    ) as harness:
        store = harness.gateway._keys
        assert store is not None
        active = type(store).active

        def watched(self: Any) -> SigningKey:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                on_the_loop.append(False)
            else:
                on_the_loop.append(True)
            return active(self)

        monkeypatch.setattr(type(store), "active", watched)
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        await browser.post("/journey/collect", {"csrf": csrf_of(page)})
        await harness.journey.finished(session_id)
    assert on_the_loop  # records and the webhook were signed
    assert not any(on_the_loop)


def test_each_webhook_has_its_own_jti_and_a_replay_is_refused(key: SigningKey) -> None:
    body = b'{"session_id": "s"}'
    jwks = KeySet([key.public_jwk()])
    first, second = sign_webhook(body, key, now=NOW), sign_webhook(body, key, now=NOW)
    assert first != second  # the same body sent twice: two sendings, two jti
    seen = WebhookReplayCache()
    verify_webhook(body, first, jwks, now=NOW, seen=seen)
    verify_webhook(body, second, jwks, now=NOW, seen=seen)
    with pytest.raises(WebhookReplayError) as refused:
        verify_webhook(body, first, jwks, now=NOW + 60, seen=seen)
    assert refused.value.code == "webhook_replayed"
    # A body refused for another reason does not use up its jti.
    fresh = sign_webhook(body, key, now=NOW)
    with pytest.raises(WebhookError, match="not the one signed"):
        verify_webhook(b"{}", fresh, jwks, now=NOW, seen=seen)
    verify_webhook(body, fresh, jwks, now=NOW, seen=seen)


def test_the_replay_cache_forgets_by_its_own_clock_what_age_refuses_anyway() -> None:
    clock = [0.0]
    seen = WebhookReplayCache(max_age=300, clock=lambda: clock[0])
    assert not seen("a", int(NOW))
    clock[0] = 330.0  # max_age + skew after "a" was seen: it could still come within its age
    assert seen("a", int(NOW))
    # A sender's iat far ahead does not push out what the cache saw (its own clock does).
    assert not seen("b", int(NOW) + 10_000)
    assert seen("a", int(NOW))
    clock[0] = 331.0  # past max_age + skew: dropped
    assert seen("b", int(NOW) + 10_000)  # seen at 330: kept
    assert not seen("a", int(NOW))


def test_the_replay_cache_keeps_each_jti_as_long_as_verify_accepts_it(key: SigningKey) -> None:
    jwks = KeySet([key.public_jwk()])
    clock = [NOW]
    seen = WebhookReplayCache(max_age=900, clock=lambda: clock[0])
    a = sign_webhook(b"{}", key, now=NOW, jti="a")
    verify_webhook(b"{}", a, jwks, now=NOW, max_age=900, seen=seen)
    clock[0] = NOW + 400
    b = sign_webhook(b"{}", key, now=NOW + 400, jti="b")
    verify_webhook(b"{}", b, jwks, now=NOW + 400, max_age=900, seen=seen)
    with pytest.raises(WebhookReplayError):  # 400 s old, within its 900: still known
        verify_webhook(b"{}", a, jwks, now=NOW + 400, max_age=900, seen=seen)


def test_a_replay_cache_shorter_than_the_max_age_is_refused(key: SigningKey) -> None:
    jwks = KeySet([key.public_jwk()])
    signature = sign_webhook(b"{}", key, now=NOW)
    with pytest.raises(ConfigurationError, match="max_age"):
        verify_webhook(b"{}", signature, jwks, now=NOW, max_age=900, seen=WebhookReplayCache())
    verify_webhook(b"{}", signature, jwks, now=NOW, max_age=60, seen=WebhookReplayCache())


def test_a_signature_without_jti_is_refused(key: SigningKey) -> None:
    from brondata.records._jws import sign_compact

    body = b"{}"
    payload = {"body_sha256": hashlib.sha256(body).hexdigest(), "iat": int(NOW)}
    header = {"alg": key.alg, "kid": key.kid, "typ": "brondata-webhook+jwt"}
    old_style = sign_compact(header, json.dumps(payload).encode(), key.jose_key)
    with pytest.raises(WebhookError, match="jti"):
        verify_webhook(body, old_style, KeySet([key.public_jwk()]), now=NOW)


@pytest.mark.parametrize(
    "url",
    [
        "http://lender.example/hooks",
        "ftp://lender.example/hooks",
        "https:///hooks",
        "hooks",
        "http://localhost.lender.example/hooks",
        "https://[::1/hooks",
    ],
)
@pytest.mark.anyio
async def test_a_webhook_url_must_be_https(url: str) -> None:
    with pytest.raises(ConfigurationError, match="https"):
        async with journey_harness(webhook_url=url):
            pass


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url", ["http://localhost:8000/hooks", "http://127.0.0.1/hooks", "http://[::1]:8000/hooks"]
)
async def test_plain_http_is_allowed_to_this_machine(url: str) -> None:
    async with journey_harness(webhook_url=url):
        pass


@pytest.mark.anyio
async def test_a_failed_webhook_logs_the_exception_type_not_its_text() -> None:
    secret_url = "https://lender.test/hooks/brondata?token=hunter2"

    def hook(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(f"cannot reach {request.url}")

    async with journey_harness(
        webhook_url=secret_url, webhook_transport=httpx2.MockTransport(hook)
    ) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        with capture_logs() as logs:
            await browser.post("/journey/collect", {"csrf": csrf_of(page)})
            await harness.journey.finished(session_id)
    failed = [entry for entry in logs if entry["event"] == "journey.webhook_failed"]
    assert failed == [
        {
            "event": "journey.webhook_failed",
            "session": session_id,
            "error": "ConnectError",
            "log_level": "warning",
        }
    ]
    assert "hunter2" not in repr(logs)
