"""The journey end to end in-process, and every kind of bad input it must survive."""

from __future__ import annotations

from html import escape

import anyio
import pytest
from structlog.testing import capture_logs
from tests.web.conftest import REQUEST, Browser, JourneyHarness, csrf_of, hidden

from brondata import DataRequest
from brondata.dossier import FINDINGS, DossierReport, Finding, Severity
from brondata.gateway import CollectionResult
from brondata.session import SessionState, SourceState
from brondata.web import MemoryBindingStore

FACTS = {
    "purchase_price": "400000",
    "loan_amount": "300000",
    "interest_rate": "0.041",
    "fixed_period_years": 10,
    "energy_label": "A",
    "energy_saving_measures": "0",
}

pytestmark = pytest.mark.anyio

BANK = "bank.mockbank"


async def consent(browser: Browser, link: str) -> str:
    """Open the link and give consent; the sources page."""
    page = await browser.follow(await browser.get(link))
    assert page.status_code == 200
    response = await browser.post(
        "/journey/consent",
        {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice"), "decision": "give"},
    )
    sources = await browser.follow(response)
    assert sources.status_code == 200
    return sources.text


async def log_in_everywhere(harness: JourneyHarness, browser: Browser, session_id: str) -> str:
    person = harness.sources.person(0)
    page = (await browser.get("/journey/sources")).text
    for instance in harness.gateway.session(session_id).sources:
        response = await browser.post(f"/journey/login/{instance}", {"csrf": csrf_of(page)})
        back = await browser.login(response, person.username, person.password)
        page = (await browser.follow(await browser.get(back))).text
    return page


async def _wait_collected(harness: JourneyHarness, session_id: str) -> None:
    with anyio.fail_after(30):
        await harness.journey.finished(session_id)
    assert harness.gateway.session(session_id).state is SessionState.COLLECTED


async def test_the_whole_journey_from_link_to_return(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    first = await browser.get(link)
    cookie = first.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=lax", "path=/journey"):
        assert flag in cookie
    consent_page = await browser.follow(first)
    assert '<html lang="nl">' in consent_page.text
    assert "Toestemming geven" in consent_page.text
    assert "Weigeren" in consent_page.text
    english = await browser.get("/journey/consent", lang="en")
    assert "Give consent" in english.text
    assert "Decline" in english.text
    assert "script-src 'self'" in english.headers["content-security-policy"]
    assert "'unsafe-inline'" not in english.headers["content-security-policy"]

    sources_page = await consent(browser, link)
    assert "Log in at" in sources_page  # the language stays English
    page = await log_in_everywhere(harness, browser, session_id)
    assert "Fetch my data" in page
    response = await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    assert response.headers["location"] == "/journey/progress"
    await _wait_collected(harness, session_id)

    events = await browser.get("/journey/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert "event: done" in events.text
    result = await browser.follow(await browser.get("/journey/progress"))
    assert "What was shared" in result.text
    assert "Test Lender B.V." in result.text
    back = await browser.get("/journey/done")
    assert back.headers["location"] == "https://lender.test/back"
    collected = harness.gateway.result(session_id)
    assert set(collected.records) == {"bank", "population", "tax"}


async def test_progress_without_javascript_refreshes_itself(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await log_in_everywhere(harness, browser, session_id)
    # A collection claimed elsewhere (another tab, another instance): the page waits.
    record = harness.gateway.session(session_id)
    harness.gateway.sessions.replace(record.model_copy(update={"state": SessionState.COLLECTING}))
    progress = await browser.get("/journey/progress")
    assert '<noscript><meta http-equiv="refresh"' in progress.text
    assert 'src="/journey/static/progress.js"' in progress.text
    assert "csrf" in page


async def test_decline_stops_the_session(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await browser.follow(await browser.get(link))
    response = await browser.post(
        "/journey/consent",
        {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice"), "decision": "no"},
    )
    declined = await browser.follow(response)
    assert "U heeft geweigerd" in declined.text
    assert harness.gateway.session(session_id).state is SessionState.DENIED


async def test_a_forged_link_gets_a_page_not_a_trace(harness: JourneyHarness) -> None:
    _, link = await harness.start()
    browser = harness.browser()
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = await browser.get(forged)
    assert response.status_code == 403
    assert "Deze link werkt niet in deze browser" in response.text
    assert "journey_link_invalid" in response.text
    assert "Traceback" not in response.text
    assert "set-cookie" not in response.headers


async def test_a_link_opened_in_another_browser_cannot_continue(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    mine = harness.browser()
    await mine.follow(await mine.get(link))
    theirs = harness.browser()
    replayed = await theirs.get(link)
    assert replayed.status_code == 403
    assert (await theirs.get("/journey/consent")).status_code == 403
    # The first browser goes on as before, and may open the link again.
    again = await mine.follow(await mine.get(link))
    assert again.status_code == 200
    assert harness.gateway.session(session_id).state is SessionState.CREATED


async def test_a_form_without_the_right_csrf_token_changes_nothing(
    harness: JourneyHarness,
) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await browser.follow(await browser.get(link))
    notice = hidden(page.text, "notice")
    for token in ("", "x" * 43):
        response = await browser.post(
            "/journey/consent", {"csrf": token, "notice": notice, "decision": "give"}
        )
        assert response.status_code == 403
        assert "csrf_token_invalid" in response.text
    assert harness.gateway.session(session_id).state is SessionState.CREATED
    # Another journey's token is refused too.
    _, other_link = await harness.start("applicant-2")
    other = harness.browser()
    other_page = await other.follow(await other.get(other_link))
    response = await browser.post(
        "/journey/consent",
        {"csrf": csrf_of(other_page.text), "notice": notice, "decision": "give"},
    )
    assert response.status_code == 403


async def test_a_callback_for_another_session_is_refused(harness: JourneyHarness) -> None:
    victim_id, victim_link = await harness.start("victim")
    attacker_id, attacker_link = await harness.start("attacker")
    victim, attacker = harness.browser(), harness.browser()
    await consent(victim, victim_link)
    page = await consent(attacker, attacker_link)
    person = harness.sources.person(0)
    # The attacker starts a login and gets the victim to open the callback.
    response = await attacker.post(f"/journey/login/{BANK}", {"csrf": csrf_of(page)})
    back = await attacker.login(response, person.username, person.password)
    refused = await victim.get(back)
    assert refused.status_code == 403
    assert "state_mismatch" in refused.text
    assert "Deze inlog hoort niet bij uw sessie" in refused.text
    assert harness.gateway.session(victim_id).sources[BANK].state is SourceState.WAITING
    login_started = SourceState.LOGIN_STARTED
    assert harness.gateway.session(attacker_id).sources[BANK].state is login_started
    # A state whose MAC was altered names no session at all.
    forged = back.replace("state=", "state=0")
    assert (await attacker.get(forged)).status_code == 403
    # The attacker's own browser still completes its own login.
    done = await attacker.follow(await attacker.get(back))
    assert done.status_code == 200
    assert harness.gateway.session(attacker_id).sources[BANK].state is SourceState.AUTHORISED


async def test_a_refusal_at_the_source_shows_what_to_do(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await consent(browser, link)
    person = harness.sources.person(0)
    response = await browser.post(f"/journey/login/{BANK}", {"csrf": csrf_of(page)})
    async with harness.sources.browser() as consumer:
        back = await consumer.authorize(
            response.headers["location"],
            username=person.username,
            password=person.password,
            approve=False,
        )
    page_after = await browser.follow(await browser.get(back))
    assert page_after.status_code == 200
    assert "Deze bron gaf geen toegang" in page_after.text
    assert harness.gateway.session(session_id).sources[BANK].state is SourceState.FAILED


async def test_closing_the_tab_mid_collection_and_coming_back(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await log_in_everywhere(harness, browser, session_id)
    await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    await browser.client.aclose()  # the tab is gone; the collection is not
    await _wait_collected(harness, session_id)
    again = harness.browser()
    again.client.cookies = browser.client.cookies
    result = await again.follow(await again.get("/journey/progress"))
    assert result.status_code == 200
    assert "Wat is gedeeld" in result.text


async def test_withdrawal_on_my_consents_takes_one_step(harness: JourneyHarness) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await browser.get("/journey/consents")
    assert "Toestemming intrekken" in page.text
    response = await browser.post(
        "/journey/consents/withdraw", {"csrf": csrf_of(page.text), "session": session_id}
    )
    after = await browser.follow(response)
    assert "Uw toestemming is ingetrokken" in after.text
    assert harness.gateway.session(session_id).state is SessionState.WITHDRAWN
    report = await browser.get("/journey/consents/report")
    assert "Access report" in report.text
    assert "withdrawn" in report.text


async def test_withdrawing_someone_elses_consent_is_refused(harness: JourneyHarness) -> None:
    other_id, _ = await harness.start("someone-else")
    _, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await browser.get("/journey/consents")
    response = await browser.post(
        "/journey/consents/withdraw", {"csrf": csrf_of(page.text), "session": other_id}
    )
    assert response.status_code == 409
    assert harness.gateway.session(other_id).state is SessionState.CREATED


async def test_unknown_pages_and_no_cookie(harness: JourneyHarness) -> None:
    browser = harness.browser()
    assert (await browser.get("/journey/nowhere")).status_code == 404
    response = await browser.get("/journey/sources")
    assert response.status_code == 403
    assert "<html lang=" in response.text


async def test_another_person_at_the_bank_stops_the_session(harness: JourneyHarness) -> None:
    """Consent phishing: the consumer is made to log in at the bank as someone else."""
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await consent(browser, link)
    me, other = harness.sources.person(0), harness.sources.person(1)
    for instance in harness.gateway.session(session_id).sources:
        who = other if instance == BANK else me
        response = await browser.post(f"/journey/login/{instance}", {"csrf": csrf_of(page)})
        back = await browser.login(response, who.username, who.password)
        page = (await browser.follow(await browser.get(back))).text
    await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    await _wait_collected(harness, session_id)
    result = harness.gateway.result(session_id)
    assert not result.records
    assert {e.code for e in result.errors.values()} == {"identity_mismatch"}
    shown = await browser.follow(await browser.get("/journey/result"))
    assert "als een ander persoon" in shown.text
    assert other.surname not in shown.text


def _report(*codes: str) -> DossierReport:
    return DossierReport(
        preset="mortgage",
        findings=tuple(
            Finding(
                code=code,
                severity=Severity.BLOCKING,
                sources=("bank",),
                message=FINDINGS[code][0],
                remedy=FINDINGS[code][1],
            )
            for code in codes
        ),
    )


async def test_the_result_shows_the_findings_the_lender_passes_in() -> None:
    from tests.web.conftest import journey_harness

    asked: list[str] = []

    async def findings(session_id: str) -> DossierReport:
        asked.append(session_id)
        return _report("bank_history_short")

    async with journey_harness(findings=findings) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        await browser.post("/journey/collect", {"csrf": csrf_of(page)})
        await _wait_collected(harness, session_id)
        result = await browser.get("/journey/result")
        message, remedy = FINDINGS["bank_history_short"]
        assert message.nl in result.text
        assert remedy.nl in result.text
        assert "Wat u nog kunt aanvullen" in result.text
        assert asked == [session_id]
        english = await browser.get("/journey/result", lang="en")
        assert message.en in english.text


async def test_two_posts_at_once_start_one_collection(
    harness: JourneyHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await log_in_everywhere(harness, browser, session_id)
    calls: list[str] = []
    collect = harness.gateway.collect

    async def counted(session: str) -> CollectionResult:
        calls.append(session)
        return await collect(session)

    monkeypatch.setattr(harness.gateway, "collect", counted)
    form = {"csrf": csrf_of(page)}
    responses: list[int] = []

    async def post() -> None:
        responses.append((await browser.post("/journey/collect", form)).status_code)

    async with anyio.create_task_group() as group:  # a double click
        group.start_soon(post)
        group.start_soon(post)
    await _wait_collected(harness, session_id)
    assert responses == [303, 303]
    assert calls == [session_id]


async def test_a_failing_dossier_check_still_shows_the_result() -> None:
    from tests.web.conftest import journey_harness

    from brondata.errors import StoreUnavailableError

    def findings(session_id: str) -> DossierReport:  # a blocking call: run off the loop
        raise StoreUnavailableError("the dossier store is down")

    async with journey_harness(findings=findings) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        await browser.post("/journey/collect", {"csrf": csrf_of(page)})
        await _wait_collected(harness, session_id)
        result = await browser.get("/journey/result")
        assert result.status_code == 200
        assert "Wat is gedeeld" in result.text
        assert "Wat u nog kunt aanvullen" not in result.text


async def test_a_blocking_findings_callable_is_wired_in_one_line() -> None:
    from tests.web.conftest import journey_harness

    def findings(session_id: str) -> DossierReport:
        return _report()

    async with journey_harness(findings=findings) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        page = await log_in_everywhere(harness, browser, session_id)
        await browser.post("/journey/collect", {"csrf": csrf_of(page)})
        await _wait_collected(harness, session_id)
        result = await browser.get("/journey/result")
        assert "Er ontbreekt niets." in result.text


async def test_a_source_that_fails_while_fetching_shows_in_the_consumers_language(
    harness: JourneyHarness,
) -> None:
    from brondata.testing import Fault

    harness.sources.faults["tax"].add(Fault("status", "/", status=503))
    session_id, link = await harness.start()
    browser = harness.browser()
    await consent(browser, link)
    page = await log_in_everywhere(harness, browser, session_id)
    await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    await _wait_collected(harness, session_id)
    result = await browser.follow(await browser.get("/journey/progress"))
    assert result.status_code == 200
    assert "Niet gedeeld: mislukt" in result.text
    assert "Traceback" not in result.text
    english = await browser.get("/journey/result", lang="en")
    assert "Not shared: failed" in english.text
    collected = harness.gateway.result(session_id)
    assert set(collected.records) == {"bank", "population"}
    assert set(collected.errors) == {"tax"}


async def test_an_unexpected_error_is_a_page_not_a_trace(
    harness: JourneyHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id, link = await harness.start()
    browser = harness.browser()
    await browser.get(link)

    def broken(session: str) -> None:
        raise RuntimeError(f"internal detail of {session}")

    monkeypatch.setattr(harness.gateway, "consent_view", broken)
    with capture_logs() as logs:
        page = await browser.get("/journey/consent")
    assert [(x["event"], x["error"]) for x in logs] == [("journey.unexpected", "RuntimeError")]
    assert page.status_code == 500
    assert '<html lang="nl">' in page.text
    assert "Er ging bij ons iets mis" in page.text
    assert "internal detail" not in page.text
    assert "RuntimeError" not in page.text
    assert "Traceback" not in page.text
    assert harness.gateway.session(session_id).state is SessionState.CREATED


async def test_an_expired_link_gets_a_page(harness: JourneyHarness) -> None:
    import time
    from urllib.parse import urlencode

    session_id, _ = await harness.start()
    token = harness.journey._signer.link(session_id, 60, now=time.time() - 3600)
    response = await harness.browser().get(f"/journey/start?{urlencode({'t': token})}")
    assert response.status_code == 403
    assert "Deze link werkt niet in deze browser" in response.text
    assert "set-cookie" not in response.headers


async def test_erasing_the_subject_forgets_its_journeys() -> None:
    from tests.web.conftest import journey_harness

    bindings = MemoryBindingStore()
    async with journey_harness(bindings=bindings) as harness:
        session_id, link = await harness.start()
        other_id, _ = await harness.start("someone-else")
        browser = harness.browser()
        await consent(browser, link)
        assert await harness.gateway.erase_subject("applicant-1")
        assert bindings.get(session_id) is None  # the application's reference is gone too
        assert bindings.get(other_id) is not None
        page = await browser.get("/journey/sources")
        assert page.status_code == 403
        assert "<html lang=" in page.text


async def test_a_journey_whose_session_is_gone_is_forgotten_when_looked_up() -> None:
    from tests.web.conftest import journey_harness

    bindings = MemoryBindingStore()
    async with journey_harness(bindings=bindings) as harness:
        session_id, link = await harness.start()
        browser = harness.browser()
        await consent(browser, link)
        # Removed behind the journey's back (another process, a store's own clean-up).
        harness.gateway.sessions.forget_subject(harness.gateway.pseudonym("applicant-1"))
        assert bindings.get(session_id) is not None
        page = await browser.get("/journey/sources")
        assert page.status_code == 409  # a page, not a trace
        assert "<html lang=" in page.text
        assert bindings.get(session_id) is None


async def test_the_consent_page_shows_the_facts_and_the_decisions(
    harness: JourneyHarness,
) -> None:
    request = DataRequest(
        purpose=REQUEST.purpose,
        legal_basis=REQUEST.legal_basis,
        attributes=[*REQUEST.attributes, "decision.max_mortgage"],
        retention_days=REQUEST.retention_days,
        recipient=REQUEST.recipient,
        facts=FACTS,
        dossier="mortgage",
    )
    session = await harness.gateway.start(request, "applicant-1")
    browser = harness.browser()
    page = await browser.follow(
        await browser.get(await harness.journey.link(session.id, "applicant-1"))
    )
    assert page.status_code == 200, page.text
    assert "Toestemming geven" in page.text
    view = harness.gateway.consent_view(session.id)
    for line in view.dossier_lines["nl"]:
        assert escape(line.strip().removeprefix("- ")) in page.text
    assert "Besluiten, berekend uit deze gegevens" in page.text
    # DUO's data enter the decision only: the page says nothing of it is shared.
    assert view.sources["duo"] == []
    assert "Alleen gelezen voor de besluiten en controles" in page.text
    english = await browser.get("/journey/consent", lang="en")
    for line in view.dossier_lines["en"]:
        assert escape(line.strip().removeprefix("- ")) in english.text


async def test_a_closed_journey_leaves_the_gateways_erasure() -> None:
    from tests.web.conftest import journey_harness

    bindings = MemoryBindingStore()
    async with journey_harness(bindings=bindings) as harness:
        session_id, _ = await harness.start()
        await harness.journey.aclose()
        await harness.journey.aclose()  # closed twice: no error
        assert await harness.gateway.erase_subject("applicant-1")
        assert bindings.get(session_id) is not None  # the store's owner erases it now


async def test_another_bank_is_offered_after_the_collection_only_within_its_window(
    harness: JourneyHarness,
) -> None:
    # The tax login was refused; the others are collected. The consumer retries the tax
    # login later: the sources page offers another bank only while the session can still
    # take one (its late-source window), never a form the gateway would refuse.
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await consent(browser, link)
    person = harness.sources.person(0)
    for instance in harness.gateway.session(session_id).sources:
        response = await browser.post(f"/journey/login/{instance}", {"csrf": csrf_of(page)})
        async with harness.sources.browser() as consumer:
            back = await consumer.authorize(
                response.headers["location"],
                username=person.username,
                password=person.password,
                approve=instance != "tax",
            )
        page = (await browser.follow(await browser.get(back))).text
    await harness.gateway.collect(session_id)
    window = harness.gateway.session(session_id).late_sources_until
    assert window is not None
    await harness.gateway.retry(session_id, "tax")
    assert 'id="add-instance"' in (await browser.get("/journey/sources")).text
    harness.sources.clock.advance(window - harness.sources.clock.now())
    assert 'id="add-instance"' not in (await browser.get("/journey/sources")).text


async def test_the_result_page_offers_another_bank_and_the_journey_collects_it(
    harness: JourneyHarness,
) -> None:
    # Every login approved and collected: the consumer lands on the result page, and the
    # dossier's remedy for ``salary_not_in_bank`` ("log in at another bank") is reachable
    # there while the session can take one (its late-source window): the form adds the
    # bank, the sources page takes its login, and a collect merges it into the bank record.
    session_id, link = await harness.start()
    browser = harness.browser()
    page = await consent(browser, link)
    person = harness.sources.scenario("salary_elsewhere")  # the salary at a second bank
    for instance in harness.gateway.session(session_id).sources:
        response = await browser.post(f"/journey/login/{instance}", {"csrf": csrf_of(page)})
        back = await browser.login(response, person.username, person.password)
        page = (await browser.follow(await browser.get(back))).text
    await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    await _wait_collected(harness, session_id)
    record = harness.gateway.session(session_id)
    offered = harness.gateway.addable_sources(record)
    assert offered
    result = await browser.follow(await browser.get("/journey/sources"))
    assert result.url.path == "/journey/result"
    assert 'id="add-instance"' in result.text
    assert "Nog een bank van u" in (await browser.get("/journey/result", lang="nl")).text
    added = await browser.post(
        "/journey/sources/add", {"csrf": csrf_of(result.text), "instance": offered[0]}
    )
    page = (await browser.follow(added)).text
    assert f'action="/journey/login/{offered[0]}"' in page
    response = await browser.post(f"/journey/login/{offered[0]}", {"csrf": csrf_of(page)})
    back = await browser.login(response, person.username, person.password)
    page = (await browser.follow(await browser.get(back))).text
    await browser.post("/journey/collect", {"csrf": csrf_of(page)})
    await _wait_collected(harness, session_id)
    assert harness.gateway.result(session_id).delivered(offered[0])
    # Once the window closed the result page offers nothing the gateway would refuse.
    window = harness.gateway.session(session_id).late_sources_until
    assert window is not None
    harness.sources.clock.advance(window - harness.sources.clock.now())
    assert 'id="add-instance"' not in (await browser.get("/journey/result")).text
