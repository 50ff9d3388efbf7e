"""Ledger events: strict shape, names never values, and the canonical (JCS) entry bytes."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from brondata.consent import (
    EVENT_FIELDS,
    LedgerEntry,
    LedgerEvent,
    canonical_json,
    entry_bytes,
    leaf_hash,
    parse_entry,
)
from brondata.consent._events import check_subject
from brondata.errors import InvalidEventError, LedgerIntegrityError

from .factories import AT, KEY_ID, SUBJECT, digest, make_event


def test_canonical_json_is_rfc8785() -> None:
    assert canonical_json({"b": 1, "a": [True, None, 1.5e3], "é": "x"}) == (
        b'{"a":[true,null,1500],"b":1,"\xc3\xa9":"x"}'
    )


def test_entry_bytes_are_jcs_of_the_event_plus_its_index() -> None:
    event = make_event("data.delivered")
    data = entry_bytes(event, 7)
    assert data == (
        b'{"at":"2026-03-01T09:30:00Z","attributes":["bank.balance_total"],'
        b'"consent_id":"con_01","event":"data.delivered","index":7,'
        b'"record_digest":"' + digest("record").encode() + b'","session_id":"ses_01",'
        b'"source":"bank","subject_key":"' + KEY_ID.encode() + b'",'
        b'"subject_sealed":"' + (event.subject_sealed or "").encode() + b'"}'
    )
    assert parse_entry(data) == (7, event)
    # The same event at another position is another leaf: entries cannot be moved unnoticed.
    assert leaf_hash(entry_bytes(event, 8)) != leaf_hash(data)


@pytest.mark.parametrize("kind", sorted(EVENT_FIELDS))
def test_every_event_type_round_trips(kind: str) -> None:
    event = make_event(kind)
    entry = LedgerEntry(0, entry_bytes(event, 0), leaf_hash(entry_bytes(event, 0)), event.at)
    assert entry.event == event
    assert json.loads(entry.to_json_line())["event"] == kind


@pytest.mark.parametrize(
    "kind",
    ["consent.denied", "consent.withdrawn", "consent.expired", "consent.renewed", "data.erased"],
)
def test_events_without_required_extras(kind: str) -> None:
    assert make_event(kind).event == kind


def test_attributes_and_sources_are_sorted() -> None:
    event = make_event(attributes=["income.gross_annual", "bank.balance_total"])
    assert event.attributes == ("bank.balance_total", "income.gross_annual")


@pytest.mark.parametrize(
    "value",
    [
        "1234.56",  # an amount
        "NL76RABO0359400371",  # an IBAN
        "Jan Jansen",  # a name
        "999993653",  # a BSN
        "bank.balance_total=1200",
        "Bank.Balance",
        "bank",
        "bank.balance total",
        "bank.balance\n",
    ],
)
def test_no_attribute_value_where_a_name_belongs(value: str) -> None:
    with pytest.raises(InvalidEventError):
        make_event(attributes=["bank.balance_total", value])
    with pytest.raises(InvalidEventError):
        make_event("data.delivered", attributes=[value])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject_key", "key 1"),
        ("subject_sealed", "not base64url!"),
        ("subject_sealed", "c2hvcnQ"),  # too short to hold a nonce and a tag
        ("categories", ["Income"]),
        ("categories", ["dpv-pd:Income", "dpv-pd:Income"]),
        ("storage_location", "Netherlands"),
        ("notice_language", "Nederlands"),
        ("controller", "Hypotheek BV\nDamrak 1"),
        ("withdrawal_method", ""),
        ("session_id", "ses 01"),
        ("consent_id", ""),
        ("purpose", "credit checking"),
        ("legal_basis", "because we can"),
        ("recipient", "Hypotheek BV\nDamrak 1"),
        ("recipient", ""),
        ("retention_days", "30"),
        ("retention_days", True),
        ("retention_days", -1),
        ("notice_hash", "md5:abc"),
        ("sources", ["bank", "bank"]),
        ("sources", ["Bank"]),
        ("at", "2026-03-01T09:30:00+01:00"),
        ("at", "2026-03-01 09:30:00Z"),
        ("at", "2026-02-30T09:30:00Z"),
        ("at", datetime(2026, 3, 1, 9, 30)),  # naive: refused, not guessed
    ],
)
def test_fields_are_checked(field: str, value: Any) -> None:
    with pytest.raises(InvalidEventError):
        make_event(**{field: value})


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("consent.withdrawn", {"attributes": ["bank.balance_total"]}),
        ("data.failed", {"response_digest": digest("x")}),
        ("consent.requested", {"source": "bank"}),
        ("login.completed", {"error_code": "timeout"}),
    ],
)
def test_a_field_the_event_does_not_carry_is_refused(kind: str, fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventError, match="does not carry"):
        make_event(kind, **fields)


def test_required_fields_per_event() -> None:
    with pytest.raises(InvalidEventError, match="requires"):
        make_event("data.retrieved", response_digest=None)
    with pytest.raises(InvalidEventError, match="requires"):
        make_event("consent.given", retention_days=None)


def test_extra_fields_are_forbidden_and_events_frozen() -> None:
    with pytest.raises(InvalidEventError):
        make_event(balance=1200)
    event = make_event()
    with pytest.raises(ValidationError):  # a frozen model: a programming error, not input
        event.subject = "other"  # type: ignore[misc]


def test_an_aware_datetime_becomes_rfc3339_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert make_event(at=datetime(2026, 3, 1, 10, 30, tzinfo=cet)).at == AT
    assert (
        make_event(at=datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=UTC)).at
        == "2026-03-01T09:30:00.250000Z"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1]",
        b'{"event":"consent.withdrawn"}',
        b'{"at":"2026-03-01T09:30:00Z","consent_id":"c","event":"consent.withdrawn",'
        b'"index":-1,"session_id":"s","subject_key":"k",'
        b'"subject_sealed":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}',
        # valid content, but not canonical: whitespace and key order
        b'{"index":0, "at":"2026-03-01T09:30:00Z","consent_id":"c","event":"consent.withdrawn",'
        b'"session_id":"s","subject_key":"k",'
        b'"subject_sealed":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}',
        b'{"at":"2026-03-01T09:30:00Z","consent_id":"c","event":"consent.withdrawn",'
        b'"index":0,"session_id":"s","subject_key":"k",'
        b'"subject_sealed":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","value":1}',
    ],
)
def test_parse_entry_refuses_what_is_not_a_canonical_entry(data: bytes) -> None:
    with pytest.raises(LedgerIntegrityError):
        parse_entry(data)


def test_the_record_fields_of_a_consent() -> None:
    event = make_event(
        "consent.given",
        controller="Voorbeeld Hypotheken B.V.",
        controller_contact="privacy@hypotheek.example",
        categories=["dpv-pd:Income", "dpv-pd:BankAccount"],
        storage_location="NL",
        withdrawal_method="https://hypotheek.example/toestemmingen",
        notice_language="nl",
    )
    assert event.categories == ("dpv-pd:BankAccount", "dpv-pd:Income")
    with pytest.raises(InvalidEventError, match="does not carry"):
        make_event("data.delivered", controller="Voorbeeld Hypotheken B.V.")


@pytest.mark.parametrize("subject", ["999993653", "Jan Jansen", ""])
def test_a_subject_is_a_pseudonym_never_a_bsn_nor_a_name(subject: str) -> None:
    assert check_subject(SUBJECT) == SUBJECT
    with pytest.raises(InvalidEventError):
        check_subject(subject)


def test_the_subject_is_sealed_never_in_clear() -> None:
    sealed = make_event()
    assert sealed.subject_key == KEY_ID
    assert SUBJECT not in sealed.to_json_dict().values()
    with pytest.raises(InvalidEventError, match="Extra inputs"):
        make_event(subject=SUBJECT)
    with pytest.raises(InvalidEventError, match="needs its subject"):
        make_event(subject_sealed=None)
    with pytest.raises(InvalidEventError, match="needs its subject"):
        make_event(subject_key=None)


def test_the_erasure_of_a_subject_names_its_key_only() -> None:
    erased = LedgerEvent(event="data.erased", at=AT, subject_key=KEY_ID)
    assert erased.erases_subject
    assert parse_entry(entry_bytes(erased, 3)) == (3, erased)
    assert not make_event("data.erased").erases_subject  # one consent's record, as before
    with pytest.raises(InvalidEventError, match="only"):
        LedgerEvent(event="data.erased", at=AT, subject_key=KEY_ID, source="bank")
    with pytest.raises(InvalidEventError, match="requires session_id"):
        LedgerEvent(event="consent.withdrawn", at=AT, subject_key=KEY_ID)
    with pytest.raises(InvalidEventError, match="only"):
        LedgerEvent(event="data.erased", at=AT, session_id="ses_01", subject_key=KEY_ID)


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(string.printable, max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, extra=_JSON)
def test_entry_bytes_are_exactly_rfc8785(text: str, extra: Any) -> None:
    # entry_bytes writes with the standard library for speed; it must be JCS byte for byte.
    # The purpose text takes no control characters but line breaks and tabs (``_limits``);
    # the rest of the escapes are covered by ``extra`` below.
    readable = "".join(c for c in text if (c >= " " and c != "\x7f") or c in "\n\t")
    event = make_event("consent.given", purpose_text=readable or "x")
    obj = {**event.to_json_dict(), "index": 12}
    assert entry_bytes(event, 12) == canonical_json(obj)
    plain = json.dumps(
        {"v": extra}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert plain == canonical_json({"v": extra})


def test_a_deeply_nested_ledger_line_is_an_integrity_error() -> None:
    with pytest.raises(LedgerIntegrityError):
        parse_entry(b"[" * 100_000 + b"]" * 100_000)
