"""RFC 8785 (JCS) canonical JSON: the one encoder every digest over JSON goes through.

What brondata hashes (a consent notice, a source answer's evidence listing, a ledger event)
is plain JSON: strings, integers, booleans, null, lists and objects with string keys. For
such a value CPython's C JSON encoder, with sorted keys, no whitespace and UTF-8 kept as is,
writes exactly the JCS bytes:

* object members in code-point order of their names, which is the UTF-16 order JCS asks
  for as long as no name holds a character from U+D800 up (surrogates and above sort
  differently in UTF-16);
* the same string escapes (``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other controls as
  lower-case ``\\u00xx``, everything else as is);
* integers as their decimal digits, which is ES6 number form within +-(2**53 - 1).

``canonical_json`` checks that a value is of that kind (exact types, integers in range,
names below U+D800) and encodes it that way, several times faster than the pure-Python
``rfc8785``; anything else (a float, a larger integer, a name the orders disagree on, a
subclass such as an ``IntEnum``, a lone surrogate) goes to ``rfc8785``, which encodes it or
refuses it. A property test holds the two equal on every input.
"""

from __future__ import annotations

from typing import Any

import rfc8785

from brondata.records._encoding import json_dumps_sorted

__all__ = ["canonical_json"]

#: JCS numbers are IEEE doubles: integers beyond this lose precision (``rfc8785`` refuses).
_INT_MAX = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether ``value`` is plain JSON the C encoder writes as JCS (see the module)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_INT_MAX <= value <= _INT_MAX)
    if kind is dict:
        for name, item in value.items():
            if type(name) is not str or not (name.isascii() or max(name) < "\ud800"):
                return False
            if type(item) is not str and not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) is str or _plain(item) for item in value)
    return False


def canonical_json(value: Any, *, plain: bool = False) -> bytes:
    """RFC 8785 (JCS) canonical JSON of ``value``: sorted keys, no whitespace, ES6 numbers.

    ``plain=True``: the caller vouches that ``value`` is plain JSON (the JSON dump of a
    model whose fields are strings, bounded integers and lists of them, with ASCII names:
    a ledger event), and the check is skipped; a lone surrogate still goes to ``rfc8785``.
    ``rfc8785``'s errors for what JCS cannot encode (``rfc8785.CanonicalizationError``: a
    non-finite float, an integer beyond 2**53 - 1, a lone surrogate, a key not a string)."""
    if plain or _plain(value):
        try:
            return json_dumps_sorted(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 words the refusal
    return bytes(rfc8785.dumps(value))
