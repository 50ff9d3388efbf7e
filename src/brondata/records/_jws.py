"""JWS compact signing and verification for records and KB-JWTs, on ``cryptography``.

Only the algorithms of the profile exist here: ES256 (P-256, SHA-256) and EdDSA / Ed25519
(Ed25519 keys only). ``none``, the HMAC family and RSA have no signer or verifier at all, so
a header naming them can never reach a key. The header is read and checked by the caller
before any key is chosen; this module signs, splits and checks signatures.

A token is split and decoded once (``read_compact``); the signature is then checked over the
bytes already in hand (``verify_compact``), with ``cryptography`` directly rather than
through joserfc, whose general JWS machinery (registries, header re-parsing, a second
decode) cost more than the signature itself. Keys stay joserfc objects (JWK import, export
and thumbprints live there); only the ``cryptography`` key inside is used here. The tests
check both directions against joserfc.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc.jwk import ECKey, OKPKey

from brondata.errors import AlgorithmError, InvalidKeyError, MalformedRecordError, SignatureError
from brondata.records._encoding import b64url_bytes, b64url_decode, json_bytes, json_loads

__all__ = [
    "ALGORITHMS",
    "CompactJWS",
    "JoseKey",
    "read_compact",
    "sign_compact",
    "verify_compact",
]

#: The JWS ``alg`` values a record or KB-JWT may carry.
ALGORITHMS: Final = frozenset({"ES256", "EdDSA", "Ed25519"})

JoseKey = ECKey | OKPKey

_ES256: Final = ec.ECDSA(hashes.SHA256())
_P256_BYTES: Final = 32  # r and s are each 32 bytes in a JWS ES256 signature (RFC 7518 §3.4)


@dataclass(frozen=True, slots=True)
class CompactJWS:
    """A compact JWS split and decoded once, *not yet verified*."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes


# The cryptography key inside each joserfc key, checked once: joserfc's ``private_key`` and
# ``public_key`` and the abstract-class isinstance checks cost a tenth of a signature per
# call. By the identity of the joserfc key, which each entry holds (so its id cannot be
# reused while the entry lives); the cache empties when it reaches _KEYS_KEPT entries.
_PRIVATE: Final[dict[int, tuple[JoseKey, str | None, Any]]] = {}
_PUBLIC: Final[dict[int, tuple[JoseKey, str | None, Any]]] = {}
_KEYS_KEPT: Final = 64
_P256: Final = "P-256"
_ED25519: Final = "Ed25519"


def _curve_of(native: Any) -> str | None:
    if isinstance(native, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return _P256 if native.curve.name == "secp256r1" else None
    if isinstance(native, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return _ED25519
    return None


def _native(key: JoseKey, private: bool) -> tuple[str | None, Any]:
    """The curve (``P-256``, ``Ed25519`` or ``None`` for any other) and the cryptography
    key of ``key``'s private or public half."""
    cache = _PRIVATE if private else _PUBLIC
    entry = cache.get(id(key))
    if entry is None:
        native = key.private_key if private else key.public_key
        if len(cache) >= _KEYS_KEPT:
            cache.clear()
        entry = cache[id(key)] = (key, _curve_of(native), native)
    return entry[1], entry[2]


def _raw_signature(der: bytes) -> bytes:
    """The JWS form (r and s as 32 big-endian bytes each, RFC 7518 §3.4) of a P-256 DER
    signature ``30 len 02 rlen r 02 slen s`` (short lengths: a P-256 one is under 128
    bytes). Read here rather than by decode_dss_signature, since the integers themselves are
    never needed; a DER integer is minimal, so it has at most one leading zero byte."""
    r_end = 4 + der[3]
    r, s = der[4:r_end], der[r_end + 2 :]
    return r[-_P256_BYTES:].rjust(_P256_BYTES, b"\0") + s[-_P256_BYTES:].rjust(_P256_BYTES, b"\0")


def _sign_es256(key: JoseKey, data: bytes) -> bytes:
    curve, private = _native(key, True)
    if curve != _P256:
        raise InvalidKeyError("ES256 needs a P-256 private key")
    return _raw_signature(private.sign(data, _ES256))


def _sign_ed25519(key: JoseKey, data: bytes) -> bytes:
    curve, private = _native(key, True)
    if curve != _ED25519:
        raise InvalidKeyError("EdDSA needs an Ed25519 private key")
    signature: bytes = private.sign(data)
    return signature


def _verify_es256(key: JoseKey, data: bytes, signature: bytes) -> bool:
    curve, public = _native(key, False)
    if curve != _P256 or len(signature) != 2 * _P256_BYTES:
        return False
    r = int.from_bytes(signature[:_P256_BYTES], "big")
    s = int.from_bytes(signature[_P256_BYTES:], "big")
    try:
        public.verify(encode_dss_signature(r, s), data, _ES256)
    except InvalidSignature:
        return False
    return True


def _verify_ed25519(key: JoseKey, data: bytes, signature: bytes) -> bool:
    curve, public = _native(key, False)
    if curve != _ED25519:
        return False
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# The allow-list itself: an algorithm without an entry here cannot sign or verify.
_SIGNERS: Final[dict[str, Callable[[JoseKey, bytes], bytes]]] = {
    "ES256": _sign_es256,
    "EdDSA": _sign_ed25519,
    "Ed25519": _sign_ed25519,
}
_VERIFIERS: Final[dict[str, Callable[[JoseKey, bytes, bytes], bool]]] = {
    "ES256": _verify_es256,
    "EdDSA": _verify_ed25519,
    "Ed25519": _verify_ed25519,
}


# Encoded protected headers by their members: a signer uses the same few headers (one per
# key and typ) for every token. Only all-string headers are kept (True and 1 would share a
# key), and at most _HEADERS_KEPT of them.
_HEADERS: Final[dict[tuple[tuple[str, str], ...], bytes]] = {}
_HEADERS_KEPT: Final = 64


def _encoded_header(header: dict[str, Any]) -> bytes:
    for value in header.values():
        if type(value) is not str:
            return b64url_bytes(json_bytes(header))
    members = tuple(header.items())
    encoded = _HEADERS.get(members)
    if encoded is None:
        encoded = b64url_bytes(json_bytes(header))
        if len(_HEADERS) < _HEADERS_KEPT:
            _HEADERS[members] = encoded
    return encoded


def sign_compact(header: dict[str, Any], payload: bytes, key: JoseKey) -> str:
    """``header.payload.signature`` in JWS compact form, signed with ``header["alg"]``."""
    alg = header.get("alg")
    signer = _SIGNERS.get(alg) if isinstance(alg, str) else None
    if signer is None:
        raise AlgorithmError(f"algorithm {alg!r} is not allowed: use ES256 or EdDSA")
    signing_input = _encoded_header(header) + b"." + b64url_bytes(payload)
    signature = b64url_bytes(signer(key, signing_input))
    return (signing_input + b"." + signature).decode("ascii")


# Decoded protected headers by their encoded text: a verifier meets the same few (one per
# issuer key and typ) again and again. Only all-string headers are kept, so that a copy is
# the caller's own; the cache empties when it reaches _HEADERS_KEPT entries.
_READ_HEADERS: Final[dict[str, dict[str, Any]]] = {}


def read_compact(token: str) -> CompactJWS:
    """The protected header, payload and signature of a compact JWS, *not yet verified*."""
    # partition finds each '.' with memchr; split would compare every character.
    head, _, rest = token.partition(".")
    body, _, signature = rest.partition(".")
    if not head or not body or not signature or "." in signature:
        raise MalformedRecordError("a JWS must have three non-empty parts separated by '.'")
    try:
        header = _READ_HEADERS.get(head)
        if header is None:
            header = json_loads(b64url_decode(head))
            if not isinstance(header, dict):
                raise MalformedRecordError("the JWS header is not a JSON object")
            if all(type(value) is str for value in header.values()):
                if len(_READ_HEADERS) >= _HEADERS_KEPT:
                    _READ_HEADERS.clear()
                _READ_HEADERS[head] = dict(header)
        else:
            header = dict(header)
        payload = b64url_decode(body)
        raw_signature = b64url_decode(signature)
    except ValueError as exc:
        raise MalformedRecordError(f"the JWS is not valid base64url JSON: {exc}") from None
    signing_input = token[: len(head) + 1 + len(body)].encode("ascii")
    return CompactJWS(header, payload, signing_input, raw_signature)


def verify_compact(jws: CompactJWS, key: JoseKey) -> None:
    """Check the signature of ``jws`` with ``key`` under its header's ``alg``;
    ``SignatureError`` if it does not hold, ``MalformedRecordError`` for an ``alg`` outside
    the allow-list."""
    alg = jws.header.get("alg")
    verifier = _VERIFIERS.get(alg) if isinstance(alg, str) else None
    if verifier is None:
        raise MalformedRecordError(f"the JWS was refused: algorithm {alg!r} is not allowed")
    if not verifier(key, jws.signing_input, jws.signature):
        raise SignatureError("the signature does not verify with the key named by 'kid'")
