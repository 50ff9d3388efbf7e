"""DUO (Dienst Uitvoering Onderwijs): the student loan from Mijn DUO, behind DigiD.

This folder holds its attributes, connector, raw models and mapping; its mock, like every
kind's, lives in ``brondata.mock`` (``brondata.mock.duo``, loaded only with the ``mock`` extra).
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
        app="brondata.mock.duo:MOCK",
        api="/api/duo",
        samples="brondata.mock.duo:sample_requests",
        instances=(MockInstance(None, "Mijn DUO", "mijn.duo.mock.brondata.test"),),
        digid=True,
    ),
    order=55,
)
