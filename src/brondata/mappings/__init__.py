"""Mappings: pure functions from a source's raw data to catalogue attributes.

``MAPPINGS`` names, per source, the function and its version (the version goes into every
record's provenance, so a lender can tell which rules produced a derived figure).
``minimise`` is the last gate before signing: it lets through exactly the requested names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from brondata.connectors.psd2 import BankData
from brondata.errors import MappingError
from brondata.mappings import bank, duo, employment, land_registry, pension, population, tax

__all__ = ["MAPPINGS", "SourceMapping", "minimise"]


@dataclass(frozen=True, slots=True)
class SourceMapping:
    version: str
    map: Callable[[dict[str, Any], Iterable[str], date], dict[str, Any]]


def _bank(raw: dict[str, Any], attributes: Iterable[str], today: date) -> dict[str, Any]:
    return bank.map_bank(BankData.from_raw(raw), attributes)


def _population(raw: dict[str, Any], attributes: Iterable[str], today: date) -> dict[str, Any]:
    return population.map_population(population.BrpAnswer.from_raw(raw), attributes)


MAPPINGS: dict[str, SourceMapping] = {
    "bank": SourceMapping(version=bank.MAPPING_VERSION, map=_bank),
    "population": SourceMapping(version=population.MAPPING_VERSION, map=_population),
    "land_registry": SourceMapping(
        version=land_registry.MAPPING_VERSION,
        map=lambda raw, attributes, today: land_registry.map_land_registry(raw, attributes),
    ),
    "tax": SourceMapping(
        version=tax.MAPPING_VERSION,
        map=lambda raw, attributes, today: tax.map_tax(tax.TaxReturn.from_raw(raw), attributes),
    ),
    "employment": SourceMapping(
        version=employment.MAPPING_VERSION,
        map=lambda raw, attributes, today: employment.map_employment(
            employment.Verzekeringsbericht.from_raw(raw), attributes, today
        ),
    ),
    "pension": SourceMapping(
        version=pension.MAPPING_VERSION,
        map=lambda raw, attributes, today: pension.map_pension(
            pension.Aanspraken.from_raw(raw), attributes
        ),
    ),
    "duo": SourceMapping(
        version=duo.MAPPING_VERSION,
        map=lambda raw, attributes, today: duo.map_duo(duo.Schulden.from_raw(raw), attributes),
    ),
}


def minimise(values: Mapping[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly ``attributes`` out of ``values``: a missing one is an error, extras are dropped.

    Mappings already compute only what is asked; this gate makes minimisation hold even for
    a mapping that computes more (a future one, or a bug).
    """
    wanted = sorted(set(attributes))
    missing = [name for name in wanted if name not in values]
    if missing:
        raise MappingError(f"the mapping did not produce {', '.join(missing)}")
    return {name: values[name] for name in wanted}
