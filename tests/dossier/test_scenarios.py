"""Every finding code has a mock scenario that triggers it, seen on the scenario's mapped data.

Each case logs the scenario's person in at the mock sources it names (their real OAuth and
DigiD flows, in-process), maps what the checks read (``CHECKED``) and the kind's dossier
facts, exactly as the gateway does, and runs the ``mortgage`` checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from brondata import sources as source_kinds
from brondata.dossier import CHECKED, FINDINGS, DossierReport, check_dossier, dossier_input
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
    scenario: str, instances: Sequence[str], preset: str = "mortgage"
) -> DossierReport:
    """The checks of ``preset`` on what ``instances`` give for the scenario's first person
    (an instance where the person has no account is left out, as a failed login would be)."""
    sources = MockSources(seed=7, clock=FixedClock())
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
    "income_sources_disagree": ("recent_arrival", ["bank.mockbank", "employment", "tax"]),
    "ibl_not_applicable": ("self_employed", ["employment"]),
    "tax_year_stale": ("recent_arrival", ["tax"]),
    "pension_overview_stale": ("stale_pension_overview", ["pension"]),
    "student_debt_unverified": ("student_debt", ["tax"]),
    "property_without_woz": ("new_build", ["land_registry"]),
    "partner_data_missing": ("two_incomes", ["tax"]),
}


def test_every_code_has_a_scenario() -> None:
    assert set(CASES) == set(FINDINGS)


@pytest.mark.parametrize("code", sorted(CASES))
async def test_the_scenario_triggers_its_code(code: str) -> None:
    scenario, instances = CASES[code]
    report = await checked(scenario, instances)
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
