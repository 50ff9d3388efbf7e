"""The fiscal partner's own session (``Gateway.start_partner``): their consent and logins,
only the partner the applicant's data name, the applicant's checks and decisions after it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata._session_store import SessionRecord
from brondata.consent import LogSigner, audit_verify, export
from brondata.dossier._aow import years_until_aow_age
from brondata.errors import (
    NoFiscalPartnerError,
    PartnerMismatchError,
    PartnerSessionEndedError,
    RequestError,
    StoreUnavailableError,
)
from brondata.mock.population import Person
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

FACTS: dict[str, Any] = {
    "purchase_price": 400000,
    "loan_amount": 300000,
    "interest_rate": "0.041",
    "fixed_period_years": 10,
    "energy_label": "A",
    "energy_saving_measures": 0,
}


def mortgage(**change: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Assess your mortgage"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["bank.balance_total", "income.tax_year", "decision.max_mortgage"],
        # FixedClock's records are signed on its date; a year keeps them valid on today's.
        "retention_days": 365,
        "recipient": "Voorbeeld Hypotheken B.V.",
        "facts": FACTS,
        "dossier": "mortgage",
    }
    return DataRequest(**{**fields, **change})


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=7, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources) -> Any:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gw:
        yield gw


def ledger(gateway: Gateway) -> list[dict[str, Any]]:
    return [json.loads(e.canonical) for e in gateway.ledger.entries()]


async def consented(gateway: Gateway, session: SessionRecord) -> None:
    view = gateway.consent_view(session.id)
    await gateway.give_consent(session.id, notice_hash=view.notice_hash)


async def applicant_collected(
    gateway: Gateway, sources: MockSources, scenario: str = "two_incomes", n: int = 0
) -> str:
    session = await gateway.start(mortgage(), f"applicant-{scenario}")
    await consented(gateway, session)
    await sources.authorise(gateway, session.id, sources.scenario(scenario, n))
    await gateway.collect(session.id)
    return session.id


async def partner_collected(
    gateway: Gateway, sources: MockSources, applicant: str, person: Person
) -> SessionRecord:
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    await consented(gateway, partner)
    await sources.authorise(gateway, partner.id, person)
    await gateway.collect(partner.id)
    return gateway.session(partner.id)


def decision_of(gateway: Gateway, session_id: str) -> dict[str, Any]:
    record = gateway.result(session_id).records["decision"]
    return verify_record(record.compact, gateway.jwks()).attributes


async def test_a_couple_gets_a_max_mortgage_with_partner_income(
    gateway: Gateway, sources: MockSources
) -> None:
    """Issue 12: max_mortgage counts the partner's income as the regulation counts it (the
    joint test income): after the partner's own session, the applicant's decision is made."""
    applicant = await applicant_collected(gateway, sources)
    assert gateway.result(applicant).errors["decision"].code == "decision_input_missing"
    await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )

    result = gateway.result(applicant)
    assert "decision" in result.records, result.errors.get("decision")
    assert "decision.max_mortgage" in decision_of(gateway, applicant)


async def test_the_partner_income_raises_the_max_mortgage_by_the_joint_test_income(
    gateway: Gateway, sources: MockSources
) -> None:
    from decimal import Decimal

    from brondata.dossier import decide
    from brondata.dossier._facts import ApplicationFacts

    applicant = await applicant_collected(gateway, sources)
    person = sources.scenario("two_incomes")
    partner = sources.partner(person)
    await partner_collected(gateway, sources, applicant, partner)
    amount = Decimal(decision_of(gateway, applicant)["decision.max_mortgage"]["amount"])

    def sv_wage(who: Person) -> Decimal:
        today = sources.clock.now().date()
        from brondata.mock.employment import verzekeringsbericht
        from brondata.sources.employment.mapping import MAPPING

        raw = {"verzekeringsbericht": verzekeringsbericht(who, today)}
        values = MAPPING.map(raw, ["employment.sv_wage_12m"], today)
        return Decimal(values["employment.sv_wage_12m"]["amount"])

    common = {
        "has_partner": True,
        "student_loan_monthly": "0",
        "aow_age_reached": False,
        "ibl_applicable": True,
        "partner_ibl_applicable": True,
    }
    joint = decide(
        "decision.max_mortgage",
        year=2026,
        facts=ApplicationFacts.parse(FACTS),
        inputs={
            **common,
            "applicant_income_annual": sv_wage(person),
            "partner_income_annual": sv_wage(partner),
        },
    )
    assert amount == joint.value


def _couple(sources: MockSources, fits: Callable[[Person, Person], bool]) -> int:
    """The first ``two_incomes`` couple (by number) whose applicant's UWV record gives their
    income and whose partner ``fits``."""
    today = sources.clock.now().date()
    for n in range(400):
        couple = sources.scenario("two_incomes", n)
        if years_until_aow_age(couple.birth_date, today) >= 10 and fits(
            couple, sources.partner(couple)
        ):
            return n
    raise AssertionError("no such couple in the mock population")


def _job_ended(_: Person, partner: Person) -> bool:
    return all(r.end is not None for r in partner.employments)


def _near_aow(_: Person, partner: Person) -> bool:
    return not _job_ended(_, partner) and years_until_aow_age(partner.birth_date, TODAY) < 10


TODAY = FixedClock().now().date()


@pytest.mark.parametrize("partner", ["job ended", "near the AOW age"])
async def test_no_income_norm_figure_when_the_partners_uwv_record_cannot_give_it(
    gateway: Gateway, sources: MockSources, partner: str
) -> None:
    """The IBL criteria hold for the partner's income as for the applicant's: a partner whose
    job ended months ago (their 12-month SV wage still positive), or within ten years of
    their AOW age (by the birth date the applicant's register entry names), gives no joint
    test income; the decision names the reason for the partner, never a figure."""
    n = _couple(sources, _job_ended if partner == "job ended" else _near_aow)
    couple = sources.scenario("two_incomes", n)
    applicant = await applicant_collected(gateway, sources, n=n)
    await partner_collected(gateway, sources, applicant, sources.partner(couple))

    result = gateway.result(applicant)
    assert "decision" not in result.records
    error = result.errors["decision"]
    assert error.code == "rule_not_applicable"
    assert "partner_ibl_not_applicable" in error.message
    assert "(ibl_not_applicable" not in error.message  # the applicant's own income is fine
    assert not any(ch.isdigit() for ch in error.message)
    failed = [
        e
        for e in ledger(gateway)
        if e["event"] == "data.failed"
        and e["source"] == "decision"
        and e["session_id"] == applicant
    ]
    assert failed[-1]["error_code"] == "rule_not_applicable"
    # The partner's data are there: the check that asks for them is satisfied.
    assert "partner_data_missing" not in gateway.dossier(applicant).codes()


async def test_partner_data_missing_can_be_cleared(gateway: Gateway, sources: MockSources) -> None:
    """The remedy says 'ask your partner to log in and share their data': after the
    partner's session the blocking finding is gone, and the ledger says the checks ran
    again (``dossier.checked``, codes only)."""
    applicant = await applicant_collected(gateway, sources)
    assert "partner_data_missing" in gateway.dossier(applicant).codes()
    checked_before = [e for e in ledger(gateway) if e["event"] == "dossier.checked"]

    await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )

    assert "partner_data_missing" not in gateway.dossier(applicant).codes()
    checked = [e for e in ledger(gateway) if e["event"] == "dossier.checked"]
    assert len(checked) == len(checked_before) + 1
    assert checked[-1]["session_id"] == applicant
    assert "partner_data_missing" not in checked[-1]["codes"]


async def test_the_decision_record_names_the_partner_record_never_the_income(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    partner = await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    decision = gateway.result(applicant).records["decision"]
    claims = verify_record(decision.compact, gateway.jwks()).claims
    provenance = claims["decisions"]["decision.max_mortgage"]
    employment = gateway.result(partner.id).records["employment"]
    partner_digest = verify_record(employment.compact, gateway.jwks()).claims[
        "source_response_digest"
    ]
    assert provenance["input_digests"]["partner.employment"] == partner_digest
    assert "partner_income_annual" in provenance["inputs"]
    assert "partner_ibl_applicable" in provenance["inputs"]  # their record gives the income
    # The partner's income is nowhere in the applicant's record, nor its events.
    wage = str(sources.partner(sources.scenario("two_incomes")).gross_annual_salary)
    assert wage.split(".")[0] not in json.dumps(claims)
    # What the lender gets of the partner's session: the records of what they consented to
    # (nothing by default), never their income.
    for record in gateway.result(partner.id).records.values():
        assert verify_record(record.compact, gateway.jwks()).attributes == {}
    # The earlier (failed) decision is superseded by the new one in the ledger.
    delivered = [
        e for e in ledger(gateway) if e["event"] == "data.delivered" and e["source"] == "decision"
    ]
    assert [e["session_id"] for e in delivered] == [applicant]


@pytest.mark.parametrize("who", ["a stranger", "the applicant"])
async def test_only_the_named_partner_can_join(
    gateway: Gateway, sources: MockSources, who: str
) -> None:
    """Someone other than the fiscal partner the applicant's data name (a stranger, or the
    applicant posing as their partner) logs in at the partner's session: nothing of theirs
    is delivered or used."""
    applicant = await applicant_collected(gateway, sources)
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    await consented(gateway, partner)
    person = sources.scenario("salaried" if who == "a stranger" else "two_incomes")
    await sources.authorise(gateway, partner.id, person)
    result = await gateway.collect(partner.id)

    assert not result.records
    assert {e.code for e in result.errors.values()} == {"partner_mismatch"}
    assert isinstance(next(iter(result.errors.values())), PartnerMismatchError)
    assert "partner_data_missing" in gateway.dossier(applicant).codes()
    assert gateway.result(applicant).errors["decision"].code == "decision_input_missing"
    assert not [
        e
        for e in ledger(gateway)
        if e["event"] == "data.delivered" and e["session_id"] == partner.id
    ]


async def test_the_partner_withdrawing_before_collection_changes_nothing(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    codes = gateway.dossier(applicant).codes()
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    await consented(gateway, partner)
    await sources.authorise(gateway, partner.id, sources.partner(sources.scenario("two_incomes")))
    await gateway.withdraw(partner.id)

    assert gateway.dossier(applicant).codes() == codes
    assert gateway.result(applicant).errors["decision"].code == "decision_input_missing"
    events = [e["event"] for e in ledger(gateway) if e["session_id"] == partner.id]
    assert events[-1] == "consent.withdrawn"
    assert "data.retrieved" not in events


async def test_the_ledger_of_both_sessions_verifies(
    gateway: Gateway, sources: MockSources, tmp_path: Path
) -> None:
    applicant = await applicant_collected(gateway, sources)
    partner = await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    export(gateway.ledger, tmp_path / "export", LogSigner.generate("lender.example/log"))
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.findings
    consents = {e["consent_id"] for e in ledger(gateway) if e["event"] == "consent.given"}
    assert consents == {gateway.session(applicant).consent_id, partner.consent_id}
    # The partner's consent is theirs: its record, receipt and access report.
    record = gateway.consent_record(partner.id)
    assert record.attributes == ("decision.max_mortgage",)
    assert gateway.consent_receipt(partner.id)["consentReceiptID"]
    report = gateway.subject_report("partner-two_incomes")
    assert {c.consent_id for c in report.consents} == {partner.consent_id}


async def test_the_partner_notice_says_whose_application_and_what_is_read(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    view = gateway.consent_view(partner.id)
    english, dutch = view.text("en"), view.text("nl")
    assert "Voorbeeld Hypotheken B.V." in english
    assert "your partner's application" in english
    assert "decision.max_mortgage" in english
    assert "employment.sv_wage_12m" in english
    # The IBL criteria read the partner's current employment and its history as well.
    assert "employment.current (employment)" in english
    assert "employment.history (employment)" in english
    assert "aanvraag van uw partner" in dutch
    assert partner.request.legal_basis is LegalBasis.CONSENT
    assert set(partner.sources) == {"employment", "tax"}
    requested = [e for e in ledger(gateway) if e["session_id"] == partner.id]
    assert [e["event"] for e in requested] == ["consent.requested"]
    assert requested[0]["attributes"] == ["decision.max_mortgage"]


async def test_starting_the_partner_session_again_starts_nothing_twice(
    gateway: Gateway, sources: MockSources
) -> None:
    """A retry, and a call cut short after it made the partner's session but before it
    linked it, return the one partner's session; one ``consent.requested`` for it."""
    applicant = await applicant_collected(gateway, sources)
    replace = gateway.sessions.replace

    def linking_fails(record: SessionRecord) -> SessionRecord:
        if record.id == applicant and record.partner is not None:
            raise StoreUnavailableError("the session store is down")
        return replace(record)

    gateway.sessions.replace = linking_fails  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreUnavailableError):
            await gateway.start_partner(applicant, "partner-two_incomes")
    finally:
        gateway.sessions.replace = replace  # type: ignore[method-assign]
    assert gateway.session(applicant).partner is None

    first = await gateway.start_partner(applicant, "partner-two_incomes")
    again = await gateway.start_partner(applicant, "partner-two_incomes")
    assert first.id == again.id
    assert gateway.session(applicant).partner is not None
    requested = [
        e
        for e in ledger(gateway)
        if e["event"] == "consent.requested" and e["session_id"] == first.id
    ]
    assert len(requested) == 1


async def test_collecting_the_partner_again_redoes_nothing(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    partner = await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    before = len(ledger(gateway))
    await gateway.collect(partner.id)
    await gateway.collect(applicant)
    assert len(ledger(gateway)) == before


async def test_no_partner_session_without_a_fiscal_partner(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources, "salaried")
    with pytest.raises(NoFiscalPartnerError):
        await gateway.start_partner(applicant, "partner-salaried")


async def test_a_partner_request_is_not_started_by_hand(gateway: Gateway) -> None:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess your mortgage"),
        legal_basis=LegalBasis.CONSENT,
        attributes=[],
        retention_days=30,
        recipient="Voorbeeld Hypotheken B.V.",
        feeds=["decision.max_mortgage"],
    )
    with pytest.raises(RequestError, match="start_partner"):
        await gateway.start(request, "someone")


async def test_a_refresh_cut_short_is_done_by_the_next_collect_of_the_partner(
    gateway: Gateway, sources: MockSources
) -> None:
    """The partner's collection finished, but the applicant's session could not be claimed
    to redo its outcomes (the store down for that write): collecting the partner's session
    again does it, once."""
    applicant = await applicant_collected(gateway, sources)
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    await consented(gateway, partner)
    await sources.authorise(gateway, partner.id, sources.partner(sources.scenario("two_incomes")))
    replace = gateway.sessions.replace

    def claim_fails(record: SessionRecord) -> SessionRecord:
        if record.id == applicant and record.collector is not None:
            raise StoreUnavailableError("the session store is down")
        return replace(record)

    gateway.sessions.replace = claim_fails  # type: ignore[method-assign]
    try:
        with pytest.raises(StoreUnavailableError):
            await gateway.collect(partner.id)
    finally:
        gateway.sessions.replace = replace  # type: ignore[method-assign]
    assert "decision" not in gateway.result(applicant).records

    await gateway.collect(partner.id)
    await gateway.collect(partner.id)
    assert "decision.max_mortgage" in decision_of(gateway, applicant)
    checked = [
        e
        for e in ledger(gateway)
        if e["event"] == "dossier.checked" and e["session_id"] == applicant
    ]
    assert len(checked) == 2


async def test_the_partner_check_compares_digests_and_needs_a_bsn(
    gateway: Gateway, sources: MockSources
) -> None:
    """What a partner's session is held to: a BSN answered, and the one the applicant's
    data name (as digests); any other session is not the check's business."""
    from brondata import _partner as partners
    from brondata.connectors._base import Identity, bsn_digest

    applicant = await applicant_collected(gateway, sources)
    couple = sources.scenario("two_incomes")
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    box = gateway._box  # the gateway's store box: the sealed expectation opens with it
    own = {"tax": Identity(bsn_digest=bsn_digest(sources.partner(couple).bsn))}
    assert partners.mismatch(partner, box, own) is None
    other = {"tax": Identity(bsn_digest=bsn_digest(couple.bsn))}
    assert isinstance(partners.mismatch(partner, box, other), PartnerMismatchError)
    nameless = {"bank.mockbank": Identity(holders=("x",))}
    assert isinstance(partners.mismatch(partner, box, nameless), PartnerMismatchError)
    assert partners.mismatch(gateway.session(applicant), box, other) is None


async def test_erasing_the_partner_leaves_nothing_of_theirs_with_the_applicant(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    assert "partner_data_missing" not in gateway.dossier(applicant).codes()
    assert await gateway.erase_subject("partner-two_incomes")
    # The applicant's checks no longer count the partner's data; the decision delivered
    # before stays delivered (the recipient's to keep until its retention ends).
    assert "partner_data_missing" in gateway.dossier(applicant).codes()
    assert "decision" in gateway.result(applicant).records


async def test_the_partner_withdrawing_after_collection_stops_their_data_counting(
    gateway: Gateway, sources: MockSources
) -> None:
    applicant = await applicant_collected(gateway, sources)
    partner = await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    assert "partner_data_missing" not in gateway.dossier(applicant).codes()
    await gateway.withdraw(partner.id)
    assert "partner_data_missing" in gateway.dossier(applicant).codes()


async def _partner_term_over(gateway: Gateway, sources: MockSources, applicant: str) -> str:
    """The applicant renews their consent (a new retention period), the partner does not;
    the clock goes past the partner's consent's end, before ``expire_due`` runs."""
    partner = await partner_collected(
        gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
    )
    sources.clock.advance(timedelta(days=300))
    view = gateway.consent_view(applicant)
    await gateway.renew(applicant, notice_hash=view.notice_hash)
    ends = gateway.session(partner.id).consent_expires_at
    sources.clock.advance(ends - sources.clock.now() + timedelta(minutes=1))
    assert gateway.session(partner.id).state.value == "collected"  # not swept yet
    return partner.id


async def test_the_partners_data_do_not_count_after_their_consent_ended(
    gateway: Gateway, sources: MockSources
) -> None:
    """Once the partner's consent term has ended their data no longer count in the
    applicant's checks and decisions, whether or not the expiry sweep has run."""
    applicant = await applicant_collected(gateway, sources)
    partner = await _partner_term_over(gateway, sources, applicant)
    assert "partner_data_missing" in gateway.dossier(applicant).codes()
    await gateway.collect(partner)  # a refresh finds nothing of the partner's to count
    assert "partner_data_missing" in gateway.dossier(applicant).codes()
    await gateway.expire_due()
    assert gateway.session(partner).state.value == "expired"
    assert "partner_data_missing" in gateway.dossier(applicant).codes()


async def test_the_partner_session_is_not_opened_under_the_applicants_own_subject(
    gateway: Gateway, sources: MockSources
) -> None:
    """The partner's consent is their own: under the applicant's subject it would be in the
    applicant's access report (GDPR art. 15) and erased with the applicant (art. 17)."""
    applicant = await applicant_collected(gateway, sources)
    before = len(ledger(gateway))
    with pytest.raises(RequestError, match="own subject"):
        await gateway.start_partner(applicant, "applicant-two_incomes")
    assert len(ledger(gateway)) == before
    assert gateway.session(applicant).partner is None
    await gateway.start_partner(applicant, "partner-two_incomes")
    with pytest.raises(RequestError, match="own subject"):
        await gateway.start_partner(applicant, "applicant-two_incomes")


@pytest.mark.parametrize("ended", ["erased", "withdrawn", "consent term over"])
async def test_after_the_partner_session_ended_start_partner_says_to_start_anew(
    gateway: Gateway, sources: MockSources, ended: str
) -> None:
    """The partner's session is the couple's one: once it has ended (erased, withdrawn, its
    consent's term over) ``start_partner`` returns no dead session but a typed error, the
    same each time, and starts nothing."""
    applicant = await applicant_collected(gateway, sources)
    if ended == "consent term over":
        await _partner_term_over(gateway, sources, applicant)
    else:
        partner = await partner_collected(
            gateway, sources, applicant, sources.partner(sources.scenario("two_incomes"))
        )
        if ended == "erased":
            assert await gateway.erase_subject("partner-two_incomes")
        else:
            await gateway.withdraw(partner.id)
    before = len(ledger(gateway))
    for _ in range(2):
        with pytest.raises(PartnerSessionEndedError, match="new application session") as info:
            await gateway.start_partner(applicant, "partner-two_incomes-2")
        assert info.value.code == "partner_session_ended"
    assert len(ledger(gateway)) == before


async def test_the_applicants_own_collection_counts_the_partner_once(
    gateway: Gateway, sources: MockSources
) -> None:
    """The applicant adds a bank after the partner's session started: the partner's
    collection finds the applicant's session taking logins and leaves it to its own
    collection, which counts the partner's data; collecting either again redoes nothing."""
    applicant = await applicant_collected(gateway, sources)
    couple = sources.scenario("two_incomes")
    partner = await gateway.start_partner(applicant, "partner-two_incomes")
    await gateway.add_source(applicant, "bank.noordbank")
    await consented(gateway, partner)
    await sources.authorise(gateway, partner.id, sources.partner(couple))
    await gateway.collect(partner.id)
    assert "decision" not in gateway.result(partner.id).records  # (the partner's has none)

    url = await gateway.login_url(applicant, "bank.noordbank")
    async with sources.browser() as browser:
        callback = await browser.authorize(url, username=couple.username, password=couple.password)
    await gateway.callback(applicant, "bank.noordbank", callback)
    await gateway.collect(applicant)
    assert "decision.max_mortgage" in decision_of(gateway, applicant)
    assert "partner_data_missing" not in gateway.dossier(applicant).codes()

    before = len(ledger(gateway))
    await gateway.collect(partner.id)
    await gateway.collect(applicant)
    assert len(ledger(gateway)) == before


async def test_a_couples_protected_earnings_wait_for_the_partner_and_then_refuse_by_475db(
    gateway: Gateway, sources: MockSources
) -> None:
    """The beslagvrije voet of a couple counts the spouse's taxable income (Rv art. 475da lid
    2, C): it comes from the partner's own session, never assumed 0. A spouse with income of
    their own lowers the amount by that income, net, up to half (art. 475db lid 1 a), which
    neither session shows: the decision is refused naming the article, not given too high."""
    from .test_dossier import payment_plan

    person = sources.scenario("two_incomes")
    session = await gateway.start(payment_plan(), "applicant-two_incomes")
    await consented(gateway, session)
    await sources.authorise(gateway, session.id, person)
    await gateway.collect(session.id)
    error = gateway.result(session.id).errors["decision"]
    assert "partner_taxable_income_annual" in error.message
    partner = await gateway.start_partner(session.id, "partner-two_incomes")
    await consented(gateway, partner)
    await sources.authorise(gateway, partner.id, sources.partner(person))
    await gateway.collect(partner.id)
    result = gateway.result(session.id)
    assert "decision" not in result.records
    error = result.errors["decision"]
    assert error.code == "rule_not_applicable"
    assert "475db" in error.message
    assert "partner_taxable_income_annual" not in error.message  # the input was there
    # No value of either person in the error the application reads.
    spouse = sources.partner(person)
    assert spouse.bsn not in error.message
    assert person.bsn not in error.message
