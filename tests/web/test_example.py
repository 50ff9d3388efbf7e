"""The example lender's own pages: the application form (its facts checked, CSRF-protected
like the journey's forms) and the underwriter's records, findings and decisions."""

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
        app = build_app(gateway, secret=b"e" * 32)
        app.state.sources = sources
        yield app


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
        for sent in (_facts(), _facts(csrf="0" * 64)):
            refused = await browser.post("/apply", data=sent)
            assert refused.status_code == 403
        # Another browser's token does not fit this browser's cookie, nor none at all.
        await other.get("/")
        refused = await other.post("/apply", data=_facts(csrf=token))
        assert refused.status_code == 403
        applied = await browser.post("/apply", data=_facts(csrf=token))
        assert applied.status_code == 303
        assert applied.headers["location"].startswith("/journey/start?t=")


def _facts(**changed: str) -> dict[str, str]:
    facts = {
        "purchase_price": "400000",
        "loan_amount": "300000",
        "interest_rate": "4.1",
        "fixed_period_years": "10",
        "energy_label": "A",
        "energy_saving_measures": "0",
    }
    return facts | changed


async def test_wrong_facts_are_a_form_error_naming_the_field(lender_app: Any) -> None:
    async with _client(lender_app) as browser:
        token = _token((await browser.get("/")).text)
        for wrong, label in (
            ({"loan_amount": "lots"}, "Loan amount (euro)"),
            ({"interest_rate": "41"}, "Interest rate (% a year)"),
            ({"fixed_period_years": "ten"}, "Fixed-rate period (years)"),
            ({"energy_label": "Z"}, "Energy label of the home"),
        ):
            refused = await browser.post("/apply", data=_facts(**wrong) | {"csrf": token})
            assert refused.status_code == 400
            assert f"{label}:" in refused.text
            assert "Traceback" not in refused.text
            assert _token(refused.text) == token  # the form again, still protected
        assert not lender_app.state.lender.applications


async def test_the_underwriter_sees_records_findings_and_decisions(lender_app: Any) -> None:
    gateway: Gateway = lender_app.state.lender.gateway
    async with _client(lender_app) as browser:
        token = _token((await browser.get("/")).text)
        applied = await browser.post("/apply", data=_facts() | {"csrf": token})
        assert applied.status_code == 303
        (session_id,) = lender_app.state.lender.applications
        assert "Underwriter" in (await browser.get(f"/applications/{session_id}")).text
        sources: MockSources = lender_app.state.sources
        applicant = sources.scenario("salaried")
        view = gateway.consent_view(session_id)
        await gateway.give_consent(session_id, notice_hash=view.notice_hash)
        async with sources.browser() as consumer:
            for source in gateway.session(session_id).sources:
                url = await gateway.login_url(session_id, source)
                back = await consumer.authorize(
                    url, username=applicant.username, password=applicant.password
                )
                await gateway.callback(session_id, source, back)
        await gateway.collect(session_id)
        page = (await browser.get(f"/underwriter/{session_id}")).text
    assert "Verified records" in page
    assert "income.taxable_annual" in page
    assert "Dossier findings" in page
    assert ">blocking<" not in page  # a salaried applicant's dossier is complete enough
    assert "decision.max_mortgage" in page
    assert "decision.nhg_eligible" in page
    assert "Rule version" in page
    assert "toy rule" not in page
