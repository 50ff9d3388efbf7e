"""From Kadaster BRK 2.0 and WOZ 1.0 answers to the ``property.*`` attributes.

* ``property.owned``: each registered property (perceel or appartementsrecht) with its
  cadastral designation, address, and the person's share (``teller/noemer`` of the right).
* ``property.count``: how many there are.
* ``property.mortgage_registered_total``: the sum of ``bedragZekerheidsstelling`` of the
  mortgages registered on them (the whole registered amount: a mortgage secures the whole
  right, not a share of it).
* ``property.woz_value``: the latest assessed value of each owned property times the person's
  share, summed, with the latest ``waardepeildatum``. For the common case of one home this is
  the home's WOZ value; the land registry alone cannot tell which of several properties the
  person lives in, so it does not pretend to. When a property has no WOZ value (a new build
  is valued only later) the value is left out (``None``) and the rest is delivered; the
  dossier check ``property_without_woz`` says why.

For the dossier checks (``dossier_facts``, never released): ``without_woz``, how many of the
registered properties have no WOZ value (``property.woz_value`` is then left out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select

__all__ = ["MAPPING", "MAPPING_VERSION", "dossier_facts", "map_land_registry"]

MAPPING_VERSION = "land_registry.v1"

_SOURCE = "land_registry"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Adres(_Lenient):
    straat: str
    huisnummer: int
    postcode: str
    woonplaats: str
    huisletter: str | None = None
    huisnummertoevoeging: str | None = None
    nummeraanduidingIdentificatie: str | None = None


class _Zaak(_Lenient):
    identificatie: str
    type: str
    kadastraleAanduiding: str
    adressen: list[_Adres] = []


class _Aandeel(_Lenient):
    teller: int
    noemer: int


class _Bedrag(_Lenient):
    som: int | float


class _Waarde(_Lenient):
    vastgesteldeWaarde: int | float
    waardepeildatum: str


class _WozObject(_Lenient):
    waarden: list[_Waarde] = []


# What each embedded list must hold; the mapping reads nothing these do not check.
_SHAPES: dict[str, type[_Lenient]] = {
    "kadastraalOnroerendeZaken": _Zaak,
    "wozObjecten": _WozObject,
}


def _items(collection: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(collection, dict):
        raise SourceProtocolError(f"{_SOURCE}: expected a HAL collection", source=_SOURCE)
    items = (collection.get("_embedded") or {}).get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SourceProtocolError(f"{_SOURCE}: _embedded.{key} is malformed", source=_SOURCE)
    shape = _SHAPES.get(key)
    try:
        for item in items:
            if shape is not None:
                shape.model_validate(item)
            if key == "zakelijkGerechtigden":
                _Aandeel.model_validate((item.get("tenaamstelling") or {}).get("aandeel"))
            if key == "hypotheken":
                _Bedrag.model_validate(item.get("bedragZekerheidsstelling"))
    except ValidationError as exc:
        raise SourceProtocolError(
            f"{_SOURCE}: _embedded.{key} does not match the spec: {exc}".splitlines()[0],
            source=_SOURCE,
        ) from None
    return items


def _zaken(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return _items(raw.get("kadastraalonroerendezaken"), "kadastraalOnroerendeZaken")


def _share(raw: dict[str, Any], zaak_id: str) -> Fraction:
    """The person's share in a property: the aandeel of their own right(s) in it.

    Co-owners (a partner) hold rights of their own in the same property; only the rights
    whose ``persoon`` is the logged-in person count. A property with one right is theirs.
    """
    rights = _items(raw.get("zakelijkgerechtigden", {}).get(zaak_id), "zakelijkGerechtigden")
    own = [r for r in rights if (r.get("persoon") or {}).get("identificatie") == raw.get("subject")]
    if own:
        rights = own
    elif len(rights) != 1:
        raise MappingError(f"{_SOURCE}: none of the rights in a property is the person's")
    total = Fraction(0)
    for right in rights:
        aandeel = (right.get("tenaamstelling") or {}).get("aandeel") or {}
        try:
            total += Fraction(int(aandeel["teller"]), int(aandeel["noemer"]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise SourceProtocolError(
                f"{_SOURCE}: a property has a right without a valid share", source=_SOURCE
            ) from None
    if not 0 < total <= 1:
        raise MappingError(f"{_SOURCE}: the share in a property is not between 0 and 1")
    return total


def _address(adres: dict[str, Any]) -> dict[str, Any]:
    postcode = str(adres.get("postcode") or "").replace(" ", "")
    addition = "".join(str(adres.get(k) or "") for k in ("huisletter", "huisnummertoevoeging"))
    return {
        "street": adres.get("straat"),
        "house_number": adres.get("huisnummer"),
        "house_number_addition": addition or None,
        "postcode": f"{postcode[:4]} {postcode[4:]}" if len(postcode) == 6 else postcode,
        "city": adres.get("woonplaats"),
    }


def _owned(raw: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for zaak in _zaken(raw):
        zaak_id = str(zaak.get("identificatie"))
        share = _share(raw, zaak_id)
        out.append(
            {
                "cadastral_designation": zaak.get("kadastraleAanduiding"),
                "type": zaak.get("type"),
                "addresses": [_address(a) for a in zaak.get("adressen") or []],
                "share": f"{share.numerator}/{share.denominator}",
            }
        )
    return out


def _mortgages(raw: dict[str, Any]) -> dict[str, str]:
    total = Decimal(0)
    for zaak in _zaken(raw):
        zaak_id = str(zaak.get("identificatie"))
        for mortgage in _items(raw.get("hypotheken", {}).get(zaak_id), "hypotheken"):
            amount = mortgage.get("bedragZekerheidsstelling") or {}
            currency = (amount.get("valuta") or {}).get("code", "EUR")
            if currency != "EUR" or not isinstance(amount.get("som"), int | float):
                raise SourceProtocolError(
                    f"{_SOURCE}: a mortgage has no amount in EUR", source=_SOURCE
                )
            total += Decimal(str(amount["som"]))
    return money(total)


def _woz_values(raw: dict[str, Any], zaak: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    for adres in zaak.get("adressen") or []:
        found = raw.get("wozobjecten", {}).get(adres.get("nummeraanduidingIdentificatie"))
        for woz in _items(found, "wozObjecten") if found is not None else []:
            values.extend(v for v in woz.get("waarden") or [] if isinstance(v, dict))
    return values


def _woz_value(raw: dict[str, Any]) -> dict[str, Any] | None:
    total = Decimal(0)
    latest_date = ""
    for zaak in _zaken(raw):
        share = _share(raw, str(zaak.get("identificatie")))
        values = _woz_values(raw, zaak)
        if not values:
            return None  # a sum without it would understate: left out, the checks say so
        newest = max(values, key=lambda v: str(v.get("waardepeildatum", "")))
        total += Decimal(str(newest["vastgesteldeWaarde"])) * share.numerator / share.denominator
        latest_date = max(latest_date, str(newest.get("waardepeildatum", "")))
    return {**money(total), "reference_date": latest_date or None}


_MAPPERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "property.owned": _owned,
    "property.count": lambda raw: len(_zaken(raw)),
    "property.mortgage_registered_total": _mortgages,
    "property.woz_value": _woz_value,
}


def dossier_facts(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The land registry's facts for the dossier checks (see the module text)."""
    data = dict(raw)
    return {"without_woz": sum(1 for zaak in _zaken(data) if not _woz_values(data, zaak))}


def map_land_registry(raw: dict[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested ``property.*`` attributes."""
    return select("land registry", _MAPPERS, raw, attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_land_registry(dict(raw), attributes)


MAPPING = SourceMapping(
    version=MAPPING_VERSION, provides=frozenset(_MAPPERS), map=_map, facts=dossier_facts
)
