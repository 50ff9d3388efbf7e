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
from starlette.routing import Route

from brondata._clock import Clock, SystemClock
from brondata.mock._oauth import ApprovalView, Branding
from brondata.mock.digid import DigidIdP, DigidSource, json_unauthorized
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
DEFAULT_CLIENTS: Mapping[str, Sequence[str]] = {
    "brondata-demo": ["https://lender.example/callback/pension"]
}
SCOPE = "pension"
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
    source = DigidSource(
        population,
        digid=digid,
        base_url=base_url,
        clients=DEFAULT_CLIENTS if clients is None else clients,
        clock=SystemClock() if clock is None else clock,
        scope=SCOPE,
        branding=Branding("Mijnpensioenoverzicht.nl", "DigiD", "#2f6c7c"),
        approval=lambda person: ApprovalView(
            heading=f"{person.full_name}, een partij vraagt uw pensioenoverzicht.",
            lines=(
                "Uw AOW: opgebouwd en te bereiken",
                "Uw pensioen per pensioenuitvoerder: opgebouwd en te bereiken",
                "Partnerpensioen",
            ),
        ),
        code_ttl_seconds=code_ttl_seconds,
        token_ttl_seconds=token_ttl_seconds,
    )

    async def entitlements(request: Request) -> Response:
        person = source.person(request)
        if person is None:
            return json_unauthorized(request)
        return JSONResponse(pension_export(person))

    app = Starlette(
        routes=[
            Route(AANSPRAKEN_PATH, entitlements, methods=["GET"]),
            *source.routes(json_unauthorized),
        ]
    )
    app.state.source = source
    return app


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [("GET", AANSPRAKEN_PATH, None)]
