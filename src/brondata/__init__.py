"""brondata: a consent-based source-data gateway.

The public API is the names in ``__all__`` below; everything in a ``_private`` module or not
listed here may change without notice.
"""

from __future__ import annotations

from brondata import errors, sources
from brondata.attributes import CATALOGUE, Attribute, Sensitivity, ValueType
from brondata.connectors._base import LoginStart, SourceConnector, SourceResponse
from brondata.errors import BrondataError
from brondata.gateway import CollectionResult, ConsentView, Gateway
from brondata.records import KeySet, SignedRecord, SigningKey, VerifiedRecord, verify_record
from brondata.request import DataRequest, LegalBasis, Purpose
from brondata.sources import SourceKind, SourceMapping
from brondata.sources.bank.connector import Psd2Connector

__all__ = [
    "CATALOGUE",
    "Attribute",
    "BrondataError",
    "CollectionResult",
    "ConsentView",
    "DataRequest",
    "Gateway",
    "KeySet",
    "LegalBasis",
    "LoginStart",
    "Psd2Connector",
    "Purpose",
    "Sensitivity",
    "SignedRecord",
    "SigningKey",
    "SourceConnector",
    "SourceKind",
    "SourceMapping",
    "SourceResponse",
    "ValueType",
    "VerifiedRecord",
    "errors",
    "sources",
    "verify_record",
]

__version__ = "0.1.0.dev0"
