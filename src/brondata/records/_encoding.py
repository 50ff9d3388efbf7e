"""Byte-level encodings shared by records, keys and key binding: base64url and strict JSON.

Decoding is strict on purpose: a record is untrusted input, so padding, characters outside
the base64url alphabet, duplicate JSON object keys and non-finite numbers are refused rather
than repaired. Errors are raised as ``ValueError``; callers translate them into the
``RecordError`` that fits their context.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of an unpadded base64url string; ``ValueError`` for anything else."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - the pattern above rules this out
        raise ValueError("not base64url") from exc


def sha256_b64url(text: str) -> str:
    """base64url(SHA-256(ASCII(text))): the digest RFC 9901 takes over a disclosure string."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


def json_dumps(value: Any) -> str:
    """Compact JSON, UTF-8 text kept as is, NaN and infinities refused."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate JSON member {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in JSON")


def json_loads(data: bytes | str) -> Any:
    """Parse JSON strictly: duplicate members and NaN/Infinity are a ``ValueError``."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("JSON is not UTF-8") from exc
