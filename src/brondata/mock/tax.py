"""The mock tax authority: the pre-filled income tax return (VIA) per year, as JSON.

``MOCK(population, digid=idp, base_url=...)`` serves, behind an OAuth server (scope ``tax``) whose
login is the mock DigiD:

- ``GET /api/via/v1/aangiften``: the tax years with a pre-filled return.
- ``GET /api/via/v1/aangiften/{belastingjaar}``: that year's return: the taxpayer and fiscal
  partner, wages and benefits per payer (``loonEnUitkeringen`` with the payroll tax number,
  the income-relation code, the fiscal wage, the tax withheld and the labour tax credit),
  profit from an enterprise, the own home (WOZ value and mortgage interest), bank balances on
  1 January, debts, other property (box 3) and box 1 taxable income.

Amounts are whole euros, as the tax authority writes them. Income-relation codes are those of
the payroll tax return: 15 employment, 11 civil servant, 31 AOW, 32 pension. Errors are JSON
``{"code": ..., "message": ...}``: 401 without a valid token, 400 for a malformed year, 404 for
a year without a return.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource, json_error
from brondata.mock.population import Person, TaxYear

__all__ = [
    "AANGIFTEN_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "SCOPE",
    "sample_requests",
    "tax_return",
]

DEFAULT_BASE_URL = "https://belastingdienst.mock.brondata.test"
SCOPE = "tax"
DEFAULT_CLIENTS = demo_clients(SCOPE)
AANGIFTEN_PATH = "/api/via/v1/aangiften"


def tax_return(person: Person, year: TaxYear) -> dict[str, Any]:
    """The VIA of ``person`` for one year, in the mock's JSON shape."""
    partner = person.partner
    home = year.own_home
    return {
        "belastingjaar": year.year,
        "belastingplichtige": {
            "burgerservicenummer": person.bsn,
            "naam": person.full_name,
            "geboortedatum": person.birth_date.isoformat(),
        },
        "fiscaalPartner": (
            {
                "burgerservicenummer": partner.bsn,
                "naam": partner.full_name,
                "geboortedatum": partner.birth_date.isoformat(),
            }
            if partner is not None
            else None
        ),
        "inkomsten": {
            "loonEnUitkeringen": [
                {
                    "naamInhoudingsplichtige": line.payer,
                    "loonheffingennummer": line.payroll_tax_number,
                    "codeInkomstenverhouding": line.income_code,
                    "loon": line.wage,
                    "ingehoudenLoonheffing": line.withheld_tax,
                    "arbeidskorting": line.labour_credit,
                }
                for line in year.wages
            ],
            "winstUitOnderneming": year.profit,
        },
        "eigenWoning": (
            {
                "adres": {
                    "straat": home.address.street,
                    "huisnummer": home.address.house_number,
                    "huisnummertoevoeging": home.address.house_number_addition,
                    "postcode": home.address.postcode,
                    "woonplaats": home.address.city,
                },
                "wozWaarde": home.woz_value,
                "wozPeildatum": home.woz_reference_date.isoformat(),
                "eigenwoningforfait": year.own_home_forfait,
                "hypotheekrenteBetaald": home.mortgage_interest,
                "aandeel": {"teller": home.share[0], "noemer": home.share[1]},
                "maandenEigenWoning": home.months_owned,
            }
            if home is not None
            else None
        ),
        "bankrekeningen": [
            {"iban": iban, "saldoPer1Januari": balance} for iban, balance in year.bank_balances
        ],
        "schulden": [
            {"soort": debt.kind, "omschrijving": debt.description, "bedrag": debt.amount}
            for debt in year.debts
        ],
        "overigeOnroerendeZaken": [
            {"adres": f"{address.line1}, {address.postcode} {address.city}", "wozWaarde": value}
            for address, value in year.other_properties
        ],
        "belastbaarInkomenWerkEnWoning": year.taxable_income_box1,
    }


def _routes(source: DigidSource) -> list[PersonRoute]:
    async def years(request: Request, person: Person) -> Response:
        return JSONResponse(
            {
                "belastingjaren": [
                    {
                        "belastingjaar": y.year,
                        "_links": {"self": {"href": f"{source.base_url}{AANGIFTEN_PATH}/{y.year}"}},
                    }
                    for y in reversed(person.tax_years)
                ]
            }
        )

    async def one_year(request: Request, person: Person) -> Response:
        raw = request.path_params["jaar"]
        if not (len(raw) == 4 and raw.isdigit()):
            return json_error(400, "FORMAT_ERROR", "belastingjaar must be a year, e.g. 2025")
        year = person.tax_year(int(raw))
        if year is None:
            return json_error(404, "NOT_FOUND", f"no pre-filled return for tax year {raw}")
        return JSONResponse(tax_return(person, year))

    return [("GET", AANGIFTEN_PATH, years), ("GET", f"{AANGIFTEN_PATH}/{{jaar}}", one_year)]


MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("Belastingdienst · Mijn Belastingdienst", "DigiD", "#01689b"),
    asks_for="uw vooringevulde aangifte",
    shows=(
        "Loon en uitkeringen per werkgever of uitkeringsinstantie",
        "Winst uit onderneming",
        "Eigen woning: WOZ-waarde en betaalde hypotheekrente",
        "Bankrekeningen, schulden en overige bezittingen",
        "Uw fiscaal partner (naam en geboortedatum)",
    ),
    routes=_routes,
)


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The requests a connector makes for ``person``: (method, path, JSON body)."""
    out: list[tuple[str, str, dict[str, Any] | None]] = [("GET", AANGIFTEN_PATH, None)]
    out += [("GET", f"{AANGIFTEN_PATH}/{y.year}", None) for y in reversed(person.tax_years)]
    return out
