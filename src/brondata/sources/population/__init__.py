"""The population register (BRP via Haal Centraal BRP Personen), behind DigiD."""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.population.attributes import ATTRIBUTES
from brondata.sources.population.connector import PopulationConnector
from brondata.sources.population.mapping import MAPPING
from brondata.sources.population.models import BrpAnswer

__all__ = ["KIND"]

KIND = SourceKind(
    name="population",
    title="Basisregistratie Personen (BRP)",
    attributes=ATTRIBUTES,
    connector=PopulationConnector,
    mapping=MAPPING,
    models=(BrpAnswer,),
    mock=MockSpec(
        app="brondata.mock.population_api:MOCK",
        api="/haalcentraal",
        samples="brondata.mock.population_api:sample_requests",
        instances=(
            MockInstance(None, "Basisregistratie Personen (BRP)", "brp.mock.brondata.test"),
        ),
        digid=True,
    ),
    order=10,
)
