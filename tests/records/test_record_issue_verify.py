"""Issue and verify records in the profile, and every way a record must be refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from brondata.errors import (
    AlgorithmError,
    DisclosureError,
    IssuanceError,
    MalformedRecordError,
    RecordError,
    RecordExpiredError,
    SignatureError,
    UnknownKeyError,
)
from brondata.records import (
    Disclosable,
    KeySet,
    SignedRecord,
    SigningKey,
    issue_record,
    verify_record,
)
from brondata.records._encoding import b64url_decode, b64url_encode, json_bytes, sha256_b64url
from brondata.records._jws import sign_compact
from brondata.records._sdjwt import make_disclosure

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
IAT = int(NOW.timestamp()) - 60
EXP = IAT + 3600

CLAIMS: dict[str, Any] = {
    "iss": "https://gateway.example",
    "iat": IAT,
    "exp": EXP,
    "vct": "urn:brondata:bank:1",
    "sub": "pseudonym-7f3a",
    "source": "bank",
    "retrieved_at": "2025-06-01T11:58:00Z",
    "source_response_digest": "sha-256:" + "ab" * 32,
    "mapping_version": "bank-1.0",
    "consent_id": "c-123",
    "purpose": "mortgage-application",
}
ATTRIBUTES: dict[str, Any] = {
    "bank.balance_total": {"amount": "1234.56", "currency": "EUR"},
    "bank.accounts": [
        {"iban": "NL76RABO0359400371", "balance": "1000.00"},
        {"iban": "NL91ABNA0417164300", "balance": "234.56"},
    ],
    "bank.holder_name": "Möbius",
}


@pytest.fixture(params=["ES256", "EdDSA"])
def key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.generate(request.param)


@pytest.fixture
def jwks(key: SigningKey) -> KeySet:
    return KeySet([key.public_jwk()])


def verify(compact: str | SignedRecord, jwks: KeySet, **kwargs: Any) -> Any:
    return verify_record(compact, jwks, now=NOW, **kwargs)


def forge(
    key: SigningKey,
    payload: dict[str, Any],
    disclosures: list[str],
    header: dict[str, Any] | None = None,
) -> str:
    """A validly signed SD-JWT with whatever payload and disclosures a test needs."""
    head = header if header is not None else {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    jws = sign_compact(head, json_bytes(payload), key.jose_key)
    return jws + "~" + "".join(d + "~" for d in disclosures)


def test_known_answer_digest() -> None:
    disclosure = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert sha256_b64url(disclosure) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"


def test_round_trip(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    verified = verify(record.compact, jwks)
    assert verified.attributes == ATTRIBUTES
    assert verified.claims == CLAIMS
    assert verified.kid == key.kid
    assert verified.header == {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    assert set(record.attribute_names) == set(ATTRIBUTES)
    assert record.compact.endswith("~")
    assert record.digest.startswith("sha-256:")
    assert len(record.digest) == len("sha-256:") + 64


def test_profile_structure(key: SigningKey) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key, decoys=3)
    payload = json.loads(b64url_decode(record.issuer_jwt.split(".")[1]))
    assert payload["_sd_alg"] == "sha-256"
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) == len(ATTRIBUTES) + 3
    for name in CLAIMS:
        assert payload[name] == CLAIMS[name]
    for name in ATTRIBUTES:
        assert name not in payload
    assert len(record.disclosures) == len(ATTRIBUTES)
    for encoded in record.disclosures:
        salt, name, value = json.loads(b64url_decode(encoded))
        assert len(b64url_decode(salt)) == 16
        assert ATTRIBUTES[name] == value
        assert sha256_b64url(encoded) in payload["_sd"]
        assert "=" not in encoded


def test_default_decoys_are_a_few(key: SigningKey) -> None:
    record = issue_record(CLAIMS, {"a.b": 1}, key)
    payload = json.loads(b64url_decode(record.issuer_jwt.split(".")[1]))
    assert 3 <= len(payload["_sd"]) <= 6


def test_salts_differ_between_records(key: SigningKey) -> None:
    one = issue_record(CLAIMS, {"a.b": 1}, key, decoys=0)
    two = issue_record(CLAIMS, {"a.b": 1}, key, decoys=0)
    assert one.disclosures != two.disclosures


def test_parse_round_trip(key: SigningKey) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    parsed = SignedRecord.parse(record.compact)
    assert parsed == record
    assert parsed.attribute_names == record.attribute_names
    assert str(parsed) == record.compact


def test_removed_disclosure_is_a_presentation(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    kept = [d for d in record.disclosures if "bank.balance_total" not in _name(d)]
    verified = verify(forge_free(record.issuer_jwt, kept), jwks)
    assert "bank.balance_total" not in verified.attributes
    assert set(verified.attributes) == set(ATTRIBUTES) - {"bank.balance_total"}


def _name(encoded: str) -> str:
    return str(json.loads(b64url_decode(encoded))[1])


def forge_free(jws: str, disclosures: list[str] | tuple[str, ...]) -> str:
    return jws + "~" + "".join(d + "~" for d in disclosures)


def test_tampered_signature(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    head, payload, signature = record.issuer_jwt.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[5] ^= 0x01
    tampered = f"{head}.{payload}.{b64url_encode(bytes(raw))}"
    with pytest.raises(SignatureError) as info:
        verify(forge_free(tampered, record.disclosures), jwks)
    assert info.value.code == "invalid_signature"


def test_tampered_payload(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    head, payload, signature = record.issuer_jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["purpose"] = "marketing"
    tampered = f"{head}.{b64url_encode(json_bytes(claims))}.{signature}"
    with pytest.raises(SignatureError):
        verify(forge_free(tampered, record.disclosures), jwks)


def test_tampered_disclosure(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    salt, name, _ = json.loads(b64url_decode(record.disclosures[0]))
    changed = b64url_encode(json_bytes([salt, name, "9999999.99"]))
    with pytest.raises(DisclosureError) as info:
        verify(forge_free(record.issuer_jwt, [changed, *record.disclosures[1:]]), jwks)
    assert info.value.code == "invalid_disclosure"


def test_foreign_disclosure(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    other = issue_record(CLAIMS, {"tax.income": 50000}, key)
    with pytest.raises(DisclosureError):
        verify(forge_free(record.issuer_jwt, [*record.disclosures, other.disclosures[0]]), jwks)


def test_duplicate_disclosure(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    twice = [*record.disclosures, record.disclosures[0]]
    with pytest.raises(DisclosureError):
        verify(forge_free(record.issuer_jwt, twice), jwks)


@pytest.mark.parametrize("bad", ["!!!", "a", "WyJhIl0=", b64url_encode(b"not json")])
def test_malformed_disclosure(key: SigningKey, jwks: KeySet, bad: str) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    with pytest.raises(RecordError) as info:
        verify(forge_free(record.issuer_jwt, [*record.disclosures, bad]), jwks)
    assert info.value.code in {"invalid_disclosure", "malformed_record"}


@pytest.mark.parametrize(
    "array",
    [
        ["salt"],
        ["salt", "a", 1, 2],
        [1, "a", 1],
        ["salt", 1, 1],
        {"salt": "x"},
        ["salt", "_sd", 1],
        ["salt", "...", 1],
    ],
)
def test_disclosure_shapes_refused(key: SigningKey, jwks: KeySet, array: Any) -> None:
    encoded = b64url_encode(json_bytes(array))
    payload = {**CLAIMS, "_sd_alg": "sha-256", "_sd": [sha256_b64url(encoded)]}
    with pytest.raises(DisclosureError):
        verify(forge(key, payload, [encoded]), jwks)


def test_collision_with_plain_claim(key: SigningKey, jwks: KeySet) -> None:
    disclosure = make_disclosure("bank.iban", "NL76RABO0359400371")
    payload = {**CLAIMS, "bank.iban": "x", "_sd_alg": "sha-256", "_sd": [disclosure.digest]}
    with pytest.raises(DisclosureError):
        verify(forge(key, payload, [disclosure.encoded]), jwks)


@pytest.mark.parametrize("name", ["sub", "iss", "exp", "cnf", "vct", "status", "consent_id"])
def test_never_disclosable_claims(key: SigningKey, jwks: KeySet, name: str) -> None:
    disclosure = make_disclosure(name, "hidden")
    payload = {k: v for k, v in CLAIMS.items() if k != name}
    payload = {**payload, "iss": "x", "exp": EXP, "vct": "v", "_sd": [disclosure.digest]}
    with pytest.raises((DisclosureError, MalformedRecordError)):
        verify(forge(key, payload, [disclosure.encoded]), jwks)


def test_digest_referenced_twice(key: SigningKey, jwks: KeySet) -> None:
    disclosure = make_disclosure("a.b", 1)
    payload = {**CLAIMS, "_sd": [disclosure.digest], "x": {"_sd": [disclosure.digest]}}
    with pytest.raises(MalformedRecordError):
        verify(forge(key, payload, [disclosure.encoded]), jwks)


def test_unknown_kid(key: SigningKey) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    other = KeySet([SigningKey.generate().public_jwk()])
    with pytest.raises(UnknownKeyError) as info:
        verify(record, other)
    assert info.value.code == "unknown_key"


def test_key_of_another_issuer_with_our_kid(key: SigningKey) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    impostor = {**SigningKey.generate(key.alg).public_jwk(), "kid": key.kid}
    with pytest.raises(SignatureError):
        verify(record, KeySet([impostor]))


def test_wrong_typ(key: SigningKey, jwks: KeySet) -> None:
    payload = {**CLAIMS, "_sd_alg": "sha-256"}
    token = forge(key, payload, [], {"alg": key.alg, "typ": "JWT", "kid": key.kid})
    with pytest.raises(MalformedRecordError):
        verify(token, jwks)
    assert verify(token, jwks, expected_typ="JWT").claims["iss"] == CLAIMS["iss"]


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES512", None])
def test_algorithm_not_allowed(key: SigningKey, jwks: KeySet, alg: str | None) -> None:
    header = b64url_encode(json_bytes({"alg": alg, "typ": "dc+sd-jwt", "kid": key.kid}))
    payload = b64url_encode(json_bytes({**CLAIMS, "_sd_alg": "sha-256"}))
    for signature in ("", "c2ln"):
        with pytest.raises(RecordError) as info:
            verify(f"{header}.{payload}.{signature}~", jwks)
        assert info.value.code in {"algorithm_not_allowed", "malformed_record"}
    with pytest.raises(AlgorithmError):
        verify(f"{header}.{payload}.c2ln~", jwks)


def test_algorithm_the_key_does_not_have(key: SigningKey, jwks: KeySet) -> None:
    other = "EdDSA" if key.alg == "ES256" else "ES256"
    header = {"alg": other, "typ": "dc+sd-jwt", "kid": key.kid}
    token = (
        b64url_encode(json_bytes(header)) + "." + b64url_encode(json_bytes({**CLAIMS})) + ".c2ln~"
    )
    with pytest.raises(AlgorithmError):
        verify(token, jwks)


def test_expired(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    with pytest.raises(RecordExpiredError) as info:
        verify_record(record, jwks, now=NOW + timedelta(hours=2))
    assert info.value.code == "record_expired"
    # within the leeway it still verifies
    verify_record(record, jwks, now=datetime.fromtimestamp(EXP + 30, UTC))


def test_issued_in_the_future(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, ATTRIBUTES, key)
    with pytest.raises(RecordExpiredError):
        verify_record(record, jwks, now=NOW - timedelta(hours=1))


def test_not_before(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record({**CLAIMS, "nbf": IAT + 600}, ATTRIBUTES, key)
    with pytest.raises(RecordExpiredError):
        verify(record, jwks)
    verify_record(record, jwks, now=NOW + timedelta(minutes=10))


def test_other_sd_alg(key: SigningKey, jwks: KeySet) -> None:
    with pytest.raises(AlgorithmError):
        verify(forge(key, {**CLAIMS, "_sd_alg": "sha-512"}, []), jwks)


@pytest.mark.parametrize(
    "compact",
    [
        "",
        "~",
        "abc",
        "a.b.c",
        "a.b~~",
        "e30.e30.c2ln~~x~",
        "!!.e30.c2ln~",
    ],
)
def test_malformed_compact(jwks: KeySet, compact: str) -> None:
    with pytest.raises(RecordError):
        verify(compact, jwks)


def test_payload_must_be_an_object(key: SigningKey, jwks: KeySet) -> None:
    header = {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    token = sign_compact(header, b"[1, 2]", key.jose_key) + "~"
    with pytest.raises(MalformedRecordError):
        verify(token, jwks)


def test_duplicate_json_members_refused(key: SigningKey, jwks: KeySet) -> None:
    header = {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    body = json_bytes({**CLAIMS}).decode()[:-1] + ',"iss":"https://evil.example"}'
    token = sign_compact(header, body.encode(), key.jose_key) + "~"
    with pytest.raises(MalformedRecordError):
        verify(token, jwks)


@pytest.mark.parametrize(
    ("claims", "attributes"),
    [
        ({k: v for k, v in CLAIMS.items() if k != "iss"}, {}),
        ({**CLAIMS, "exp": "tomorrow"}, {}),
        ({**CLAIMS, "exp": IAT}, {}),
        ({**CLAIMS, "_sd": []}, {}),
        ({**CLAIMS, "foo": Disclosable(1)}, {}),
        ({**CLAIMS, "status": {"idx": Disclosable(1)}}, {}),
        (CLAIMS, {"sub": "x"}),
        (CLAIMS, {"purpose": "x"}),
        (CLAIMS, {"": 1}),
        (CLAIMS, {"a.b": float("nan")}),
        (CLAIMS, {"a.b": {"_sd": 1}}),
        (CLAIMS, {"a.b": {"...": 1}}),
        (CLAIMS, {"a.b": Disclosable(1)}),
        (CLAIMS, {"a.b": {1: 2}}),
        (CLAIMS, {"a.b": b"bytes"}),
    ],
)
def test_issue_refuses(key: SigningKey, claims: dict[str, Any], attributes: dict[str, Any]) -> None:
    with pytest.raises(IssuanceError) as info:
        issue_record(claims, attributes, key)
    assert info.value.code == "invalid_issuance"


def test_issue_refuses_negative_decoys(key: SigningKey) -> None:
    with pytest.raises(IssuanceError):
        issue_record(CLAIMS, ATTRIBUTES, key, decoys=-1)


def test_record_without_disclosures(key: SigningKey, jwks: KeySet) -> None:
    record = issue_record(CLAIMS, {}, key)
    assert record.compact.count("~") == 1
    assert verify(record, jwks).attributes == {}
