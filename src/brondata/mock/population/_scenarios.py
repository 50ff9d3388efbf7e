"""The named scenarios: their names, how a person index maps to one, and their age ranges."""

from __future__ import annotations

import random
from typing import Literal, get_args

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
]

#: The named scenarios, in the order that numbers them (see ``Population.scenario``).
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)
#: ``person(i)`` for ``i`` below this is the general population (salaried, as in the first
#: cut); from here on, index ``SCENARIO_BASE + n·len(SCENARIOS) + k`` is the n-th person of
#: scenario ``SCENARIOS[k]``.
SCENARIO_BASE = 1_000_000
_MAX_INDEX = 10**7


def _scenario_of(index: int) -> Scenario:
    if index < SCENARIO_BASE:
        return "salaried"
    return SCENARIOS[(index - SCENARIO_BASE) % len(SCENARIOS)]


# Age range (years) of each scenario; the general population keeps its own (21..67).
_AGES: dict[Scenario, tuple[int, int]] = {
    "salaried": (24, 62),
    "two_incomes": (28, 60),
    "self_employed": (34, 62),
    "retired": (73, 88),
    "temporary_contract": (22, 50),
    "student_debt": (24, 31),
    "tenant": (23, 60),
    "several_properties": (38, 63),
    "three_pension_providers": (40, 62),
    "recent_arrival": (24, 45),
}


def _age_in_days(rng: random.Random, scenario: Scenario, index: int, general: int) -> int:
    """A scenario person's age, drawn from the scenario's range; a person of the general
    population keeps ``general``, the age of the first stream."""
    if index < SCENARIO_BASE:
        return general
    low, high = _AGES[scenario]
    return rng.randint(low * 365 + 10, high * 365)
