"""The mock pension registry: the Mijnpensioenoverzicht export of a person's entitlements.

``create_pension_app(population, digid=idp)`` serves ``GET /api/mpo/v1/pensioenaanspraken``
behind an OAuth server (scope ``pension``) whose login is the mock DigiD. The body has the
shape of the export Mijnpensioenoverzicht.nl offers (``Pensioenaanspraken`` with ``Details``):
per start age (``Van``, from the AOW age) the AOW build-up (``OpgebouwdSamenwonend``,
``OpgebouwdAlleenstaand``, ``TeBereikenSamenwonend``, ``TeBereikenAlleenstaand``) and one
``Pensioen`` line per provider (``PensioenUitvoerder``, ``HerkenningsNummer``, ``Opgebouwd``,
``TeBereiken``, ``StandPer``), plus the partner's pension per provider. Amounts are gross
euros a year, integers. Added beside the export's fields: ``InUitbetaling`` per line (true for
a pension being paid) and ``Geboortedatum``.

Errors are JSON ``{"code": ..., "message": ...}``; 401 without a valid token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata._clock import Clock
from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidIdP, DigidSource
from brondata.mock.population import Person, Population

__all__ = [
    "AANSPRAKEN_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "SCOPE",
    "create_pension_app",
    "pension_export",
    "sample_requests",
]

DEFAULT_BASE_URL = "https://mijnpensioenoverzicht.mock.brondata.test"
SCOPE = "pension"
DEFAULT_CLIENTS = demo_clients(SCOPE)
AANSPRAKEN_PATH = "/api/mpo/v1/pensioenaanspraken"


def pension_export(person: Person) -> dict[str, Any]:
    """The Mijnpensioenoverzicht export of ``person``."""
    aow = person.aow
    if aow is None:  # every generated person has one; a hand-made Person may not
        raise ValueError("the person has no AOW build-up")
    age = {"Jaren": aow.age_years, "Maanden": aow.age_months}
    stand_per = max((p.stand_per for p in person.pensions), default=None)
    return {
        "Pensioenaanspraken": {
            "Geboortedatum": person.birth_date.isoformat(),
            "AOWLeeftijd": age,
            "StandPer": stand_per.isoformat() if stand_per else None,
            "Details": {
                "OuderdomsPensioenDetails": {
                    "OuderdomsPensioen": [
                        {
                            "Van": age,
                            "Tot": None,
                            "AOW": {
                                "AOWDetailsOpbouw": {
                                    "OpgebouwdSamenwonend": aow.accrued_cohabiting,
                                    "OpgebouwdAlleenstaand": aow.accrued_single,
                                    "TeBereikenSamenwonend": aow.reachable_cohabiting,
                                    "TeBereikenAlleenstaand": aow.reachable_single,
                                }
                            },
                            "Pensioen": [
                                {
                                    "PensioenUitvoerder": p.provider,
                                    "HerkenningsNummer": p.reference_number,
                                    "Opgebouwd": p.accrued,
                                    "TeBereiken": p.reachable,
                                    "StandPer": p.stand_per.isoformat(),
                                    "InUitbetaling": p.in_payment,
                                }
                                for p in person.pensions
                            ],
                        }
                    ]
                },
                "PartnerPensioenDetails": {
                    "PartnerPensioen": [
                        {
                            "Van": None,
                            "Tot": None,
                            "Pensioen": [
                                {
                                    "PensioenUitvoerder": p.provider,
                                    "HerkenningsNummer": p.reference_number,
                                    "TeBereiken": p.partner_pension,
                                    "StandPer": p.stand_per.isoformat(),
                                }
                                for p in person.pensions
                                if p.partner_pension > 0
                            ],
                        }
                    ]
                },
            },
        }
    }


def _routes(source: DigidSource) -> list[PersonRoute]:
    async def entitlements(request: Request, person: Person) -> Response:
        return JSONResponse(pension_export(person))

    return [("GET", AANSPRAKEN_PATH, entitlements)]


_MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("Mijnpensioenoverzicht.nl", "DigiD", "#2f6c7c"),
    asks_for="uw pensioenoverzicht",
    shows=(
        "Uw AOW: opgebouwd en te bereiken",
        "Uw pensioen per pensioenuitvoerder: opgebouwd en te bereiken",
        "Partnerpensioen",
    ),
    routes=_routes,
)


def create_pension_app(
    population: Population,
    *,
    digid: DigidIdP,
    base_url: str = DEFAULT_BASE_URL,
    clients: Mapping[str, Sequence[str]] | None = None,
    clock: Clock | None = None,
    code_ttl_seconds: int = 60,
    token_ttl_seconds: int = 3600,
) -> Starlette:
    """The mock Mijnpensioenoverzicht as an ASGI app; ``base_url`` is the OAuth issuer."""
    return _MOCK.app(
        population,
        digid=digid,
        base_url=base_url,
        clients=clients,
        clock=clock,
        code_ttl_seconds=code_ttl_seconds,
        token_ttl_seconds=token_ttl_seconds,
    )


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [("GET", AANSPRAKEN_PATH, None)]
