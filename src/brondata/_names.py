"""Names that help texts list, kept apart from the modules that use them.

The ``brondata`` command shows the demo's preset requests and the mock population's
scenarios in its ``--help``; holding the names here, free of dependencies, lets it do so
without importing the gateway or the mock population (``brondata --help`` stays fast).
``brondata.mock.population`` takes its scenario names and ``SCENARIO_BASE`` from here; a
test keeps ``PRESET_NAMES`` equal to the keys of ``brondata._demo.PRESETS``.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["PRESET_NAMES", "SCENARIOS", "SCENARIO_BASE", "Scenario"]

#: The demo's preset requests (``brondata demo --purpose``), in the order they are listed.
PRESET_NAMES: tuple[str, ...] = ("mortgage", "rental", "payment_plan")

Scenario = Literal[
    "salaried",
    "two_incomes",
    "self_employed",
    "retired",
    "temporary_contract",
    "student_debt",
    "tenant",
    "several_properties",
    "three_pension_providers",
    "recent_arrival",
    "salary_elsewhere",
    "student_debt_paused",
    "new_bank_account",
    "stale_pension_overview",
    "new_build",
    "single_parent",
    "new_job_pay_rise",
]

#: The named scenarios, in the order that numbers them (see ``Population.scenario``).
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
#: ``person(i)`` for ``i`` below this is the general population (salaried, as in the first
#: cut); from here on the scenarios' persons, block by block (``_SCENARIO_BLOCKS``).
SCENARIO_BASE = 1_000_000
