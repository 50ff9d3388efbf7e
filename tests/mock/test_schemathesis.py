"""Schemathesis against the bank, BRP, BRK and WOZ mocks, in-process, with their OpenAPI files.

Generated requests (valid and not) for every operation the mock serves: no answer may be a
server error, and every answer must fit the response schema the specification gives. The
specifications describe more than the mocks serve (the Berlin Group file has payments and
card accounts, the BRK file persons, attachments and restrictions): only the operations a mock
implements are run, listed in ``SERVED``. The number of examples is bounded so that the whole
file stays well under a minute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from brondata.mock.bank import create_bank_app
from brondata.mock.land_registry import BRK_PREFIX, WOZ_PREFIX
from brondata.mock.population import Population
from brondata.mock.population_api import PERSONEN_PATH

from ._government import World
from .conftest import AS_OF, BASE, SteppingClock

SPECS = Path(__file__).parent.parent / "vectors" / "openapi"
MAX_EXAMPLES = 15
SERVED = {
    "bank": {
        ("POST", "/v1/consents"),
        ("GET", "/v1/consents/{consentId}"),
        ("DELETE", "/v1/consents/{consentId}"),
        ("GET", "/v1/consents/{consentId}/status"),
        ("GET", "/v1/accounts"),
        ("GET", "/v1/accounts/{account-id}"),
        ("GET", "/v1/accounts/{account-id}/balances"),
        ("GET", "/v1/accounts/{account-id}/transactions"),
    },
    "brp": {("POST", "/personen")},
    "brk": {
        ("GET", "/kadastraalonroerendezaken/{kadastraalOnroerendeZaakIdentificatie}"),
        (
            "GET",
            "/kadastraalonroerendezaken/{kadastraalOnroerendeZaakIdentificatie}"
            "/zakelijkgerechtigden",
        ),
        ("GET", "/kadastraalonroerendezaken/{kadastraalOnroerendeZaakIdentificatie}/hypotheken"),
        (
            "GET",
            "/kadastraalonroerendezaken/{kadastraalOnroerendeZaakIdentificatie}"
            "/hypotheken/{hypotheekIdentificatie}",
        ),
    },
    "woz": {("GET", "/wozobjecten"), ("GET", "/wozobjecten/{identificatie}")},
}
CHECKS = [not_a_server_error, response_schema_conformance]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


# Generated cases only: the specifications' own examples include header values that are not
# valid HTTP (a Berlin Group ``Signature`` example spans lines), and the coverage phase would
# run far more than a bounded number of cases.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
)


def _schema(file: str, served: str) -> Any:
    wanted = SERVED[served]
    return schemathesis.openapi.from_path(SPECS / file, config=CONFIG).include(
        lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in wanted
    )


bank_schema = _schema("berlin-group-nextgenpsd2-1.3.9.yaml", "bank")
brp_schema = _schema("brp-personen-bevragen.yaml", "brp")
brk_schema = _schema("brk-bevragen.yaml", "brk")
woz_schema = _schema("woz-bevragen.yaml", "woz")


@pytest.fixture(scope="module")
def bank() -> Any:
    clock = SteppingClock(datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    return create_bank_app(Population(seed=42, as_of=AS_OF), base_url=BASE, clock=clock)


@pytest.fixture(scope="module")
def government() -> tuple[World, dict[str, str]]:
    """The government mocks, and a bearer token per source for a person of the population."""
    population = Population(seed=42, as_of=AS_OF)
    world = World(population, SteppingClock(datetime(2026, 11, 2, 9, 30, tzinfo=UTC)))

    async def tokens() -> dict[str, str]:
        async with httpx2.AsyncClient(transport=world.transport()) as browser:
            owner = next(p for p in population.people(50) if p.properties)
            return {
                source: await world.connect(browser, source, owner)
                for source in ("population", "land_registry")
            }

    return world, anyio.run(tokens)


@bank_schema.parametrize()
@BOUNDED
def test_bank(case: Any, bank: Any) -> None:
    case.call_and_validate(base_url=BASE, app=bank, checks=CHECKS)


def _government_case(
    case: Any, government: tuple[World, dict[str, str]], source: str, prefix: str
) -> None:
    world, tokens = government
    case.call_and_validate(
        base_url=world.base_urls[source] + prefix,
        app=world.apps[source],
        headers={"Authorization": f"Bearer {tokens[source]}"},
        checks=CHECKS,
    )


@brp_schema.parametrize()
@BOUNDED
def test_brp(case: Any, government: tuple[World, dict[str, str]]) -> None:
    _government_case(case, government, "population", PERSONEN_PATH.removesuffix("/personen"))


@brk_schema.parametrize()
@BOUNDED
def test_brk(case: Any, government: tuple[World, dict[str, str]]) -> None:
    _government_case(case, government, "land_registry", BRK_PREFIX)


@woz_schema.parametrize()
@BOUNDED
def test_woz(case: Any, government: tuple[World, dict[str, str]]) -> None:
    _government_case(case, government, "land_registry", WOZ_PREFIX)
