"""Renewing a consent from "my consents": the notice again, one button, CSRF, nl/en."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.web.conftest import JourneyHarness, csrf_of, hidden
from tests.web.test_journey import consent

from brondata.session import SessionState
from brondata.testing import FixedClock

pytestmark = pytest.mark.anyio


def _clock(harness: JourneyHarness) -> FixedClock:
    clock = harness.sources.clock
    assert isinstance(clock, FixedClock)
    return clock


async def test_a_consent_is_renewed_in_one_step_from_my_consents(
    harness: JourneyHarness,
) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    before = harness.gateway.session(session_id).consent_expires_at
    consents = await browser.get("/journey/consents")
    assert "Toestemming verlengen" in consents.text
    assert f"Geldig tot {before:%Y-%m-%d %H:%M} UTC" in consents.text
    assert f'href="/journey/consents/renew/{session_id}"' in consents.text

    page = await browser.get(f"/journey/consents/renew/{session_id}")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "Uw toestemming verlengen" in page.text
    assert "Assess your loan application" in page.text  # the same notice as at consent
    assert "Wat, en van welke bron" in page.text
    english = await browser.get(f"/journey/consents/renew/{session_id}", lang="en")
    assert "Renew your consent" in english.text
    assert "What, and from which source" in english.text

    _clock(harness).advance(timedelta(minutes=20))
    response = await browser.post(
        f"/journey/consents/renew/{session_id}",
        {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/journey/consents"
    after = harness.gateway.session(session_id)
    assert after.consent_expires_at == before + timedelta(minutes=20)
    assert after.state is SessionState.CONSENTED
    consent_id = after.consent_id
    events = [event.event for _, event in harness.gateway.log.entries_of_consent(consent_id)]
    assert "consent.renewed" in events


async def test_renewal_needs_the_csrf_token_and_the_notice_shown(
    harness: JourneyHarness,
) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await browser.get(f"/journey/consents/renew/{session_id}")
    notice = hidden(page.text, "notice")
    _clock(harness).advance(timedelta(minutes=20))
    before = harness.gateway.session(session_id).consent_expires_at
    for token in ("", "x" * 43):
        refused = await browser.post(
            f"/journey/consents/renew/{session_id}", {"csrf": token, "notice": notice}
        )
        assert refused.status_code == 403
        assert "csrf_token_invalid" in refused.text
    changed = await browser.post(
        f"/journey/consents/renew/{session_id}",
        {"csrf": csrf_of(page.text), "notice": "0" * 64},
    )
    assert changed.status_code == 409
    assert "Traceback" not in changed.text
    assert harness.gateway.session(session_id).consent_expires_at == before


async def test_another_persons_consent_cannot_be_renewed(harness: JourneyHarness) -> None:
    other_id, _ = await harness.start("someone-else")
    _, link = await harness.start()
    browser = harness.browser()
    page = await consent(browser, link)
    assert (await browser.get(f"/journey/consents/renew/{other_id}")).status_code == 409
    refused = await browser.post(
        f"/journey/consents/renew/{other_id}", {"csrf": csrf_of(page), "notice": "x"}
    )
    assert refused.status_code == 409
    assert "Die stap kan nu niet" in refused.text


async def test_an_ended_consent_offers_no_renewal(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    await harness.gateway.withdraw(session_id)
    consents = await browser.get("/journey/consents")
    assert "Toestemming verlengen" not in consents.text
    page = await browser.get(f"/journey/consents/renew/{session_id}")
    assert page.status_code == 303
    assert page.headers["location"] == "/journey/consents"
