"""The whole journey in a real Chromium: application, consent, DigiD once, each bank,
progress, result, back at the lender, renewal, withdrawal; axe-core on every page of ours.

Each page is saved as a screenshot under ``test-artifacts/<scenario>/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from brondata.mock.population import Population

playwright_sync = pytest.importorskip("playwright.sync_api")

_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact,
    targets: v.nodes.map(n => n.target.join(" "))}));
}"""


class Journey:
    """One consumer in one browser, with a screenshot and an axe run per page of ours."""

    def __init__(self, page: Any, base: str, axe: str, out: Path) -> None:
        self.page = page
        self.base = base
        self.axe = axe
        self.out = out
        self.shots = 0
        self.pages_checked: list[str] = []

    def check(self, name: str) -> None:
        self.shots += 1
        self.page.screenshot(path=str(self.out / f"{self.shots:02d}-{name}.png"), full_page=True)
        if not self.page.url.startswith(self.base):
            return  # a source's own page: not ours to judge
        self.page.evaluate(self.axe)
        violations = self.page.evaluate(_AXE_RUN)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}: {serious}"
        assert self.page.locator("html").get_attribute("lang") in ("nl", "en")
        self.pages_checked.append(name)

    def log_in_at_source(self, username: str, password: str) -> None:
        """At a source (or DigiD): log in if asked, approve, until back at the lender."""
        for _ in range(6):
            self.page.wait_for_load_state()
            if self.page.url.startswith(self.base):
                return
            if self.page.locator("input[type=password]").count():
                self.page.fill("#username", username)
                self.page.fill("#password", password)
                self.page.click("button[type=submit]")
            else:
                self.page.click("button[value=approve]")
        raise AssertionError(f"still not back at the lender: {self.page.url}")


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    with playwright_sync.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _banks_of(person: Any) -> list[str]:
    return sorted({f"bank.{getattr(a, 'bank', 'mockbank')}" for a in person.accounts})


def _person(scenario: str, banks: int) -> Any:
    population = Population(seed=42, as_of=date.today())  # what `brondata mock serve` uses
    for n in range(40):
        person = population.scenario(scenario, n)
        if len(_banks_of(person)) == banks:
            return person
    raise AssertionError(f"no {scenario} person banks at {banks} bank(s)")


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "banks"), [("salaried", 1), ("two_incomes", 2)])
def test_the_whole_journey_in_chromium(
    browser: Any, app_url: str, axe_source: str, artifacts: Path, scenario: str, banks: int
) -> None:
    person = _person(scenario, banks)
    out = artifacts / scenario
    out.mkdir(exist_ok=True)
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20_000)
    journey = Journey(page, app_url, axe_source, out)

    page.goto(app_url + "/")
    journey.check("application")
    page.click("button:has-text('Apply')")

    page.wait_for_url(re.compile(r"/journey/consent"))
    assert page.locator("button", has_text="Toestemming geven").count() == 1
    assert page.locator("button", has_text="Weigeren").count() == 1
    journey.check("consent-nl")
    page.click("a[hreflang=en]")
    journey.check("consent-en")
    page.click("button:has-text('Give consent')")

    page.wait_for_url(re.compile(r"/journey/sources"))
    journey.check("sources")
    for extra in _banks_of(person)[1:]:
        page.select_option("#add-instance", extra)
        page.click("button:has-text('Add this bank')")
        page.wait_for_url(re.compile(r"/journey/sources"))
    digid_logins = 0
    for step in range(12):
        buttons = page.locator("button:has-text('Log in at')")
        if buttons.count() == 0:
            break
        buttons.first.click()
        page.wait_for_load_state()
        if "digid" in page.title().lower() or "DigiD" in page.content():
            digid_logins += page.locator("input[type=password]").count()
        if step == 0:
            journey.check("source-login")
        journey.log_in_at_source(person.username, person.password)
        page.wait_for_url(re.compile(r"/journey/sources"))
    assert page.locator("text=mislukt").count() == 0
    assert page.locator("text=failed").count() == 0
    journey.check("sources-logged-in")

    # The progress page follows the server-sent events to the result; hold the events back
    # (an empty stream, which the browser retries) until the page has been checked.
    def hold(route: Any) -> None:
        route.fulfill(status=200, content_type="text/event-stream", body="retry: 200\n\n")

    page.route("**/journey/events", hold)
    page.click("button:has-text('Fetch my data')")
    page.wait_for_url(re.compile(r"/journey/(progress|result)"))
    if "/progress" in page.url:
        journey.check("progress")
    page.unroute("**/journey/events")
    page.wait_for_url(re.compile(r"/journey/result"))
    journey.check("result")
    assert page.locator("text=What was shared").count() == 1
    page.click("a:has-text('Return to')")

    page.wait_for_url(re.compile(r"/applications/"))
    journey.check("back-at-lender")
    page.click("text=Underwriter view")
    journey.check("underwriter")
    body = page.content()
    assert "bank.balance_total" in body
    assert "income.taxable_annual" in body
    if scenario == "two_incomes":
        assert "household.partner" in body
    # The dossier findings and the decisions, with their rule versions, from brondata.
    assert "Dossier findings" in body
    if scenario == "salaried":
        assert ">blocking<" not in body
        assert "decision.max_mortgage" in body
        assert "income_norm@" in body
    else:  # the fiscal partner's own data were not asked: no income-norm decision
        assert "partner_data_missing" in body
        assert "decision_input_missing" in body

    page.goto(app_url + "/journey/consents")
    journey.check("my-consents")
    page.click("a:has-text('Renew consent')")
    page.wait_for_url(re.compile(r"/journey/consents/renew/"))
    assert page.locator("text=What, and from which source").count() == 1  # the notice again
    journey.check("renew")
    page.click("button:has-text('Renew consent')")
    page.wait_for_url(re.compile(r"/journey/consents$"))
    page.click("button:has-text('Withdraw consent')")
    page.wait_for_url(re.compile(r"/journey/consents"))
    assert page.locator("text=Your consent is withdrawn").count() == 1
    journey.check("withdrawn")
    context.close()
    assert digid_logins <= 1, "DigiD asked for a password more than once"
