"""A pinned digest of generated persons: a refactoring of the generator must not move a byte.

The digest is SHA-256 over a canonical JSON form of every field of every person (the fields
a dataclass ``repr`` hides included), for 60 persons of seeds 0 and 2 and the first two persons
of every scenario, at one fixed ``as_of``. A change that moves a person on purpose updates the
pinned value in the same commit and says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest

from brondata.mock.population import SCENARIOS, Person, Population

AS_OF = date(2026, 11, 1)


def canonical(value: object) -> object:
    """A JSON-ready form of a population value: dataclasses by field, Decimals and dates as
    text, so that equal persons serialise to equal bytes on every platform."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [canonical(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")


def digest(persons: list[Person]) -> str:
    text = json.dumps([canonical(p) for p in persons], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _groups() -> dict[str, list[Person]]:
    groups: dict[str, list[Person]] = {}
    for seed in (0, 2):
        groups[f"seed {seed}"] = list(Population(seed, AS_OF).people(60))
    scenarios = Population(0, AS_OF)
    for name in SCENARIOS:
        groups[name] = [scenarios.scenario(name, n) for n in (0, 1)]
    return groups


PINNED = {
    "seed 0": "f352a1cbe0625f2101947602f88c1840aea577e9b0b6e5428efed669098394cc",
    "seed 2": "8cb952846929cc01658ce9a44ad14db07a3f0dae9b5ec145b7d2272edc20939f",
    "salaried": "1298118c1aa91c7cde7782be8768ce67bf62c9d051574c404454e301d28d530b",
    "two_incomes": "db29c2a727da3dfbf9c54a4c310cb30ddb8b8c9c64b251c308a0e2eb62b942d5",
    "self_employed": "5e0810b3f7ae285e8407046e9598f41a703f8ba0646bc6f8987f808c8c4a7f26",
    "retired": "3f1dd36be5a1d20558ca96b26aed8e50307e1ba693d043ca3aee8578051fd5f5",
    "temporary_contract": "a448277d1bf726bb59112f055aa954cc4c255dd45f8b84f6a79498d1bc27ddab",
    "student_debt": "20ed2fed88b2f0e1ef949af1268535762bcf9a4b07df74920878addaa112e590",
    "tenant": "9242ad090281d166b7ef0fdf7304e6ca2ef5bd3e9843bf65c80f511487a9ca29",
    "several_properties": "2bd44833f40c893a62ec7465cec406b7f09b86c6ee55ffffde5c35787390563d",
    "three_pension_providers": "151242d9fecca2dbc0b20894e8f3321d419eaaa0cd4c24c59b7ad1e324a596ea",
    "recent_arrival": "b354c7c2b6617f18b612fd0d52f84bc70098efe70ef40c383abae1de9c856fc0",
}


@pytest.fixture(scope="module")
def groups() -> dict[str, list[Person]]:
    return _groups()


def test_every_group_is_pinned(groups: dict[str, list[Person]]) -> None:
    assert set(groups) == set(PINNED)


@pytest.mark.parametrize("group", sorted(PINNED))
def test_generated_persons_match_the_pinned_digest(
    groups: dict[str, list[Person]], group: str
) -> None:
    assert digest(groups[group]) == PINNED[group]
