"""Kadaster: BRK bevragen 2.0 and WOZ bevragen 1.0, behind DigiD."""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.land_registry.attributes import ATTRIBUTES
from brondata.sources.land_registry.connector import LandRegistryConnector
from brondata.sources.land_registry.mapping import MAPPING

__all__ = ["KIND"]

KIND = SourceKind(
    name="land_registry",
    title="Kadaster",
    attributes=ATTRIBUTES,
    connector=LandRegistryConnector,
    mapping=MAPPING,
    mock=MockSpec(
        app="brondata.mock.land_registry:MOCK",
        api="/esd",
        samples="brondata.mock.land_registry:sample_requests",
        instances=(MockInstance(None, "Kadaster", "kadaster.mock.brondata.test"),),
        digid=True,
    ),
    order=50,
)
