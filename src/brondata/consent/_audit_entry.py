"""The audit's reading of one ledger line: ``parse_entry`` without pydantic, for the fast path.

``audit verify`` reads every entry of a log, a million of them and more; validating each with
the ``LedgerEvent`` model was most of its time. Here a line is parsed with ``orjson`` (four
times faster than the standard library on these lines) and checked against the model's own
JSON schema: per shape of entry (event type and members), one regular expression over the
line's bytes checks the canonical form and every plain field at once, and the few other
fields (the time, integers, free text, name lists) are checked in Python. A line whose members
do not make an event, or that the expression does not match, is checked field by field and
re-encoded (the model's dump is the same object once it validates: no nulls, names sorted).

It is a fast path, not a second authority: a line it accepts, ``parse_entry`` accepts with
the same index and the same event; any other line is handed to ``parse_entry``, whose verdict
(and error message) stands. What ``orjson`` reads differently from ``json`` (a lone
surrogate, an integer beyond 64 bits, a repeated member) fails here or does not match, and
goes the same way. Property tests hold the two to accepting the same lines (but for an index
beyond 64 bits, which only ``parse_entry`` reads), with the model's own rejection cases.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import datetime
from itertools import pairwise
from typing import Any, Final, cast

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


def _fits(kind: str, keys: AbstractSet[str]) -> bool:
    """``LedgerEvent._fields_fit_the_event`` on the keys of an entry (no check passes a null:
    a key present is a field set)."""
    if kind == "data.erased" and "consent_id" not in keys:
        return keys == _ERASURE_KEYS
    return _REQUIRED[kind] <= keys <= _ALLOWED[kind]


def _checked(data: bytes, obj: dict[str, Any]) -> bool:
    """Every field checked, and the bytes re-encoded: the general way."""
    for name, value in obj.items():
        check = _CHECKS.get(name)
        if check is None or not check(value):
            return False
    kind = obj.get("event")
    return (
        kind is not None
        and _fits(kind, obj.keys())
        and json_dumps_sorted(obj).encode("utf-8") == data
    )


# --- the shape of a line ------------------------------------------------------------------
#
# Entries come in few shapes: an event type and the fields it has. For each shape one regular
# expression over the line's bytes says at once that the line is canonical JSON of an object
# with exactly those members, in that order, and that each field whose pattern is plain ASCII
# (no quote, backslash or control character: its JSON is the text between quotes) matches
# that pattern; the other fields (the time, integers, lists, free text) are written as
# canonical JSON there and checked as above. A line of a known shape that the expression does
# not match is checked the general way.

# A canonical (JCS) JSON string: the short escapes where there is one, \u00xx (lower case)
# for the other control characters, everything else as itself (valid UTF-8: orjson read it).
_JSON_STRING: Final = (
    rb'"[^"\\\x00-\x1f]*(?:\\(?:["\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))[^"\\\x00-\x1f]*)*"'
)
_JSON_INT: Final = rb"(?:0|-?[1-9][0-9]*)"
_JSON_LIST: Final = rb"\[(?:" + _JSON_STRING + rb"(?:," + _JSON_STRING + rb")*)?\]"
# A pattern whose every match is printable ASCII other than quote and backslash: literal
# letters, digits and ``-:.``, classes of those (ranges within digits or one case), groups.
_PLAIN_CLASS: Final = re.compile(r"(?:[0-9]-[0-9]|[a-z]-[a-z]|[A-Z]-[A-Z]|[A-Za-z0-9._:~+-])+")
_PLAIN_TOKEN: Final = re.compile(
    r"\[(?P<cls>[^\]^]*)\]|[A-Za-z0-9:-]|\\\.|[()|?*+]|\{[0-9]+(?:,[0-9]+)?\}"
)


def _plain(pattern: str) -> bytes | None:
    """The body of ``^pattern$`` as a bytes expression if it is plain (above), else None."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    body, at = pattern[1:-1], 0
    while at < len(body):
        token = _PLAIN_TOKEN.match(body, at)
        if token is None:
            return None
        if token["cls"] is not None and not _PLAIN_CLASS.fullmatch(token["cls"]):
            return None
        at = token.end()
    return b"(?:" + body.encode("ascii") + b")"


def _plain_string(schema: dict[str, Any]) -> bytes | None:
    """The expression of a string of a plain pattern as JSON, or None if it is not plain."""
    plain = _plain(schema["pattern"]) if "pattern" in schema else None
    if plain is None:
        return None
    longest = schema.get("maxLength")
    if longest is not None:  # one character is one byte: plain is ASCII
        plain = b'(?=[^"]{0,%d}")' % longest + plain
    return b'"' + plain + b'"'


def _sorted_unique(value: object) -> bool:
    names = cast("list[str]", value)  # a list of names: the shape's expression matched
    return len(names) < 2 or all(a < b for a, b in pairwise(names))


def _member_expression(name: str) -> tuple[bytes, Callable[[object], bool] | None]:
    """The expression of one member's value, and the check it needs besides, if any."""
    schema = _SCHEMA["properties"].get(name, {})
    if "anyOf" in schema:
        (schema,) = [s for s in schema["anyOf"] if s.get("type") != "null"]
    if "enum" in schema:
        return b'"(?:' + b"|".join(re.escape(v.encode()) for v in schema["enum"]) + b')"', None
    plain = _plain_string(schema) if name != "at" else None  # ``at``: a calendar date too
    if plain is not None:
        return plain, None
    if name == "index" or schema.get("type") == "integer":
        return _JSON_INT, _CHECKS[name]
    if schema.get("type") == "array":
        item = _plain_string(schema["items"])
        if item is None:
            return _JSON_LIST, _CHECKS[name]
        names = rb"\[(?:" + item + rb"(?:," + item + rb")*)?\]"
        return names, _sorted_unique if name in SORTED_UNIQUE else None
    return _JSON_STRING, _CHECKS[name]


class _Shape:
    """What entries of one event type with one list of members are checked with."""

    __slots__ = ("checks", "line")

    def __init__(self, kind: str, keys: tuple[str, ...]) -> None:
        self.line: re.Pattern[bytes] | None = None
        self.checks: tuple[tuple[str, Callable[[object], bool]], ...] = ()
        names = frozenset(keys)
        if list(keys) != sorted(keys) or not names <= _CHECKS.keys() or not _fits(kind, names):
            return  # not canonical, or not an event: the general way says what is wrong
        members, checks = [], []
        for name in keys:
            expression, check = _member_expression(name)
            members.append(b'"' + name.encode("ascii") + b'":' + expression)
            if check is not None:
                checks.append((name, check))
        self.line = re.compile(rb"\{" + b",".join(members) + rb"\}")
        self.checks = tuple(checks)


#: The shapes of events seen: only those of known fields that fit the event (a real log has
#: dozens; each is a few sorted field names), so a hostile line's names are never kept.
_SHAPES: Final[dict[tuple[str, tuple[str, ...]], _Shape]] = {}
_MAX_SHAPES: Final = 1024  # more than the events' fields allow together


def _shape(kind: str, keys: tuple[str, ...]) -> _Shape | None:
    shape = _SHAPES.get((kind, keys))
    if shape is None:
        shape = _Shape(kind, keys)
        if shape.line is not None and len(_SHAPES) < _MAX_SHAPES:
            _SHAPES[kind, keys] = shape
    return shape


def _fast(data: bytes) -> tuple[int, Event] | None:
    """``(index, event)`` of a canonical entry whose event validates; ``None`` for anything
    else, which ``parse_entry`` then judges."""
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict:
        return None
    kind = obj.get("event")
    shape = _shape(kind, tuple(obj)) if type(kind) is str and kind in _ALLOWED else None
    if shape is not None and shape.line is not None and shape.line.fullmatch(data):
        for name, check in shape.checks:
            if not check(obj[name]):
                return None
    elif not _checked(data, obj):
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
