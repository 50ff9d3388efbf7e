"""The catalogue attributes Kadaster (BRK and WOZ) provides."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "PROPERTY_COUNT",
    "PROPERTY_MORTGAGE_REGISTERED_TOTAL",
    "PROPERTY_OWNED",
    "PROPERTY_WOZ_VALUE",
]

PROPERTY_COUNT = Attribute(
    "property.count",
    ValueType.INTEGER,
    "Number of registered properties owned",
    "Aantal geregistreerde onroerende zaken in eigendom",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Ownership",
    derived=True,
)

PROPERTY_MORTGAGE_REGISTERED_TOTAL = Attribute(
    "property.mortgage_registered_total",
    ValueType.MONEY,
    "Sum of the registered mortgage amounts on owned properties",
    "Som van de ingeschreven hypotheekbedragen op eigen onroerende zaken",
    Sensitivity.FINANCIAL,
    category="dpv-pd:LoanRecord",
    derived=True,
)

PROPERTY_OWNED = Attribute(
    "property.owned",
    ValueType.ARRAY,
    "Registered properties owned: address, cadastral designation, share",
    "Geregistreerde onroerende zaken in eigendom: adres, kadastrale aanduiding, aandeel",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Ownership",
)

PROPERTY_WOZ_VALUE = Attribute(
    "property.woz_value",
    ValueType.MONEY,
    "Latest assessed (WOZ) value of the owned properties (your share), with its "
    "reference date; for one home, that home's WOZ value; none while a property has no "
    "WOZ value yet",
    "Laatste WOZ-waarde van de onroerende zaken in eigendom (uw aandeel), met "
    "waardepeildatum; bij één woning de WOZ-waarde van die woning; leeg zolang een zaak "
    "nog geen WOZ-waarde heeft",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Ownership",
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    PROPERTY_COUNT,
    PROPERTY_MORTGAGE_REGISTERED_TOTAL,
    PROPERTY_OWNED,
    PROPERTY_WOZ_VALUE,
)
