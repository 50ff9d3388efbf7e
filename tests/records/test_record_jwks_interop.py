"""A JWKS published for several verifiers: brondata uses the keys it supports and ignores
the rest (RFC 7517 section 5), so a record still verifies against a mixed key set."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

from brondata.errors import InvalidKeyError, UnknownKeyError
from brondata.records import KeySet, SigningKey, issue_record, verify_record


def _b64(number: int, size: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(size, "big")).rstrip(b"=").decode()


def _rsa() -> dict[str, Any]:
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "kid": "rsa-1",
        "use": "sig",
        "alg": "RS256",
        "n": _b64(numbers.n, 256),
        "e": _b64(numbers.e, 3),
    }


def _p384() -> dict[str, Any]:
    numbers = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-384",
        "kid": "ec-384",
        "alg": "ES384",
        "x": _b64(numbers.x, 48),
        "y": _b64(numbers.y, 48),
    }


def _x25519() -> dict[str, Any]:
    raw = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "X25519", "kid": "x-1", "use": "enc", "x": x}


OTHERS = {
    "rsa": _rsa,
    "es384": _p384,
    "x25519": _x25519,
    "enc_p256": lambda: {**SigningKey.generate().public_jwk(), "use": "enc", "kid": "enc-1"},
    "unknown_kty": lambda: {"kty": "PQC", "kid": "pq-1", "pub": "AAAA"},
    "alg_es512": lambda: {**SigningKey.generate().public_jwk(), "alg": "ES512", "kid": "e5"},
}


@pytest.mark.parametrize("other", sorted(OTHERS))
def test_a_record_verifies_against_a_jwks_with_unsupported_keys(
    other: str, claims: dict[str, Any], now: datetime
) -> None:
    key = SigningKey.generate()
    record = issue_record(claims=claims, attributes={"a.b": 1}, key=key)
    document = {"keys": [OTHERS[other](), key.public_jwk(), OTHERS[other]()]}
    document["keys"][2]["kid"] = "another"
    jwks = KeySet.from_dict(document)
    assert list(jwks) == [key.kid]
    assert verify_record(record.compact, jwks, now=now).attributes == {"a.b": 1}


def test_a_jwks_of_unsupported_keys_only_finds_no_key(
    claims: dict[str, Any], now: datetime
) -> None:
    record = issue_record(claims=claims, attributes={"a.b": 1}, key=SigningKey.generate())
    with pytest.raises(UnknownKeyError):
        verify_record(record.compact, KeySet.from_dict({"keys": [_rsa(), _p384()]}), now=now)


def test_private_material_is_refused_whatever_the_key_type() -> None:
    with pytest.raises(InvalidKeyError):
        KeySet.from_dict({"keys": [{**_rsa(), "d": "AAAA"}]})
