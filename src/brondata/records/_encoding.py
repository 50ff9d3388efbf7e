"""Byte-level encodings shared by records, keys and key binding: base64url and strict JSON.

Decoding is strict on purpose: a record is untrusted input, so padding, characters outside
the base64url alphabet, duplicate JSON object keys, non-finite numbers and text that is not
UTF-8 are refused rather than repaired. Errors are raised as ``ValueError``; callers
translate them into the ``RecordError`` that fits their context.

These functions run a few dozen times for every record issued or verified, so the JSON
decoder is built once here and reused (``json.loads`` with options builds a new one on every
call), JSON is written by pydantic-core's encoder, and base64url goes straight to
``binascii``.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import json.encoder
from collections.abc import Callable, Sequence
from typing import Any, Final

from pydantic_core import to_json as _to_json

_PADDING: Final = (b"", b"", b"==", b"=")  # by the unpadded length modulo 4 (1: refused)


# binascii speaks the standard alphabet; two replace calls swap it for the URL-safe one and
# back. Not translate: a replace finds its few matches with memchr and copies the runs
# between them, where translate looks up every byte (three times the instructions).
def b64url_bytes(data: bytes) -> bytes:
    """base64url without padding (RFC 7515 §2), as ASCII bytes."""
    encoded = binascii.b2a_base64(data, newline=False).rstrip(b"=")
    return encoded.replace(b"+", b"-").replace(b"/", b"_")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    encoded = binascii.b2a_base64(data, newline=False).rstrip(b"=")
    return encoded.replace(b"+", b"-").replace(b"/", b"_").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of an unpadded base64url string; ``ValueError`` for anything else."""
    # The standard alphabet's own characters and padding are not base64url; everything
    # else outside the alphabet (whitespace, other characters) strict mode refuses.
    if len(text) % 4 == 1 or "+" in text or "/" in text or "=" in text:
        raise ValueError("not unpadded base64url")
    try:
        standard = text.encode("ascii").replace(b"-", b"+").replace(b"_", b"/")
        return binascii.a2b_base64(standard + _PADDING[len(text) % 4], strict_mode=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not unpadded base64url") from exc


def sha256_b64url(text: str) -> str:
    """base64url(SHA-256(ASCII(text))): the digest RFC 9901 takes over a disclosure string."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_bytes(value: Any) -> bytes:
    """Compact JSON as UTF-8, text kept as is, members in their order; NaN and infinities
    refused (``ValueError``).

    For JSON values (the builtin types; the concealing walk and the callers check them):
    pydantic-core's encoder, which costs a third of the json module's for the small values a
    record is made of. It writes a non-finite float as a bare ``NaN`` or ``Infinity``, which
    is not JSON; output containing those letters (in a string, or a non-finite number) is
    encoded again by the json module, which refuses the numbers and keeps the strings.
    """
    out = _to_json(value)
    # find, not ``in``: ``bytes in bytes`` first tries the operand as an integer, and
    # formatting that TypeError costs more than the search.
    if out.find(b"NaN") >= 0 or out.find(b"Infinity") >= 0:
        return _ENCODER.encode(value).encode("utf-8")
    return out


def json_bytes_finite(value: Any) -> bytes:
    """``json_bytes`` of a value whose floats are known to be finite (the concealing walk
    refuses the others), without looking for them again."""
    return _to_json(value)


def _c_encoder(*, sort_keys: bool = False) -> Callable[[Any, int], Sequence[str]] | None:
    """CPython's C encoder with ``_ENCODER``'s options (and ``sort_keys``), built once.

    ``JSONEncoder.encode`` builds this object anew for every call, which costs more than
    encoding a disclosure. Without circular-reference markers: record values are trees
    (the concealing walk recurses through them first), and a cycle is a ``RecursionError``
    either way. ``None`` where the C accelerator is missing or speaks another signature.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return None
    try:
        encoder: Callable[[Any, int], Sequence[str]] = make(
            None,
            _ENCODER.default,
            json.encoder.c_encode_basestring,  # type: ignore[attr-defined]  # C helper
            None,
            ":",
            ",",
            sort_keys,
            False,
            False,
        )
    except TypeError:  # pragma: no cover - another interpreter's signature
        return None
    return encoder


_SORTED_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
)
_C_SORTED_ENCODER: Final = _c_encoder(sort_keys=True)


def json_dumps_sorted(value: Any) -> str:
    """``json_dumps`` with object members in code-point order of their names."""
    if _C_SORTED_ENCODER is None or isinstance(value, str):  # pragma: no cover - CPython
        return _SORTED_ENCODER.encode(value)
    return "".join(_C_SORTED_ENCODER(value, 0))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate JSON member {key!r}")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in JSON")


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _DECODER.scan_once  # type: ignore[attr-defined]  # set in __init__


def json_loads(data: bytes | str) -> Any:
    """Parse JSON strictly: duplicate members, NaN/Infinity and non-UTF-8 bytes are a
    ``ValueError``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        # The scanner alone for the usual case, a value filling the whole text; anything
        # else (surrounding whitespace, trailing data, an error) goes through the full
        # parser, which accepts or words the refusal exactly as json.loads does.
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            return _DECODER.decode(text)
        return value
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("JSON is not UTF-8") from exc
