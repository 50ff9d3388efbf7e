"""JWS compact signing and verification for records and KB-JWTs, on joserfc.

Only the algorithms of the profile exist here: ES256 (P-256) and EdDSA / Ed25519 (Ed25519
keys only). ``none``, the HMAC family and RSA are not in the registry at all, so a header
naming them can never reach a verifier. The header is read and checked by the caller before
any key is chosen; this module only signs and checks signatures.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, OKPKey
from joserfc.jws import JWSRegistry

from brondata.errors import MalformedRecordError, SignatureError
from brondata.records._encoding import b64url_decode, json_loads

__all__ = ["ALGORITHMS", "JoseKey", "read_compact", "sign_compact", "verify_compact"]

#: The JWS ``alg`` values a record or KB-JWT may carry.
ALGORITHMS: Final = frozenset({"ES256", "EdDSA", "Ed25519"})

JoseKey = ECKey | OKPKey

# RFC 9864 deprecates the polymorphic "EdDSA" name because it leaves the curve open; our keys
# are Ed25519 only (checked when a key is imported), so the ambiguity does not arise here and
# joserfc's deprecation warning would only be noise for every signature.
_EDDSA = copy.copy(JWSRegistry.algorithms["EdDSA"])
_EDDSA.security_warning = None


class _RecordRegistry(JWSRegistry):
    algorithms = {  # noqa: RUF012 - joserfc reads this class attribute; never mutated
        "ES256": JWSRegistry.algorithms["ES256"],
        "EdDSA": _EDDSA,
        "Ed25519": JWSRegistry.algorithms["Ed25519"],
    }
    recommended = ["ES256", "EdDSA", "Ed25519"]  # noqa: RUF012 - as above


_REGISTRY: Final = _RecordRegistry(algorithms=sorted(ALGORITHMS))


def sign_compact(header: dict[str, Any], payload: bytes, key: JoseKey) -> str:
    """``header.payload.signature`` in JWS compact form."""
    return jws.serialize_compact(header, payload, key, registry=_REGISTRY)


def read_compact(token: str) -> tuple[dict[str, Any], bytes]:
    """The protected header and payload of a compact JWS, *not yet verified*."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise MalformedRecordError("a JWS must have three non-empty parts separated by '.'")
    try:
        header = json_loads(b64url_decode(parts[0]))
        payload = b64url_decode(parts[1])
        b64url_decode(parts[2])
    except ValueError as exc:
        raise MalformedRecordError(f"the JWS is not valid base64url JSON: {exc}") from None
    if not isinstance(header, dict):
        raise MalformedRecordError("the JWS header is not a JSON object")
    return header, payload


def verify_compact(token: str, key: JoseKey) -> None:
    """Check the signature of ``token`` with ``key``; ``SignatureError`` if it does not hold."""
    try:
        jws.deserialize_compact(token, key, registry=_REGISTRY)
    except BadSignatureError:
        raise SignatureError("the signature does not verify with the key named by 'kid'") from None
    except JoseError as exc:
        raise MalformedRecordError(f"the JWS was refused: {exc.description}") from None
