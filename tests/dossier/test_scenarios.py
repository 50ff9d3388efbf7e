"""Every finding code has a mock scenario that triggers it, seen on the scenario's mapped data.

Each case logs the scenario's person in at the mock sources it names (their real OAuth and
DigiD flows, in-process), maps what the checks read (``CHECKED``) and the kind's dossier
facts, exactly as the gateway does, and runs the ``mortgage`` checks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from brondata import DataRequest, LegalBasis, Purpose
from brondata import sources as source_kinds
from brondata.dossier import CHECKED, FINDINGS, DossierReport, check_dossier, dossier_input
from brondata.dossier._run import decision_claims, kept_for_checks, run_checks, run_decisions
from brondata.errors import MissingDecisionInputError, RuleNotApplicableError
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

EVERY_INSTANCE = [i for kind in source_kinds.kinds() for i in kind.instance_ids()]


async def _raw(sources: MockSources, instance: str, person: Any) -> Any:
    kind = source_kinds.get(instance)
    connector = sources.connector(instance)
    attributes = sorted(kind.attribute_names)
    redirect_uri = sources.redirect_uri.format(source=instance)
    today = sources.clock.now().date()
    try:
        start = await connector.begin_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=today
        )
        async with sources.browser() as browser:
            callback = await browser.authorize(
                start.authorization_url, username=person.username, password=person.password
            )
        grant = await connector.complete_login(
            callback_url=callback, pending=start.pending, redirect_uri=redirect_uri
        )
        return (await connector.fetch(grant=grant, attributes=attributes, today=today)).raw
    finally:
        await connector.aclose()


async def checked(
    scenario: str, instances: Sequence[str], preset: str = "mortgage", *, seed: int = 7
) -> DossierReport:
    """The checks of ``preset`` on what ``instances`` give for the scenario's first person in
    the population of ``seed`` (an instance where the person has no account is left out, as a
    failed login would be)."""
    sources = MockSources(seed=seed, clock=FixedClock())
    person = sources.scenario(scenario)
    today = sources.clock.now().date()
    collected: dict[str, tuple[str, dict[str, Any]]] = {}
    extra: dict[str, dict[str, Any]] = {}
    for instance in instances:
        kind = source_kinds.get(instance)
        if kind.name == "bank" and not person.accounts_at(instance.partition(".")[2]):
            continue
        raw = await _raw(sources, instance, person)
        collected[instance] = (kind.name, kind.mapping.map(raw, CHECKED[kind.name], today))
        if kind.mapping.facts is not None:
            extra[instance] = kind.mapping.facts(raw, today)
    return check_dossier(preset, dossier_input(today, collected, extra))


CASES = {
    "bank_history_short": ("new_bank_account", ["bank.mockbank"]),
    "salary_not_in_bank": ("salary_elsewhere", ["bank.mockbank", "employment"]),
    "income_sources_disagree": ("new_job_pay_rise", ["employment", "tax"]),
    "ibl_not_applicable": ("self_employed", ["employment"]),
    "tax_year_stale": ("recent_arrival", ["tax"]),
    "pension_overview_stale": ("stale_pension_overview", ["pension"]),
    "student_debt_unverified": ("student_debt", ["tax"]),
    "property_without_woz": ("new_build", ["land_registry"]),
    "partner_data_missing": ("two_incomes", ["tax"]),
}


def test_every_code_has_a_scenario() -> None:
    assert set(CASES) == set(FINDINGS)


@pytest.mark.parametrize("seed", [1, 7, 42])  # 42: the CLI's default population
@pytest.mark.parametrize("code", sorted(CASES))
async def test_the_scenario_triggers_its_code_at_any_seed(code: str, seed: int) -> None:
    scenario, instances = CASES[code]
    report = await checked(scenario, instances, seed=seed)
    assert code in report.codes()


async def test_salaried_with_all_its_sources_has_no_blocking_finding() -> None:
    report = await checked("salaried", EVERY_INSTANCE)
    assert not report.blocking, report.codes()


async def test_the_second_bank_and_duo_clear_their_findings() -> None:
    # The consumer logs in at the bank the salary goes to: the checks run again, clean.
    both = await checked("salary_elsewhere", ["bank.mockbank", "bank.noordbank", "employment"])
    assert "salary_not_in_bank" not in both.codes()
    with_duo = await checked("student_debt", ["tax", "duo"])
    assert "student_debt_unverified" not in with_duo.codes()


# --- what the gateway keeps and runs (brondata.dossier._run) ----------------------------------


async def kept(request: DataRequest, scenario: str, instances: Sequence[str]) -> dict[str, Any]:
    sources = MockSources(seed=7, clock=FixedClock())
    person = sources.scenario(scenario)
    today = sources.clock.now().date()
    raws: dict[str, dict[str, Any]] = {}
    for instance in instances:
        if instance.startswith("bank.") and not person.accounts_at(instance.partition(".")[2]):
            continue
        raws.setdefault(instance.partition(".")[0], {})[instance] = await _raw(
            sources, instance, person
        )
    out: dict[str, Any] = {}
    for kind_name, by_instance in raws.items():
        kind = source_kinds.get(kind_name)
        held = kept_for_checks(request, kind, by_instance, f"sha-256:{kind_name}", today)
        assert held is not None
        out[kind_name] = held
    return out


def mortgage_request(**change: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "purpose": Purpose(term="dpv:CreditChecking", text="Assess your mortgage"),
        "legal_basis": LegalBasis.CONTRACT,
        "attributes": [
            "bank.balance_total",
            "decision.max_mortgage",
            "decision.loan_within_income_norm",
            "decision.nhg_eligible",
        ],
        "retention_days": 90,
        "recipient": "Voorbeeld Hypotheken B.V.",
        "facts": {
            "purchase_price": 400000,
            "loan_amount": 300000,
            "interest_rate": "0.041",
            "fixed_period_years": 10,
            "energy_label": "A",
            "energy_saving_measures": 0,
        },
        "dossier": "mortgage",
    }
    return DataRequest(**{**fields, **change})


async def test_the_gateway_side_checks_and_decisions_for_a_salaried_person() -> None:
    request = mortgage_request()
    held = await kept(request, "salaried", EVERY_INSTANCE)
    assert set(held["bank"]["instances"]) == {"bank.mockbank", "bank.noordbank"}
    assert "employment.sv_wage_12m" in held["employment"]["values"]  # a decision input
    assert "employment.current" in held["employment"]["instances"]["employment"]["values"]
    report = run_checks(request, FixedClock().now().date(), held)
    assert report is not None
    assert not report.blocking
    results = run_decisions(request, FixedClock().now().date(), held)
    assert [r.name for r in results] == list(request.decisions)
    claims = decision_claims(results, held)["decisions"]
    assert claims["decision.max_mortgage"]["rule_version"] == "income_norm@2026.1"
    # The AOW criterion reads the BRP birth date through the aow_age table: no pension input.
    assert claims["decision.max_mortgage"]["input_digests"] == {
        kind: f"sha-256:{kind}" for kind in ("duo", "employment", "population")
    }
    # The AOW criterion's own table is named beside the decision's: what an auditor needs
    # to redo it.
    assert claims["decision.max_mortgage"]["input_rules"] == ["aow_age@2026.1"]
    assert claims["decision.nhg_eligible"]["input_digests"] == {}  # the facts alone
    assert "input_rules" not in claims["decision.nhg_eligible"]
    text = json.dumps(claims)
    assert "sv_wage" not in text  # names of inputs, not the attributes' values
    sv_wage = held["employment"]["values"]["employment.sv_wage_12m"]["amount"]
    assert sv_wage not in text


async def test_a_decision_without_its_source_names_the_missing_input() -> None:
    request = mortgage_request()
    held = await kept(request, "salaried", ["employment", "population"])
    with pytest.raises(MissingDecisionInputError, match="student_loan_monthly"):
        run_decisions(request, FixedClock().now().date(), held)


async def test_nothing_is_kept_for_a_request_without_checks_or_decisions() -> None:
    request = mortgage_request(attributes=["bank.balance_total"], dossier=None, facts=None)
    kind = source_kinds.get("bank")
    assert kept_for_checks(request, kind, {}, "sha-256:x", FixedClock().now().date()) is None
    assert run_checks(request, FixedClock().now().date(), {}) is None


def payment_plan_request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Agree a payment arrangement"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["decision.protected_earnings_monthly"],
        retention_days=365,
        recipient="Voorbeeld Incasso B.V.",
        dossier="payment_plan",
    )


async def test_a_salary_outside_the_banks_consulted_makes_the_income_a_lower_bound() -> None:
    # The polis names an employer whose pay reaches none of the banks consulted
    # (``salary_not_in_bank``): the income the banks show leaves that pay out, a lower bound
    # however whole it is at those banks. Where the 95 % cap of art. 475dc would bind on it,
    # the decision is refused, never computed on a figure known to be too low.
    request = payment_plan_request()
    day = FixedClock().now().date()
    held = await kept(request, "salary_elsewhere", ["bank.mockbank", "employment", "population"])
    report = run_checks(request, day, held)
    assert report is not None
    assert "salary_not_in_bank" in report.codes()
    # As if the first bank showed a small benefit, whole by itself.
    held["bank"] = {**held["bank"], "inputs": {"net_income_monthly": "800.00"}}
    held["bank"]["inputs"]["net_income_complete"] = True
    with pytest.raises(RuleNotApplicableError, match="475dc"):
        run_decisions(request, day, held)
    # Without the checks nothing says the salary is elsewhere: the cap is applied.
    unchecked = request.model_copy(update={"dossier": None})
    (result,) = run_decisions(unchecked, day, held)
    assert result.value == Decimal("760.00")
