"""The named scenarios: their names, how a person index maps to one, and their age ranges."""

from __future__ import annotations

import random

# The names live in a dependency-free module, so that help texts can list them cheaply.
from brondata._names import SCENARIO_BASE as SCENARIO_BASE
from brondata._names import SCENARIOS as SCENARIOS
from brondata._names import Scenario as Scenario

_MAX_INDEX = 10**7
# Scenarios are numbered in blocks, so that adding scenarios never moves a person of an
# existing one: in a block starting at ``first``, index ``first + n·len(names) + k`` is the
# n-th person of ``names[k]``. A later batch of scenarios takes a new block out of the last
# one's unused top.
_SCENARIO_BLOCKS: tuple[tuple[int, tuple[Scenario, ...]], ...] = (
    (SCENARIO_BASE, SCENARIOS[:10]),
    (5_500_000, SCENARIOS[10:12]),
    (7_750_000, SCENARIOS[12:15]),
    (9_000_000, SCENARIOS[15:16]),
    (9_250_000, SCENARIOS[16:]),
)


def _block_end(block: int) -> int:
    return _SCENARIO_BLOCKS[block + 1][0] if block + 1 < len(_SCENARIO_BLOCKS) else _MAX_INDEX


def _scenario_index(name: str, n: int) -> int:
    """The person index of the ``n``-th person of scenario ``name``; ``IndexError`` past the
    end of its block."""
    for block, (first, names) in enumerate(_SCENARIO_BLOCKS):
        if name in names:
            limit = (_block_end(block) - first) // len(names)
            if n < 0 or n >= limit:
                raise IndexError(f"scenario person number out of range: {n} (0 .. {limit - 1})")
            return first + n * len(names) + names.index(name)
    raise AssertionError(f"scenario {name} is in no block")  # a test keeps blocks complete


def _scenario_of(index: int) -> Scenario:
    if index < SCENARIO_BASE:
        return "salaried"
    first, names = next(b for b in reversed(_SCENARIO_BLOCKS) if b[0] <= index)
    return names[(index - first) % len(names)]


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
    "salary_elsewhere": (24, 62),
    "student_debt_paused": (24, 31),
    "new_bank_account": (24, 60),
    "stale_pension_overview": (40, 62),
    "new_build": (34, 62),
    # Children born at the parent's 24 and 28 (``_identity._children_of``): the younger one
    # is under 18 at every age of this range, the elder an adult for some.
    "single_parent": (30, 44),
    "new_job_pay_rise": (28, 55),
}


def _age_in_days(rng: random.Random, scenario: Scenario, index: int, general: int) -> int:
    """A scenario person's age, drawn from the scenario's range; a person of the general
    population keeps ``general``, the age of the first stream."""
    if index < SCENARIO_BASE:
        return general
    low, high = _AGES[scenario]
    return rng.randint(low * 365 + 10, high * 365)
