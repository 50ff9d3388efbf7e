"""Mijnpensioenoverzicht: the pension registry's export, behind DigiD."""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.pension.attributes import ATTRIBUTES
from brondata.sources.pension.connector import PensionConnector
from brondata.sources.pension.mapping import MAPPING
from brondata.sources.pension.models import Aanspraken

__all__ = ["KIND"]

KIND = SourceKind(
    name="pension",
    title="Mijnpensioenoverzicht",
    attributes=ATTRIBUTES,
    connector=PensionConnector,
    mapping=MAPPING,
    models=(Aanspraken,),
    mock=MockSpec(
        app="brondata.mock.pension:MOCK",
        api="/api/mpo",
        samples="brondata.mock.pension:sample_requests",
        instances=(
            MockInstance(None, "Mijnpensioenoverzicht", "mijnpensioenoverzicht.mock.brondata.test"),
        ),
        digid=True,
    ),
    order=40,
)
