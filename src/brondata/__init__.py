"""brondata: a consent-based source-data gateway.

The public API is the names in ``__all__`` below; everything in a ``_private`` module or not
listed here may change without notice.

Names are imported on first use (PEP 562 ``__getattr__``): ``import brondata`` loads nothing
else, so a command or an application pays only for what it touches. ``_LAZY`` says where each
name lives; the ``TYPE_CHECKING`` imports tell type checkers the same.
"""

import importlib as _importlib

# Not ``typing.TYPE_CHECKING``: importing typing alone costs more than the rest of this
# module. Type checkers take any name TYPE_CHECKING as true; it is deleted below so it is
# not mistaken for a public name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from brondata import errors, sources
    from brondata.attributes import CATALOGUE, Attribute, Sensitivity, ValueType
    from brondata.connectors._base import LoginStart, SourceConnector, SourceResponse
    from brondata.errors import BrondataError
    from brondata.gateway import CollectionResult, ConsentView, Gateway
    from brondata.records import KeySet, SignedRecord, SigningKey, VerifiedRecord, verify_record
    from brondata.request import DataRequest, LegalBasis, Purpose
    from brondata.sources import SourceKind, SourceMapping
    from brondata.sources.bank.connector import Psd2Connector

del TYPE_CHECKING

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

# Public name -> the module it lives in ("" for a submodule of this package).
_LAZY: dict[str, str] = {
    "CATALOGUE": "brondata.attributes",
    "Attribute": "brondata.attributes",
    "BrondataError": "brondata.errors",
    "CollectionResult": "brondata.gateway",
    "ConsentView": "brondata.gateway",
    "DataRequest": "brondata.request",
    "Gateway": "brondata.gateway",
    "KeySet": "brondata.records",
    "LegalBasis": "brondata.request",
    "LoginStart": "brondata.connectors._base",
    "Psd2Connector": "brondata.sources.bank.connector",
    "Purpose": "brondata.request",
    "Sensitivity": "brondata.attributes",
    "SignedRecord": "brondata.records",
    "SigningKey": "brondata.records",
    "SourceConnector": "brondata.connectors._base",
    "SourceKind": "brondata.sources",
    "SourceMapping": "brondata.sources",
    "SourceResponse": "brondata.connectors._base",
    "ValueType": "brondata.attributes",
    "VerifiedRecord": "brondata.records",
    "errors": "",
    "sources": "",
    "verify_record": "brondata.records",
}


def __getattr__(name: str) -> object:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = (
        _importlib.import_module(f"{__name__}.{name}")
        if where == ""
        else getattr(_importlib.import_module(where), name)
    )
    globals()[name] = value  # once found, an ordinary attribute: no second lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
