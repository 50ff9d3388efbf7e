"""The attribute catalogue: every piece of data brondata can release, by dotted name.

A name is ``<group>.<attribute>`` (``bank.balance_total``, ``person.birth_date``). Each
attribute says what it is (type, English and Dutch description), how sensitive it is, whether
it is derived from raw source data, and which source kind(s) provide it. The catalogue is the
single vocabulary shared by requests, mappings, records and the ledger; nothing outside it
can be asked for or released.

The attributes are declared by the source kinds (``brondata.sources.<kind>.attributes``)
and ``CATALOGUE`` is built from their registrations: registering a kind adds its
attributes. This module holds the types and the lookups only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from brondata.errors import RequestError, UnknownAttributeError

__all__ = [
    "CATALOGUE",
    "Attribute",
    "AttributeCatalogue",
    "Sensitivity",
    "ValueType",
]


class Sensitivity(StrEnum):
    """How careful a recipient must be with an attribute."""

    #: Ordinary personal data (GDPR art. 4(1)).
    PERSONAL = "personal"
    #: Financial data: income, balances, debts. Not a special category, but a high risk.
    FINANCIAL = "financial"
    #: A national identification number; processing needs a legal basis in law (art. 46 UAVG).
    NATIONAL_IDENTIFIER = "national_identifier"


class ValueType(StrEnum):
    """The JSON shape of an attribute's value in a record."""

    STRING = "string"
    DATE = "date"  # ISO 8601 calendar date, "YYYY-MM-DD"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    MONEY = "money"  # {"amount": "1234.56", "currency": "EUR"}; amount a decimal string
    OBJECT = "object"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One entry of the catalogue."""

    name: str
    type: ValueType
    description_en: str
    description_nl: str
    sensitivity: Sensitivity
    #: The DPV personal-data category (``dpv-pd:Income``), for consent records and receipts.
    category: str
    #: Computed from raw source data (an average, a sum, a yes/no) rather than copied.
    derived: bool = False
    #: Raw data: only released when asked for by name, never as a by-product.
    raw: bool = False
    #: The source kinds that provide it, preferred first. A kind declares its attributes
    #: without it; the catalogue fills it in from the registrations. Empty for a decision.
    sources: tuple[str, ...] = ()
    #: A decision (``decision.*``, computed in the gateway, ``brondata.dossier``): the catalogue
    #: attributes it is computed from (collected for it, never released) ...
    inputs: tuple[str, ...] = ()
    #: ... and the versions of its rule table there are (``income_norm@2026.1``).
    rules: tuple[str, ...] = ()

    @property
    def decision(self) -> bool:
        """Computed in the gateway from other attributes and the application's facts."""
        return bool(self.rules)

    def definition(self) -> tuple[object, ...]:
        """Everything but ``sources``: two kinds providing one attribute must agree on it."""
        return (
            self.name,
            self.type,
            self.description_en,
            self.description_nl,
            self.sensitivity,
            self.category,
            self.derived,
            self.raw,
        )

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type.value,
            "description": {"en": self.description_en, "nl": self.description_nl},
            "sensitivity": self.sensitivity.value,
            "sources": list(self.sources),
            "category": self.category,
            "derived": self.derived,
            "raw": self.raw,
            **({"inputs": list(self.inputs), "rules": list(self.rules)} if self.rules else {}),
        }


class AttributeCatalogue(Mapping[str, Attribute]):
    """A read-only mapping of name to ``Attribute``, with the lookups requests need."""

    __slots__ = ("_by_name",)

    def __init__(self, attributes: Iterable[Attribute] = ()) -> None:
        by_name: dict[str, Attribute] = {}
        for attribute in attributes:
            if attribute.name in by_name:
                raise ValueError(f"attribute {attribute.name!r} declared twice")
            by_name[attribute.name] = attribute
        self._by_name: Mapping[str, Attribute] = MappingProxyType(dict(sorted(by_name.items())))

    def _attributes(self) -> Mapping[str, Attribute]:
        return self._by_name

    def __getitem__(self, name: str) -> Attribute:
        return self._attributes()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._attributes())

    def __len__(self) -> int:
        return len(self._attributes())

    def require(self, name: str) -> Attribute:
        """The attribute called ``name``, or ``UnknownAttributeError`` with suggestions."""
        if not isinstance(name, str):
            raise RequestError("an attribute name is a string such as 'bank.balance_total'")
        try:
            return self._attributes()[name]
        except KeyError:
            raise UnknownAttributeError(name, self.suggest(name)) from None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The catalogue names closest to a misspelled ``name``."""
        known = self._attributes()
        close = difflib.get_close_matches(name, list(known), n=limit, cutoff=0.6)
        if close:
            return close
        # A bare attribute part ("balance_total") should still find its group.
        tail = name.rsplit(".", 1)[-1]
        return [n for n in known if n.rsplit(".", 1)[-1] == tail][:limit]

    def decisions(self) -> list[Attribute]:
        """The decision attributes (``decision.*``)."""
        return [a for a in self._attributes().values() if a.decision]

    def provided_by(self, source: str) -> list[Attribute]:
        """The attributes a source kind provides (an instance id names its kind)."""
        kind = source.partition(".")[0]
        return [a for a in self._attributes().values() if kind in a.sources]


class _RegisteredCatalogue(AttributeCatalogue):
    """The catalogue of the registered source kinds, read from the registry on each use
    (a kind registered later is in it at once)."""

    __slots__ = ()

    def __init__(self) -> None:
        pass

    def _attributes(self) -> Mapping[str, Attribute]:
        from brondata.sources._kind import REGISTRY

        return REGISTRY.catalogue()


#: Every attribute of every registered source kind.
CATALOGUE: AttributeCatalogue = _RegisteredCatalogue()
