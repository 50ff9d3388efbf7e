"""Signing keys and the public key set (JWKS) records are verified against.

``SigningKey`` is a private key with its algorithm and ``kid`` (always the RFC 7638 JWK
thumbprint, so a ``kid`` can be recomputed from the key and never lies about it). ``KeySet``
holds public keys only: a JWKS with private material in it is refused, not stripped. Key
*storage* (files, rotation) lives in ``_keystore``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from brondata._inputs import guarded
from brondata.errors import AlgorithmError, InvalidKeyError
from brondata.records._encoding import b64url_encode
from brondata.records._jws import JoseKey

__all__ = ["Algorithm", "KeySet", "SigningKey", "VerificationKey", "jwk_thumbprint"]

Algorithm = Literal["ES256", "EdDSA", "Ed25519"]

# The curve each algorithm signs with, and the members RFC 7638 hashes for each key type.
_CURVE: Final[dict[str, tuple[str, str]]] = {
    "ES256": ("EC", "P-256"),
    "EdDSA": ("OKP", "Ed25519"),
    "Ed25519": ("OKP", "Ed25519"),
}
_THUMBPRINT_MEMBERS: Final = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@guarded(InvalidKeyError, "not a JWK")
def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an EC or OKP JWK, base64url."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None:
        raise InvalidKeyError(f"unsupported key type {jwk.get('kty')!r}: use EC or OKP")
    try:
        required = {name: jwk[name] for name in members}
    except KeyError as exc:
        raise InvalidKeyError(f"the JWK lacks the member {exc.args[0]!r}") from None
    if not all(isinstance(value, str) for value in required.values()):
        raise InvalidKeyError("JWK members crv, kty, x and y must be strings")
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _algorithm_for(jwk: Mapping[str, Any], alg: str | None) -> Algorithm:
    """The algorithm a JWK signs with: its ``alg`` member or ``alg``, else by key type."""
    named = alg if alg is not None else jwk.get("alg")
    kty, crv = str(jwk.get("kty")), str(jwk.get("crv"))
    if named is None:
        named = {("EC", "P-256"): "ES256", ("OKP", "Ed25519"): "EdDSA"}.get((kty, crv))
        if named is None:
            raise InvalidKeyError(f"unsupported key {kty}/{crv}: use EC P-256 or OKP Ed25519")
    if named not in _CURVE:
        raise AlgorithmError(f"algorithm {named!r} is not allowed: use ES256 or EdDSA")
    if _CURVE[named] != (kty, crv):
        raise InvalidKeyError(f"a {kty}/{crv} key cannot sign with {named}")
    return named  # type: ignore[return-value]  # checked against _CURVE above


def _import(jwk: Mapping[str, Any]) -> JoseKey:
    try:
        if jwk.get("kty") == "EC":
            return ECKey.import_key(dict(jwk))
        return OKPKey.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidKeyError(f"the JWK is not a valid key: {exc}") from None


class SigningKey:
    """A private signing key: ``alg`` (ES256 by default, or EdDSA) and ``kid`` (thumbprint).

    The private half never appears in ``repr`` or logs; ``private_jwk()`` and ``to_pem()``
    are the only ways out, for a key store to persist it.
    """

    __slots__ = ("_alg", "_key", "_kid")

    def __init__(self, key: JoseKey, alg: Algorithm) -> None:
        if not key.is_private:
            raise InvalidKeyError("a signing key needs the private key")
        public = key.as_dict(private=False)
        _algorithm_for(public, alg)
        self._key = key
        self._alg: Algorithm = alg
        self._kid = jwk_thumbprint(public)

    @classmethod
    @guarded(AlgorithmError, "not a key algorithm")
    def generate(cls, alg: Algorithm = "ES256") -> SigningKey:
        """A fresh key: ES256 on P-256, or EdDSA (or its RFC 9864 name Ed25519) on Ed25519."""
        if alg not in _CURVE:
            raise AlgorithmError(f"algorithm {alg!r} is not allowed: use ES256 or EdDSA")
        kty, _ = _CURVE[alg]
        key: JoseKey = (
            ECKey.generate_key("P-256", private=True)
            if kty == "EC"
            else OKPKey.generate_key("Ed25519", private=True)
        )
        return cls(key, alg)

    @classmethod
    @guarded(InvalidKeyError, "not a private JWK")
    def from_jwk(cls, jwk: Mapping[str, Any], *, alg: Algorithm | None = None) -> SigningKey:
        """A key from a private JWK; a ``kid`` member in it is ignored (the thumbprint rules)."""
        if "d" not in jwk:
            raise InvalidKeyError("the JWK has no private part 'd'")
        named = _algorithm_for(jwk, alg)
        members = {k: v for k, v in jwk.items() if k in {"kty", "crv", "x", "y", "d"}}
        return cls(_import(members), named)

    @classmethod
    @guarded(InvalidKeyError, "not a PEM private key")
    def from_pem(cls, pem: bytes, *, alg: Algorithm | None = None) -> SigningKey:
        """A key from an unencrypted PKCS#8 PEM private key."""
        try:
            key: JoseKey
            try:
                key = ECKey.import_key(pem)
            except (JoseError, ValueError, TypeError):
                key = OKPKey.import_key(pem)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidKeyError(f"not a P-256 or Ed25519 PEM private key: {exc}") from None
        return cls(key, _algorithm_for(key.as_dict(private=False), alg))

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> Algorithm:
        return self._alg

    def public_jwk(self) -> dict[str, str]:
        """The public JWK with ``kid``, ``alg`` and ``use: sig``: what a JWKS publishes."""
        out = {str(k): str(v) for k, v in self._key.as_dict(private=False).items()}
        return {**out, "kid": self._kid, "alg": self._alg, "use": "sig"}

    def private_jwk(self) -> dict[str, str]:
        """The private JWK (with ``d``): handle as a secret."""
        out = {str(k): str(v) for k, v in self._key.as_dict(private=True).items()}
        return {**out, "kid": self._kid, "alg": self._alg}

    def to_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM: handle as a secret."""
        return self._key.as_pem(private=True)

    def verification_key(self) -> VerificationKey:
        """The public half, as a ``KeySet`` entry."""
        return VerificationKey.from_jwk(self.public_jwk())

    @property
    def jose_key(self) -> JoseKey:
        """The joserfc key object (for this package's JWS layer)."""
        return self._key

    def __repr__(self) -> str:
        return f"SigningKey(alg={self._alg!r}, kid={self._kid!r})"


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One public key of a JWKS: its ``kid``, the algorithms it may verify, the key."""

    kid: str
    algorithms: frozenset[str]
    jwk: Mapping[str, str]
    jose_key: JoseKey

    @classmethod
    @guarded(InvalidKeyError, "not a public JWK")
    def from_jwk(cls, jwk: Mapping[str, Any]) -> VerificationKey:
        """A public key; private members, ``use`` other than ``sig`` or a bad ``alg`` refused."""
        if not isinstance(jwk, Mapping):
            raise InvalidKeyError("a JWKS entry must be a JSON object")
        leaked = _PRIVATE_MEMBERS & set(jwk)
        if leaked:
            raise InvalidKeyError("a JWKS must not contain private key material")
        if jwk.get("use", "sig") != "sig":
            raise InvalidKeyError(f"key use {jwk.get('use')!r} is not 'sig'")
        named = _algorithm_for(jwk, None)
        algorithms = (
            frozenset({named})
            if "alg" in jwk
            else frozenset(a for a, curve in _CURVE.items() if curve == _CURVE[named])
        )
        kid = jwk.get("kid", jwk_thumbprint(jwk))
        if not isinstance(kid, str) or not kid:
            raise InvalidKeyError("'kid' must be a non-empty string")
        members = {k: v for k, v in jwk.items() if k in {"kty", "crv", "x", "y"}}
        key = _import(members)
        public = {str(k): str(v) for k, v in jwk.items()}
        return cls(kid=kid, algorithms=algorithms, jwk=public, jose_key=key)


def _for_another_verifier(jwk: Mapping[str, Any]) -> bool:
    """Whether a JWKS entry is a kind of key brondata does not verify with: another key type
    or curve (RSA, P-384, X25519), another algorithm, an encryption key. RFC 7517 section 5:
    such entries are ignored, so that one JWKS can serve several kinds of verifier."""
    kty, crv, alg = jwk.get("kty"), jwk.get("crv"), jwk.get("alg")
    ops = jwk.get("key_ops")
    return (
        kty not in _THUMBPRINT_MEMBERS
        or (crv is not None and (kty, crv) not in _CURVE.values())
        or (alg is not None and alg not in _CURVE)
        or jwk.get("use", "sig") != "sig"
        or (ops is not None and (not isinstance(ops, list) or "verify" not in ops))
    )


class KeySet:
    """A JWKS: the public keys records are verified with, looked up by ``kid``.

    Entries for other verifiers (see ``_for_another_verifier``) are left out, as RFC 7517
    section 5 asks; what remains must be sound: private material, a broken key of a supported
    type or a repeated ``kid`` is an ``InvalidKeyError``.
    """

    __slots__ = ("_keys",)

    @guarded(InvalidKeyError, "not a JWKS")
    def __init__(self, keys: Iterable[Mapping[str, Any] | VerificationKey] = ()) -> None:
        found: dict[str, VerificationKey] = {}
        for entry in keys:
            if not isinstance(entry, VerificationKey | Mapping):
                raise InvalidKeyError("a JWKS entry must be a JSON object")
            if not isinstance(entry, VerificationKey):
                if _PRIVATE_MEMBERS & set(entry):
                    raise InvalidKeyError("a JWKS must not contain private key material")
                if _for_another_verifier(entry):
                    continue
            key = entry if isinstance(entry, VerificationKey) else VerificationKey.from_jwk(entry)
            if key.kid in found:
                raise InvalidKeyError(f"two keys share the kid {key.kid!r}")
            found[key.kid] = key
        self._keys = found

    @classmethod
    def from_dict(cls, jwks: Mapping[str, Any]) -> KeySet:
        """A key set from a JWKS document ``{"keys": [...]}``."""
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise InvalidKeyError("a JWKS is an object with a 'keys' array")
        return cls(keys)

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document, ``{"keys": [...]}``."""
        return {"keys": [dict(key.jwk) for key in self._keys.values()]}

    def get(self, kid: str) -> VerificationKey | None:
        return self._keys.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeySet(kids={list(self._keys)!r})"
