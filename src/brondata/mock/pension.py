"""The mock pension registry: the Mijnpensioenoverzicht export of a person's entitlements.

``MOCK(population, digid=idp, base_url=...)`` serves ``GET /api/mpo/v1/pensioenaanspraken``
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

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource
from brondata.mock.population import Person

__all__ = [
    "AANSPRAKEN_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "SCOPE",
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


MOCK = GovernmentMock(
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


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [("GET", AANSPRAKEN_PATH, None)]
