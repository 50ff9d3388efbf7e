"""The end-to-end demo: one consent session against the in-process mock sources.

``run_demo`` plays every part: the lender's application (a ``Gateway`` on the embedded
defaults), the consumer (a ``Consumer`` that fills in the sources' login pages), and writes
what an auditor and a recipient would receive: the signed records, the public keys, the
ledger, and a summary. The CLI's ``brondata demo`` and the benchmarks call it.

Each preset names its dossier checks (``brondata.dossier``): the demo writes the report to
``dossier.json`` (the findings with ``code``, ``severity``, ``sources`` and texts). The
mortgage preset carries an example application's facts (a home, a loan, a rate) and asks the
decisions they allow; ``facts=`` replaces them (the CLI's ``--facts FILE``). A decision the
request asks is released like any attribute, in the ``decision`` record. When the request
needs a fiscal partner's data and the person has one (``two_incomes``), the partner's own
journey follows (``Gateway.start_partner``, in a browser of their own): their records go to
``records/partner/``, and the applicant's checks and decisions are those redone over them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brondata._clock import SystemClock
from brondata._session_store import SessionRecord
from brondata.consent import Controller
from brondata.dossier._decisions import DECISIONS
from brondata.dossier._partner import needs_partner
from brondata.dossier._run import DECISION_SOURCE
from brondata.errors import NoFiscalPartnerError, RequestError
from brondata.gateway import CollectionResult, Gateway
from brondata.mock.population import Person
from brondata.records import verify_record
from brondata.request import DataRequest, LegalBasis, Purpose
from brondata.sources import kind_of
from brondata.testing import MockSources, RemoteSources

__all__ = ["PRESETS", "DemoResult", "preset_request", "run_demo"]

#: Ready-made requests, by the application a lender would build.
PRESETS: dict[str, dict[str, Any]] = {
    "mortgage": {
        "purpose": {
            "term": "dpv:CreditChecking",
            "text": "Assess your mortgage application: who you are, your income and work, "
            "pension, property, student debt, savings and fixed costs.",
        },
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": [
            "person.given_names",
            "person.surname",
            "person.birth_date",
            "person.address",
            "household.partner",
            "income.taxable_annual",
            "income.employers",
            "income.tax_year",
            "tax.mortgage_interest_paid",
            "tax.student_debt",
            "student_debt.outstanding",
            "student_debt.monthly_repayment",
            "student_debt.repayment_regime",
            "employment.current",
            "employment.sv_wage_12m",
            "employment.permanent_contract",
            "pension.expected_annual",
            "pension.accrued_annual",
            "property.owned",
            "property.woz_value",
            "property.mortgage_registered_total",
            "bank.accounts",
            "bank.balance_total",
            "bank.fixed_costs_monthly_average",
            "bank.salary_monthly_average",
        ],
        "retention_days": 365,
        "recipient": "Voorbeeld Hypotheken B.V.",
        "dossier": "mortgage",
        # An example application: a EUR 400,000 home, a EUR 300,000 loan at 4.1% fixed for
        # ten years, energy label A. The decisions below are asked with these facts.
        "facts": {
            "purchase_price": "400000",
            "loan_amount": "300000",
            "interest_rate": "0.041",
            "fixed_period_years": 10,
            "energy_label": "A",
            "energy_saving_measures": "0",
        },
        "decisions": [
            "decision.max_mortgage",
            "decision.loan_within_income_norm",
            "decision.loan_to_value_within_norm",
            "decision.nhg_eligible",
        ],
    },
    "rental": {
        "purpose": {
            "term": "dpv:CreditChecking",
            "text": "Check that the rent is affordable for your income.",
        },
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": ["bank.salary_monthly_average", "bank.fixed_costs_monthly_average"],
        "retention_days": 90,
        "recipient": "Voorbeeld Verhuur B.V.",
        "dossier": "rental",
    },
    "payment_plan": {
        "purpose": {
            "term": "dpv:CreditChecking",
            "text": "Agree a payment arrangement you can keep: your verified address, fixed "
            "costs, household, and the part of your income that is protected from collection "
            "(the income itself is not shared).",
        },
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": [
            "person.address",
            "household.partner",
            "bank.fixed_costs_monthly_average",
            "employment.current",
        ],
        "decisions": ["decision.protected_earnings_monthly"],
        "retention_days": 180,
        "recipient": "Voorbeeld Incasso B.V.",
        "dossier": "payment_plan",
    },
}


def preset_request(
    name: str,
    attributes: Sequence[str] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> DataRequest:
    """The preset ``name``, optionally with other attributes (then no decision unless named,
    and the example facts only for a decision that reads them) or other application facts (a
    JSON object, ``ApplicationFacts.parse``; refused when no decision asked reads them)."""
    try:
        fields = dict(PRESETS[name])
    except KeyError:
        raise RequestError(
            f"unknown purpose {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None
    decisions = list(fields.pop("decisions", ()))
    fields["attributes"] = list(attributes) if attributes else fields["attributes"] + decisions
    if facts is not None:
        fields["facts"] = facts
    elif not any(name in DECISIONS and DECISIONS[name].facts for name in fields["attributes"]):
        fields.pop("facts", None)  # the example's facts go only with a decision reading them
    fields["purpose"] = Purpose(**fields["purpose"])
    return DataRequest(**fields)


@dataclass(frozen=True, slots=True)
class DemoResult:
    out: Path
    summary: dict[str, Any]
    result: CollectionResult


Progress = Callable[[str, str], None]


def _fresh_directory(out: Path) -> Path:
    """Create ``out`` and ``out/records`` readable by their owner only; remove a previous
    run's database. The caller decides whether ``out`` may be reused (``--force``)."""
    for directory in (out, out / "records"):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The records and the receipt name the consumer: no one else may list or read them.
        os.chmod(directory, 0o700)
    db = out / "brondata.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    return db


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, also when a file was there before."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(data)


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_outputs(
    out: Path, gateway: Gateway, result: CollectionResult, summary: dict[str, Any]
) -> None:
    # One record per kind, and the decision (and dossier) records the gateway computed.
    for source, record in result.records.items():
        _write_private(out / "records" / f"{source}.sd-jwt", (record.compact + "\n").encode())
    _write_private(out / "jwks.json", _json_bytes(gateway.jwks().to_dict()))
    _write_private(
        out / "ledger.jsonl", b"".join(e.canonical + b"\n" for e in gateway.ledger.entries())
    )
    _write_private(out / "summary.json", _json_bytes(summary))
    receipt = gateway.consent_receipt(summary["session_id"])
    _write_private(out / "consent-receipt.json", _json_bytes(receipt))
    # The store holds sealed tokens and the ledger: readable by its owner only.
    os.chmod(out / "brondata.db", 0o600)


def _decisions(gateway: Gateway, request: DataRequest, result: CollectionResult) -> dict[str, Any]:
    """The decisions as released (from the verified decision record), or why there are none."""
    if not request.decisions:
        return {}
    record = result.records.get(DECISION_SOURCE)
    if record is None:
        error = result.errors.get(DECISION_SOURCE)
        return {"error": error.to_dict() if error is not None else None}
    verified = verify_record(record.compact, gateway.jwks())
    versions = {n: d["rule_version"] for n, d in verified.claims["decisions"].items()}
    return {
        name: {"value": value, "rule_version": versions[name], "record": "records/decision.sd-jwt"}
        for name, value in sorted(verified.attributes.items())
    }


async def run_demo(
    out: Path,
    *,
    request: DataRequest,
    seed: int = 42,
    person: int = 0,
    scenario: str | None = None,
    subject: str | None = None,
    sources: MockSources | RemoteSources | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Run one session end to end and write its artefacts into ``out``.

    The consumer is person ``person`` of the population, or the first of ``scenario``; one
    browser plays them at every source, so a government login is typed once (DigiD SSO).
    """
    note = progress or (lambda source, step: None)
    db = _fresh_directory(out)
    mocks = sources or MockSources(seed=seed, clock=SystemClock())
    applicant = mocks.scenario(scenario) if scenario else mocks.person(person)
    reference = subject or f"demo-applicant-{seed}-{scenario or person}"
    controller = Controller(
        name=request.recipient,
        contact="privacy@lender.example",
        email="privacy@lender.example",
        url="https://lender.example",
    )
    async with Gateway.embedded(
        mocks.connectors(), path=db, clock=mocks.clock, controller=controller
    ) as gateway:
        session = await gateway.start(request, reference)
        result = await _journey(gateway, mocks, session, applicant, note)
        partner = await _partner_journey(gateway, mocks, session, applicant, reference, note)
        if partner is not None:  # the applicant's checks and decisions, redone over it
            result = gateway.result(session.id)
        report = gateway.dossier(session.id) if request.dossier is not None else None
        decisions = _decisions(gateway, request, result)
        summary: dict[str, Any] = {
            "session_id": session.id,
            "consent_id": session.consent_id,
            "purpose": request.purpose.term,
            "requested_attributes": list(request.attributes),
            "sources": {
                source: (
                    {"status": "delivered", "record": f"records/{kind_of(source)}.sd-jwt"}
                    if result.delivered(source)
                    else {"status": "failed", "error": result.error(source).to_dict()}
                )
                for source in session.sources
            },
            "ledger_size": gateway.ledger.size(),
            "ledger_root": gateway.ledger.root().hex(),
        }
        if partner is not None:
            summary["partner"] = _partner_summary(partner)
        if report is not None:
            summary["dossier"] = {"file": "dossier.json", "codes": list(report.codes())}
            _write_private(out / "dossier.json", _json_bytes(report.to_dict()))
        if decisions:
            summary["decisions"] = decisions
        _write_outputs(out, gateway, result, summary)
        if partner is not None:
            (out / "records" / "partner").mkdir(mode=0o700, exist_ok=True)
            for source, record in partner[1].records.items():
                path = out / "records" / "partner" / f"{source}.sd-jwt"
                _write_private(path, (record.compact + "\n").encode())
    return DemoResult(out=out, summary=summary, result=result)


async def _journey(
    gateway: Gateway,
    mocks: MockSources | RemoteSources,
    session: SessionRecord,
    person: Person,
    note: Progress,
    who: str = "",
) -> CollectionResult:
    """One consumer's journey: the notice, consent, a login at each source in one browser
    (DigiD's single sign-on), the collection."""
    view = gateway.consent_view(session.id)
    note(f"{who}consent", "shown:\n" + view.text())
    await gateway.give_consent(session.id, notice_hash=view.notice_hash)
    async with mocks.browser() as browser:
        for source in session.sources:
            note(who + source, "login")
            url = await gateway.login_url(session.id, source)
            callback = await browser.authorize(
                url, username=person.username, password=person.password
            )
            await gateway.callback(session.id, source, callback)
            note(who + source, "authorised")
    note(f"{who}all", "collecting")
    result = await gateway.collect(session.id)
    for source in session.sources:
        note(who + source, "delivered" if result.delivered(source) else "failed")
    return result


async def _partner_journey(
    gateway: Gateway,
    mocks: MockSources | RemoteSources,
    session: SessionRecord,
    applicant: Person,
    reference: str,
    note: Progress,
) -> tuple[SessionRecord, CollectionResult] | None:
    """When the request needs a fiscal partner's data and the applicant has one, the
    partner's own journey (``Gateway.start_partner``), in a browser of their own."""
    person = mocks.population.partner_of(applicant)
    if person is None or not needs_partner(session.request):
        return None
    try:
        partner = await gateway.start_partner(session.id, f"{reference}-partner")
    except NoFiscalPartnerError:
        return None  # the data collected name none (a source failed)
    result = await _journey(gateway, mocks, partner, person, note, who="partner ")
    return partner, result


def _partner_summary(partner: tuple[SessionRecord, CollectionResult]) -> dict[str, Any]:
    session, result = partner
    return {
        "session_id": session.id,
        "consent_id": session.consent_id,
        "sources": {
            source: (
                {"status": "delivered", "record": f"records/partner/{kind_of(source)}.sd-jwt"}
                if result.delivered(source)
                else {"status": "failed", "error": result.error(source).to_dict()}
            )
            for source in session.sources
        },
    }
