"""The mock population register: Haal Centraal BRP Personen 2.x over the synthetic population.

``MOCK(population, digid=idp, base_url=...)`` serves ``POST /haalcentraal/api/brp/personen``
(query ``type: RaadpleegMetBurgerservicenummer`` with ``burgerservicenummer`` and the required
``fields``) behind an OAuth 2.0 server whose login is the mock DigiD, the way a citizen reaches
their own BRP data through MijnOverheid. Only the asked fields come back, following the spec's
field paths (``naam.voornamen``, ``geboorte.datum``, ``verblijfplaats``, ``partners``, ...); an
unknown, automatically supplied or missing field is a 400 ``Foutbericht`` with
``invalidParams``; another person's BSN is a 403. Errors are ``application/problem+json``.

The Haal Centraal error helpers here are shared with ``land_registry``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from brondata.mock._government import GovernmentMock, PersonRoute, demo_clients
from brondata.mock._limits import read_json
from brondata.mock._oauth import Branding
from brondata.mock.digid import DigidSource
from brondata.mock.population import (
    Address,
    Person,
    country_code,
    municipality,
    nationality_code,
    split_surname,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CLIENTS",
    "MOCK",
    "PERSONEN_PATH",
    "SCOPE",
    "sample_requests",
]

DEFAULT_BASE_URL = "https://brp.mock.brondata.test"
SCOPE = "population"
DEFAULT_CLIENTS = demo_clients(SCOPE)
PERSONEN_PATH = "/haalcentraal/api/brp/personen"
_PROBLEM = "application/problem+json"
_RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december",
)  # fmt: skip

# The spec's Persoon as a tree of field names, for validating ``fields``: a name maps to its
# sub-fields, or to None where it is a leaf (dates, codes as a whole). Fields the mock never
# fills (parents, authority; children for all but a single_parent) are still valid to ask for;
# they just do not come back.
_WAARDETABEL = {"code": None, "omschrijving": None}
_NAAM_BASIS: dict[str, Any] = {
    "voornamen": None,
    "adellijkeTitelPredicaat": {**_WAARDETABEL, "soort": None},
    "voorvoegsel": None,
    "geslachtsnaam": None,
    "voorletters": None,
}
_GEBOORTE = {"datum": None, "land": _WAARDETABEL, "plaats": _WAARDETABEL}
_VERBLIJFADRES = {
    "officieleStraatnaam": None,
    "korteStraatnaam": None,
    "huisnummer": None,
    "huisletter": None,
    "huisnummertoevoeging": None,
    "aanduidingBijHuisnummer": _WAARDETABEL,
    "postcode": None,
    "woonplaats": None,
    "regel1": None,
    "regel2": None,
    "regel3": None,
    "land": _WAARDETABEL,
    "locatiebeschrijving": None,
}
_FIELD_TREE: dict[str, Any] = {
    "aNummer": None,
    "burgerservicenummer": None,
    "datumEersteInschrijvingGBA": None,
    "geslacht": _WAARDETABEL,
    "uitsluitingKiesrecht": {"uitgeslotenVanKiesrecht": None, "einddatum": None},
    "europeesKiesrecht": {"aanduiding": _WAARDETABEL, "einddatumUitsluiting": None},
    "leeftijd": None,
    "naam": {**_NAAM_BASIS, "volledigeNaam": None, "aanduidingNaamgebruik": _WAARDETABEL},
    "nationaliteiten": {
        "type": None,
        "nationaliteit": _WAARDETABEL,
        "redenOpname": _WAARDETABEL,
        "datumIngangGeldigheid": None,
    },
    "geboorte": _GEBOORTE,
    "overlijden": _GEBOORTE,
    "verblijfplaats": {
        "type": None,
        "verblijfadres": _VERBLIJFADRES,
        "functieAdres": _WAARDETABEL,
        "adresseerbaarObjectIdentificatie": None,
        "nummeraanduidingIdentificatie": None,
        "datumVan": None,
        "datumIngangGeldigheid": None,
        "indicatieVastgesteldVerblijftNietOpAdres": None,
    },
    "immigratie": {
        "datumVestigingInNederland": None,
        "landVanwaarIngeschreven": _WAARDETABEL,
        "vanuitVerblijfplaatsOnbekend": None,
        "indicatieVestigingVanuitBuitenland": None,
    },
    "gemeenteVanInschrijving": _WAARDETABEL,
    "datumInschrijvingInGemeente": None,
    "adressering": {
        "aanhef": None,
        "aanschrijfwijze": {"naam": None, "aanspreekvorm": None},
        "gebruikInLopendeTekst": None,
        "adresregel1": None,
        "adresregel2": None,
        "adresregel3": None,
        "land": _WAARDETABEL,
        "indicatieVastgesteldVerblijftNietOpAdres": None,
    },
    "indicatieCurateleRegister": None,
    "indicatieGezagMinderjarige": _WAARDETABEL,
    "gezag": None,
    "verblijfstitel": {"aanduiding": _WAARDETABEL, "datumEinde": None, "datumIngang": None},
    "kinderen": {
        "burgerservicenummer": None,
        "naam": _NAAM_BASIS,
        "geboorte": _GEBOORTE,
        "leeftijd": None,
    },
    "ouders": {
        "burgerservicenummer": None,
        "geslacht": _WAARDETABEL,
        "ouderAanduiding": None,
        "naam": _NAAM_BASIS,
        "geboorte": _GEBOORTE,
        "datumIngangFamilierechtelijkeBetrekking": None,
    },
    "partners": {
        "burgerservicenummer": None,
        "geslacht": _WAARDETABEL,
        "soortVerbintenis": _WAARDETABEL,
        "naam": _NAAM_BASIS,
        "geboorte": _GEBOORTE,
        "aangaanHuwelijkPartnerschap": {
            "datum": None,
            "land": _WAARDETABEL,
            "plaats": _WAARDETABEL,
        },
        "ontbindingHuwelijkPartnerschap": {"datum": None},
    },
}
# Supplied automatically when they apply; asking for them is an error (per the spec).
_AUTOMATIC = frozenset(
    {"inOnderzoek", "geheimhoudingPersoonsgegevens", "opschortingBijhouding", "rni", "verificatie"}
)


# --- Haal Centraal errors -------------------------------------------------------------------


def problem(
    request: Request,
    status: int,
    *,
    title: str,
    code: str,
    detail: str | None = None,
    invalid_params: Sequence[Mapping[str, str]] = (),
) -> JSONResponse:
    """A Haal Centraal ``Foutbericht`` (RFC 7807, ``application/problem+json``)."""
    anchors = {
        400: "4.1",
        401: "4.2",
        403: "4.4",
        404: "4.5",
        405: "4.6",
        413: "4.14",
        415: "4.16",
    }
    body: dict[str, Any] = {
        "type": f"{_RFC2616}#sec10.{anchors.get(status, '5.1')}",
        "title": title,
        "status": status,
        "instance": instance(request),
        "code": code,
    }
    if detail is not None:
        body["detail"] = detail
    if invalid_params:
        body["invalidParams"] = [dict(p) for p in invalid_params]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=_PROBLEM, headers=headers)


def instance(request: Request) -> str:
    """The request's URI for a ``Foutbericht``: the source's base URL and the path, percent
    encoded, so that it is a URI whatever characters the path or ``Host`` header held."""
    state = request.scope["app"].state if "app" in request.scope else None
    source = getattr(state, "source", None)
    base = source.base_url if source is not None else f"{request.url.scheme}://localhost"
    return base + quote(request.url.path, safe="/-._~!$&'()*+,;=:@")


def too_large(request: Request) -> Response:
    return problem(
        request,
        413,
        title="Het verzoek is te groot.",
        code="payloadTooLarge",
        detail="De body van het verzoek is groter dan toegestaan.",
    )


def unknown(request: Request, status: int) -> Response:
    """An unknown path (404) or a method the path does not take (405)."""
    if status == 405:
        return problem(
            request, 405, title="Gebruikte methode is niet toegestaan.", code="methodNotAllowed"
        )
    return problem(request, 404, title="Opgevraagde resource bestaat niet.", code="notFound")


def unauthorized(request: Request) -> Response:
    return problem(request, 401, title="Niet correct geauthenticeerd.", code="authentication")


def forbidden(request: Request) -> Response:
    return problem(
        request,
        403,
        title="U bent niet geautoriseerd voor deze operatie.",
        code="autorisation",
        detail="Alleen uw eigen gegevens kunnen worden opgevraagd.",
    )


def invalid_param(name: str, code: str, reason: str) -> dict[str, str]:
    return {
        "type": f"https://www.vng.nl/realisatie/api/validaties/{code}",
        "name": name,
        "code": code,
        "reason": reason,
    }


def bad_request(request: Request, params: Sequence[Mapping[str, str]]) -> Response:
    return problem(
        request,
        400,
        title="Een of meerdere parameters zijn niet correct.",
        code="paramsValidation",
        detail="De foutieve parameter(s) zijn " + ", ".join(p["name"] for p in params) + ".",
        invalid_params=params,
    )


# --- rendering a person ---------------------------------------------------------------------


def datum(day: date) -> dict[str, str]:
    """A Haal Centraal ``Datum``: ISO date and the Dutch long form ("17 mei 1980")."""
    return {
        "type": "Datum",
        "datum": day.isoformat(),
        "langFormaat": f"{day.day} {_MONTHS[day.month - 1]} {day.year}",
    }


def _initials(given_names: str) -> str:
    return "".join(f"{name[0]}." for name in given_names.split())


def _naam(given_names: str, surname: str) -> dict[str, str]:
    prefix, core = split_surname(surname)
    out = {"voornamen": given_names}
    if prefix:
        out["voorvoegsel"] = prefix
    out["geslachtsnaam"] = core
    out["voorletters"] = _initials(given_names)
    return out


def _geboorte(born: date, place: str, country: str) -> dict[str, Any]:
    out: dict[str, Any] = {"datum": datum(born)}
    land = country_code(country)
    out["land"] = {"code": land, "omschrijving": country} if land else {"omschrijving": country}
    if country == "Nederland":
        code, name = municipality(place)
        out["plaats"] = {"code": code, "omschrijving": name}
    else:
        out["plaats"] = {"omschrijving": place}
    return out


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _verblijfadres(address: Address) -> dict[str, Any]:
    out: dict[str, Any] = {
        "officieleStraatnaam": address.street,
        "korteStraatnaam": address.street[:24],
        "huisnummer": address.house_number,
    }
    if address.house_letter is not None:
        out["huisletter"] = address.house_letter
    if address.house_number_suffix is not None:
        out["huisnummertoevoeging"] = address.house_number_suffix
    out["postcode"] = address.postcode_compact
    out["woonplaats"] = address.city
    return out


def persoon(person: Person, today: date) -> dict[str, Any]:
    """Everything the register holds about ``person``, as a spec ``Persoon``."""
    prefix, core = split_surname(person.surname)
    mevrouw = person.gender == "V"
    title = "mevrouw" if mevrouw else "de heer"
    addressed = f"{prefix.capitalize()} {core}" if prefix else core
    address = person.address
    municipality_code, municipality_name = municipality(address.city)
    registered = person.address_since or person.birth_date
    nationaliteiten = [
        {
            "type": "Nationaliteit",
            "nationaliteit": {"code": nationality_code(n) or "0000", "omschrijving": n},
            "datumIngangGeldigheid": datum(person.arrival_date or person.birth_date),
        }
        for n in person.nationality
    ]
    out: dict[str, Any] = {
        "aNummer": f"{int(person.bsn) * 7 % 10**10:010d}".replace("0", "1", 1),
        "burgerservicenummer": person.bsn,
        "geslacht": {"code": person.gender, "omschrijving": "vrouw" if mevrouw else "man"},
        "leeftijd": _age(person.birth_date, today),
        "naam": {
            **_naam(person.given_names, person.surname),
            "volledigeNaam": person.full_name,
            "aanduidingNaamgebruik": {"code": "E", "omschrijving": "eigen geslachtsnaam"},
        },
        "nationaliteiten": nationaliteiten,
        "geboorte": _geboorte(person.birth_date, person.birth_place, person.birth_country),
        "verblijfplaats": {
            "type": "Adres",
            "verblijfadres": _verblijfadres(address),
            "functieAdres": {"code": "W", "omschrijving": "woonadres"},
            "adresseerbaarObjectIdentificatie": address.verblijfsobject_id,
            "nummeraanduidingIdentificatie": address.nummeraanduiding_id,
            "datumVan": datum(registered),
        },
        "gemeenteVanInschrijving": {"code": municipality_code, "omschrijving": municipality_name},
        "datumInschrijvingInGemeente": datum(registered),
        "adressering": {
            "aanhef": f"Geachte {title} {addressed}",
            "aanschrijfwijze": {"naam": f"{_initials(person.given_names)} {person.surname}"},
            "gebruikInLopendeTekst": f"{title} {addressed}",
            "adresregel1": address.line1,
            "adresregel2": address.line2,
        },
    }
    if person.arrival_date is not None:
        land = country_code(person.birth_country)
        out["immigratie"] = {
            "datumVestigingInNederland": datum(person.arrival_date),
            "landVanwaarIngeschreven": (
                {"code": land, "omschrijving": person.birth_country}
                if land
                else {"omschrijving": person.birth_country}
            ),
            "indicatieVestigingVanuitBuitenland": True,
        }
        out["datumEersteInschrijvingGBA"] = datum(person.arrival_date)
    if person.children:
        out["kinderen"] = [
            {
                "burgerservicenummer": child.bsn,
                "naam": _naam(child.given_names, child.surname),
                "geboorte": _geboorte(child.birth_date, person.address.city, "Nederland"),
            }
            for child in person.children
        ]
    partner = person.partner
    if partner is not None:
        union = "huwelijk" if partner.union == "H" else "geregistreerd partnerschap"
        code, name = municipality(partner.union_place)
        out["partners"] = [
            {
                "burgerservicenummer": partner.bsn,
                "geslacht": {
                    "code": partner.gender,
                    "omschrijving": "vrouw" if partner.gender == "V" else "man",
                },
                "soortVerbintenis": {"code": partner.union, "omschrijving": union},
                "naam": _naam(partner.given_names, partner.surname),
                "geboorte": _geboorte(partner.birth_date, partner.birth_place, "Nederland"),
                "aangaanHuwelijkPartnerschap": {
                    "datum": datum(partner.union_date),
                    "land": {"code": "6030", "omschrijving": "Nederland"},
                    "plaats": {"code": code, "omschrijving": name},
                },
            }
        ]
    return out


def _field_problem(path: str) -> str | None:
    """Why ``path`` is not a field one may ask for, or None if it is one."""
    if not path or len(path) > 200 or not all(c.isalnum() or c in "._" for c in path):
        return "Parameter bevat een ongeldig veldpad."
    parts = path.split(".")
    if parts[0] in _AUTOMATIC or "inOnderzoek" in parts:
        return "Parameter bevat een automatisch geleverd veld."
    node: Any = _FIELD_TREE
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return "Parameter bevat een niet bestaande veldnaam."
        node = node[part]
    return None


def select(value: Any, paths: Sequence[Sequence[str]]) -> Any:
    """The parts of ``value`` that ``paths`` name; a polymorphic object keeps its ``type``."""
    if isinstance(value, list):
        picked = [select(item, paths) for item in value]
        return [p for p in picked if p not in ({}, None)]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        wanted = [p[1:] for p in paths if p and p[0] == key]
        if not wanted:
            continue
        if any(len(p) == 0 for p in wanted):
            out[key] = item
            continue
        chosen = select(item, wanted)
        if chosen not in ({}, [], None):
            out[key] = chosen
    if out and "type" in value and "type" not in out:
        out = {"type": value["type"], **out}
    return out


def _routes(source: DigidSource) -> list[PersonRoute]:
    async def personen(request: Request, person: Person) -> Response:
        try:
            body = await read_json(request)
        except ValueError:
            return bad_request(request, [invalid_param("body", "json", "Geen geldige JSON.")])
        if not isinstance(body, dict):
            return bad_request(request, [invalid_param("body", "object", "Geen JSON object.")])
        errors: list[dict[str, str]] = []
        query_type = body.get("type")
        if query_type != "RaadpleegMetBurgerservicenummer":
            errors.append(
                invalid_param(
                    "type", "value", "Alleen RaadpleegMetBurgerservicenummer wordt ondersteund."
                )
            )
        bsns = body.get("burgerservicenummer")
        if (
            not isinstance(bsns, list)
            or not 1 <= len(bsns) <= 20
            or not all(isinstance(b, str) and len(b) == 9 and b.isdigit() for b in bsns)
        ):
            errors.append(
                invalid_param(
                    "burgerservicenummer", "array", "Geef 1 tot 20 burgerservicenummers op."
                )
            )
        fields = body.get("fields")
        if not isinstance(fields, list) or not fields:
            errors.append(invalid_param("fields", "required", "Parameter is verplicht."))
        elif len(fields) > 130:
            errors.append(invalid_param("fields", "maxItems", "Maximaal 130 velden."))
        else:
            for field_path in fields:
                reason = _field_problem(field_path) if isinstance(field_path, str) else None
                if not isinstance(field_path, str):
                    reason = "Parameter bevat een ongeldig veldpad."
                if reason is not None:
                    errors.append(invalid_param("fields", "fields", reason))
                    break
        if errors:
            return bad_request(request, errors)
        assert isinstance(bsns, list)
        assert isinstance(fields, list)
        if any(bsn != person.bsn for bsn in bsns):
            return forbidden(request)
        full = persoon(person, source.clock.now().date())
        chosen = select(full, [str(f).split(".") for f in fields])
        return JSONResponse({"type": "RaadpleegMetBurgerservicenummer", "personen": [chosen]})

    return [("POST", PERSONEN_PATH, personen)]


MOCK = GovernmentMock(
    scope=SCOPE,
    branding=Branding("MijnOverheid · Basisregistratie Personen", "DigiD", "#154273"),
    asks_for="uw gegevens uit de BRP",
    shows=(
        "Naam, geboortedatum en geslacht",
        "Woonadres en datum van inschrijving",
        "Nationaliteit",
        "Partner (huwelijk of geregistreerd partnerschap)",
        "Uw kinderen",
    ),
    routes=_routes,
    unauthorized=unauthorized,
    too_large=too_large,
    unknown=unknown,
)


#: The fields a connector typically asks for: identity, address, nationality, partner and
#: children.
SAMPLE_FIELDS = (
    "burgerservicenummer",
    "naam",
    "geboorte",
    "geslacht",
    "nationaliteiten",
    "verblijfplaats",
    "partners",
    "kinderen",
    "immigratie",
)


def sample_requests(person: Person) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The request a connector makes for ``person``: (method, path, JSON body)."""
    return [
        (
            "POST",
            PERSONEN_PATH,
            {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [person.bsn],
                "fields": list(SAMPLE_FIELDS),
            },
        )
    ]
