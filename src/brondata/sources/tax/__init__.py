"""The tax authority's pre-filled income tax return (VIA), behind DigiD."""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.tax.attributes import ATTRIBUTES
from brondata.sources.tax.connector import TaxConnector
from brondata.sources.tax.mapping import MAPPING
from brondata.sources.tax.models import TaxReturn

__all__ = ["KIND"]

KIND = SourceKind(
    name="tax",
    title="Belastingdienst",
    attributes=ATTRIBUTES,
    connector=TaxConnector,
    mapping=MAPPING,
    models=(TaxReturn,),
    mock=MockSpec(
        app="brondata.mock.tax:MOCK",
        api="/api/via",
        samples="brondata.mock.tax:sample_requests",
        instances=(MockInstance(None, "Belastingdienst", "belastingdienst.mock.brondata.test"),),
        digid=True,
    ),
    order=20,
)
