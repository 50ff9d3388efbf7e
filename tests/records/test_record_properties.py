"""Property-based round trips: anything catalogue-like, issued, presented with any subset,
verifies to exactly that subset; and no mangled record gets past the verifier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brondata.errors import RecordError
from brondata.records import Disclosable, KeySet, SigningKey, issue_record, verify_record

KEY = SigningKey.generate()
JWKS = KeySet([KEY.public_jwk()])
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CLAIMS = {
    "iss": "https://gateway.example",
    "iat": int(NOW.timestamp()),
    "exp": int(NOW.timestamp()) + 600,
    "vct": "urn:brondata:bank:1",
}
RESERVED = {"_sd", "...", "_sd_alg"}

names = st.from_regex(r"[a-z]{1,8}\.[a-z_]{1,12}", fullmatch=True)
keys = st.text(max_size=10).filter(lambda k: k not in RESERVED)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def _wrap(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with random members and elements made ``Disclosable``."""
    if isinstance(value, dict):
        return {
            k: Disclosable(_wrap(draw, v)) if draw(st.booleans()) else _wrap(draw, v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            Disclosable(_wrap(draw, v)) if draw(st.booleans()) else _wrap(draw, v) for v in value
        ]
    return value


@st.composite
def marked(draw: st.DrawFn) -> tuple[Any, Any]:
    """A JSON value and the same value with random disclosable parts."""
    value = draw(json_values)
    return value, _wrap(draw, value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributes=st.dictionaries(names, json_values, max_size=6), data=st.data())
def test_any_subset_round_trips(attributes: dict[str, Any], data: st.DataObject) -> None:
    elements = {
        n for n, v in attributes.items() if isinstance(v, list) and data.draw(st.booleans())
    }
    record = issue_record(CLAIMS, attributes, KEY, array_elements=elements)
    subset = data.draw(
        st.sets(st.sampled_from(sorted(attributes))) if attributes else st.just(set())
    )
    verified = verify_record(record.present(subset), JWKS, now=NOW)
    assert verified.attributes == {n: attributes[n] for n in subset}
    assert verified.claims == CLAIMS


@settings(max_examples=60, deadline=None)
@given(attributes=st.dictionaries(names, marked(), max_size=4), data=st.data())
def test_nested_disclosures_round_trip(
    attributes: dict[str, tuple[Any, Any]], data: st.DataObject
) -> None:
    record = issue_record(CLAIMS, {n: m for n, (_, m) in attributes.items()}, KEY, decoys=1)
    everything = verify_record(record, JWKS, now=NOW)
    assert everything.attributes == {n: v for n, (v, _) in attributes.items()}
    subset = data.draw(
        st.sets(st.sampled_from(sorted(attributes))) if attributes else st.just(set())
    )
    shown = verify_record(record.present(subset), JWKS, now=NOW)
    assert shown.attributes == {n: attributes[n][0] for n in subset}


MANGLE_ME = issue_record(
    CLAIMS, {"bank.accounts": [1, 2, 3], "bank.name": "x"}, KEY, array_elements={"bank.accounts"}
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mangled_records_are_refused_or_unchanged(data: st.DataObject) -> None:
    record = issue_record(
        CLAIMS,
        {"bank.accounts": [1, 2, 3], "bank.name": "x"},
        KEY,
        array_elements={"bank.accounts"},
    )
    original = verify_record(record, JWKS, now=NOW).attributes
    compact = record.compact
    # Drawn independently of the length: salts make every run's record a different size.
    position = data.draw(st.integers(min_value=0, max_value=10**6)) % len(compact)
    replacement = data.draw(st.sampled_from("A_-~.0z="))
    mangled = compact[:position] + replacement + compact[position + 1 :]
    try:
        verified = verify_record(mangled, JWKS, now=NOW)
    except RecordError:
        return
    # A mutation may survive only where it changes nothing signed: base64url's unused
    # trailing bits, or dropping a disclosure (a presentation).
    for name, value in verified.attributes.items():
        assert name in original
        if name != "bank.accounts":
            assert value == original[name]
        else:
            assert set(value) <= set(original[name])
