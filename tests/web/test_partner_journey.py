"""The fiscal partner goes through the journey like any consumer: their own notice, consent,
logins and result; after it the applicant's decision counts both incomes."""

from __future__ import annotations

import anyio
import pytest
from tests.web.conftest import JourneyHarness, csrf_of, hidden

from brondata import DataRequest, LegalBasis, Purpose
from brondata.session import SessionState

pytestmark = pytest.mark.anyio

MORTGAGE = DataRequest(
    purpose=Purpose(term="dpv:CreditChecking", text="Assess your mortgage application"),
    legal_basis=LegalBasis.CONTRACT,
    attributes=["income.tax_year", "decision.max_mortgage"],
    retention_days=30,
    recipient="Test Lender B.V.",
    facts={
        "purchase_price": "400000",
        "loan_amount": "300000",
        "interest_rate": "0.041",
        "fixed_period_years": 10,
        "energy_label": "A",
        "energy_saving_measures": "0",
    },
    dossier="mortgage",
)


async def test_the_partner_gives_consent_and_logs_in_through_the_journey(
    harness: JourneyHarness,
) -> None:
    gateway, sources = harness.gateway, harness.sources
    applicant = sources.scenario("two_incomes")
    session = await gateway.start(MORTGAGE, "applicant-1")
    await gateway.give_consent(session.id)
    await sources.authorise(gateway, session.id, applicant)
    await gateway.collect(session.id)
    assert "decision" not in gateway.result(session.id).records

    partner = await gateway.start_partner(session.id, "partner-1")
    link = await harness.journey.link(partner.id, "partner-1")
    browser = harness.browser()
    page = await browser.follow(await browser.get(link))
    assert "aanvraag van uw partner" in page.text
    assert "employment.sv_wage_12m" in page.text
    response = await browser.post(
        "/journey/consent",
        {"csrf": csrf_of(page.text), "notice": hidden(page.text, "notice"), "decision": "give"},
    )
    listing = (await browser.follow(response)).text
    person = sources.partner(applicant)
    for instance in gateway.session(partner.id).sources:
        response = await browser.post(f"/journey/login/{instance}", {"csrf": csrf_of(listing)})
        back = await browser.login(response, person.username, person.password)
        listing = (await browser.follow(await browser.get(back))).text
    response = await browser.post("/journey/collect", {"csrf": csrf_of(listing)})
    assert response.headers["location"] == "/journey/progress"
    with anyio.fail_after(30):
        await harness.journey.finished(partner.id)
    assert gateway.session(partner.id).state is SessionState.COLLECTED
    # The partner's collection redid the applicant's checks and decisions before it ended.
    assert "decision" in gateway.result(session.id).records
    assert "partner_data_missing" not in gateway.dossier(session.id).codes()
