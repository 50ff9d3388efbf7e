"""The Kadaster mapping on hand-built BRK and WOZ answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from brondata import sources as source_kinds
from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import MapFunction


def mapping(kind: str) -> MapFunction:
    """The registered mapping function of ``kind``."""
    return source_kinds.get(kind).mapping.map


TODAY = date(2026, 11, 2)
ALL = [
    "property.owned",
    "property.count",
    "property.woz_value",
    "property.mortgage_registered_total",
]


def hal(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"_links": {"self": {"href": "x"}}, "_embedded": {key: items}}


def raw(share: tuple[int, int] = (1, 2), mortgage: Any = 300000) -> dict[str, Any]:
    zaak = {
        "identificatie": "1",
        "type": "perceel",
        "kadastraleAanduiding": "UTRECHT A 1",
        "adressen": [
            {
                "straat": "Laan",
                "huisnummer": 3,
                "postcode": "3511AB",
                "woonplaats": "Utrecht",
                "nummeraanduidingIdentificatie": "n1",
            }
        ],
    }
    right = {"tenaamstelling": {"aandeel": {"teller": share[0], "noemer": share[1]}}}
    woz = {
        "waarden": [
            {"vastgesteldeWaarde": 400000, "waardepeildatum": "2024-01-01"},
            {"vastgesteldeWaarde": 420000, "waardepeildatum": "2025-01-01"},
        ]
    }
    return {
        "kadastraalonroerendezaken": hal("kadastraalOnroerendeZaken", [zaak]),
        "zakelijkgerechtigden": {"1": hal("zakelijkGerechtigden", [right])},
        "hypotheken": {
            "1": hal(
                "hypotheken",
                [{"bedragZekerheidsstelling": {"som": mortgage, "valuta": {"code": "EUR"}}}],
            )
        },
        "wozobjecten": {"n1": hal("wozObjecten", [woz])},
    }


def test_every_attribute_from_one_half_owned_home() -> None:
    values = mapping("land_registry")(raw(), ALL, TODAY)
    assert values["property.count"] == 1
    assert values["property.owned"][0]["share"] == "1/2"
    assert values["property.owned"][0]["addresses"][0]["postcode"] == "3511 AB"
    assert values["property.woz_value"] == {
        "amount": "210000.00",
        "currency": "EUR",
        "reference_date": "2025-01-01",
    }
    assert values["property.mortgage_registered_total"] == {
        "amount": "300000.00",
        "currency": "EUR",
    }


def test_no_property() -> None:
    empty = {"kadastraalonroerendezaken": hal("kadastraalOnroerendeZaken", [])}
    values = mapping("land_registry")(empty, ["property.owned", "property.count"], TODAY)
    assert values == {"property.owned": [], "property.count": 0}


def test_bad_answers() -> None:
    with pytest.raises(SourceProtocolError):
        mapping("land_registry")(raw(mortgage="lots"), ALL, TODAY)
    with pytest.raises(MappingError):
        mapping("land_registry")(raw(share=(3, 2)), ALL, TODAY)


def test_a_property_without_woz_value_omits_the_value_not_the_record() -> None:
    """A new build has no WOZ value yet: the rest is delivered, the value left out (None),
    and the checks say so (property_without_woz)."""
    broken = raw()
    broken["wozobjecten"] = {}
    values = mapping("land_registry")(broken, ALL, TODAY)
    assert values["property.woz_value"] is None
    assert values["property.count"] == 1
    assert values == {**mapping("land_registry")(raw(), ALL, TODAY), "property.woz_value": None}


def test_only_the_persons_own_right_counts() -> None:
    data = raw()
    mine = {
        "persoon": {"identificatie": "111222333"},
        "tenaamstelling": {"aandeel": {"teller": 1, "noemer": 2}},
    }
    partner = {
        "persoon": {"identificatie": "999888777"},
        "tenaamstelling": {"aandeel": {"teller": 1, "noemer": 2}},
    }
    data["subject"] = "111222333"
    data["zakelijkgerechtigden"] = {"1": hal("zakelijkGerechtigden", [partner, mine])}
    values = mapping("land_registry")(data, ["property.owned", "property.woz_value"], TODAY)
    assert values["property.owned"][0]["share"] == "1/2"
    assert values["property.woz_value"]["amount"] == "210000.00"
    data["subject"] = "000000000"
    with pytest.raises(MappingError, match="none of the rights"):
        mapping("land_registry")(data, ["property.owned"], TODAY)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: d["kadastraalonroerendezaken"]["_embedded"]["kadastraalOnroerendeZaken"][
            0
        ].update(kadastraleAanduiding=12345),
        lambda d: d["wozobjecten"]["n1"]["_embedded"]["wozObjecten"][0]["waarden"][0].update(
            vastgesteldeWaarde="much"
        ),
        lambda d: d["zakelijkgerechtigden"]["1"]["_embedded"]["zakelijkGerechtigden"][0].update(
            tenaamstelling={"aandeel": {"teller": "1", "noemer": 2}}
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_refused(corrupt: Any) -> None:
    data = raw()
    corrupt(data)
    with pytest.raises(SourceProtocolError):
        mapping("land_registry")(data, ALL, TODAY)


def _renumbered(data: dict[str, Any], zaak_id: str = "76870487970000") -> dict[str, Any]:
    """``data`` with a parcel id that cannot appear in a message by chance."""
    (zaak,) = data["kadastraalonroerendezaken"]["_embedded"]["kadastraalOnroerendeZaken"]
    zaak["identificatie"] = zaak_id
    zaak["kadastraleAanduiding"] = "UTRECHT Q 4711"
    for key in ("zakelijkgerechtigden", "hypotheken"):
        data[key] = {zaak_id: data[key]["1"]}
    return data


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: d["zakelijkgerechtigden"]["76870487970000"]["_embedded"]["zakelijkGerechtigden"][
            0
        ].update(tenaamstelling={"aandeel": {"teller": 3, "noemer": 2}}),
        lambda d: d["zakelijkgerechtigden"]["76870487970000"]["_embedded"]["zakelijkGerechtigden"][
            0
        ].update(tenaamstelling={}),
        lambda d: d["hypotheken"]["76870487970000"]["_embedded"]["hypotheken"][0].update(
            bedragZekerheidsstelling={"som": "lots"}
        ),
        lambda d: (
            d.update(subject="000000000")
            or d["zakelijkgerechtigden"]["76870487970000"]["_embedded"][
                "zakelijkGerechtigden"
            ].append({"persoon": {"identificatie": "999888777"}})
        ),
    ],
)
def test_errors_name_no_parcel(corrupt: Any) -> None:
    data = _renumbered(raw())
    corrupt(data)
    with pytest.raises((MappingError, SourceProtocolError)) as caught:
        mapping("land_registry")(data, ALL, TODAY)
    message = str(caught.value)
    assert "76870487970000" not in message
    assert "4711" not in message
    assert "3/2" not in message


def test_dossier_facts_count_the_properties_without_woz() -> None:
    facts = source_kinds.get("land_registry").mapping.facts
    assert facts is not None
    assert facts(raw(), TODAY) == {"without_woz": 0}
    broken = raw()
    broken["wozobjecten"] = {}
    assert facts(broken, TODAY) == {"without_woz": 1}
