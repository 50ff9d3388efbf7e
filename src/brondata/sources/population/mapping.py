"""From a Haal Centraal BRP Personen answer to ``person.*`` and ``household.*``.

The register answers with only the fields the connector asked for, so every rule here reads
what it needs and nothing else. The shapes follow BRP Personen 2.x: dates are typed objects
(``{"type": "Datum", "datum": ...}``; an incomplete date such as ``JaarDatum`` is released as
what is known, never guessed), the residence is a Dutch ``Adres`` or a foreign
``VerblijfplaatsBuitenland``, a partner whose partnership was dissolved is not a partner.

``household.children_under_18``: whether a child in the person's registration (``kinderen``,
of which only the birth dates are asked) is under 18 today; the register answers with no
``kinderen`` when there are none. A year-only birth date that cannot tell gives ``None``
(unknown, never a guess). The person's own answer does not say where a child lives, so a
minor child counts as in the household (Participatiewet art. 4: the single parent cares for
a child under 18); a child living with the other parent is counted too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any

from brondata.errors import MappingError
from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import select
from brondata.sources.population.models import (
    BrpAnswer,
    Naam,
    Persoon,
    Verblijfadres,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_population"]

MAPPING_VERSION = "population.v1"


def _date(value: Any) -> str:
    """A BRP date object as ISO text: ``1980-11-14``, ``1980-11`` or ``1980``."""
    if not isinstance(value, dict):
        raise MappingError("population: a date is missing")
    kind = value.get("type")
    if kind == "Datum" and isinstance(value.get("datum"), str):
        return str(value["datum"])
    if kind == "JaarMaandDatum":
        return f"{int(value['jaar']):04d}-{int(value['maand']):02d}"
    if kind == "JaarDatum":
        return f"{int(value['jaar']):04d}"
    raise MappingError(f"population: date of type {kind!r} has no known part")


def _surname(naam: Naam | None) -> str:
    if naam is None or not naam.geslachtsnaam:
        raise MappingError("population: the register gave no surname")
    return f"{naam.voorvoegsel} {naam.geslachtsnaam}" if naam.voorvoegsel else naam.geslachtsnaam


def _given_names(p: Persoon) -> str:
    if p.naam is None or not p.naam.voornamen:
        raise MappingError("population: the register gave no given names")
    return p.naam.voornamen


def _bsn(p: Persoon) -> str:
    if p.burgerservicenummer is None:
        raise MappingError("population: the register gave no BSN")
    return p.burgerservicenummer


def _birth_date(p: Persoon) -> str:
    return _date((p.geboorte or {}).get("datum"))


def _age_over_18(p: Persoon) -> bool:
    if p.leeftijd is None:
        raise MappingError("population: the register gave no age")
    return p.leeftijd >= 18


def _postcode(text: str) -> str:
    compact = text.replace(" ", "").upper()
    return f"{compact[:4]} {compact[4:]}" if len(compact) == 6 else compact


def _address(p: Persoon) -> dict[str, Any]:
    place = p.verblijfplaats
    kind = place.type if place else None
    a = (place.verblijfadres if place else None) or Verblijfadres()
    if kind == "Adres":
        return {
            "street": a.officieleStraatnaam or a.korteStraatnaam,
            "house_number": a.huisnummer,
            "house_number_addition": (a.huisletter or "") + (a.huisnummertoevoeging or "") or None,
            "postcode": _postcode(a.postcode or ""),
            "city": a.woonplaats,
            "country": "NL",
        }
    if kind == "VerblijfplaatsBuitenland":
        return {
            "lines": [line for line in (a.regel1, a.regel2, a.regel3) if line],
            "country": (a.land or {}).get("omschrijving"),
        }
    raise MappingError(f"population: residence of type {kind!r} cannot be released as an address")


def _nationality(p: Persoon) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for entry in p.nationaliteiten or []:
        if entry.type == "Nationaliteit" and entry.nationaliteit is not None:
            out.append(
                {"code": entry.nationaliteit.code, "description": entry.nationaliteit.omschrijving}
            )
        else:
            # Stateless, treated as Dutch, unknown: the kind itself is the answer.
            out.append({"code": None, "description": entry.type})
    return out


def _partner(p: Persoon) -> dict[str, Any] | None:
    for partner in p.partners or []:
        if partner.get("ontbindingHuwelijkPartnerschap"):
            continue
        naam = Naam.model_validate(partner.get("naam") or {})
        # The same shape as the tax authority's fiscal partner: one name, one date.
        return {
            "name": " ".join(n for n in (naam.voornamen, _surname(naam)) if n),
            "birth_date": _date((partner.get("geboorte") or {}).get("datum")),
        }
    return None


def _minor(born: str, today: date) -> bool | None:
    """Whether a child born on ``born`` (``YYYY[-MM[-DD]]``, as far as known) is under 18."""
    year = int(born[:4])
    if len(born) == 10:
        day = date.fromisoformat(born)
        try:
            adult_on = day.replace(year=year + 18)
        except ValueError:  # 29 February: 18 on 1 March
            adult_on = date(year + 18, 3, 1)
        return today < adult_on
    # Only the year (or year and month) is known: decide when every day it allows agrees.
    adult_in = (year + 18) * 12 + (int(born[5:7]) - 1 if len(born) == 7 else 0)
    now = today.year * 12 + today.month - 1
    last = adult_in if len(born) == 7 else adult_in + 11
    if now < adult_in:
        return True
    if now > last:
        return False
    return None


def _children_under_18(p: Persoon, today: date) -> bool | None:
    minors = [
        _minor(_date((k.get("geboorte") or {}).get("datum")), today) for k in p.kinderen or []
    ]
    if any(minors):
        return True
    return None if None in minors else False


_MAPPERS: dict[str, Callable[[Persoon], Any]] = {
    "person.bsn": _bsn,
    "person.given_names": _given_names,
    "person.surname": lambda p: _surname(p.naam),
    "person.birth_date": _birth_date,
    "person.age_over_18": _age_over_18,
    "person.address": _address,
    "person.nationality": _nationality,
    "household.partner": _partner,
}


#: Rules that also read the day the values speak of.
_AS_OF_TODAY: dict[str, Callable[..., Any]] = {
    "household.children_under_18": _children_under_18,
}


def map_population(person: Persoon, attributes: Iterable[str], today: date) -> dict[str, Any]:
    """Exactly the requested attributes the population register provides, as of ``today``."""
    dated = {name: partial(rule, today=today) for name, rule in _AS_OF_TODAY.items()}
    return select("population", {**_MAPPERS, **dated}, person, attributes)


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_population(BrpAnswer.from_raw(dict(raw)), attributes, today)


MAPPING = SourceMapping(
    version=MAPPING_VERSION,
    provides=frozenset({*_MAPPERS, *_AS_OF_TODAY}),
    map=_map,
)
