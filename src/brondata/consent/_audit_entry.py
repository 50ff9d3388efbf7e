"""The audit's reading of one ledger line: ``parse_entry`` without pydantic, for the fast path.

``audit verify`` reads every entry of a log, a million of them and more; validating each with
the ``LedgerEvent`` model was most of its time. ``read_entry`` checks the same schema by
hand, on the JSON the line parses to, and the canonical form by re-encoding that JSON as it
stands (the model's dump is the same object once it validates: no nulls, names sorted). It parses
with ``orjson``, four times faster than the standard library here; what ``orjson`` reads
differently from ``json`` (a lone surrogate, an integer beyond 64 bits, a repeated member)
either fails here or does not re-encode to the same bytes, and goes to ``parse_entry``.

It is a fast path, not a second authority: a line it accepts, ``parse_entry`` accepts with
the same index and the same event; a line it does not accept is handed to ``parse_entry``,
whose verdict (and error message) stands. A property test holds the two to that, and to
accepting exactly the same lines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any, Final

import orjson

from brondata.consent._events import (
    _COMMON,
    _RFC3339_Z,
    EVENT_FIELDS,
    LedgerEvent,
    parse_entry,
)
from brondata.records._encoding import json_dumps_sorted

__all__ = ["Event", "read_entry"]

#: An entry's event as JSON data: unset fields absent, name lists as lists.
Event = dict[str, Any]

# The keys of an entry (its event's fields and ``index``) per event (``EVENT_FIELDS``): the
# erasure of a subject; every other event: what it requires, and what it may carry.
_ERASURE_KEYS: Final = frozenset({"event", "at", "subject_key", "index"})
_REQUIRED: Final = {
    kind: _COMMON | required | {"index"} for kind, (required, _) in EVENT_FIELDS.items()
}
_ALLOWED: Final = {
    kind: _COMMON | required | optional | {"index"}
    for kind, (required, optional) in EVENT_FIELDS.items()
}


def _string(schema: dict[str, Any]) -> Callable[[object], bool]:
    # ``fullmatch``: pydantic's (Rust) ``$`` is the end of the text, where Python's ``$``
    # also matches before a final newline. Text must be valid Unicode (``brondata._limits``;
    # a pattern of ASCII names refuses a lone surrogate by itself).
    pattern = schema.get("pattern")
    match = re.compile(pattern).fullmatch if pattern is not None else None
    longest = schema.get("maxLength")

    def check(value: object) -> bool:
        if type(value) is not str:
            return False
        if match is not None and match(value) is None:
            return False
        if longest is not None and len(value) > longest:
            return False
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    return check


def _integer(schema: dict[str, Any]) -> Callable[[object], bool]:
    # ``StrictInt``: an int, never a bool (``type``, not ``isinstance``) nor a float.
    low = schema.get("minimum", -math.inf)
    high = schema.get("maximum", math.inf)
    return lambda value: type(value) is int and low <= value <= high


def _array(schema: dict[str, Any], *, sorted_unique: bool) -> Callable[[object], bool]:
    item = _check(schema["items"], sorted_unique=False)

    def check(value: object) -> bool:
        if type(value) is not list or not all(item(v) for v in value):
            return False
        # The model sorts these and refuses repeats; an entry holds them as written back.
        return not sorted_unique or all(a < b for a, b in pairwise(value))

    return check


def _check(schema: dict[str, Any], *, sorted_unique: bool) -> Callable[[object], bool]:
    """The check of one field from the model's JSON schema; a null is never accepted (the
    model takes it for unset, which a canonical entry leaves out)."""
    if "anyOf" in schema:
        (schema,) = [s for s in schema["anyOf"] if s.get("type") != "null"]
    if "enum" in schema:
        members = frozenset(schema["enum"])
        return lambda value: type(value) is str and value in members
    kind = schema["type"]
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return _integer(schema)
    if kind == "array":
        return _array(schema, sorted_unique=sorted_unique)
    raise AssertionError(f"a ledger event field of type {kind}")  # pragma: no cover


def _at(value: object) -> bool:
    # ``LedgerEvent._at_is_rfc3339_utc`` on a string.
    if type(value) is not str or not _RFC3339_Z.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)  # the calendar check: no 2025-02-30
    except ValueError:
        return False
    return True


#: The fields ``LedgerEvent._sorted_unique`` sorts and refuses repeats in.
SORTED_UNIQUE: Final = frozenset({"attributes", "sources", "categories"})
_SCHEMA: Final = LedgerEvent.model_json_schema()
# One check per field of ``LedgerEvent``, from its schema, and the entry's index.
_CHECKS: Final[dict[str, Callable[[object], bool]]] = {
    **{
        name: _check(schema, sorted_unique=name in SORTED_UNIQUE)
        for name, schema in _SCHEMA["properties"].items()
    },
    "at": _at,
    "index": lambda value: type(value) is int and value >= 0,
}


def _fast(data: bytes) -> tuple[int, Event] | None:
    """``(index, event)`` of a canonical entry whose event validates; ``None`` for anything
    else, which ``parse_entry`` then judges."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict:
        return None
    for name, value in obj.items():
        check = _CHECKS.get(name)
        if check is None or not check(value):
            return None
    # No check passes a null: a key present is a field set. Which fields fit the event is
    # ``LedgerEvent._fields_fit_the_event``'s rule.
    kind = obj.get("event")
    if kind is None:
        return None
    keys = obj.keys()
    if kind == "data.erased" and "consent_id" not in keys:
        if keys != _ERASURE_KEYS:
            return None
    elif not _REQUIRED[kind] <= keys or not keys <= _ALLOWED[kind]:
        return None
    if json_dumps_sorted(obj).encode("utf-8") != data:
        return None
    index: int = obj.pop("index")
    return index, obj


def read_entry(data: bytes) -> tuple[int, Event]:
    """``parse_entry(data)`` as ``(index, event as JSON data)``: the same lines accepted, the
    same ``LedgerIntegrityError`` for the rest."""
    fast = _fast(data)
    if fast is not None:
        return fast
    index, event = parse_entry(data)
    return index, event.to_json_dict()
