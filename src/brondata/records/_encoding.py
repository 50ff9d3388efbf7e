"""Byte-level encodings shared by records, keys and key binding: base64url and strict JSON.

Decoding is strict on purpose: a record is untrusted input, so padding, characters outside
the base64url alphabet, duplicate JSON object keys, non-finite numbers and text that is not
UTF-8 are refused rather than repaired. Errors are raised as ``ValueError``; callers
translate them into the ``RecordError`` that fits their context.

These functions run a few dozen times for every record issued or verified, so the JSON
encoder and decoder are built once here and reused (``json.dumps`` and ``json.loads`` with
options build a new one on every call), and base64url goes straight to ``binascii``.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from typing import Any, Final

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# binascii speaks the standard alphabet; these swap it for the URL-safe one and back.
_TO_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE: Final = bytes.maketrans(b"-_", b"+/")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    encoded = binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_TO_URLSAFE)
    return encoded.decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of an unpadded base64url string; ``ValueError`` for anything else."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    padded = text.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(padded)
    except binascii.Error as exc:  # pragma: no cover - the pattern above rules this out
        raise ValueError("not base64url") from exc


def sha256_b64url(text: str) -> str:
    """base64url(SHA-256(ASCII(text))): the digest RFC 9901 takes over a disclosure string."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_dumps(value: Any) -> str:
    """Compact JSON, UTF-8 text kept as is, NaN and infinities refused."""
    return _ENCODER.encode(value)


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


def json_loads(data: bytes | str) -> Any:
    """Parse JSON strictly: duplicate members, NaN/Infinity and non-UTF-8 bytes are a
    ``ValueError``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        return _DECODER.decode(text)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("JSON is not UTF-8") from exc
