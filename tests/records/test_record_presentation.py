"""Presentations: a subset of disclosures, and holder binding with a KB-JWT (RFC 9901 §4.3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from brondata.errors import IssuanceError, KeyBindingError
from brondata.records import (
    KeyBindingPolicy,
    KeySet,
    SignedRecord,
    SigningKey,
    issue_record,
    verify_record,
)
from brondata.records._encoding import b64url_decode, b64url_encode, json_bytes, sha256_b64url
from brondata.records._jws import sign_compact

AUD = "https://lender.example"
NONCE = "n-0S6_WzA2Mj"
ATTRIBUTES: dict[str, Any] = {
    "bank.balance_total": {"amount": "1234.56", "currency": "EUR"},
    "tax.income": 51234,
    "person.name": "J. Jansen",
}


@pytest.fixture(params=["ES256", "EdDSA"])
def holder(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param)


@pytest.fixture
def issuer() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def jwks(issuer: SigningKey) -> KeySet:
    return KeySet([issuer.public_jwk()])


@pytest.fixture
def record(claims: dict[str, Any], issuer: SigningKey, holder: SigningKey) -> SignedRecord:
    return issue_record(claims, ATTRIBUTES, issuer, holder_jwk=holder.public_jwk())


@pytest.fixture
def policy() -> KeyBindingPolicy:
    return KeyBindingPolicy(aud=AUD, nonce=NONCE)


def kb_parts(presentation: str) -> tuple[dict[str, Any], dict[str, Any]]:
    kb = presentation.rsplit("~", 1)[1]
    head, body, _ = kb.split(".")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body))


def test_present_a_subset(record: SignedRecord, jwks: KeySet, now: datetime) -> None:
    presentation = record.present(["tax.income"])
    assert presentation.endswith("~")
    verified = verify_record(presentation, jwks, now=now)
    assert verified.attributes == {"tax.income": 51234}
    assert verified.key_binding is None
    assert SignedRecord.parse(presentation).attribute_names == ("tax.income",)


def test_record_carries_the_holder_key(record: SignedRecord, holder: SigningKey) -> None:
    payload = json.loads(b64url_decode(record.issuer_jwt.split(".")[1]))
    assert set(payload["cnf"]["jwk"]) <= {"kty", "crv", "x", "y"}
    assert payload["cnf"]["jwk"]["x"] == holder.public_jwk()["x"]


def test_key_bound_round_trip(
    record: SignedRecord,
    holder: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
) -> None:
    presentation = record.present(
        ["bank.balance_total", "person.name"], holder_key=holder, aud=AUD, nonce=NONCE, now=now
    )
    header, claims = kb_parts(presentation)
    assert header == {"alg": holder.alg, "typ": "kb+jwt"}
    assert claims["aud"] == AUD
    assert claims["nonce"] == NONCE
    assert claims["iat"] == int(now.timestamp())
    assert claims["sd_hash"] == sha256_b64url(presentation.rsplit("~", 1)[0] + "~")
    verified = verify_record(presentation, jwks, now=now, key_binding=policy)
    assert set(verified.attributes) == {"bank.balance_total", "person.name"}
    assert verified.key_binding is not None
    assert verified.key_binding.aud == AUD
    # Without a policy the KB-JWT is still checked, but not required to match aud/nonce.
    assert verify_record(presentation, jwks, now=now).key_binding is not None


def test_key_binding_required_but_missing(
    record: SignedRecord, jwks: KeySet, policy: KeyBindingPolicy, now: datetime
) -> None:
    with pytest.raises(KeyBindingError) as info:
        verify_record(record.present(["tax.income"]), jwks, now=now, key_binding=policy)
    assert info.value.code == "invalid_key_binding"


@pytest.mark.parametrize(
    "policy",
    [
        KeyBindingPolicy(aud="https://other.example", nonce=NONCE),
        KeyBindingPolicy(aud=AUD, nonce="another-nonce"),
    ],
)
def test_wrong_audience_or_nonce(
    record: SignedRecord,
    holder: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
) -> None:
    presentation = record.present(["tax.income"], holder_key=holder, aud=AUD, nonce=NONCE, now=now)
    with pytest.raises(KeyBindingError):
        verify_record(presentation, jwks, now=now, key_binding=policy)


def test_kb_jwt_too_old_or_from_the_future(
    record: SignedRecord,
    holder: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
) -> None:
    old = record.present(
        ["tax.income"], holder_key=holder, aud=AUD, nonce=NONCE, now=now - timedelta(minutes=10)
    )
    with pytest.raises(KeyBindingError):
        verify_record(old, jwks, now=now, key_binding=policy)
    future = record.present(
        ["tax.income"], holder_key=holder, aud=AUD, nonce=NONCE, now=now + timedelta(minutes=10)
    )
    with pytest.raises(KeyBindingError):
        verify_record(future, jwks, now=now, key_binding=policy)


@pytest.mark.parametrize("with_policy", [True, False])
def test_sd_hash_binds_the_disclosures(
    record: SignedRecord,
    holder: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
    with_policy: bool,
) -> None:
    presentation = record.present(
        ["tax.income", "person.name"], holder_key=holder, aud=AUD, nonce=NONCE, now=now
    )
    jws, first, second, kb = presentation.split("~")
    fewer = f"{jws}~{first}~{kb}"
    with pytest.raises(KeyBindingError):
        verify_record(fewer, jwks, now=now, key_binding=policy if with_policy else None)
    more = f"{jws}~{first}~{second}~{record.disclosures[0]}~{kb}"
    if record.disclosures[0] not in (first, second):
        with pytest.raises(KeyBindingError):
            verify_record(more, jwks, now=now, key_binding=policy if with_policy else None)


def test_kb_jwt_signed_by_another_key(
    record: SignedRecord, jwks: KeySet, policy: KeyBindingPolicy, now: datetime
) -> None:
    thief = SigningKey.generate()
    presentation = record.present(["tax.income"])
    claims = {
        "iat": int(now.timestamp()),
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": sha256_b64url(presentation),
    }
    kb = sign_compact({"alg": "ES256", "typ": "kb+jwt"}, json_bytes(claims), thief.jose_key)
    with pytest.raises(KeyBindingError):
        verify_record(presentation + kb, jwks, now=now, key_binding=policy)


@pytest.mark.parametrize(
    ("header", "drop"),
    [
        ({"typ": "JWT"}, None),
        ({"alg": "none"}, None),
        ({}, "iat"),
        ({}, "aud"),
        ({}, "nonce"),
        ({}, "sd_hash"),
    ],
)
def test_malformed_kb_jwt(
    record: SignedRecord,
    holder: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
    header: dict[str, str],
    drop: str | None,
) -> None:
    presentation = record.present(["tax.income"])
    claims = {
        "iat": int(now.timestamp()),
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": sha256_b64url(presentation),
    }
    if drop:
        del claims[drop]
    head = {"alg": holder.alg, "typ": "kb+jwt", **header}
    if head["alg"] == "none":
        kb = b64url_encode(json_bytes(head)) + "." + b64url_encode(json_bytes(claims)) + "."
    else:
        kb = sign_compact(head, json_bytes(claims), holder.jose_key)
    with pytest.raises(KeyBindingError):
        verify_record(presentation + kb, jwks, now=now, key_binding=policy)


def test_kb_jwt_on_a_record_without_cnf(
    claims: dict[str, Any],
    issuer: SigningKey,
    jwks: KeySet,
    policy: KeyBindingPolicy,
    now: datetime,
) -> None:
    holder = SigningKey.generate()
    unbound = issue_record(claims, ATTRIBUTES, issuer)
    with pytest.raises(IssuanceError):
        unbound.present(["tax.income"], holder_key=holder, aud=AUD, nonce=NONCE, now=now)
    presentation = unbound.present(["tax.income"])
    kb_claims = {"iat": int(now.timestamp()), "aud": AUD, "nonce": NONCE}
    kb_claims["sd_hash"] = sha256_b64url(presentation)
    kb = sign_compact({"alg": "ES256", "typ": "kb+jwt"}, json_bytes(kb_claims), holder.jose_key)
    with pytest.raises(KeyBindingError):
        verify_record(presentation + kb, jwks, now=now, key_binding=policy)


def test_present_refuses(record: SignedRecord, holder: SigningKey, now: datetime) -> None:
    with pytest.raises(IssuanceError):
        record.present(["tax.income"], holder_key=SigningKey.generate(), aud=AUD, nonce=NONCE)
    with pytest.raises(IssuanceError):
        record.present(["tax.income"], holder_key=holder, aud=AUD)
    with pytest.raises(IssuanceError):
        record.present(["tax.income"], aud=AUD, nonce=NONCE)
    bound = record.present(["tax.income"], holder_key=holder, aud=AUD, nonce=NONCE, now=now)
    with pytest.raises(IssuanceError):
        SignedRecord.parse(bound).present(["tax.income"])


def test_holder_jwk_must_be_public(claims: dict[str, Any], issuer: SigningKey) -> None:
    with pytest.raises(IssuanceError):
        issue_record(claims, ATTRIBUTES, issuer, holder_jwk=SigningKey.generate().private_jwk())
    with pytest.raises(IssuanceError):
        issue_record(
            {**claims, "cnf": {"jwk": {}}},
            ATTRIBUTES,
            issuer,
            holder_jwk=SigningKey.generate().public_jwk(),
        )


def test_a_key_binding_with_an_impossible_iat_is_refused() -> None:
    issuer, holder = SigningKey.generate("ES256"), SigningKey.generate("ES256")
    now = 1_767_225_600
    record = issue_record(
        {"iss": "https://issuer.example", "vct": "urn:x", "iat": now, "exp": now + 3600},
        {"bank.balance_total": 1},
        issuer,
        holder_jwk=holder.public_jwk(),
    )
    presentation = record.present(["bank.balance_total"])
    claims = {"iat": 10**20, "aud": "x", "nonce": "n", "sd_hash": sha256_b64url(presentation)}
    kb = sign_compact({"alg": "ES256", "typ": "kb+jwt"}, json_bytes(claims), holder.jose_key)
    with pytest.raises(KeyBindingError, match="iat"):
        verify_record(
            presentation + kb,
            KeySet([issuer.public_jwk()]),
            now=datetime.fromtimestamp(now + 60, UTC),
        )
