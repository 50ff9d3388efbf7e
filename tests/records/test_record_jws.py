"""The JWS layer on ``cryptography`` against joserfc, both ways, for every allowed algorithm,
and the one-draw randomness of issuing."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from joserfc import jws as jose_jws
from joserfc.errors import BadSignatureError

from brondata.errors import AlgorithmError, InvalidKeyError, MalformedRecordError, SignatureError
from brondata.records import KeySet, SigningKey, issue_record, verify_record
from brondata.records._encoding import b64url_decode, b64url_encode, json_loads
from brondata.records._jws import _raw_signature, read_compact, sign_compact, verify_compact

# joserfc's warning-free name for each of our algorithms.
JOSERFC_ALG = {"ES256": "ES256", "EdDSA": "Ed25519", "Ed25519": "Ed25519"}
PAYLOAD = json.dumps({"iss": "https://gateway.example", "name": "Ëlla", "n": 7}).encode()


@pytest.fixture(params=["ES256", "EdDSA", "Ed25519"])
def alg(request: pytest.FixtureRequest) -> Any:
    return request.param


def test_ours_verifies_with_joserfc(alg: Any) -> None:
    key = SigningKey.generate(alg)
    token = sign_compact({"alg": JOSERFC_ALG[alg], "kid": key.kid}, PAYLOAD, key.jose_key)
    public = key.verification_key().jose_key
    checked = jose_jws.deserialize_compact(token, public, algorithms=[JOSERFC_ALG[alg]])
    assert checked.payload == PAYLOAD
    assert checked.headers() == {"alg": JOSERFC_ALG[alg], "kid": key.kid}


def test_joserfc_verifies_with_ours(alg: Any) -> None:
    key = SigningKey.generate(alg)
    token = jose_jws.serialize_compact(
        {"alg": JOSERFC_ALG[alg]}, PAYLOAD, key.jose_key, algorithms=[JOSERFC_ALG[alg]]
    )
    parsed = read_compact(token)
    assert parsed.payload == PAYLOAD
    verify_compact(parsed, key.verification_key().jose_key)


def test_a_tampered_token_fails_in_both(alg: Any) -> None:
    key = SigningKey.generate(alg)
    public = key.verification_key().jose_key
    token = sign_compact({"alg": JOSERFC_ALG[alg]}, PAYLOAD, key.jose_key)
    head, body, signature = token.split(".")
    other = b64url_encode(PAYLOAD.replace(b"7", b"8"))
    forged = f"{head}.{other}.{signature}"
    with pytest.raises(SignatureError):
        verify_compact(read_compact(forged), public)
    with pytest.raises(BadSignatureError):
        jose_jws.deserialize_compact(forged, public, algorithms=[JOSERFC_ALG[alg]])
    flipped = bytearray(b64url_decode(signature))
    flipped[-1] ^= 1
    with pytest.raises(SignatureError):
        verify_compact(read_compact(f"{head}.{body}.{b64url_encode(bytes(flipped))}"), public)


def test_another_key_does_not_verify(alg: Any) -> None:
    token = sign_compact({"alg": alg}, PAYLOAD, SigningKey.generate(alg).jose_key)
    with pytest.raises(SignatureError):
        verify_compact(read_compact(token), SigningKey.generate(alg).verification_key().jose_key)


def test_the_key_type_must_fit_the_algorithm() -> None:
    es, ed = SigningKey.generate("ES256"), SigningKey.generate("EdDSA")
    es_token = read_compact(sign_compact({"alg": "ES256"}, PAYLOAD, es.jose_key))
    ed_token = read_compact(sign_compact({"alg": "EdDSA"}, PAYLOAD, ed.jose_key))
    with pytest.raises(SignatureError):
        verify_compact(es_token, ed.verification_key().jose_key)
    with pytest.raises(SignatureError):
        verify_compact(ed_token, es.verification_key().jose_key)
    with pytest.raises(InvalidKeyError):
        sign_compact({"alg": "ES256"}, PAYLOAD, ed.jose_key)
    with pytest.raises(InvalidKeyError):
        sign_compact({"alg": "EdDSA"}, PAYLOAD, es.jose_key)


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384", None, 5])
def test_only_the_allow_list_signs_or_verifies(alg: Any) -> None:
    key = SigningKey.generate("ES256")
    with pytest.raises(AlgorithmError):
        sign_compact({"alg": alg}, PAYLOAD, key.jose_key)
    good = read_compact(sign_compact({"alg": "ES256"}, PAYLOAD, key.jose_key))
    swapped = good.__class__({"alg": alg}, good.payload, good.signing_input, good.signature)
    with pytest.raises(MalformedRecordError):
        verify_compact(swapped, key.verification_key().jose_key)


def test_an_es256_signature_of_another_length_is_refused() -> None:
    key = SigningKey.generate("ES256")
    good = read_compact(sign_compact({"alg": "ES256"}, PAYLOAD, key.jose_key))
    for signature in (good.signature[:-1], good.signature + b"\0", b""):
        bad = good.__class__(good.header, good.payload, good.signing_input, signature)
        with pytest.raises(SignatureError):
            verify_compact(bad, key.verification_key().jose_key)


def test_json_decoding_stays_strict() -> None:
    for bad in (b'{"a":1,"a":2}', b'{"a":NaN}', b"\xff", '{"a":1}'.encode("utf-16")):
        with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
            json_loads(bad)
    assert json_loads('{"ë":[1,2]}'.encode()) == {"ë": [1, 2]}


def test_issuing_draws_randomness_once(monkeypatch: pytest.MonkeyPatch) -> None:
    key = SigningKey.generate("ES256")
    calls: list[int] = []
    real = os.urandom

    def counting(size: int) -> bytes:
        calls.append(size)
        return real(size)

    monkeypatch.setattr(os, "urandom", counting)
    claims = {"iss": "https://gateway.example", "vct": "urn:x", "iat": 1, "exp": 2}
    attributes = {f"a.n{i}": {"v": i, "list": [1, 2]} for i in range(6)}
    attributes["a.list"] = [{"iban": "x"}, {"iban": "y"}, {"iban": "z"}]  # type: ignore[assignment]
    record = issue_record(claims, attributes, key, array_elements={"a.list"})
    assert len(calls) == 1
    assert len(record.disclosures) == 10
    salts = {json_loads(b64url_decode(d))[0] for d in record.disclosures}
    assert len(salts) == 10


def test_a_large_record_draws_more_but_never_reuses() -> None:
    key = SigningKey.generate("EdDSA")
    claims = {"iss": "https://gateway.example", "vct": "urn:x", "iat": 1, "exp": 2}
    attributes = {"a.list": list(range(200))}
    record = issue_record(claims, attributes, key, array_elements={"a.list"}, decoys=40)
    decoded = [json_loads(b64url_decode(d)) for d in record.disclosures]
    salts = [array[0] for array in decoded]
    assert len(salts) == len(set(salts)) == 201  # the list, and each of its elements
    (elements,) = [array[2] for array in decoded if len(array) == 3]
    digests = [element["..."] for element in elements]
    assert len(digests) == len(set(digests)) == 240  # 200 elements and 40 decoys
    verified = verify_record(record, KeySet([key.public_jwk()]), now=_at(1))
    assert verified.attributes["a.list"] == list(range(200))


def _at(seconds: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


def test_salts_are_canonical_128_bit_base64url() -> None:
    key = SigningKey.generate("ES256")
    claims = {"iss": "https://gateway.example", "vct": "urn:x", "iat": 1, "exp": 2}
    record = issue_record(claims, {"a.list": list(range(70))}, key, array_elements={"a.list"})
    salts = [json_loads(b64url_decode(d))[0] for d in record.disclosures]
    assert len(set(salts)) == 71
    for salt in salts:
        assert len(b64url_decode(salt)) == 16
        assert b64url_encode(b64url_decode(salt)) == salt


@pytest.mark.parametrize(
    "text", ["YQ=", "YQ==", "Y+Q", "Y/Q", "Y Q", "YQ\n", "Yé", "Y*Qa", "A", "ab%c", "YWJj\x00"]
)
def test_base64url_decoding_stays_strict(text: str) -> None:
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode(text)


def test_base64url_round_trip() -> None:
    for size in range(40):
        data = os.urandom(size)
        assert b64url_decode(b64url_encode(data)) == data


def test_each_header_is_signed_as_given() -> None:
    # Encoded headers are reused between tokens: one header's encoding must never stand in
    # for another's (True and 1 are equal in Python, "1" is text; a member order differs).
    key = SigningKey.generate("ES256")
    headers: list[dict[str, Any]] = [
        {"alg": "ES256", "typ": "JWT", "kid": key.kid},
        {"alg": "ES256", "typ": "JWT", "kid": key.kid, "x": True},
        {"alg": "ES256", "typ": "JWT", "kid": key.kid, "x": 1},
        {"alg": "ES256", "typ": "JWT", "kid": key.kid, "x": "1"},
        {"kid": key.kid, "typ": "JWT", "alg": "ES256"},
        {"alg": "ES256", "typ": "kb+jwt"},
    ]
    for header in headers * 2:
        token = sign_compact(header, PAYLOAD, key.jose_key)
        text = b64url_decode(token.split(".")[0]).decode()
        assert text == json.dumps(header, separators=(",", ":"))


@pytest.mark.parametrize(
    ("r", "s"),
    [
        (1, 1),
        (0x7F, 0x80),
        (2**255, 2**255 - 1),
        (2**248 - 1, 2**256 - 2**224),
        (int.from_bytes(b"\x00\x01" + b"\xff" * 30, "big"), 2**200),
    ],
)
def test_der_signatures_read_as_their_integers(r: int, s: int) -> None:
    raw = _raw_signature(encode_dss_signature(r, s))
    assert raw == r.to_bytes(32, "big") + s.to_bytes(32, "big")


def test_es256_signatures_read_as_decode_dss_signature_reads_them() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    for n in range(300):
        der = private.sign(n.to_bytes(2, "big"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        assert _raw_signature(der) == r.to_bytes(32, "big") + s.to_bytes(32, "big")


def test_a_key_is_checked_again_after_the_cache_empties() -> None:
    keys = [SigningKey.generate("ES256") for _ in range(70)]
    for key in keys * 2:
        token = sign_compact({"alg": "ES256"}, PAYLOAD, key.jose_key)
        verify_compact(read_compact(token), key.verification_key().jose_key)
    ed = SigningKey.generate("EdDSA")
    with pytest.raises(InvalidKeyError):
        sign_compact({"alg": "ES256"}, PAYLOAD, ed.jose_key)
    with pytest.raises(SignatureError):
        verify_compact(read_compact(token), ed.verification_key().jose_key)
