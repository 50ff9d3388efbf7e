"""Source kinds: one folder per kind, each registered once.

Each subpackage here is one built-in kind (``bank``, ``tax``, ``pension``, ...), laid out
the same way:

    sources/<kind>/__init__.py    KIND = SourceKind(...): the registration
    sources/<kind>/attributes.py  the catalogue attributes the kind provides (EN/NL texts)
    sources/<kind>/models.py      raw response models (what the source returns, parsed;
                                  land_registry checks each HAL item in its mapping)
    sources/<kind>/connector.py   the connector (a brondata.connectors base subclass)
    sources/<kind>/mapping.py     raw data -> catalogue attributes, pure, versioned

The mock of a built-in kind lives in ``brondata.mock`` and is named in the registration by
import path, so it is imported only with the ``mock`` extra and only when a mock is asked for.

A kind of your own is a ``SourceKind`` registered with ``register(kind)`` or through the
entry point group ``brondata.sources`` (see ``SourceKind``). A session may use several
*instances* of one kind (two banks); an instance id is ``<kind>`` or ``<kind>.<name>``.
"""

from __future__ import annotations

from brondata.sources._kind import (
    ENTRY_POINT_GROUP,
    MockInstance,
    MockSpec,
    SourceKind,
    SourceMapping,
    get,
    instance_id,
    kind_of,
    kinds,
    names,
    register,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "MockInstance",
    "MockSpec",
    "SourceKind",
    "SourceMapping",
    "get",
    "instance_id",
    "kind_of",
    "kinds",
    "names",
    "register",
]
