"""The mock employment insurer: the UWV verzekeringsbericht of a person.

``MOCK(population, digid=idp, base_url=...)`` serves ``GET /api/uwv/v1/verzekeringsbericht``
behind an OAuth server (scope ``employment``) whose login is the mock DigiD: the person's
income relations as employee (``inkomstenverhoudingen``: number, employer with payroll tax
number, start and end, contract ``onbepaald``/``bepaald``, hours a week) with, per monthly
period, the SV-loon and the fiscal wage (``svLoon`` and ``fiscaalLoon``, loon voor de
loonheffing: both wages the payroll tax return reports into UWV's polisadministratie, Wet
SUWI art. 33 lid 2 a and d; decimal strings) and ``verloondeUren``, over the last five years
at most. The fiscal wage is the payslip's: gross less the employee's pension premium, the
same figure the tax return's wages sum. Benefits (AOW, pensions) and self-employment do not
appear: the report is about insured employment. ``datumEinde`` is set once a relation has
ended; a running fixed-term contract shows ``soortContract: bepaald`` and ``datumEinde: null``.

Errors are JSON ``{"code": ..., "message": ...}``; 401 without a valid token.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource
from brondata.mock.population import Person

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "SCOPE",
    "VERZEKERINGSBERICHT_PATH",
    "sample_requests",
    "verzekeringsbericht",
]

DEFAULT_BASE_URL = "https://uwv.mock.brondata.test"
SCOPE = "employment"
DEFAULT_CLIENTS = demo_clients(SCOPE)
VERZEKERINGSBERICHT_PATH = "/api/uwv/v1/verzekeringsbericht"
_YEARS_SHOWN = 5


def verzekeringsbericht(person: Person, today: date) -> dict[str, Any]:
    """The verzekeringsbericht of ``person`` as made on ``today``."""
    earliest = date(today.year - _YEARS_SHOWN, today.month, 1)
    relations = []
    for relation in person.employments:
        slips = [
            s
            for s in person.payslips_of(relation.payroll_tax_number, relation.number)
            if s.period_start >= earliest and s.pay_date < today
        ]
        if not slips:
            continue
        ended = relation.end is not None and relation.end < today
        relations.append(
            {
                "nummerInkomstenverhouding": relation.number,
                "werkgever": {
                    "naam": relation.payer,
                    "loonheffingennummer": relation.payroll_tax_number,
                },
                "datumAanvang": relation.start.isoformat(),
                "datumEinde": relation.end.isoformat() if ended and relation.end else None,
                "soortContract": relation.contract,
                "urenPerWeek": relation.hours_per_week,
                "perioden": [
                    {
                        "datumAanvang": s.period_start.isoformat(),
                        "datumEinde": s.period_end.isoformat(),
                        "svLoon": f"{s.sv_wage:.2f}",
                        "fiscaalLoon": f"{s.fiscal_wage:.2f}",
                        "verloondeUren": s.hours,
                    }
                    for s in slips
                ],
            }
        )
    return {
        "burgerservicenummer": person.bsn,
        "datumAanmaak": today.isoformat(),
        "inkomstenverhoudingen": relations,
    }


def _routes(source: DigidSource) -> list[PersonRoute]:
    async def report(request: Request, person: Person) -> Response:
        return JSONResponse(verzekeringsbericht(person, source.clock.now().date()))

    return [("GET", VERZEKERINGSBERICHT_PATH, report)]


MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("UWV · Mijn UWV", "DigiD", "#0075be"),
    asks_for="uw verzekeringsbericht",
    shows=(
        "Uw werkgevers en dienstverbanden van de laatste vijf jaar",
        "Soort contract en uren per week",
        "Uw SV-loon en fiscaal loon per maand",
    ),
    routes=_routes,
)


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [("GET", VERZEKERINGSBERICHT_PATH, None)]
