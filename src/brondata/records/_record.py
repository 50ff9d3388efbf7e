"""Signed records: issue, present and verify SD-JWTs in the brondata profile.

The profile (DESIGN.md, Records) on top of RFC 9901: header ``typ: dc+sd-jwt``, ``alg``
ES256 or EdDSA, ``kid``; the payload carries the registered and provenance claims in the
clear, ``_sd_alg: sha-256``, and every catalogue attribute as a top-level disclosure named by
its catalogue name. A presentation keeps a subset of the disclosures and may end in a KB-JWT
(RFC 9901 §4.3) signed by the key in ``cnf.jwk``. The SD-JWT mechanics live in ``_sdjwt``,
signatures in ``_jws``; this module adds the profile, time and key binding.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from brondata._clock import utc
from brondata._inputs import guarded
from brondata.errors import (
    AlgorithmError,
    DisclosureError,
    InvalidKeyError,
    IssuanceError,
    KeyBindingError,
    MalformedRecordError,
    RecordError,
    RecordExpiredError,
    SignatureError,
    UnknownKeyError,
)
from brondata.records._encoding import json_bytes, json_bytes_finite, json_loads, sha256_b64url
from brondata.records._jws import ALGORITHMS, read_compact, sign_compact, verify_compact
from brondata.records._keys import KeySet, SigningKey, VerificationKey, jwk_thumbprint
from brondata.records._sdjwt import (
    SD_ALG,
    Disclosable,
    Disclosure,
    Path,
    conceal,
    parse_disclosures,
    reveal,
    select,
    selection_from_paths,
)

__all__ = [
    "NEVER_DISCLOSABLE",
    "RECORD_TYP",
    "KeyBinding",
    "KeyBindingPolicy",
    "SignedRecord",
    "VerifiedRecord",
    "issue_record",
    "verify_record",
]

RECORD_TYP: Final = "dc+sd-jwt"
KB_TYP: Final = "kb+jwt"
DEFAULT_LEEWAY: Final = timedelta(seconds=60)

#: Claims that are always in the clear: the registered ones of the SD-JWT VC profile and the
#: provenance every record carries. A disclosure naming one at the top level is refused.
NEVER_DISCLOSABLE: Final = frozenset(
    {
        "iss",
        "iat",
        "nbf",
        "exp",
        "cnf",
        "vct",
        "status",
        "sub",
        "source",
        "retrieved_at",
        "source_response_digest",
        "mapping_version",
        "consent_id",
        "purpose",
    }
)
_REQUIRED: Final = (("iss", str), ("vct", str), ("iat", int), ("exp", int))
_RESERVED: Final = frozenset({"_sd", "_sd_alg", "..."})
_SCALARS: Final = frozenset({str, int, bool, type(None)})


def _split(compact: str) -> tuple[str, tuple[str, ...], str | None]:
    """``<jws>~<d1>~...~<dN>~[<kb-jwt>]`` into its parts (RFC 9901 §4)."""
    if not isinstance(compact, str):
        raise MalformedRecordError("a record is a compact SD-JWT string")
    parts = compact.split("~")
    if len(parts) < 2 or not parts[0]:
        raise MalformedRecordError("not an SD-JWT: expected '<jws>~...~'")
    disclosures = tuple(parts[1:-1])
    if not all(disclosures):
        raise MalformedRecordError("an empty disclosure between '~' separators")
    return parts[0], disclosures, parts[-1] or None


def _unverified_payload(jws: str) -> dict[str, Any]:
    try:
        payload = json_loads(read_compact(jws).payload)
    except ValueError as exc:
        raise MalformedRecordError(f"the payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedRecordError("the payload is not a JSON object")
    return payload


@dataclass(frozen=True, slots=True)
class SignedRecord:
    """An SD-JWT as issued (or received by a holder): issuer JWS, disclosures, maybe a KB-JWT.

    Build one with ``issue_record`` or ``SignedRecord.parse``; nothing here is verified —
    that is ``verify_record``'s job.
    """

    issuer_jwt: str
    disclosures: tuple[str, ...]
    key_binding_jwt: str | None = None
    #: The top-level disclosed claim names (catalogue attributes), in issuance order.
    attribute_names: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    @guarded(MalformedRecordError, "not a compact SD-JWT")
    def parse(cls, compact: str) -> SignedRecord:
        """Split a compact SD-JWT (unverified) and read which attributes it discloses."""
        jws, encoded, kb = _split(compact)
        payload = _unverified_payload(jws)
        parsed = parse_disclosures(encoded)
        return cls(jws, encoded, kb, _attribute_names(payload, parsed))

    @property
    def compact(self) -> str:
        """The compact serialization: ``<jws>~<d1>~...~<dN>~`` (and the KB-JWT if any)."""
        return "~".join((self.issuer_jwt, *self.disclosures, self.key_binding_jwt or ""))

    @property
    def digest(self) -> str:
        """``sha-256:<hex>`` over the compact serialization, for the consent ledger."""
        return "sha-256:" + hashlib.sha256(self.compact.encode("ascii")).hexdigest()

    @guarded(IssuanceError, "cannot present this selection")
    def present(
        self,
        attributes: Iterable[str | Sequence[Path]],
        *,
        holder_key: SigningKey | None = None,
        aud: str | None = None,
        nonce: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """A presentation disclosing only ``attributes`` (and what they contain).

        Each entry is an attribute name, or a path into the record such as
        ``("bank.accounts", 1)`` (array positions count the elements as issued) or
        ``("address", "street")``; a path discloses the enclosing disclosures it needs and
        everything beneath it. With ``holder_key`` (the key in the record's ``cnf.jwk``) the
        presentation ends in a KB-JWT over ``aud``, ``nonce`` and ``now``.
        """
        if self.key_binding_jwt is not None:
            raise IssuanceError("this is already a key-bound presentation; present the record")
        payload = _unverified_payload(self.issuer_jwt)
        parsed = parse_disclosures(self.disclosures)
        paths = [(entry,) if isinstance(entry, str) else tuple(entry) for entry in attributes]
        chosen = select(payload, parsed, selection_from_paths(paths))
        body = "".join(f"{d.encoded}~" for d in chosen)
        presentation = f"{self.issuer_jwt}~{body}"
        if holder_key is None:
            if aud is not None or nonce is not None:
                raise IssuanceError("aud and nonce belong in a KB-JWT: pass holder_key as well")
            return presentation
        return presentation + _key_binding_jwt(payload, presentation, holder_key, aud, nonce, now)

    def __str__(self) -> str:
        return self.compact


def _attribute_names(payload: Mapping[str, Any], parsed: Sequence[Disclosure]) -> tuple[str, ...]:
    top = payload.get("_sd", [])
    top_digests = set(top) if isinstance(top, list) else set()
    return tuple(d.name for d in parsed if d.name is not None and d.digest in top_digests)


def _key_binding_jwt(
    payload: Mapping[str, Any],
    presentation: str,
    holder_key: SigningKey,
    aud: str | None,
    nonce: str | None,
    now: datetime | None,
) -> str:
    if not aud or not nonce:
        raise IssuanceError("a KB-JWT needs the verifier's aud and nonce")
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    if not isinstance(jwk, dict):
        raise IssuanceError(
            "the record has no cnf: it is not bound to a holder key, so a presentation of it "
            "cannot be key-bound; present it without a holder key"
        )
    if jwk_thumbprint(jwk) != holder_key.kid:
        raise IssuanceError("holder_key is not the key in the record's cnf.jwk")
    moment = utc(now) if now is not None else datetime.now(UTC)
    claims = {
        "iat": int(moment.timestamp()),
        "aud": aud,
        "nonce": nonce,
        "sd_hash": sha256_b64url(presentation),
    }
    header = {"alg": holder_key.alg, "typ": KB_TYP}
    return sign_compact(header, json_bytes(claims), holder_key.jose_key)


def _contains_marker(value: Any) -> bool:
    if isinstance(value, Disclosable):
        return True
    if isinstance(value, Mapping):
        return any(_contains_marker(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_marker(v) for v in value)
    return False


def _check_claims(claims: Mapping[str, Any]) -> None:
    for name, kind in _REQUIRED:
        value = claims.get(name)
        if not isinstance(value, kind) or isinstance(value, bool) or value == "":
            raise IssuanceError(f"claim {name!r} is required ({kind.__name__})")
    if claims["exp"] <= claims["iat"]:
        raise IssuanceError("'exp' must lie after 'iat'")
    for name, value in claims.items():
        if name in _RESERVED:
            raise IssuanceError(f"the claim name {name!r} is reserved by SD-JWT")
        if type(value) in _SCALARS:
            continue
        if isinstance(value, Disclosable):
            raise IssuanceError(f"claim {name!r} is plain; pass it in attributes to disclose it")
        if name in NEVER_DISCLOSABLE and _contains_marker(value):
            raise IssuanceError(f"claim {name!r} must not contain disclosable parts")


@guarded(IssuanceError, "cannot issue this record")
def issue_record(
    claims: Mapping[str, Any],
    attributes: Mapping[str, Any],
    key: SigningKey,
    *,
    decoys: int | None = None,
    array_elements: Iterable[str] = (),
    holder_jwk: Mapping[str, Any] | None = None,
) -> SignedRecord:
    """Sign a record: ``claims`` in the clear, each of ``attributes`` as a disclosure.

    ``claims`` must hold ``iss``, ``vct`` (strings), ``iat`` and ``exp`` (integer seconds);
    they are never disclosures themselves. An attribute value may contain ``Disclosable``
    markers (nested, recursive disclosures); the attributes named in ``array_elements`` must
    be arrays and get each element disclosable on its own. ``decoys`` decoy digests go into
    each ``_sd`` array and each array with concealed elements (``None``: 2..5 at random).
    ``holder_jwk`` (a public JWK) goes into ``cnf.jwk`` so presentations can be key-bound.
    """
    _check_claims(claims)
    if holder_jwk is not None and "cnf" in claims:
        raise IssuanceError("give the holder key either as holder_jwk or as cnf, not both")
    elements = frozenset(array_elements)
    tree = claims
    for name in attributes:
        if not isinstance(name, str) or not name:
            raise IssuanceError("attribute names must be non-empty strings")
        if name in claims or name in NEVER_DISCLOSABLE or name in _RESERVED:
            raise IssuanceError(f"attribute {name!r} collides with a plain claim")
    for name in elements:
        if name not in attributes:
            missing = sorted(elements - set(attributes))
            raise IssuanceError(f"array_elements names no attribute: {missing}")
        if not isinstance(attributes[name], (list, tuple)):
            raise IssuanceError(f"attribute {name!r} is in array_elements but not an array")
    if holder_jwk is not None:
        try:
            holder = VerificationKey.from_jwk(holder_jwk)
        except (InvalidKeyError, AlgorithmError) as exc:
            raise IssuanceError(f"holder_jwk is not a usable public key: {exc.message}") from None
        jwk = {k: holder.jwk[k] for k in ("kty", "crv", "x", "y") if k in holder.jwk}
        tree = {**claims, "cnf": {"jwk": jwk}}
    payload, disclosures = conceal(tree, attributes, elements=elements, decoys=decoys)
    payload["_sd_alg"] = SD_ALG
    header = {"alg": key.alg, "typ": RECORD_TYP, "kid": key.kid}
    # The concealing walk has refused non-finite floats.
    jws = sign_compact(header, json_bytes_finite(payload), key.jose_key)
    # Every attribute, and nothing else, is a top-level disclosure, in this order.
    names = tuple(attributes)
    return SignedRecord(jws, tuple(disclosures), None, names)


@dataclass(frozen=True, slots=True)
class KeyBindingPolicy:
    """What a verifier requires of the KB-JWT: its own ``aud``, the ``nonce`` it handed out,
    and how old ``iat`` may be."""

    aud: str
    nonce: str
    max_age: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class KeyBinding:
    """The checked claims of a KB-JWT."""

    aud: str
    nonce: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class VerifiedRecord:
    """A record whose signature, times and disclosures all checked out.

    ``claims`` are the plain claims (registered and provenance; ``_sd`` and ``_sd_alg``
    removed, nested digests processed), ``attributes`` the disclosed attributes by name.
    """

    header: dict[str, Any]
    claims: dict[str, Any]
    attributes: dict[str, Any]
    kid: str
    disclosures: tuple[str, ...]
    key_binding: KeyBinding | None = None

    @property
    def payload(self) -> dict[str, Any]:
        """Plain claims and disclosed attributes as one object (RFC 9901 §7.1 output)."""
        return {**self.claims, **self.attributes}


def _numeric_date(payload: Mapping[str, Any], name: str, default: float | None) -> float:
    value = payload.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise MalformedRecordError(f"claim {name!r} must be a NumericDate")
    return float(value)


def _check_times(payload: Mapping[str, Any], now: float, leeway: float) -> None:
    if now - leeway >= _numeric_date(payload, "exp", None):
        raise RecordExpiredError("the record has expired ('exp' is past)")
    if _numeric_date(payload, "iat", None) > now + leeway:
        raise RecordExpiredError("the record is issued in the future ('iat')")
    if _numeric_date(payload, "nbf", float("-inf")) > now + leeway:
        raise RecordExpiredError("the record is not valid yet ('nbf')")


def _check_header(header: Mapping[str, Any], typ: str) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise AlgorithmError(f"algorithm {alg!r} is not allowed: only ES256 and EdDSA are")
    if header.get("typ") != typ:
        raise MalformedRecordError(f"header typ {header.get('typ')!r} is not {typ!r}")
    if "crit" in header:
        raise MalformedRecordError("no critical header extensions are understood")
    return alg


@guarded(RecordError, "cannot verify with these arguments")
def verify_record(
    record: str | SignedRecord,
    jwks: KeySet,
    *,
    now: datetime | None = None,
    expected_typ: str = RECORD_TYP,
    leeway: timedelta = DEFAULT_LEEWAY,
    key_binding: KeyBindingPolicy | None = None,
) -> VerifiedRecord:
    """Verify a record or presentation (RFC 9901 §7.1, §7.3) and return what it discloses.

    Checks, in order: structure, ``typ``, the algorithm allow-list, the key by ``kid``, the
    signature, ``exp``/``iat``/``nbf`` against ``now`` (with ``leeway``), ``_sd_alg``, the
    disclosures, and the KB-JWT. A KB-JWT that is present is always checked (signature,
    ``sd_hash``); ``key_binding`` makes one required and checks ``aud``, ``nonce`` and age.
    Every failure is a ``RecordError`` subclass with a stable ``code``.
    """
    compact = record.compact if isinstance(record, SignedRecord) else record
    jws, encoded, kb_jwt = _split(compact)
    # Split and decoded once: the header to choose the key, the same bytes to verify.
    token = read_compact(jws)
    header = token.header
    alg = _check_header(header, expected_typ)
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise MalformedRecordError("the header has no 'kid'")
    key = jwks.get(kid)
    if key is None:
        raise UnknownKeyError(f"no key with kid {kid!r} in the JWKS")
    if alg not in key.algorithms:
        raise AlgorithmError(f"the key {kid!r} does not sign with {alg}")
    verify_compact(token, key.jose_key)
    try:
        payload = json_loads(token.payload)
    except ValueError as exc:
        raise MalformedRecordError(f"the payload is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedRecordError("the payload is not a JSON object")
    moment = utc(now) if now is not None else datetime.now(UTC)
    _check_times(payload, moment.timestamp(), leeway.total_seconds())
    for name, kind in _REQUIRED[:2]:
        if not isinstance(payload.get(name), kind):
            raise MalformedRecordError(f"claim {name!r} is missing")
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise AlgorithmError(f"_sd_alg {sd_alg!r} is not supported: only sha-256 is")
    try:
        claims, attributes = reveal(payload, parse_disclosures(encoded))
    except RecursionError:
        raise MalformedRecordError("the record is nested too deeply") from None
    hidden = NEVER_DISCLOSABLE & set(attributes)
    if hidden:
        raise DisclosureError(f"claims that must be plain are disclosures: {sorted(hidden)}")
    presentation = compact[: len(compact) - len(kb_jwt)] if kb_jwt else compact
    binding = _check_key_binding(payload, presentation, kb_jwt, key_binding, moment, leeway)
    return VerifiedRecord(header, claims, attributes, kid, encoded, binding)


def _check_key_binding(
    payload: Mapping[str, Any],
    presentation: str,
    kb_jwt: str | None,
    policy: KeyBindingPolicy | None,
    now: datetime,
    leeway: timedelta,
) -> KeyBinding | None:
    if kb_jwt is None:
        if policy is not None:
            raise KeyBindingError("a key-bound presentation is required; there is no KB-JWT")
        return None
    try:
        token = read_compact(kb_jwt)
        alg = _check_header(token.header, KB_TYP)
        cnf = payload.get("cnf")
        jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
        if not isinstance(jwk, dict):
            raise KeyBindingError("the record has no cnf.jwk to bind a presentation to")
        holder = VerificationKey.from_jwk(jwk)
        if alg not in holder.algorithms:
            raise KeyBindingError(f"the holder key does not sign with {alg}")
        verify_compact(token, holder.jose_key)
        claims = json_loads(token.payload)
    except KeyBindingError:
        raise
    except (RecordError, ValueError) as exc:
        reason = exc.message if isinstance(exc, RecordError) else str(exc)
        if isinstance(exc, SignatureError):
            reason = "the KB-JWT signature does not verify with cnf.jwk"
        raise KeyBindingError(f"invalid KB-JWT: {reason}") from None
    if not isinstance(claims, dict):
        raise KeyBindingError("the KB-JWT payload is not a JSON object")
    sd_hash = claims.get("sd_hash")
    if not isinstance(sd_hash, str) or not hmac.compare_digest(
        sd_hash, sha256_b64url(presentation)
    ):
        raise KeyBindingError("the KB-JWT sd_hash does not match the presentation")
    iat, aud, nonce = claims.get("iat"), claims.get("aud"), claims.get("nonce")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise KeyBindingError("the KB-JWT has no 'iat'")
    if not isinstance(aud, str) or not isinstance(nonce, str):
        raise KeyBindingError("the KB-JWT has no 'aud' or 'nonce'")
    try:
        issued = datetime.fromtimestamp(iat, UTC)
    except (OverflowError, OSError, ValueError):
        raise KeyBindingError("the KB-JWT 'iat' is not a time") from None
    if policy is not None:
        if aud != policy.aud:
            raise KeyBindingError("the KB-JWT is meant for another audience")
        if not hmac.compare_digest(nonce.encode("utf-8"), policy.nonce.encode("utf-8")):
            raise KeyBindingError("the KB-JWT nonce is not the one this verifier issued")
        if issued > now + leeway:
            raise KeyBindingError("the KB-JWT is issued in the future")
        if issued < now - policy.max_age - leeway:
            raise KeyBindingError("the KB-JWT is too old")
    return KeyBinding(aud, nonce, issued)
