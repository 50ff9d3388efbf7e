"""The audit's fast reading of a ledger line accepts exactly what ``parse_entry`` accepts."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brondata.consent import EVENT_FIELDS, LedgerEvent, entry_bytes, parse_entry
from brondata.consent._audit_entry import SORTED_UNIQUE, _fast, read_entry
from brondata.errors import LedgerIntegrityError

from .factories import AT, KEY_ID, digest, make_event
from .test_ledger_events import test_fields_are_checked as _field_cases
from .test_ledger_events import (
    test_parse_entry_refuses_what_is_not_a_canonical_entry as _line_cases,
)


def _judged_alike(data: bytes) -> None:
    """``_fast`` accepts ``data`` when ``parse_entry`` does, with the same event, and only then;
    ``read_entry`` raises what ``parse_entry`` raises."""
    try:
        index, event = parse_entry(data)
    except LedgerIntegrityError as exc:
        refused = exc.message
    else:
        # orjson reads integers to 64 bits: a larger index (never in a real log) is left to
        # parse_entry, which accepts it.
        if index < 2**64:
            assert _fast(data) == (index, event.to_json_dict()), data
        assert read_entry(data) == (index, event.to_json_dict())
        return
    assert _fast(data) is None, data
    with pytest.raises(LedgerIntegrityError) as raised:
        read_entry(data)
    assert raised.value.message == refused


def _encode(obj: Any) -> bytes:
    # Canonical for what an entry holds (see ``entry_bytes``); anything else stays as written.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


@pytest.mark.parametrize("kind", sorted(EVENT_FIELDS))
def test_every_event_type_is_read_fast(kind: str) -> None:
    event = make_event(kind)
    data = entry_bytes(event, 41)
    assert _fast(data) == (41, event.to_json_dict())
    _judged_alike(data)


def test_the_erasure_of_a_subject_is_read_fast() -> None:
    erased = LedgerEvent(event="data.erased", at=AT, subject_key=KEY_ID)
    assert _fast(entry_bytes(erased, 3)) == (3, erased.to_json_dict())


@pytest.mark.parametrize(
    "extra",
    [
        {"source": "bank"},
        {"session_id": "ses_01"},
        {"subject_sealed": "A" * 38},
        {"subject_key": None},
        {"event": "consent.withdrawn"},
    ],
)
def test_the_erasure_of_a_subject_carries_its_key_only(extra: dict[str, Any]) -> None:
    obj = {"event": "data.erased", "at": AT, "subject_key": KEY_ID, "index": 3, **extra}
    _judged_alike(_encode({k: v for k, v in obj.items() if v is not None}))


def test_the_whole_consent_record_is_read_fast() -> None:
    event = make_event(
        "consent.given",
        purpose_text='Uw "hypotheek"\\aanvraag\n\tbeoordelen: é ✓ 𝄞',
        controller="Voorbeeld Hypotheken B.V.",
        controller_contact="privacy@hypotheek.example",
        categories=["dpv-pd:Income", "dpv-pd:BankAccount"],
        storage_location="NL",
        withdrawal_method="https://hypotheek.example/toestemmingen",
        notice_language="nl",
    )
    assert _fast(entry_bytes(event, 0)) == (0, event.to_json_dict())


@pytest.mark.parametrize(
    ("canonical", "other"),
    [
        (b"\xc3\xa9", b"\\u00e9"),
        (b"\xc3\xa9", b"\\u00E9"),
        (b"\\n", b"\\u000a"),
        (b"\\t", b"\\u0009"),
        (b'\\"', b"\\u0022"),
        (b"/", b"\\/"),
        (b"\xf0\x9d\x84\x9e", b"\\ud834\\udd1e"),
        (b"\x7f", b"\\u007f"),
    ],
)
def test_free_text_written_otherwise_than_canonically_is_refused(
    canonical: bytes, other: bytes
) -> None:
    event = make_event("consent.given", purpose_text='Uw "hypotheek"/aanvraag\n\té 𝄞')
    data = entry_bytes(event, 2)
    assert _fast(data) == (2, event.to_json_dict())
    if canonical == b"\x7f":  # not in a purpose: the model refuses it either way
        data = data.replace(b"\xc3\xa9", b"\x7f")
    assert canonical in data
    _judged_alike(data.replace(canonical, other, 1))


@pytest.mark.parametrize("length", [127, 128, 129])
def test_the_longest_attribute_name(length: int) -> None:
    obj = {**make_event("data.delivered").to_json_dict(), "index": 1}
    obj["attributes"] = ["a." + "b" * (length - 2)]
    _judged_alike(_encode(obj))


def test_the_model_sorts_what_the_fast_path_expects_sorted() -> None:
    decorators = LedgerEvent.__pydantic_decorators__.field_validators
    assert set(decorators["_sorted_unique"].info.fields) == SORTED_UNIQUE
    assert set(decorators) == {"_sorted_unique", "_at_is_rfc3339_utc"}  # both mirrored


# The rejection cases of the model's own tests, where they are kept.
_FIELD_CASES: list[tuple[str, Any]] = _field_cases.pytestmark[0].args[1]  # type: ignore[attr-defined]
_LINE_CASES: list[bytes] = _line_cases.pytestmark[0].args[1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("field", "value"), _FIELD_CASES)
def test_the_model_s_rejections_are_the_fast_path_s(field: str, value: Any) -> None:
    obj = {**make_event().to_json_dict(), "index": 5}
    if not isinstance(value, str | int | list):
        value = str(value)  # a datetime: as a line can only hold it
    obj[field] = value
    _judged_alike(_encode(obj))


@pytest.mark.parametrize("data", _LINE_CASES)
def test_lines_that_are_not_canonical_entries_are_left_to_parse_entry(data: bytes) -> None:
    _judged_alike(data)


# Values per field: valid ones, and ones a field refuses (wrong type, pattern, length, null).
_NAMES = st.from_regex(r"\A[a-z_]{1,4}(\.[a-z0-9_]{1,4}){1,2}\Z")
_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from('"\\\n\t\x00\x7f\u2028'), max_size=8)
_ANY = st.none() | st.booleans() | st.integers(-5, 5000) | _TEXT | st.floats(allow_nan=False)
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "event": st.sampled_from(sorted(EVENT_FIELDS)),
    "at": st.sampled_from([AT, "2026-03-01T09:30:00.25Z", "2026-02-30T09:30:00Z", "x"]),
    "session_id": st.sampled_from(["ses_01", "ses 01", "", "s" * 129]),
    "consent_id": st.sampled_from(["con_01", "con:2~x", "-con"]),
    "subject_key": st.sampled_from([KEY_ID, "key 1"]),
    "subject_sealed": st.sampled_from(["A" * 38, "A" * 37, "A" * 38 + "\n", "A" * 513]),
    "purpose": st.sampled_from(["dpv:CreditChecking", "dpv:creditChecking"]),
    "purpose_text": _TEXT,
    "legal_basis": st.sampled_from(["dpv:Consent", "because"]),
    "attributes": st.lists(_NAMES | st.sampled_from(["bank", "a." + "b" * 127]), max_size=3),
    "sources": st.lists(st.sampled_from(["bank", "bank.noordbank", "Bank", "tax"]), max_size=3),
    "recipient": _TEXT,
    "retention_days": st.sampled_from([1, 30, 3650, 3651, 0, True, 30.0, "30"]),
    "notice_hash": st.sampled_from([digest("n"), "md5:abc", digest("n").upper()]),
    "notice_language": st.sampled_from(["nl", "nl-NL", "Nederlands", "nl-"]),
    "controller": _TEXT,
    "controller_contact": _TEXT,
    "categories": st.lists(st.sampled_from(["dpv-pd:Income", "dpv-pd:A", "Income"]), max_size=3),
    "storage_location": st.sampled_from(["NL", "EU", "EEA", "nl", "EUR"]),
    "withdrawal_method": _TEXT,
    "source": st.sampled_from(["bank", "bank.noordbank", "decision", "Bank", "a.b.c"]),
    "response_digest": st.sampled_from([digest("r"), "sha-256:00"]),
    "record_digest": st.sampled_from([digest("c"), "sha-256:"]),
    "mapping_version": st.sampled_from(["bank-1.0.0", "1+x", "-1", ""]),
    "error_code": st.sampled_from(["source_timeout", "Timeout"]),
    "preset": st.sampled_from(["mortgage", "mort gage"]),
    "codes": st.lists(st.sampled_from(["a_b", "a_b", "A"]), max_size=3),
    "index": st.sampled_from([0, 7, -1, True, 2**70, "7"]),
}


@st.composite
def _entries(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event of a random kind, its fields then dropped, changed or added at random."""
    kind = draw(st.sampled_from(sorted(EVENT_FIELDS)))
    if kind == "data.erased" and draw(st.booleans()):
        obj: dict[str, Any] = {"event": kind, "at": AT, "subject_key": KEY_ID, "index": 0}
    else:
        obj = {**make_event(kind).to_json_dict(), "index": 0}
    for name in draw(st.lists(st.sampled_from(sorted(_VALUES)), max_size=4)):
        action = draw(st.sampled_from(["drop", "set", "set", "any"]))
        if action == "drop":
            obj.pop(name, None)
        else:
            obj[name] = draw(_VALUES[name] if action == "set" else _ANY)
    if draw(st.booleans()):
        obj[draw(st.sampled_from(["subject", "value", "Event"]))] = draw(_ANY)
    for name in SORTED_UNIQUE & obj.keys():
        if isinstance(obj[name], list) and draw(st.booleans()):
            obj[name] = sorted(set(obj[name]), key=str)
    return obj


_NOT_CANONICAL = [
    lambda data: data.replace(b",", b", ", 1),
    lambda data: data.replace(b'"at"', b'"a\\u0074"', 1),
    lambda data: data.replace(b"/", b"\\/", 1),
    lambda data: b"\xef\xbb\xbf" + data,
    lambda data: data + b"\n",
    lambda data: data[:-1] + b',"index":0}',
    lambda data: data.replace(b"\xc3\xa9", b"\\u00e9", 1),
    lambda data: data.replace(b"\\n", b"\\u000a", 1),
    lambda data: data.replace(b'"index":0', b'"index":-0', 1),
    lambda data: data.replace(b'"index":0', b'"index":0.0', 1),
    lambda data: data.replace(b'"retention_days":30', b'"retention_days":3e1', 1),
    lambda data: data.replace(b'":["', b'":[ "', 1),
    lambda data: data.replace(b'","', b'", "', 1),
    lambda data: data.replace(b'"bank', b'"b\\u0061nk', 1),
]


@pytest.mark.parametrize("kind", sorted(EVENT_FIELDS))
@pytest.mark.parametrize("mangle", range(len(_NOT_CANONICAL)))
def test_a_valid_entry_written_otherwise_is_judged_alike(kind: str, mangle: int) -> None:
    event = make_event(kind, **({"purpose_text": "é\n/"} if kind == "consent.given" else {}))
    data = entry_bytes(event, 0)
    assert _fast(data) is not None
    _judged_alike(_NOT_CANONICAL[mangle](data))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=_entries(), mangle=st.none() | st.sampled_from(_NOT_CANONICAL))
def test_the_fast_path_judges_every_line_as_parse_entry_does(obj: Any, mangle: Any) -> None:
    data = _encode(obj)
    _judged_alike(data if mangle is None else mangle(data))


@given(data=st.binary(max_size=64) | st.text(string.printable, max_size=64).map(str.encode))
def test_bytes_that_are_no_entry_at_all(data: bytes) -> None:
    _judged_alike(data)


def test_a_hostile_log_leaves_no_shape_of_its_own_in_memory() -> None:
    # Shapes are cached only for known fields that fit the event: a log of lines each with a
    # long bogus member name keeps none of those names, and a valid line's shape is still
    # cached after it (the fast path stays on for later audits in the process).
    import brondata.consent._audit_entry as audit_entry

    audit_entry._SHAPES.clear()
    base = json.loads(entry_bytes(make_event("consent.given"), 0))
    for i in range(1100):
        line = json.dumps({**base, f"{i:04d}" + "x" * 1000: 1}, sort_keys=True)
        with pytest.raises(LedgerIntegrityError):
            read_entry(line.encode())
    assert not audit_entry._SHAPES
    good = entry_bytes(make_event("consent.given"), 1)
    read_entry(good)
    assert list(audit_entry._SHAPES) == [("consent.given", tuple(json.loads(good)))]


def test_a_delivery_that_supersedes_is_read_fast() -> None:
    event = make_event("data.delivered", supersedes=digest("older"))
    line = entry_bytes(event, 4)
    assert _fast(line) is not None
    assert read_entry(line) == (4, event.to_json_dict())
    assert _fast(line.replace(b'"supersedes":"sha-256:', b'"supersedes":"sha-512:')) is None
