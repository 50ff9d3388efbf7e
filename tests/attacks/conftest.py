"""The attack suite's fixtures: the mock bank, DigiD world and browsers of ``tests/mock``."""

from __future__ import annotations

from tests.mock.conftest import (
    bank_app,
    browser,
    client,
    clock,
    person,
    population,
    tpp,
    world,
)

__all__ = ["bank_app", "browser", "client", "clock", "person", "population", "tpp", "world"]
