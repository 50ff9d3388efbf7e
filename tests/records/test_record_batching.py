"""The hot path's shortcuts give exactly what the plain way gives: digests encoded together,
decoys hashed over fresh random numbers, disclosures parsed together, headers decoded once
per distinct text, and JSON written by pydantic-core."""

from __future__ import annotations

import hashlib
import json
import os
import random
from datetime import datetime
from typing import Any

import pytest

from brondata.records import KeySet, SigningKey, issue_record, verify_record
from brondata.records._encoding import b64url_decode, b64url_encode, json_bytes
from brondata.records._sdjwt import b64url_digests, parse_disclosure, parse_disclosures

ACCOUNTS = [{"iban": f"NL{i:02d}BANK0123456789", "balance": f"{i}.00"} for i in range(4)]


def test_digests_encoded_together_are_each_encoded_alone() -> None:
    rng = random.Random(7)
    edges = [bytes(32), b"\xff" * 32, bytes(range(32)), bytes(range(224, 256))]
    for count in range(12):
        digests = edges[:count] + [rng.randbytes(32) for _ in range(count)]
        assert b64url_digests(digests) == [b64url_encode(d) for d in digests]


def _decoys(compact: str, disclosures: tuple[str, ...]) -> set[str]:
    """The digests in a record that no disclosure has: the decoys."""
    real = {b64url_encode(hashlib.sha256(d.encode()).digest()) for d in disclosures}
    payload = b64url_decode(compact.split("~")[0].split(".")[1]).decode()
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(node.get("_sd", []))
            if "..." in node:
                found.add(node["..."])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(payload))
    for disclosure in disclosures:
        walk(json.loads(b64url_decode(disclosure)))
    return found - real


def test_decoys_are_sha256_over_fresh_random_numbers(
    monkeypatch: pytest.MonkeyPatch, claims: dict[str, Any]
) -> None:
    drawn: list[bytes] = []
    rng = random.Random(11)

    def urandom(size: int) -> bytes:
        drawn.append(rng.randbytes(size))
        return drawn[-1]

    monkeypatch.setattr(os, "urandom", urandom)
    key = SigningKey.generate("ES256")
    attributes = {"bank.accounts": ACCOUNTS, "bank.holder_name": "J. Jansen"}
    record = issue_record(claims, attributes, key, array_elements={"bank.accounts"}, decoys=3)
    decoys = _decoys(record.compact, record.disclosures)
    assert len(decoys) == 6  # three in the top-level _sd, three among the accounts
    randomness = b"".join(drawn)
    numbers = {randomness[at : at + 16] for at in range(len(randomness) - 15)}
    hashed = {b64url_encode(hashlib.sha256(number).digest()) for number in numbers}
    assert decoys <= hashed


def test_disclosures_parsed_together_are_each_parsed_alone(
    claims: dict[str, Any], now: datetime
) -> None:
    key = SigningKey.generate("EdDSA")
    attributes = {"bank.accounts": ACCOUNTS, "a.text": 'quote " and \\ and "_sd"', "a.n": 1}
    record = issue_record(claims, attributes, key, array_elements={"bank.accounts"})
    parsed = parse_disclosures(record.disclosures)
    assert [d.encoded for d in parsed] == list(record.disclosures)
    for disclosure in parsed:
        text = b64url_decode(disclosure.encoded)
        array = json.loads(text)
        digest = b64url_encode(hashlib.sha256(disclosure.encoded.encode()).digest())
        name = array[1] if len(array) == 3 else None
        assert disclosure.digest == digest
        assert (disclosure.salt, disclosure.name, disclosure.value) == (array[0], name, array[-1])
        assert disclosure.plain == all(mark not in text for mark in (b"\\", b'"_sd"', b'"..."'))
        assert parse_disclosure(disclosure.encoded) == disclosure
    assert parse_disclosures(()) == []
    verify_record(record, KeySet([key.public_jwk()]), now=now)


def test_a_verified_header_is_the_callers_own(claims: dict[str, Any], now: datetime) -> None:
    key = SigningKey.generate("ES256")
    jwks = KeySet([key.public_jwk()])
    record = issue_record(claims, {"a.b": 1}, key)
    first = verify_record(record, jwks, now=now)
    first.header["typ"] = "changed"
    first.header["extra"] = True
    second = verify_record(record, jwks, now=now)
    assert second.header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": key.kid}


@pytest.mark.parametrize(
    "value",
    [
        {"name": "Ëlla", "n": 10**40, "ok": True, "none": None, "list": [1, "x", {}]},
        'quote " backslash \\ controls \x00\x1f\n\t del \x7f line \u2028',
        "NaN and Infinity are only words here",
        ["-Infinity", {"NaN": "NaN"}],
        {"a": 1.5, "b": -0.0, "c": 1e22},
    ],
)
def test_json_bytes_is_compact_json_of_the_value(value: Any) -> None:
    encoded = json_bytes(value)
    assert json.loads(encoded) == value
    if "1.5" not in str(value):  # floats may be spelled otherwise (1e22, 1e+22)
        assert encoded == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("value", [float("nan"), [float("inf")], {"x": float("-inf")}, "\ud800"])
def test_json_bytes_refuses_what_is_not_json(value: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the json module's and pydantic-core's
        json_bytes(value)
