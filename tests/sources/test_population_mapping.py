"""The BRP mapping on hand-built Haal Centraal answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from brondata import sources as source_kinds
from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import MapFunction
from brondata.sources.population.mapping import map_population
from brondata.sources.population.models import BrpAnswer


def mapping(kind: str) -> MapFunction:
    """The registered mapping function of ``kind``."""
    return source_kinds.get(kind).mapping.map


TODAY = date(2026, 11, 2)


def answer(**person: Any) -> dict[str, Any]:
    return {"personen": {"type": "RaadpleegMetBurgerservicenummer", "personen": [person]}}


def datum(text: str) -> dict[str, str]:
    return {"type": "Datum", "datum": text, "langFormaat": text}


def test_names_with_a_prefix_and_dates() -> None:
    raw = answer(
        naam={"voornamen": "Jan Willem", "voorvoegsel": "van der", "geslachtsnaam": "Berg"},
        geboorte={"datum": datum("1979-04-03")},
        leeftijd=47,
    )
    values = mapping("population")(
        raw,
        ["person.given_names", "person.surname", "person.birth_date", "person.age_over_18"],
        TODAY,
    )
    assert values == {
        "person.given_names": "Jan Willem",
        "person.surname": "van der Berg",
        "person.birth_date": "1979-04-03",
        "person.age_over_18": True,
    }


def test_an_incomplete_date_is_released_as_far_as_known() -> None:
    raw = answer(geboorte={"datum": {"type": "JaarMaandDatum", "jaar": 1961, "maand": 7}})
    assert mapping("population")(raw, ["person.birth_date"], TODAY) == {
        "person.birth_date": "1961-07"
    }


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ([], False),  # the register lists no child: none
        (["2000-03-01"], False),  # an adult child
        (["2000-03-01", "2008-11-03"], True),  # 18 tomorrow: still a minor today
        (["2008-11-02"], False),  # 18 today
        ([{"type": "JaarDatum", "jaar": 2015}], True),  # a year only, but surely under 18
        ([{"type": "JaarDatum", "jaar": 2000}], False),  # surely 18 or older
        ([{"type": "JaarDatum", "jaar": 2008}], None),  # cannot tell: unknown, not a guess
        ([{"type": "JaarMaandDatum", "jaar": 2008, "maand": 12}], True),  # 18 next month
        ([{"type": "JaarMaandDatum", "jaar": 2008, "maand": 10}], False),  # 18 last month
        ([{"type": "JaarMaandDatum", "jaar": 2008, "maand": 11}], None),  # 18 this month
        # One known minor is enough, whatever the others.
        (["2000-03-01", {"type": "JaarDatum", "jaar": 2008}, "2015-06-01"], True),
    ],
)
def test_children_under_18(born: list[Any], expected: bool | None) -> None:
    kinderen = [{"geboorte": {"datum": datum(b) if isinstance(b, str) else b}} for b in born]
    raw = answer(**({"kinderen": kinderen} if kinderen else {}))
    name = "household.children_under_18"
    assert mapping("population")(raw, [name], TODAY) == {name: expected}


def test_dutch_and_foreign_addresses() -> None:
    dutch = answer(
        verblijfplaats={
            "type": "Adres",
            "verblijfadres": {
                "officieleStraatnaam": "Kerkstraat",
                "huisnummer": 12,
                "huisletter": "a",
                "postcode": "1234AB",
                "woonplaats": "Utrecht",
            },
        }
    )
    assert mapping("population")(dutch, ["person.address"], TODAY)["person.address"] == {
        "street": "Kerkstraat",
        "house_number": 12,
        "house_number_addition": "a",
        "postcode": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
    }
    foreign = answer(
        verblijfplaats={
            "type": "VerblijfplaatsBuitenland",
            "verblijfadres": {
                "regel1": "Rue 1",
                "regel2": "Paris",
                "land": {"omschrijving": "Frankrijk"},
            },
        }
    )
    assert mapping("population")(foreign, ["person.address"], TODAY)["person.address"] == {
        "lines": ["Rue 1", "Paris"],
        "country": "Frankrijk",
    }


def test_a_dissolved_partnership_is_no_partner() -> None:
    dissolved = {
        "naam": {"voornamen": "Ex", "geslachtsnaam": "Partner"},
        "geboorte": {"datum": datum("1970-01-01")},
        "ontbindingHuwelijkPartnerschap": {"datum": datum("2010-01-01")},
    }
    raw = answer(partners=[dissolved])
    assert mapping("population")(raw, ["household.partner"], TODAY) == {"household.partner": None}


def test_missing_data_is_a_mapping_error_and_bad_shapes_a_protocol_error() -> None:
    with pytest.raises(MappingError):
        map_population(BrpAnswer.from_raw(answer()), ["person.surname"], TODAY)
    with pytest.raises(SourceProtocolError):
        BrpAnswer.from_raw({"personen": {"type": "x", "personen": []}})
    with pytest.raises(SourceProtocolError):
        BrpAnswer.from_raw(answer(leeftijd="old"))
    with pytest.raises(MappingError, match="does not provide"):
        map_population(BrpAnswer.from_raw(answer()), ["bank.accounts"], TODAY)
