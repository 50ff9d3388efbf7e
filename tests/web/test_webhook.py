"""Signed webhooks: the JWS over the body hash and ``iat``, refused once older than 5 min."""

from __future__ import annotations

import json

import httpx2
import pytest
from tests.web.conftest import csrf_of, journey_harness
from tests.web.test_journey import consent, log_in_everywhere

from brondata.errors import WebhookError
from brondata.records import KeySet, SigningKey
from brondata.web import WEBHOOK_MAX_AGE, sign_webhook, verify_webhook
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
