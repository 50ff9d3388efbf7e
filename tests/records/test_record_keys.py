"""Signing keys, thumbprints and the JWKS key set."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey

import brondata.records
from brondata.errors import AlgorithmError, InvalidKeyError
from brondata.records import KeySet, SigningKey, jwk_thumbprint


def test_public_names_are_sorted_and_exist() -> None:
    names = brondata.records.__all__
    # isort style, as ruff keeps it: CONSTANTS, then Classes, then functions
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    for name in names:
        assert hasattr(brondata.records, name)


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "Ed25519"])
def test_generate_and_round_trip(alg: Any) -> None:
    key = SigningKey.generate(alg)
    assert key.alg == alg
    public = key.public_jwk()
    assert "d" not in public
    assert public["kid"] == key.kid == jwk_thumbprint(public)
    assert public["use"] == "sig"
    again = SigningKey.from_jwk(key.private_jwk())
    assert again.kid == key.kid
    assert SigningKey.from_pem(key.to_pem(), alg=alg).kid == key.kid


def test_kid_is_the_rfc7638_thumbprint() -> None:
    key = SigningKey.generate()
    public: dict[str, str | list[str]] = dict(key.public_jwk())
    assert key.kid == ECKey.import_key(public).thumbprint()


def test_thumbprint_ignores_members_outside_the_rfc7638_set() -> None:
    jwk = SigningKey.generate().public_jwk()
    assert jwk_thumbprint({**jwk, "kid": "other", "alg": "ES256"}) == jwk_thumbprint(jwk)


def test_repr_hides_the_private_key() -> None:
    key = SigningKey.generate()
    assert key.private_jwk()["d"] not in repr(key)
    assert key.kid in repr(key)


def test_from_jwk_ignores_a_given_kid() -> None:
    key = SigningKey.generate()
    assert SigningKey.from_jwk({**key.private_jwk(), "kid": "mine"}).kid == key.kid


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-384", "x": "a", "y": "b", "d": "c"},
        {"kty": "RSA", "n": "a", "e": "AQAB", "d": "c"},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "OKP", "crv": "X25519", "x": "a", "d": "b"},
    ],
)
def test_from_jwk_refuses_other_keys(jwk: dict[str, str]) -> None:
    with pytest.raises(InvalidKeyError):
        SigningKey.from_jwk(jwk)


def test_from_jwk_needs_the_private_part() -> None:
    with pytest.raises(InvalidKeyError):
        SigningKey.from_jwk(SigningKey.generate().public_jwk())


def test_from_jwk_refuses_a_mismatched_alg() -> None:
    with pytest.raises(InvalidKeyError):
        SigningKey.from_jwk(SigningKey.generate().private_jwk(), alg="EdDSA")
    with pytest.raises(AlgorithmError):
        SigningKey.from_jwk({**SigningKey.generate().private_jwk(), "alg": "HS256"})


def test_generate_refuses_other_algorithms() -> None:
    with pytest.raises(AlgorithmError):
        SigningKey.generate("RS256")  # type: ignore[arg-type]


def test_from_pem_refuses_garbage() -> None:
    with pytest.raises(InvalidKeyError):
        SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_key_set_round_trip() -> None:
    keys = [SigningKey.generate(), SigningKey.generate("EdDSA")]
    jwks = KeySet([k.public_jwk() for k in keys])
    document = jwks.to_dict()
    assert [k["kid"] for k in document["keys"]] == [k.kid for k in keys]
    again = KeySet.from_dict(document)
    assert list(again) == [k.kid for k in keys]
    assert len(again) == 2
    assert keys[0].kid in again
    assert again.get("nope") is None
    assert keys[0].kid in repr(again)


def test_key_set_refuses_private_material() -> None:
    with pytest.raises(InvalidKeyError):
        KeySet([SigningKey.generate().private_jwk()])


def test_key_set_refuses_duplicate_kids() -> None:
    key = SigningKey.generate()
    with pytest.raises(InvalidKeyError):
        KeySet([key.public_jwk(), key.public_jwk()])


@pytest.mark.parametrize(
    "document",
    [{}, {"keys": {}}, [], {"keys": ["x"]}, {"keys": [{"kty": "EC"}]}],
)
def test_key_set_refuses_malformed_documents(document: Any) -> None:
    with pytest.raises(InvalidKeyError):
        KeySet.from_dict(document)


def test_key_set_ignores_encryption_keys() -> None:
    key = SigningKey.generate()
    assert len(KeySet([{**key.public_jwk(), "use": "enc"}])) == 0
    assert len(KeySet([{**key.public_jwk(), "key_ops": ["encrypt"]}])) == 0


def test_key_set_without_kid_uses_the_thumbprint() -> None:
    key = SigningKey.generate()
    public = {k: v for k, v in key.public_jwk().items() if k not in {"kid", "alg"}}
    jwks = KeySet([public])
    assert key.kid in jwks
    entry = jwks.get(key.kid)
    assert entry is not None
    assert entry.algorithms == {"ES256"}
