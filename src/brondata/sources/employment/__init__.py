"""UWV: the verzekeringsbericht (employment relations and SV-loon), behind DigiD."""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.employment.attributes import ATTRIBUTES
from brondata.sources.employment.connector import EmploymentConnector
from brondata.sources.employment.mapping import MAPPING
from brondata.sources.employment.models import Verzekeringsbericht

__all__ = ["KIND"]

KIND = SourceKind(
    name="employment",
    title="UWV",
    attributes=ATTRIBUTES,
    connector=EmploymentConnector,
    mapping=MAPPING,
    models=(Verzekeringsbericht,),
    mock=MockSpec(
        app="brondata.mock.employment:MOCK",
        api="/api/uwv",
        samples="brondata.mock.employment:sample_requests",
        instances=(MockInstance(None, "UWV", "uwv.mock.brondata.test"),),
        digid=True,
    ),
    order=30,
)
