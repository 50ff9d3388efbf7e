"""The mock Mijn DUO: a person's student loan as DUO's "Mijn schulden" shows it.

``MOCK(population, digid=idp, base_url=...)`` serves ``GET /api/duo/v1/schulden`` behind an OAuth
server (scope ``duo``) whose login is the mock DigiD. The body lists the person's debts at
DUO (``schulden``; empty for a person without one) as of ``peildatum``, each with:

- ``soortSchuld`` (``studieschuld``) and ``terugbetalingsregels`` (``SF15`` or ``SF35``);
- ``fase``: ``aanloopfase`` before the repayment phase starts, ``aflosfase`` after;
  ``ingangsdatumAflosfase``, ``looptijdAflosfaseInMaanden`` (180 or 420) and
  ``resterendeLooptijdInMaanden``;
- ``hoofdsomBijAanvangAflosfase`` (the debt when repayment started), ``schuldsaldo`` (the
  debt today, interest included) and ``rentepercentage`` (a year, e.g. ``"2.33"``);
- ``wettelijkMaandbedrag`` (the statutory monthly amount: the annuity of the debt over the
  repayment phase), ``maandbedragVerlaagdOpBasisVanInkomen`` with
  ``maandbedragOpBasisVanInkomen`` (reduced for income, "draagkracht"), ``aflosvrijePeriode``
  (repayment paused) and ``teBetalenMaandbedrag``, what is collected now: nothing during a
  pause, else the reduced amount under a reduction, else the statutory one.

Amounts are euro decimal strings with cents, as DUO's screens show euros and cents. The field
names follow what DUO itself lists: the debt overview it sends for a mortgage ("huidig
schuldsaldo inclusief rente", "huidig rentepercentage", "wettelijk maandbedrag", "maandbedrag
op basis van uw inkomen", "resterende looptijd"; duo.nl, studieschuld-terugbetalen/
overzicht-studieschuld), the repayment rules SF15 (15 years) and SF35 (35 years) (duo.nl,
terugbetalingsregels), the "aflosvrije periode" of at most 60 months (duo.nl,
minder-of-niets-aflossen/aflosvrije-periode), and the facts a lender asks for under NHG's
norms (hoofdsom bij aanvang, datum ingang terugbetalingsverplichting, looptijd bij aanvang,
resterende looptijd, actuele maandtermijn). Not modelled: levenlanglerenkrediet, arrears, a
term extended by a pause. The figures come from the population's ``StudentLoan``.

``SCHULDEN_SCHEMA`` is the JSON Schema (2020-12) of the body; the tests validate against it.
Errors are JSON ``{"code": ..., "message": ...}``; 401 without a valid token.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource
from brondata.mock.population import Person, StudentLoan
from brondata.mock.population._study_debt import _annuity

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "SCHULDEN_PATH",
    "SCHULDEN_SCHEMA",
    "SCOPE",
    "sample_requests",
    "schulden",
]

DEFAULT_BASE_URL = "https://mijn.duo.mock.brondata.test"
SCOPE = "duo"
DEFAULT_CLIENTS = demo_clients(SCOPE)
SCHULDEN_PATH = "/api/duo/v1/schulden"

_CENT = Decimal("0.01")


def _euro(amount: Decimal) -> str:
    return str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def studieschuld(loan: StudentLoan, today: date) -> dict[str, Any]:
    """One ``studieschuld`` entry of "Mijn schulden" for ``loan`` as of ``today``."""
    term = loan.term_months
    started = loan.repayment_start <= today
    remaining = term - max(0, _months_between(loan.repayment_start, today)) if started else term
    # A reduced loan's term is what the income allows; the statutory one is the annuity of
    # the debt over the whole repayment phase, by the population's own formula.
    statutory = (
        _annuity(loan.original_debt, loan.interest_rate, term)
        if loan.reduced
        else loan.monthly_repayment
    )
    return {
        "soortSchuld": "studieschuld",
        "terugbetalingsregels": loan.regime,
        "fase": "aflosfase" if started else "aanloopfase",
        "ingangsdatumAflosfase": loan.repayment_start.isoformat(),
        "looptijdAflosfaseInMaanden": term,
        "resterendeLooptijdInMaanden": max(0, remaining),
        "hoofdsomBijAanvangAflosfase": _euro(loan.original_debt),
        "schuldsaldo": _euro(loan.outstanding),
        "rentepercentage": str((loan.interest_rate * 100).quantize(_CENT)),
        "wettelijkMaandbedrag": _euro(statutory),
        "aflosvrijePeriode": loan.paused,
        "maandbedragVerlaagdOpBasisVanInkomen": loan.reduced,
        "maandbedragOpBasisVanInkomen": _euro(loan.monthly_repayment) if loan.reduced else None,
        "teBetalenMaandbedrag": _euro(Decimal(0) if loan.paused else loan.monthly_repayment),
    }


def schulden(person: Person, today: date) -> dict[str, Any]:
    """The "Mijn schulden" overview of ``person`` on ``today``."""
    loan = person.student_loan
    return {
        "peildatum": today.isoformat(),
        "schulden": [] if loan is None else [studieschuld(loan, today)],
    }


_AMOUNT: dict[str, Any] = {"type": "string", "pattern": r"^\d+\.\d{2}$"}
_MONTHS: dict[str, Any] = {"type": "integer", "minimum": 0}

SCHULDEN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Mijn DUO: schulden",
    "type": "object",
    "required": ["peildatum", "schulden"],
    "additionalProperties": False,
    "properties": {
        "peildatum": {"type": "string", "format": "date"},
        "schulden": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "soortSchuld",
                    "terugbetalingsregels",
                    "fase",
                    "ingangsdatumAflosfase",
                    "looptijdAflosfaseInMaanden",
                    "resterendeLooptijdInMaanden",
                    "hoofdsomBijAanvangAflosfase",
                    "schuldsaldo",
                    "rentepercentage",
                    "wettelijkMaandbedrag",
                    "aflosvrijePeriode",
                    "maandbedragVerlaagdOpBasisVanInkomen",
                    "maandbedragOpBasisVanInkomen",
                    "teBetalenMaandbedrag",
                ],
                "properties": {
                    "soortSchuld": {"enum": ["studieschuld"]},
                    "terugbetalingsregels": {"enum": ["SF15", "SF35"]},
                    "fase": {"enum": ["aanloopfase", "aflosfase"]},
                    "ingangsdatumAflosfase": {"type": "string", "format": "date"},
                    "looptijdAflosfaseInMaanden": _MONTHS,
                    "resterendeLooptijdInMaanden": _MONTHS,
                    "hoofdsomBijAanvangAflosfase": _AMOUNT,
                    "schuldsaldo": _AMOUNT,
                    "rentepercentage": _AMOUNT,
                    "wettelijkMaandbedrag": _AMOUNT,
                    "aflosvrijePeriode": {"type": "boolean"},
                    "maandbedragVerlaagdOpBasisVanInkomen": {"type": "boolean"},
                    "maandbedragOpBasisVanInkomen": {"anyOf": [_AMOUNT, {"type": "null"}]},
                    "teBetalenMaandbedrag": _AMOUNT,
                },
            },
        },
    },
}


def _routes(source: DigidSource) -> list[PersonRoute]:
    async def debts(request: Request, person: Person) -> Response:
        return JSONResponse(schulden(person, source.clock.now().date()))

    return [("GET", SCHULDEN_PATH, debts)]


MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("DUO · Mijn DUO", "DigiD", "#007bc7"),
    asks_for="uw studieschuld",
    shows=(
        "Uw studieschuld: huidig schuldsaldo en schuld bij aanvang van de aflosfase",
        "Uw maandbedrag, ook als het is verlaagd of u tijdelijk niet aflost",
        "Uw terugbetalingsregels (SF15 of SF35) en de looptijd van uw aflosfase",
    ),
    routes=_routes,
)


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [("GET", SCHULDEN_PATH, None)]
