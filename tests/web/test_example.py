"""The example lender's own application form: CSRF-protected like the journey's forms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from tests.conftest import ROOT
from tests.web.conftest import BASE, CALLBACK

from brondata import Gateway
from brondata.testing import MockSources

pytestmark = pytest.mark.anyio


@pytest.fixture
async def lender_app(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    from mortgage_app.lender import build_app

    sources = MockSources(seed=7, redirect_uri=CALLBACK)
    async with Gateway.embedded(
        sources.connectors(), redirect_uri=CALLBACK, clock=sources.clock
    ) as gateway:
        yield build_app(gateway, secret=b"e" * 32)


def _client(app: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE)


def _token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the application form has no CSRF token"
    return found.group(1)


async def test_the_application_form_needs_its_csrf_token(lender_app: Any) -> None:
    async with _client(lender_app) as browser, _client(lender_app) as other:
        home = await browser.get("/")
        assert "samesite=strict" in home.headers["set-cookie"].lower()
        token = _token(home.text)
        for sent in ({"amount": "300000"}, {"amount": "300000", "csrf": "0" * 64}):
            refused = await browser.post("/apply", data=sent)
            assert refused.status_code == 403
        # Another browser's token does not fit this browser's cookie, nor none at all.
        await other.get("/")
        refused = await other.post("/apply", data={"amount": "300000", "csrf": token})
        assert refused.status_code == 403
        applied = await browser.post("/apply", data={"amount": "300000", "csrf": token})
        assert applied.status_code == 303
        assert applied.headers["location"].startswith("/journey/start?t=")
