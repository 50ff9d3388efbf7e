"""DUO (Dienst Uitvoering Onderwijs): the student loan from Mijn DUO, behind DigiD.

Everything DUO is lives in this folder: its attributes, connector, raw models and mapping,
and its mock (``mock.py``, loaded only with the ``mock`` extra).
"""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.duo.attributes import ATTRIBUTES
from brondata.sources.duo.connector import DuoConnector
from brondata.sources.duo.mapping import MAPPING
from brondata.sources.duo.models import Schuld, Schulden

__all__ = ["KIND"]

KIND = SourceKind(
    name="duo",
    title="DUO",
    attributes=ATTRIBUTES,
    connector=DuoConnector,
    mapping=MAPPING,
    models=(Schulden, Schuld),
    mock=MockSpec(
        app="brondata.sources.duo.mock:create_duo_app",
        api="/api/duo",
        samples="brondata.sources.duo.mock:sample_requests",
        instances=(MockInstance(None, "Mijn DUO", "mijn.duo.mock.brondata.test"),),
        digid=True,
    ),
    order=55,
)
