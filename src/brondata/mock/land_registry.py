"""The mock land registry: Haal Centraal BRK bevragen 2.0 (Kadaster) and WOZ bevragen 1.0.

``MOCK(population, digid=idp, base_url=...)`` serves both registers behind one OAuth
server (scope ``land_registry``) whose login is the mock DigiD. A citizen sees only what they
hold a right to:

BRK, under ``/esd/bevragen/v2`` (the path of Kadaster's own server):

- ``POST /kadastraalonroerendezaken`` with ``{"burgerservicenummer": ...}``: the spec's search
  for the properties of a registered person; ``application/hal+json``
  ``KadastraalOnroerendeZaakHalCollectie``. As the spec says, this search does not list the
  zakelijk gerechtigden; each property links to them.
- ``GET /kadastraalonroerendezaken/{id}``: one property.
- ``GET /kadastraalonroerendezaken/{id}/zakelijkgerechtigden``: the owners with their
  ``tenaamstelling.aandeel`` (teller/noemer).
- ``GET /kadastraalonroerendezaken/{id}/hypotheken``: the mortgages with
  ``bedragZekerheidsstelling`` and the lender as ``hypotheekhouders``.

WOZ, under ``/api/woz/v1``: ``GET /wozobjecten`` searched by ``nummeraanduidingIdentificatie``,
``adresseerbaarObjectIdentificatie`` or ``postcode`` + ``huisnummer`` (the BRK gives the first
two), and ``GET /wozobjecten/{identificatie}``, each with ``waarden[]``
(``vastgesteldeWaarde``, ``waardepeildatum``). Objects the person does not own are not found.

Errors are Haal Centraal ``Foutbericht`` bodies (``application/problem+json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._limits import read_json
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource
from brondata.mock.population import Address, Person, Property
from brondata.mock.population_api import (
    bad_request,
    forbidden,
    invalid_param,
    problem,
    too_large,
    unauthorized,
    unknown,
)

__all__ = [
    "BRK_PREFIX",
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "SCOPE",
    "WOZ_PREFIX",
    "sample_requests",
]

DEFAULT_BASE_URL = "https://kadaster.mock.brondata.test"
SCOPE = "land_registry"
DEFAULT_CLIENTS = demo_clients(SCOPE)
BRK_PREFIX = "/esd/bevragen/v2"
WOZ_PREFIX = "/api/woz/v1"
_HAL = "application/hal+json"
_EURO = {"code": "EUR", "waarde": "Euro"}


def _hal(body: Any) -> JSONResponse:
    return JSONResponse(body, media_type=_HAL, headers={"api-version": "2.0.0"})


def _collection(request: Request, name: str, items: list[dict[str, Any]]) -> JSONResponse:
    """A HAL collection of ``items`` under ``_embedded.<name>``, linking to itself."""
    return _hal({"_links": {"self": {"href": str(request.url)}}, "_embedded": {name: items}})


def _address(address: Address) -> dict[str, Any]:
    out: dict[str, Any] = {"straat": address.street, "huisnummer": address.house_number}
    if address.house_letter is not None:
        out["huisletter"] = address.house_letter
    if address.house_number_suffix is not None:
        out["huisnummertoevoeging"] = address.house_number_suffix
    out["postcode"] = address.postcode_compact
    out["woonplaats"] = address.city
    return out


class _LandRegistry:
    def __init__(self, source: DigidSource) -> None:
        self.source = source
        self.base = source.base_url

    def koz_href(self, prop: Property) -> str:
        return f"{self.base}{BRK_PREFIX}/kadastraalonroerendezaken/{prop.brk_id}"

    def koz(self, prop: Property) -> dict[str, Any]:
        href = self.koz_href(prop)
        body: dict[str, Any] = {
            "identificatie": prop.brk_id,
            "domein": "NL.IMKAD.KadastraalObject",
            "type": "appartementsrecht" if prop.apartment_index is not None else "perceel",
            "kadastraleAanduiding": prop.designation,
            "aardCultuurBebouwd": {"code": "11", "waarde": "Wonen"},
            "kadastraleGrootte": {
                "waarde": prop.area_m2 if prop.apartment_index is None else prop.area_m2 * 3,
                "soortGrootte": {"code": "1", "waarde": "Vastgesteld"},
            },
            "koopsom": {"koopsom": prop.purchase_price, "koopjaar": prop.acquired.year},
            "adressen": [
                {
                    **_address(prop.address),
                    "nummeraanduidingIdentificatie": prop.address.nummeraanduiding_id,
                    "adresseerbaarObjectIdentificatie": prop.address.verblijfsobject_id,
                    "adresregel1": prop.address.line1,
                    "adresregel2": prop.address.line2,
                    "koppelingswijze": {"code": "ADM_GEO", "waarde": "administratief en geo"},
                }
            ],
            "hypotheekIdentificaties": [m.identification for m in prop.mortgages],
            "_links": {
                "self": {"href": href},
                "zakelijkGerechtigden": [{"href": f"{href}/zakelijkgerechtigden"}],
                "hypotheken": [
                    {"href": f"{href}/hypotheken/{m.identification}"} for m in prop.mortgages
                ],
            },
        }
        if prop.apartment_index is not None:
            body["bijbehorendeGrondpercelen"] = [{"identificatie": prop.brk_id[:-4] + "0000"}]
        return body

    def rights(self, person: Person, prop: Property) -> list[dict[str, Any]]:
        href = self.koz_href(prop)
        holders: list[tuple[str, str, str]] = [(prop.right_id, person.bsn, person.full_name)]
        partner = person.partner
        if prop.co_owner_bsn is not None and partner is not None:
            holders.append((prop.right_id[:-1] + "9", partner.bsn, partner.full_name))
        teller, noemer = prop.share
        return [
            {
                "identificatie": right_id,
                "type": "eigenaar",
                "aanvangsdatum": prop.acquired.isoformat(),
                "tenaamstelling": {
                    "aandeel": {"teller": teller, "noemer": noemer},
                    "burgerlijkeStaatTenTijdeVanVerkrijging": (
                        {"code": "2", "waarde": "Gehuwd"}
                        if prop.co_owner_bsn is not None
                        else {"code": "1", "waarde": "Ongehuwd en geen geregistreerd partner"}
                    ),
                },
                "persoon": {
                    "identificatie": bsn,
                    "omschrijving": name,
                    "type": "ingeschreven_natuurlijk_persoon",
                },
                "_links": {"self": {"href": f"{href}/zakelijkgerechtigden/{right_id}"}},
            }
            for right_id, bsn, name in holders
        ]

    def mortgages(self, prop: Property) -> list[dict[str, Any]]:
        href = self.koz_href(prop)
        return [
            {
                "identificatie": m.identification,
                "domein": "NL.IMKAD.Hypotheek",
                "aandeelInBetrokkenRecht": {"teller": 1, "noemer": 1},
                "omschrijvingBetrokkenRecht": {"code": "2", "waarde": "Eigendom (recht van)"},
                "hypotheekhouders": [
                    {"omschrijving": m.lender, "type": "ingeschreven_niet_natuurlijk_persoon"}
                ],
                "bedragZekerheidsstelling": {"som": m.registered_amount, "valuta": _EURO},
                "_links": {"self": {"href": f"{href}/hypotheken/{m.identification}"}},
            }
            for m in prop.mortgages
        ]

    def woz(self, person: Person, prop: Property) -> dict[str, Any]:
        href = f"{self.base}{WOZ_PREFIX}/wozobjecten/{prop.woz_object_number}"
        code = prop.address.municipality_code
        return {
            "identificatie": prop.woz_object_number,
            "aanduiding": {
                **_address(prop.address),
                "nummeraanduidingIdentificatie": prop.address.nummeraanduiding_id,
            },
            "adresseerbaarObjectIdentificaties": [prop.address.verblijfsobject_id],
            "belanghebbendeEigenaar": {
                "burgerservicenummer": person.bsn,
                "naam": person.full_name,
                "type": "natuurlijk_persoon",
            },
            "grondoppervlakte": prop.area_m2 * 2,
            "kadastraalOnroerendeZaken": [
                {
                    "identificatie": prop.brk_id,
                    "aanduiding": {
                        "gemeentecode": prop.cadastral_code,
                        "sectie": prop.section,
                        "perceelnummer": prop.parcel,
                        **(
                            {"appartementsindex": prop.apartment_index}
                            if prop.apartment_index is not None
                            else {}
                        ),
                    },
                    "aanduidingMetGemeentenaam": prop.designation,
                }
            ],
            "verantwoordelijkeGemeente": {
                "code": code,
                "omschrijving": f"Gemeente {prop.address.city}",
            },
            "waarden": [
                {
                    "vastgesteldeWaarde": w.value,
                    "waardepeildatum": w.reference_date.isoformat(),
                    "ingangsdatum": f"{w.year}-01-01",
                    "beschikkingsStatussen": ["beschikking_genomen"],
                    "indicatieBezwaarBeroep": False,
                }
                for w in reversed(prop.woz_values)
            ],
            "_links": {
                "self": {"href": href},
                "kadastraalOnroerendeZaken": [{"href": self.koz_href(prop)}],
            },
        }


def _routes(source: DigidSource) -> list[PersonRoute]:
    registry = _LandRegistry(source)

    def not_found(request: Request) -> Response:
        return problem(request, 404, title="Opgevraagde resource bestaat niet.", code="notFound")

    def owned(request: Request, person: Person) -> Property | None:
        wanted = request.path_params["koz"]
        return next((p for p in person.properties if p.brk_id == wanted), None)

    async def search_koz(request: Request, person: Person) -> Response:
        try:
            body = await read_json(request)
        except ValueError:
            body = None
        bsn = body.get("burgerservicenummer") if isinstance(body, dict) else None
        if not isinstance(bsn, str) or len(bsn) != 9 or not bsn.isdigit():
            return bad_request(
                request,
                [
                    invalid_param(
                        "burgerservicenummer", "required", "Geef een burgerservicenummer op."
                    )
                ],
            )
        if bsn != person.bsn:
            return forbidden(request)
        return _collection(
            request, "kadastraalOnroerendeZaken", [registry.koz(p) for p in person.properties]
        )

    async def get_koz(request: Request, person: Person) -> Response:
        prop = owned(request, person)
        return not_found(request) if prop is None else _hal(registry.koz(prop))

    async def get_rights(request: Request, person: Person) -> Response:
        prop = owned(request, person)
        if prop is None:
            return not_found(request)
        return _collection(request, "zakelijkGerechtigden", registry.rights(person, prop))

    async def get_mortgages(request: Request, person: Person) -> Response:
        prop = owned(request, person)
        if prop is None:
            return not_found(request)
        return _collection(request, "hypotheken", registry.mortgages(prop))

    async def get_mortgage(request: Request, person: Person) -> Response:
        prop = owned(request, person)
        wanted = request.path_params["hypotheek"]
        found = (
            [m for m in registry.mortgages(prop) if m["identificatie"] == wanted] if prop else []
        )
        return _hal(found[0]) if found else not_found(request)

    async def search_woz(request: Request, person: Person) -> Response:
        params = request.query_params
        checks: dict[str, Callable[[Property, str], bool]] = {
            "nummeraanduidingIdentificatie": lambda p, v: p.address.nummeraanduiding_id == v,
            "adresseerbaarObjectIdentificatie": lambda p, v: p.address.verblijfsobject_id == v,
            "postcode": lambda p, v: p.address.postcode_compact == v.replace(" ", "").upper(),
            "huisnummer": lambda p, v: str(p.address.house_number) == v,
        }
        given = {k: v for k, v in params.items() if k in checks}
        errors = []
        if not given:
            errors.append(
                invalid_param(
                    "nummeraanduidingIdentificatie", "paramsRequired", "Geef een zoekparameter op."
                )
            )
        if ("postcode" in given) != ("huisnummer" in given):
            errors.append(
                invalid_param(
                    "huisnummer", "paramsCombination", "Postcode en huisnummer horen samen."
                )
            )
        for name in ("nummeraanduidingIdentificatie", "adresseerbaarObjectIdentificatie"):
            value = given.get(name)
            if value is not None and (len(value) != 16 or not value.isdigit()):
                errors.append(
                    invalid_param(name, "pattern", "Waarde is geen identificatie van 16 cijfers.")
                )
        if errors:
            return bad_request(request, errors)
        found = [
            registry.woz(person, p)
            for p in person.properties
            if all(check(p, given[k]) for k, check in checks.items() if k in given)
        ]
        return _collection(request, "wozObjecten", found)

    async def get_woz(request: Request, person: Person) -> Response:
        wanted = request.path_params["identificatie"]
        prop = next((p for p in person.properties if p.woz_object_number == wanted), None)
        return not_found(request) if prop is None else _hal(registry.woz(person, prop))

    koz = f"{BRK_PREFIX}/kadastraalonroerendezaken"
    return [
        ("POST", koz, search_koz),
        ("GET", f"{koz}/{{koz}}", get_koz),
        ("GET", f"{koz}/{{koz}}/zakelijkgerechtigden", get_rights),
        ("GET", f"{koz}/{{koz}}/hypotheken", get_mortgages),
        ("GET", f"{koz}/{{koz}}/hypotheken/{{hypotheek}}", get_mortgage),
        ("GET", f"{WOZ_PREFIX}/wozobjecten", search_woz),
        ("GET", f"{WOZ_PREFIX}/wozobjecten/{{identificatie}}", get_woz),
    ]


MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("Kadaster · Mijn Kadaster", "DigiD", "#00689e"),
    asks_for="uw gegevens bij het Kadaster",
    shows=(
        "Uw onroerende zaken en uw aandeel daarin (BRK)",
        "De hypotheken die erop zijn ingeschreven",
        "De WOZ-waarden van uw woning(en)",
    ),
    routes=_routes,
    unauthorized=unauthorized,
    too_large=too_large,
    unknown=unknown,
)


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The requests a connector makes for ``person``: (method, path, JSON body)."""
    koz = f"{BRK_PREFIX}/kadastraalonroerendezaken"
    out: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", koz, {"burgerservicenummer": person.bsn})
    ]
    for prop in person.properties:
        out.append(("GET", f"{koz}/{prop.brk_id}/zakelijkgerechtigden", None))
        out.append(("GET", f"{koz}/{prop.brk_id}/hypotheken", None))
        out.append(
            (
                "GET",
                f"{WOZ_PREFIX}/wozobjecten?nummeraanduidingIdentificatie="
                f"{prop.address.nummeraanduiding_id}",
                None,
            )
        )
    return out
