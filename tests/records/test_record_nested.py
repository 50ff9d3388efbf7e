"""RFC 9901 beyond the flat profile: array elements, recursive disclosures, decoys, and the
§7.1 rules for where a disclosure may be used."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from brondata.errors import DisclosureError, IssuanceError, MalformedRecordError
from brondata.records import Disclosable, KeySet, SigningKey, issue_record, verify_record
from brondata.records._encoding import b64url_decode, b64url_encode
from brondata.records._jws import sign_compact
from brondata.records._sdjwt import make_disclosure, parse_disclosure

ACCOUNTS = [
    {"iban": "NL76RABO0359400371", "balance": "1000.00"},
    {"iban": "NL91ABNA0417164300", "balance": "234.56"},
    {"iban": "NL20INGB0001234567", "balance": "0.00"},
]


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def jwks(key: SigningKey) -> KeySet:
    return KeySet([key.public_jwk()])


def payload_of(compact: str) -> dict[str, Any]:
    return dict(json.loads(b64url_decode(compact.split("~")[0].split(".")[1])))


def test_array_elements_each_disclosable(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime
) -> None:
    record = issue_record(
        claims, {"bank.accounts": ACCOUNTS}, key, array_elements={"bank.accounts"}, decoys=2
    )
    assert len(record.disclosures) == 1 + len(ACCOUNTS)
    full = verify_record(record, jwks, now=now)
    assert full.attributes == {"bank.accounts": ACCOUNTS}
    one = verify_record(record.present([("bank.accounts", 2)]), jwks, now=now)
    assert one.attributes == {"bank.accounts": [ACCOUNTS[2]]}
    none = verify_record(record.present([]), jwks, now=now)
    assert none.attributes == {}


def test_array_elements_carry_decoys(key: SigningKey, claims: dict[str, Any]) -> None:
    record = issue_record(
        claims, {"bank.accounts": ACCOUNTS}, key, array_elements={"bank.accounts"}, decoys=2
    )
    top = next(d for d in record.disclosures if "bank.accounts" in b64url_decode(d).decode())
    elements = json.loads(b64url_decode(top))[2]
    assert len(elements) == len(ACCOUNTS) + 2
    assert all(set(e) == {"..."} for e in elements)


def test_array_elements_must_name_arrays(key: SigningKey, claims: dict[str, Any]) -> None:
    with pytest.raises(IssuanceError):
        issue_record(claims, {"a.b": 1}, key, array_elements={"a.b"})
    with pytest.raises(IssuanceError):
        issue_record(claims, {"a.b": [1]}, key, array_elements={"a.c"})


def test_recursive_disclosures(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime
) -> None:
    address = {"street": Disclosable("Dam 1"), "city": Disclosable("Amsterdam"), "country": "NL"}
    record = issue_record(claims, {"person.address": address}, key, decoys=0)
    assert len(record.disclosures) == 3
    city = verify_record(record.present([("person.address", "city")]), jwks, now=now)
    assert city.attributes == {"person.address": {"city": "Amsterdam", "country": "NL"}}
    whole = verify_record(record.present(["person.address"]), jwks, now=now)
    assert whole.attributes == {
        "person.address": {"street": "Dam 1", "city": "Amsterdam", "country": "NL"}
    }


def test_plain_claim_with_disclosable_members(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime
) -> None:
    claims = {**claims, "nationalities": [Disclosable("NL"), Disclosable("BE"), "DE"]}
    record = issue_record(claims, {}, key)
    shown = verify_record(record.present([("nationalities", 1)]), jwks, now=now)
    assert shown.claims["nationalities"] == ["BE", "DE"]


def test_present_unknown_path_refused(key: SigningKey, claims: dict[str, Any]) -> None:
    record = issue_record(claims, {"bank.accounts": ACCOUNTS}, key)
    with pytest.raises(IssuanceError):
        record.present(["bank.nothing"])
    with pytest.raises(IssuanceError):
        record.present([("bank.accounts", 7)])
    with pytest.raises(IssuanceError):
        record.present([()])


def test_presentation_keeps_the_disclosures_in_order(
    key: SigningKey, claims: dict[str, Any]
) -> None:
    record = issue_record(
        claims, {"bank.accounts": ACCOUNTS, "a.b": 1}, key, array_elements={"bank.accounts"}
    )
    presented = record.present(["bank.accounts", "a.b"])
    assert presented == record.compact


def test_element_disclosure_used_in_an_object(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime, forge: Callable[..., str]
) -> None:
    element = make_disclosure(None, "NL")
    payload = {**claims, "_sd": [element.digest]}
    with pytest.raises(DisclosureError):
        verify_record(forge(key, payload, [element.encoded]), jwks, now=now)


def test_object_disclosure_used_as_an_element(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime, forge: Callable[..., str]
) -> None:
    member = make_disclosure("country", "NL")
    payload = {**claims, "list": [{"...": member.digest}]}
    with pytest.raises(DisclosureError):
        verify_record(forge(key, payload, [member.encoded]), jwks, now=now)


def test_element_digest_must_stand_alone(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime, forge: Callable[..., str]
) -> None:
    element = make_disclosure(None, "NL")
    payload = {**claims, "list": [{"...": element.digest, "x": 1}]}
    with pytest.raises(MalformedRecordError):
        verify_record(forge(key, payload, [element.encoded]), jwks, now=now)


def test_digest_used_in_object_and_array(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime, forge: Callable[..., str]
) -> None:
    element = make_disclosure(None, "NL")
    payload = {**claims, "a": [{"...": element.digest}], "b": [{"...": element.digest}]}
    with pytest.raises(MalformedRecordError):
        verify_record(forge(key, payload, [element.encoded]), jwks, now=now)


def test_recursive_disclosure_referencing_itself_is_impossible(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime, forge: Callable[..., str]
) -> None:
    # A disclosure can only reference digests of others; one whose value carries the digest
    # of a sibling that is already used must fail the once-only rule.
    inner = make_disclosure("x", 1)
    outer = make_disclosure("o", {"_sd": [inner.digest]})
    payload = {**claims, "_sd": [outer.digest, inner.digest]}
    with pytest.raises(MalformedRecordError):
        verify_record(forge(key, payload, [outer.encoded, inner.encoded]), jwks, now=now)


@pytest.mark.parametrize("bad", [{"_sd": "x"}, {"_sd": [1]}])
def test_malformed_sd(
    key: SigningKey,
    jwks: KeySet,
    bad: dict[str, Any],
    claims: dict[str, Any],
    now: datetime,
    forge: Callable[..., str],
) -> None:
    with pytest.raises(MalformedRecordError):
        verify_record(forge(key, {**claims, "x": bad}, []), jwks, now=now)


def test_deep_nesting_is_refused_not_crashed(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime
) -> None:
    header = {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    deep = "[" * 20_000 + "1" + "]" * 20_000
    body = (json.dumps(claims)[:-1] + f', "deep": {deep}}}').encode()
    token = sign_compact(header, body, key.jose_key) + "~"
    with pytest.raises(MalformedRecordError):
        verify_record(token, jwks, now=now)


def test_undisclosed_nested_digests_are_removed(
    key: SigningKey, jwks: KeySet, claims: dict[str, Any], now: datetime
) -> None:
    record = issue_record(
        claims,
        {"bank.accounts": ACCOUNTS},
        key,
        array_elements={"bank.accounts"},
        decoys=1,
    )
    # Only the outer disclosure: the array is disclosed but every element stays hidden.
    outer = [d for d in record.disclosures if "bank.accounts" in b64url_decode(d).decode()]
    compact = record.issuer_jwt + "~" + outer[0] + "~"
    assert verify_record(compact, jwks, now=now).attributes == {"bank.accounts": []}
    assert "bank.accounts" not in payload_of(compact)


@pytest.mark.parametrize(
    ("value", "inner", "expected"),
    [
        ('{{"\\u005fsd": ["{digest}"]}}', make_disclosure("street", "Dam 1"), {"street": "Dam 1"}),
        ('[{{"\\u002e..": "{digest}"}}]', make_disclosure(None, "NL"), ["NL"]),
    ],
)
def test_digests_spelled_with_escapes_are_processed(
    key: SigningKey,
    jwks: KeySet,
    claims: dict[str, Any],
    now: datetime,
    forge: Callable[..., str],
    value: str,
    inner: Any,
    expected: Any,
) -> None:
    # A verifier takes a disclosure's value as it is only when its text cannot hold a
    # digest; "\u005fsd" is "_sd" all the same, so the nested disclosure is revealed.
    text = '["c2FsdHNhbHRzYWx0", "address", ' + value.format(digest=inner.digest) + "]"
    outer = b64url_encode(text.encode())
    payload = {**claims, "_sd": [parse_disclosure(outer).digest]}
    verified = verify_record(forge(key, payload, [outer, inner.encoded]), jwks, now=now)
    assert verified.attributes == {"address": expected}
