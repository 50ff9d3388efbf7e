"""The gateway's first-time-right checks and decisions: ``Gateway.dossier``, the decision
record, the report record, ``dossier.checked`` in the ledger, and the facts in the notice."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata.connectors._base import combined_digest
from brondata.consent import LogSigner, audit_verify, export
from brondata.errors import IdentityMismatchError, MappingError, RequestError, SessionStateError
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
DECISIONS = ["decision.max_mortgage", "decision.nhg_eligible"]


def mortgage(**change: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Assess your mortgage"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["bank.balance_total", "income.tax_year", *DECISIONS],
        # FixedClock's records are signed on its date; a year keeps them valid on today's.
        "retention_days": 365,
        "recipient": "Voorbeeld Hypotheken B.V.",
        "facts": FACTS,
        "dossier": "mortgage",
    }
    fields.update(change)
    if not any(a.startswith("decision.") for a in fields["attributes"]):
        fields["facts"] = None  # facts no decision reads are refused
    return DataRequest(**fields)


async def collected(
    gateway: Gateway,
    sources: MockSources,
    request: DataRequest,
    scenario: str,
    *,
    only: list[str] | None = None,
) -> str:
    person = sources.scenario(scenario)
    session = await gateway.start(request, f"applicant-{scenario}", sources=only)
    await gateway.give_consent(session.id, notice_hash=gateway.consent_view(session.id).notice_hash)
    async with sources.browser() as browser:
        for source in session.sources:
            url = await gateway.login_url(session.id, source)
            callback = await browser.authorize(
                url, username=person.username, password=person.password
            )
            await gateway.callback(session.id, source, callback)
    await gateway.collect(session.id)
    return session.id


@pytest.fixture
def sources() -> MockSources:
    return MockSources(seed=7, clock=FixedClock())


@pytest.fixture
async def gateway(sources: MockSources) -> Any:
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gw:
        yield gw


def ledger(gateway: Gateway) -> list[dict[str, Any]]:
    return [json.loads(e.canonical) for e in gateway.ledger.entries()]


async def test_decisions_are_a_signed_record_with_rule_versions_and_input_digests(
    gateway: Gateway, sources: MockSources, tmp_path: Path
) -> None:
    session = await collected(gateway, sources, mortgage(), "salaried")
    result = gateway.result(session)
    decision = verify_record(result.records["decision"].compact, gateway.jwks())
    assert set(decision.attributes) == set(DECISIONS)
    assert decision.attributes["decision.nhg_eligible"] is True
    assert set(decision.attributes["decision.max_mortgage"]) == {"amount", "currency"}
    claims = decision.claims["decisions"]
    assert claims["decision.max_mortgage"]["rule_version"] == "income_norm@2026.1"
    # The provenance of the inputs: the digests the kinds' own records carry.
    digests = claims["decision.max_mortgage"]["input_digests"]
    assert set(digests) == {"duo", "employment", "population"}  # the AOW age: the law's table
    for kind, digest in digests.items():
        record = verify_record(result.records[kind].compact, gateway.jwks())
        assert record.claims["source_response_digest"] == digest
    assert claims["decision.nhg_eligible"]["input_digests"] == {}
    # Only the outcome leaves: no input the decision read is released.
    released = {a for k, r in result.records.items() for a in r.attribute_names}
    assert "employment.sv_wage_12m" not in released
    assert "student_debt.statutory_monthly_repayment" not in released

    entries = ledger(gateway)
    delivered = [e for e in entries if e["event"] == "data.delivered" and e["source"] == "decision"]
    assert delivered[0]["attributes"] == sorted(DECISIONS)
    given = next(e for e in entries if e["event"] == "consent.given")
    assert set(DECISIONS) <= set(given["attributes"])  # consented like any attribute
    signer = LogSigner.generate("lender.example/consent-log")
    export(gateway.ledger, tmp_path / "export", signer)
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.to_dict()


@pytest.mark.parametrize("scenario", ["self_employed", "stale_pension_overview"])
async def test_no_income_norm_from_an_income_the_checks_say_uwv_cannot_give(
    gateway: Gateway, sources: MockSources, scenario: str
) -> None:
    """self_employed: no current employment; stale_pension_overview: within ten years of the
    AOW age (Trhk art. 2 lid 4 wants the income after it). No figure from the UWV wage: the
    decision fails, typed, naming the check's code."""
    session = await collected(gateway, sources, mortgage(), scenario)
    assert "ibl_not_applicable" in gateway.dossier(session).codes()
    result = gateway.result(session)
    assert "decision" not in result.records
    error = result.errors["decision"]
    assert error.code == "rule_not_applicable"
    assert "ibl_not_applicable" in error.message
    assert not any(ch.isdigit() for ch in error.message.replace("decision.", ""))


async def test_a_collection_in_another_year_gets_no_figure_of_the_requests_year() -> None:
    """The request's rules are 2026's; its collection runs on New Year's Day 2027."""
    from datetime import UTC, datetime, timedelta

    sources = MockSources(seed=7, clock=FixedClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)))
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        person = sources.scenario("salaried")
        session = await gateway.start(mortgage(), "applicant-salaried")
        notice_hash = gateway.consent_view(session.id).notice_hash
        await gateway.give_consent(session.id, notice_hash=notice_hash)
        async with sources.browser() as browser:
            for source in session.sources:
                url = await gateway.login_url(session.id, source)
                callback = await browser.authorize(
                    url, username=person.username, password=person.password
                )
                await gateway.callback(session.id, source, callback)
        sources.clock.advance(timedelta(minutes=40))
        await gateway.collect(session.id)
        result = gateway.result(session.id)
    assert "decision" not in result.records
    assert result.errors["decision"].code == "rule_table_not_found"


async def test_the_report_while_the_consumer_is_there_and_codes_only_in_the_ledger(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await collected(
        gateway, sources, mortgage(attributes=["bank.balance_total"]), "new_bank_account"
    )
    report = gateway.dossier(session)
    assert "bank_history_short" in report.codes()
    assert report.blocking
    checked = [e for e in ledger(gateway) if e["event"] == "dossier.checked"]
    assert checked[-1]["codes"] == list(report.codes())
    assert checked[-1]["preset"] == "mortgage"
    text = json.dumps(checked)
    assert "bank data" not in text  # codes, never the texts


async def test_the_salaried_person_with_all_sources_has_no_blocking_finding(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await collected(gateway, sources, mortgage(), "salaried")
    assert not gateway.dossier(session).blocking


async def test_the_report_as_a_signed_record_when_asked(
    gateway: Gateway, sources: MockSources
) -> None:
    request = mortgage(attributes=["bank.balance_total"], dossier_record=True)
    session = await collected(gateway, sources, request, "new_bank_account")
    record = verify_record(gateway.result(session).records["dossier"].compact, gateway.jwks())
    report = record.attributes["dossier.report"]
    assert report["preset"] == "mortgage"
    assert "bank_history_short" in [f["code"] for f in report["findings"]]
    checked = [e for e in ledger(gateway) if e["event"] == "dossier.checked"][-1]
    assert checked["record_digest"] == gateway.result(session).records["dossier"].digest


async def test_the_report_speaks_of_the_collection_whenever_asked(
    gateway: Gateway, sources: MockSources
) -> None:
    """Asked two months later, across a new year (the tax data would then be stale), the
    report is still the collection's: the ledger's dossier.checked and the signed record."""
    from datetime import timedelta

    request = mortgage(dossier_record=True)
    session = await collected(gateway, sources, request, "salaried")
    sources.clock.advance(timedelta(days=61))  # 2027-01-02, within the retention
    report = gateway.dossier(session)
    checked = [e for e in ledger(gateway) if e["event"] == "dossier.checked"][-1]
    assert list(report.codes()) == checked["codes"]
    record = verify_record(gateway.result(session).records["dossier"].compact, gateway.jwks())
    assert report.to_dict() == record.attributes["dossier.report"]


async def test_a_second_bank_added_before_collection_clears_salary_not_in_bank(
    gateway: Gateway, sources: MockSources
) -> None:
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    one = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    assert "salary_not_in_bank" in gateway.dossier(one).codes()
    both = await collected(
        gateway, sources, request, "salary_elsewhere", only=["bank.mockbank", "bank.noordbank"]
    )
    assert "salary_not_in_bank" not in gateway.dossier(both).codes()


async def add_bank_and_collect(
    gateway: Gateway, sources: MockSources, session: str, person: Any
) -> None:
    await gateway.add_source(session, "bank.noordbank")
    async with sources.browser() as browser:
        url = await gateway.login_url(session, "bank.noordbank")
        callback = await browser.authorize(url, username=person.username, password=person.password)
        await gateway.callback(session, "bank.noordbank", callback)
    await gateway.collect(session)


async def test_add_source_then_the_checks_run_again(gateway: Gateway, sources: MockSources) -> None:
    # The consumer logs in at one bank; the checks show the salary missing; they add the bank
    # the salary goes to, log in there, the new source is collected and the checks run again.
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    assert "salary_not_in_bank" in gateway.dossier(session).codes()
    await add_bank_and_collect(gateway, sources, session, person)
    assert "salary_not_in_bank" not in gateway.dossier(session).codes()
    checked = [e["codes"] for e in ledger(gateway) if e["event"] == "dossier.checked"]
    assert len(checked) == 2
    assert "salary_not_in_bank" in checked[0]
    assert "salary_not_in_bank" not in checked[1]
    result = gateway.result(session)
    assert result.delivered("bank.noordbank")
    assert result.delivered("bank.mockbank")


async def test_a_bank_added_after_collection_is_merged_into_the_one_bank_record(
    gateway: Gateway, sources: MockSources, tmp_path: Path
) -> None:
    # One record per kind, as if both banks had been there from the start: the second bank's
    # data join the first's in a new bank record over both instances; the first record is
    # superseded, and the ledger says which record replaced which.
    request = mortgage(
        attributes=[
            "bank.balance_total",
            "bank.accounts",
            "employment.current",
            "decision.nhg_eligible",
            "decision.protected_earnings_monthly",  # reads the banks' salary credits
        ],
        dossier_record=True,
    )
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session)
    old_bank, old_dossier = first.records["bank"], first.records["dossier"]
    # The first bank shows no income: the beslagvrije voet's net income is missing there.
    assert first.errors["decision"].code == "decision_input_missing"
    await add_bank_and_collect(gateway, sources, session, person)

    result = gateway.result(session)
    assert sorted(result.records) == sorted([*first.records, "decision"])  # none of its own
    assert "bank.noordbank" not in result.records
    bank = verify_record(result.records["bank"].compact, gateway.jwks())
    assert bank.claims["instances"] == ["bank.mockbank", "bank.noordbank"]
    assert bank.claims["supersedes"] == old_bank.digest
    before = verify_record(old_bank.compact, gateway.jwks()).attributes["bank.accounts"]
    after = bank.attributes["bank.accounts"]
    # Both banks' accounts in the one record: the first bank's, and more.
    assert {a["iban"] for a in before} < {a["iban"] for a in after}
    # The provenance digest combines both banks' retrievals, as for two banks at the start.
    entries = ledger(gateway)
    retrieved = {
        e["source"]: e["response_digest"]
        for e in entries
        if e["event"] == "data.retrieved" and e["source"].startswith("bank.")
    }
    assert set(retrieved) == {"bank.mockbank", "bank.noordbank"}
    assert bank.claims["source_response_digest"] == combined_digest(retrieved)
    # The ledger: the merged record delivered naming the record it supersedes; nothing is
    # said erased (the gateway holds those data in the merged record, the recipient keeps
    # the old record until its retention ends).
    bank_events = [
        (e["event"], e["record_digest"], e.get("supersedes"))
        for e in entries
        if e["event"] in ("data.delivered", "data.erased") and e.get("source") == "bank"
    ]
    assert bank_events == [
        ("data.delivered", old_bank.digest, None),
        ("data.delivered", result.records["bank"].digest, old_bank.digest),
    ]
    # The decisions and the report read the banks too: made over the merged record (the
    # decision record now that the income is there; it replaces none).
    decision = verify_record(result.records["decision"].compact, gateway.jwks())
    assert "supersedes" not in decision.claims
    digests = decision.claims["decisions"]["decision.protected_earnings_monthly"]["input_digests"]
    assert digests["bank"] == bank.claims["source_response_digest"]
    assert result.records["dossier"].digest != old_dossier.digest
    assert not [e for e in entries if e["event"] == "data.erased"]
    superseding = {e["source"]: e["supersedes"] for e in entries if e.get("supersedes")}
    assert superseding == {"bank": old_bank.digest}
    dossier = verify_record(result.records["dossier"].compact, gateway.jwks())
    assert dossier.claims["supersedes"] == old_dossier.digest
    checked = [e for e in entries if e["event"] == "dossier.checked"]
    assert checked[-1]["record_digest"] == result.records["dossier"].digest
    # An auditor's offline check accepts the combined digest and the re-issue.
    export(gateway.ledger, tmp_path / "export", LogSigner.generate("lender.example/log"))
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.to_dict()


async def test_raw_answers_are_kept_only_for_a_kind_that_can_take_another_instance(
    gateway: Gateway, sources: MockSources
) -> None:
    # To merge a bank added later, the gateway keeps the banks' answers with the bank outcome,
    # sealed under the subject's key (the store's key alone does not open them); a kind it has
    # one instance of keeps none: nothing can join it.
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    person = sources.scenario("salaried")
    session = await collected(gateway, sources, request, "salaried", only=["bank.mockbank"])
    record = gateway.sessions.get(session)
    opened = {
        kind: gateway._box.open(sealed, f"{session}/{kind}/outcome")  # test reaches in
        for kind, sealed in record.kinds.items()
    }
    kept = opened["bank"]["answers"]
    assert set(kept) == {"key", "sealed"}
    assert kept["key"] == gateway.log.keyring.lookup(record.subject)
    assert "bank.mockbank" not in json.dumps(kept)
    assert person.username not in json.dumps(opened["bank"])
    assert "answers" not in opened["employment"]


async def test_once_the_subject_s_key_is_destroyed_no_late_bank_can_join(
    gateway: Gateway, sources: MockSources
) -> None:
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    before = gateway.result(session).records["bank"].digest
    gateway.log.keyring.destroy(gateway.sessions.get(session).subject)
    await add_bank_and_collect(gateway, sources, session, person)
    result = gateway.result(session)
    assert result.records["bank"].digest == before
    assert isinstance(result.error("bank.noordbank"), SessionStateError)


async def test_a_late_bank_that_cannot_be_merged_fails_alone_and_the_record_stands(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    before = gateway.result(session).records["bank"].digest

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MappingError("bank: an account has no booked balance")

    monkeypatch.setattr("brondata._collector.mapped_values", broken)
    await add_bank_and_collect(gateway, sources, session, person)
    result = gateway.result(session)
    assert result.records["bank"].digest == before  # not superseded
    assert result.error("bank.noordbank").code == "mapping_failed"
    assert not [e for e in ledger(gateway) if e.get("supersedes")]


async def test_the_facts_are_in_the_notice_and_its_hash(
    gateway: Gateway, sources: MockSources
) -> None:
    a = await gateway.start(mortgage(), "applicant-a")
    b = await gateway.start(mortgage(facts={**FACTS, "loan_amount": 310000}), "applicant-b")
    view = gateway.consent_view(a.id)
    assert "EUR 300,000.00" in view.text("en")
    assert "€ 300.000,00" in view.text("nl")
    assert "income_norm@2026.1" in view.text("en")
    terms_a = gateway.consent_view(a.id).to_dict()
    terms_b = gateway.consent_view(b.id).to_dict()
    assert {k: v for k, v in terms_a.items() if k not in ("session_id", "consent_id")} != {
        k: v for k, v in terms_b.items() if k not in ("session_id", "consent_id")
    }
    assert a.notice_hash != b.notice_hash  # (their consent ids differ too; see below)
    plain = await gateway.start(
        mortgage(attributes=["bank.balance_total"], facts=None, dossier=None), "x"
    )
    assert "dossier_lines" not in gateway.consent_view(plain.id).to_dict()


async def test_no_report_for_a_request_without_checks(
    gateway: Gateway, sources: MockSources
) -> None:
    request = mortgage(attributes=["bank.balance_total"], facts=None, dossier=None)
    session = await collected(gateway, sources, request, "salaried")
    with pytest.raises(RequestError, match="no dossier checks"):
        gateway.dossier(session)
    assert not [e for e in ledger(gateway) if e["event"] == "dossier.checked"]


LATE = [
    "bank.balance_total",
    "bank.accounts",
    "employment.current",
    "decision.nhg_eligible",
    "decision.protected_earnings_monthly",
]


async def test_a_late_bank_of_another_person_is_refused_as_at_once(
    gateway: Gateway, sources: MockSources
) -> None:
    # Consent phishing: the late bank's login is someone else's. Logged in at both banks at
    # once this is ``identity_mismatch``; added late, the same: checked against the
    # identities the first collection kept (as digests), nothing merged, nothing delivered.
    session = await collected(
        gateway,
        sources,
        mortgage(attributes=[*LATE, "person.surname"]),  # the register: identity is checked
        "salaried",
        only=["bank.mockbank"],
    )
    before = gateway.result(session).records["bank"].digest
    delivered = len([e for e in ledger(gateway) if e["event"] == "data.delivered"])
    stranger = sources.scenario("salary_elsewhere")
    assert stranger.surname != sources.scenario("salaried").surname
    await add_bank_and_collect(gateway, sources, session, stranger)
    result = gateway.result(session)
    assert result.records["bank"].digest == before, "another person's bank joined the record"
    assert isinstance(result.error("bank.noordbank"), IdentityMismatchError)
    assert len([e for e in ledger(gateway) if e["event"] == "data.delivered"]) == delivered
    # The identities are kept as digests: no surname or holder's name in clear.
    record = gateway.sessions.get(session)
    kept = json.dumps(
        [
            gateway._box.open(s, f"{session}/{k}/outcome")["identities"]
            for k, s in record.kinds.items()
            if k in ("bank", "person")
        ]
    ).casefold()
    assert '"holders"' in kept
    assert '"surname"' in kept
    assert stranger.surname.casefold() not in kept
    assert sources.scenario("salaried").surname.casefold() not in kept


async def test_a_late_bank_of_the_same_person_is_merged_with_the_register_asked(
    gateway: Gateway, sources: MockSources
) -> None:
    person = sources.scenario("salary_elsewhere")
    request = mortgage(attributes=[*LATE, "person.surname"])
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    await add_bank_and_collect(gateway, sources, session, person)
    bank = verify_record(gateway.result(session).records["bank"].compact, gateway.jwks())
    assert bank.claims["instances"] == ["bank.mockbank", "bank.noordbank"]


async def test_a_crash_between_the_merge_and_the_computed_records_is_repaired_by_a_retry(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The merged bank record commits in one update, the computed records in later ones: a
    # crash between them is repaired by the next collect, from the session's state.
    from brondata._collector import Collector

    request = mortgage(attributes=LATE, dossier_record=True)
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    # No income at the first bank: the decision waits for the bank the salary goes to.
    assert gateway.result(session).errors["decision"].code == "decision_input_missing"
    real = Collector._computed
    crashed: list[bool] = []

    async def crash_once(self: Collector, *args: Any, **kw: Any) -> Any:
        if "bank.noordbank" in gateway.sessions.get(session).sources and not crashed:
            crashed.append(True)
            raise RuntimeError("process killed after the merge committed")
        return await real(self, *args, **kw)

    monkeypatch.setattr(Collector, "_computed", crash_once)
    with pytest.raises(ExceptionGroup) as crash:  # out of the collection's task group
        await add_bank_and_collect(gateway, sources, session, person)
    assert crash.group_contains(RuntimeError, match="process killed")
    await gateway.collect(session)  # the retry
    result = gateway.result(session)
    bank = verify_record(result.records["bank"].compact, gateway.jwks())
    decision = verify_record(result.records["decision"].compact, gateway.jwks())
    assert bank.claims["instances"] == ["bank.mockbank", "bank.noordbank"]
    digests = decision.claims["decisions"]["decision.protected_earnings_monthly"]["input_digests"]
    assert digests["bank"] == bank.claims["source_response_digest"]
    assert "supersedes" not in decision.claims  # the first try left an error, no record
    superseding = [e["source"] for e in ledger(gateway) if e.get("supersedes")]
    assert superseding == ["bank"]


async def test_two_collects_of_a_late_bank_reissue_the_computed_records_once(
    gateway: Gateway, sources: MockSources
) -> None:
    import anyio

    request = mortgage(attributes=LATE, dossier_record=True)
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    await gateway.add_source(session, "bank.noordbank")
    async with sources.browser() as browser:
        url = await gateway.login_url(session, "bank.noordbank")
        callback = await browser.authorize(url, username=person.username, password=person.password)
        await gateway.callback(session, "bank.noordbank", callback)

    async def collect() -> None:
        with contextlib.suppress(SessionStateError):  # the lease lets one through
            await gateway.collect(session)

    async with anyio.create_task_group() as group:
        group.start_soon(collect)
        group.start_soon(collect)
    entries = ledger(gateway)
    assert [e["source"] for e in entries if e.get("supersedes")] == ["bank"]
    delivered = [e for e in entries if e["event"] == "data.delivered"]
    assert [e["source"] for e in delivered].count("decision") == 1


async def test_an_error_outcome_keeps_no_raw_answer(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MappingError("bank: an account has no booked balance")

    monkeypatch.setattr("brondata._collector.mapped_values", broken)
    request = mortgage(attributes=["bank.balance_total", "employment.current"])
    session = await collected(gateway, sources, request, "salaried", only=["bank.mockbank"])
    record = gateway.sessions.get(session)
    opened = gateway._box.open(record.kinds["bank"], f"{session}/bank/outcome")
    assert "error" in opened
    assert "answers" not in opened


async def test_a_late_bank_of_another_person_resumed_after_a_crash_is_refused(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The late bank's answer is committed, then the process dies before its identity is
    # checked: the resumed collection maps the answer kept, and checks who it answered for
    # all the same.
    import brondata._collector as collector

    session = await collected(
        gateway,
        sources,
        mortgage(attributes=[*LATE, "person.surname"]),
        "salaried",
        only=["bank.mockbank"],
    )
    before = gateway.result(session).records["bank"].digest
    real = collector.identity_conflict
    crashed: list[bool] = []

    def crash_once(*args: Any, **kw: Any) -> Any:
        if not crashed:
            crashed.append(True)
            raise RuntimeError("process killed after the fetch committed")
        return real(*args, **kw)

    monkeypatch.setattr(collector, "identity_conflict", crash_once)
    with pytest.raises(ExceptionGroup):
        await add_bank_and_collect(gateway, sources, session, sources.scenario("salary_elsewhere"))
    await gateway.collect(session)  # resumed: the answer kept, not fetched again
    result = gateway.result(session)
    assert result.records["bank"].digest == before
    assert isinstance(result.error("bank.noordbank"), IdentityMismatchError)


async def test_the_access_report_says_which_record_a_merged_one_replaces(
    gateway: Gateway, sources: MockSources
) -> None:
    request = mortgage(attributes=LATE)
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    old = gateway.result(session).records["bank"].digest
    await add_bank_and_collect(gateway, sources, session, person)
    new = gateway.result(session).records["bank"].digest
    report = gateway.subject_report("applicant-salary_elsewhere")
    banks = [(d.record_digest, d.supersedes) for d in report.deliveries if d.source == "bank"]
    assert banks == [(old, None), (new, old)]
    assert f"record {new}, replacing {old}" in report.to_text()
    assert "erased" not in report.to_text().casefold()


def test_a_holder_s_name_is_kept_as_a_bounded_number_of_digests() -> None:
    # Every part of a holder's name is digested (a surname is found as one of them): bounded,
    # so that a source answering with a huge name costs no more than a long one.
    from brondata._collector import _identity_digests
    from brondata.connectors._base import Identity, identity_conflict

    def parts(name: str) -> int:
        kept = _identity_digests("ses", Identity(holders=(name,)))
        return len(kept.holders[0].split())

    assert parts("x" * 100_000) == parts("x" * 1_000) <= 10_000
    # Within the bound the check is the same as in clear.
    surname = _identity_digests("ses", Identity(surname="De Vries"))
    for holder, same in [("J.P. de Vries-Jansen", True), ("J. Jansen", False)]:
        bank = _identity_digests("ses", Identity(holders=(holder,)))
        assert (identity_conflict({"r": surname, "b": bank}) is None) is same


def payment_plan(**change: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Agree a payment arrangement"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["person.address", "decision.protected_earnings_monthly"],
        "retention_days": 365,
        "recipient": "Voorbeeld Incasso B.V.",
    }
    return DataRequest(**{**fields, **change})


async def test_protected_earnings_read_the_polis_and_the_children_not_releasing_them(
    gateway: Gateway, sources: MockSources
) -> None:
    # A single parent: C from UWV's polis, the children from the BRP (birth dates only),
    # the salary from the bank; the record says which inputs and sources, never a value.
    session = await collected(gateway, sources, payment_plan(), "single_parent")
    result = gateway.result(session)
    assert set(result.records) == {"population", "employment", "bank", "decision"}
    decision = verify_record(result.records["decision"].compact, gateway.jwks())
    provenance = decision.claims["decisions"]["decision.protected_earnings_monthly"]
    assert provenance["rule_version"] == "protected_earnings@2026.6"
    assert provenance["inputs"] == [
        "as_of",
        "children_under_18",
        "household",
        "net_income_complete",
        "net_income_monthly",
        "taxable_income_annual",
    ]
    assert set(provenance["input_digests"]) == {"population", "employment", "bank"}
    amount = decision.attributes["decision.protected_earnings_monthly"]["amount"]
    assert amount.count(".") == 1
    # Only what was asked leaves: the address; no child, no polis wage in any record.
    population = verify_record(result.records["population"].compact, gateway.jwks())
    assert set(population.attributes) == {"person.address"}
    for source in ("employment", "bank"):
        assert verify_record(result.records[source].compact, gateway.jwks()).attributes == {}
    person = sources.scenario("single_parent")
    text = json.dumps(
        [verify_record(r.compact, gateway.jwks()).claims for r in result.records.values()]
    )
    assert all(child.bsn not in text and child.given_names not in text for child in person.children)


async def test_protected_earnings_of_a_couple_need_the_partner_income(
    gateway: Gateway, sources: MockSources
) -> None:
    # No source of the consumer's own session gives the spouse's taxable income: the decision
    # fails typed, naming the input, and is never computed with 0.
    session = await collected(gateway, sources, payment_plan(), "two_incomes")
    result = gateway.result(session)
    assert "decision" not in result.records
    error = result.errors["decision"]
    assert error.code == "decision_input_missing"
    assert "partner_taxable_income_annual" in error.message


async def test_no_income_seen_at_the_bank_leaves_the_net_income_missing_not_zero(
    gateway: Gateway, sources: MockSources
) -> None:
    # salary_elsewhere with only the first bank: no periodic credit is seen there. The net
    # income of art. 475dc is unknown, not 0: a beslagvrije voet of EUR 0.00 (everything
    # attachable) never comes out of a missing input; the decision names it missing.
    request = payment_plan()
    start = await gateway.start(request, "probe")
    only = [s for s in start.sources if not s.startswith("bank.")] + ["bank.mockbank"]
    session = await collected(gateway, sources, request, "salary_elsewhere", only=only)
    result = gateway.result(session)
    assert "decision" not in result.records
    error = result.errors["decision"]
    assert error.code == "decision_input_missing"
    assert "net_income_monthly" in error.message
    # With the bank the salary goes to, the income is there and so is the decision.
    await add_bank_and_collect(gateway, sources, session, sources.scenario("salary_elsewhere"))
    decision = verify_record(gateway.result(session).records["decision"].compact, gateway.jwks())
    assert Decimal(decision.attributes["decision.protected_earnings_monthly"]["amount"]) > 0


async def test_the_checks_and_decisions_speak_of_the_dutch_day() -> None:
    # 23:30 UTC on 1 November is 00:30 on 2 November in the Netherlands: what is kept for the
    # checks and decisions speaks of 2 November (on 1 July, the day the figures of Rv art.
    # 475da change, this is what gives the July figures).
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2026, 11, 1, 23, 30, tzinfo=UTC))
    sources = MockSources(seed=7, clock=clock)
    async with Gateway.embedded(sources.connectors(), clock=clock) as gw:
        session = await collected(gw, sources, payment_plan(), "single_parent")
        record = gw.sessions.get(session)
        days = {
            gw._box.open(s, f"{session}/{k}/outcome")["kept"]["as_of"]
            for k, s in record.kinds.items()
            if k in ("bank", "employment", "population")
        }
    assert days == {"2026-11-02"}
