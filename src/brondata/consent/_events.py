"""What the consent ledger records: events, their canonical bytes, and stored entries.

The rule this module enforces: **no attribute value ever enters the ledger.** An event names
attributes (``bank.balance_total``), sources, digests, versions and error codes; each of those
is checked against a narrow pattern, so a value (an amount, an IBAN, a name, a BSN) cannot be
smuggled in where a name belongs. The only free text is what the consumer was shown about the
controller's side: ``purpose_text`` (the purpose) and ``recipient`` (an organisation's name, one
line); neither is about the data subject. The subject is a pseudonym; a string of digits (a BSN
looks like one) is refused.

Which fields an event carries is one table, ``EVENT_FIELDS``: required and optional per event
type; anything else is refused. Entry bytes are the RFC 8785 (JCS) canonical JSON of the event
plus its ``index`` in the log, so an entry moved to another position no longer hashes to the
leaf stored there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from brondata.errors import LedgerIntegrityError

__all__ = [
    "ATTRIBUTE_NAME_PATTERN",
    "EVENT_FIELDS",
    "EventType",
    "LedgerEntry",
    "LedgerEvent",
    "canonical_json",
    "entry_bytes",
    "parse_entry",
]

EventType = Literal[
    "consent.requested",
    "consent.given",
    "consent.denied",
    "consent.withdrawn",
    "consent.expired",
    "consent.renewed",
    "login.completed",
    "data.retrieved",
    "data.delivered",
    "data.failed",
    "data.erased",
]

ATTRIBUTE_NAME_PATTERN: Final = r"^[a-z_]+(\.[a-z0-9_]+)+$"

_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$"
_DIGEST = r"^sha-256:[0-9a-f]{64}$"
_SOURCE = r"^[a-z][a-z0-9_]{0,63}$"
_RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

Token = Annotated[str, Field(pattern=_IDENTIFIER)]
Digest = Annotated[str, Field(pattern=_DIGEST)]
SourceName = Annotated[str, Field(pattern=_SOURCE)]
AttributeName = Annotated[str, Field(pattern=ATTRIBUTE_NAME_PATTERN, max_length=128)]
# An organisation's name as the consumer reads it ("Voorbeeld Hypotheken B.V."): printable,
# one line. It names the recipient, never the data subject.
OrganisationName = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]

_COMMON: Final = frozenset({"event", "at", "session_id", "consent_id", "subject"})
_TERMS: Final = frozenset(
    {"purpose", "legal_basis", "attributes", "sources", "recipient", "retention_days"}
)
_CONSENT_ALL: Final = _TERMS | {"purpose_text", "notice_hash"}

# The transition-table of fields: for each event, (required, optional) beyond the common five.
EVENT_FIELDS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    # What the consumer is asked and what they agree to: the full terms.
    "consent.requested": (_TERMS, frozenset({"purpose_text", "notice_hash"})),
    "consent.given": (_TERMS, frozenset({"purpose_text", "notice_hash"})),
    "consent.denied": (frozenset(), frozenset({"notice_hash"})),
    "consent.withdrawn": (frozenset(), frozenset()),
    "consent.expired": (frozenset(), frozenset()),
    # A renewal may restate (a subset of) the terms; unset terms stay as given.
    "consent.renewed": (frozenset(), _CONSENT_ALL),
    "login.completed": (frozenset({"source"}), frozenset()),
    "data.retrieved": (
        frozenset({"source", "response_digest", "attributes"}),
        frozenset({"mapping_version"}),
    ),
    "data.delivered": (
        frozenset({"source", "attributes", "record_digest"}),
        frozenset({"recipient", "response_digest", "mapping_version"}),
    ),
    "data.failed": (frozenset({"source", "error_code"}), frozenset()),
    "data.erased": (frozenset(), frozenset({"source", "attributes", "record_digest"})),
}


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of ``obj``: sorted keys, no whitespace, ES6 numbers."""
    return bytes(rfc8785.dumps(obj))


def _format_at(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    utc = moment.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


class LedgerEvent(BaseModel):
    """One step of a consent session, as the ledger records it. Frozen; extra fields refused.

    ``EVENT_FIELDS`` says which of the optional fields each ``event`` requires or allows.
    Names only, never values: see the module docstring.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    event: EventType
    at: str = Field(description="RFC 3339 UTC time ending in Z; an aware datetime is converted")
    session_id: Token
    consent_id: Token
    subject: Token = Field(description="keyed pseudonym of the consumer; never a BSN")

    purpose: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*:[A-Z][A-Za-z0-9]*$")
    purpose_text: str | None = Field(default=None, min_length=1, max_length=1000)
    legal_basis: Token | None = None
    attributes: tuple[AttributeName, ...] | None = None
    sources: tuple[SourceName, ...] | None = None
    recipient: OrganisationName | None = None
    retention_days: StrictInt | None = Field(default=None, ge=0, le=36500)
    notice_hash: Digest | None = None

    source: SourceName | None = None
    response_digest: Digest | None = None
    record_digest: Digest | None = None
    mapping_version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")] | None = (
        None
    )
    error_code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _at_is_rfc3339_utc(cls, value: object) -> object:
        if isinstance(value, datetime):
            return _format_at(value)
        if isinstance(value, str):
            if not _RFC3339_Z.fullmatch(value):
                raise ValueError("'at' must be an RFC 3339 UTC time ending in Z")
            datetime.fromisoformat(value)  # the calendar check: no 2025-02-30
        return value

    @field_validator("subject")
    @classmethod
    def _subject_is_not_a_number(cls, value: str) -> str:
        if value.isdigit():
            raise ValueError("subject must be a pseudonym, not a number (never a BSN)")
        return value

    @field_validator("attributes", "sources")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if len(set(value)) != len(value):
            raise ValueError("names must not repeat")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _fields_fit_the_event(self) -> LedgerEvent:
        required, optional = EVENT_FIELDS[self.event]
        present = {name for name in type(self).model_fields if getattr(self, name) is not None}
        missing = required - present
        if missing:
            raise ValueError(f"{self.event} requires {', '.join(sorted(missing))}")
        extra = present - _COMMON - required - optional
        if extra:
            raise ValueError(f"{self.event} does not carry {', '.join(sorted(extra))}")
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The event as JSON data, unset fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


def entry_bytes(event: LedgerEvent, index: int) -> bytes:
    """The leaf input of ``event`` at position ``index``: JCS of the event plus ``index``."""
    return canonical_json({**event.to_json_dict(), "index": index})


def parse_entry(data: bytes) -> tuple[int, LedgerEvent]:
    """Read entry bytes back: ``(index, event)``. Bytes that are not canonical are refused."""
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LedgerIntegrityError(f"entry is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise LedgerIntegrityError("entry is not a JSON object")
    index = obj.pop("index", None)
    if type(index) is not int or index < 0:
        raise LedgerIntegrityError("entry has no valid 'index'")
    try:
        event = LedgerEvent.model_validate(obj)
    except ValueError as exc:
        raise LedgerIntegrityError(f"entry {index} is not a valid ledger event: {exc}") from exc
    if entry_bytes(event, index) != data:
        raise LedgerIntegrityError(f"entry {index} is not in canonical (JCS) form")
    return index, event


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One appended entry: its position, canonical bytes, RFC 9162 leaf hash and event time."""

    index: int
    canonical: bytes
    leaf_hash: bytes
    at: str

    @property
    def event(self) -> LedgerEvent:
        """The event, parsed back from the canonical bytes."""
        return parse_entry(self.canonical)[1]

    def to_json_line(self) -> str:
        """The canonical bytes as text: one line of a JSON Lines export."""
        return self.canonical.decode("utf-8")
