"""What the consent ledger records: events, their canonical bytes, and stored entries.

The rule this module enforces: **no attribute value ever enters the ledger.** An event names
attributes (``bank.balance_total``), sources, digests, versions and error codes; each of those
is checked against a narrow pattern, so a value (an amount, an IBAN, a name, a BSN) cannot be
smuggled in where a name belongs. The only free text is what the consumer was shown about the
controller's side: ``purpose_text`` (the purpose), ``recipient`` and ``controller`` (an
organisation's name, one line), ``controller_contact`` and ``withdrawal_method`` (where to
write or click, one line); none of them is about the data subject.

The second rule: **the data subject is sealed.** The subject is a keyed pseudonym
(``sub-...``), and the only subject-linked field of an event. An entry carries it as
``subject_key`` (the random id of a per-subject key in a ``SubjectKeyring``) and
``subject_sealed`` (the pseudonym, AES-GCM encrypted under that key, bound to the entry's
event, time, session and consent; see ``_subjects``). Everything else is about the
controller's side or random: session and consent ids are random UUIDs, digests are of
responses and records that never enter the ledger. Destroying a subject's key (GDPR art. 17)
therefore leaves every entry verifiable and its consent semantics auditable, while no entry
can be tied to the person any more; the entries of one erased subject stay linkable to each
other through their ``subject_key``, which is random and names nobody. The pseudonym itself
is never a field of an event: ``check_subject`` says whether a string may be one.

Which fields an event carries is one table, ``EVENT_FIELDS``: required and optional per event
type; anything else is refused. A ``data.erased`` entry without session and consent is the
erasure of a whole subject and carries only ``subject_key``. Entry bytes are the RFC 8785
(JCS) canonical JSON of the event plus its ``index`` in the log, so an entry moved to another
position no longer hashes to the leaf stored there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    field_validator,
    model_validator,
)

from brondata import _canonical
from brondata._inputs import TypedModel, bad_input, guarded
from brondata._limits import (
    PURPOSE_TERM_PATTERN,
    RETENTION_DAYS_MAX,
    OrganisationName,
    PurposeText,
)
from brondata.consent._terms import RECORD_TERMS, REQUIRED_TERMS
from brondata.errors import InvalidEventError, LedgerIntegrityError

__all__ = [
    "ATTRIBUTE_NAME_PATTERN",
    "EVENT_FIELDS",
    "EventType",
    "LedgerEntry",
    "LedgerEvent",
    "canonical_json",
    "check_subject",
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
    "dossier.checked",
]

ATTRIBUTE_NAME_PATTERN: Final = r"^[a-z_]+(\.[a-z0-9_]+)+$"

_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$"
_DIGEST = r"^sha-256:[0-9a-f]{64}$"
# A source kind, or one instance of it (``bank.noordbank``).
_SOURCE = r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$"
# base64url (no padding) of a 12-byte nonce, the pseudonym, and the 16-byte tag.
_SEALED = r"^[A-Za-z0-9_-]{38,512}$"
_RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

Token = Annotated[str, Field(pattern=_IDENTIFIER)]


def _not_a_number(value: str) -> str:
    if value.isdigit():
        raise ValueError("subject must be a pseudonym, not a number (never a BSN)")
    return value


# A subject pseudonym (``sub-...``): a token, and never a number, so never a BSN.
_SUBJECT: Final = TypeAdapter(
    Annotated[str, Field(pattern=_IDENTIFIER), AfterValidator(_not_a_number)]
)


def check_subject(subject: str) -> str:
    """``subject`` if it may stand for a data subject (sealed) in the ledger;
    ``InvalidEventError`` if not: a pseudonym is a token, never a number (a BSN)."""
    if not isinstance(subject, str):  # lax validation would take bytes for text
        raise InvalidEventError("subject: not a subject pseudonym (not text)")
    with bad_input(InvalidEventError, "not a subject pseudonym"):
        return _SUBJECT.validate_python(subject)


Digest = Annotated[str, Field(pattern=_DIGEST)]
SourceName = Annotated[str, Field(pattern=_SOURCE)]
AttributeName = Annotated[str, Field(pattern=ATTRIBUTE_NAME_PATTERN, max_length=128)]
# An organisation's name as the consumer reads it ("Voorbeeld Hypotheken B.V."), and the
# purpose text: the limits ``DataRequest`` keeps too (``brondata._limits``). A name names the
# recipient, never the data subject.
# A DPV personal-data category (``dpv-pd:Income``): a term, never the data.
DataCategory = Annotated[str, Field(pattern=r"^dpv-pd:[A-Z][A-Za-z0-9]{0,63}$")]

# Carried by every event: what, when, which session and consent, whose (sealed, see above).
_COMMON: Final = frozenset(
    {"event", "at", "session_id", "consent_id", "subject_key", "subject_sealed"}
)
# The terms and the rest of a DPV consent record: one definition (``_terms``).
_TERMS: Final = REQUIRED_TERMS
_RECORD: Final = RECORD_TERMS
_CONSENT_ALL: Final = _TERMS | _RECORD

# The transition-table of fields: for each event, (required, optional) beyond the common five.
EVENT_FIELDS: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    # What the consumer is asked and what they agree to: the full terms.
    "consent.requested": (_TERMS, _RECORD),
    "consent.given": (_TERMS, _RECORD),
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
        # ``supersedes``: the digest of the record of the same kind, delivered before in the
        # same consent, this one replaces (a bank added after collection merged into it).
        frozenset({"recipient", "response_digest", "mapping_version", "supersedes"}),
    ),
    "data.failed": (frozenset({"source", "error_code"}), frozenset()),
    "data.erased": (frozenset(), frozenset({"source", "attributes", "record_digest"})),
    # The first-time-right checks ran (``brondata.dossier``): the preset and the finding
    # codes only, never a text or a value; the report's record digest when it was signed.
    "dossier.checked": (frozenset({"preset", "codes"}), frozenset({"record_digest"})),
}


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON of ``obj``: sorted keys, no whitespace, ES6 numbers.

    The public name of brondata's one canonical encoder (``brondata._canonical``)."""
    return _canonical.canonical_json(obj)


def _format_at(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    utc = moment.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


class LedgerEvent(TypedModel):
    """One step of a consent session, as the ledger records it. Frozen; extra fields refused.

    ``EVENT_FIELDS`` says which of the optional fields each ``event`` requires or allows.
    Names only, never values: see the module docstring. An event that does not fit is an
    ``InvalidEventError``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)
    input_error = InvalidEventError

    event: EventType
    at: str = Field(description="RFC 3339 UTC time ending in Z; an aware datetime is converted")
    # Absent only on the erasure of a whole subject (``data.erased`` with ``subject_key``).
    session_id: Token | None = None
    consent_id: Token | None = None
    subject_key: Token | None = Field(default=None, description="id of the subject's key")
    subject_sealed: str | None = Field(
        default=None, pattern=_SEALED, description="the pseudonym, sealed under subject_key"
    )

    purpose: str | None = Field(default=None, pattern=PURPOSE_TERM_PATTERN)
    purpose_text: PurposeText | None = None
    legal_basis: Token | None = None
    attributes: tuple[AttributeName, ...] | None = None
    sources: tuple[SourceName, ...] | None = None
    recipient: OrganisationName | None = None
    retention_days: StrictInt | None = Field(default=None, ge=1, le=RETENTION_DAYS_MAX)
    notice_hash: Digest | None = None
    notice_language: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$", description="BCP 47 tag"
    )
    controller: OrganisationName | None = None
    controller_contact: OrganisationName | None = Field(
        default=None, description="how to reach the controller (its DPO): an address or URL"
    )
    categories: tuple[DataCategory, ...] | None = None
    storage_location: str | None = Field(
        default=None,
        pattern=r"^(EU|EEA|[A-Z]{2})$",
        description="where the records are kept: ISO 3166-1 alpha-2, or EU / EEA",
    )
    withdrawal_method: OrganisationName | None = Field(
        default=None, description="how the consumer withdraws: a URL or one line of text"
    )

    source: SourceName | None = None
    response_digest: Digest | None = None
    record_digest: Digest | None = None
    supersedes: Digest | None = None
    mapping_version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")] | None = (
        None
    )
    error_code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None
    preset: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None
    #: Finding codes in the report's order (most severe first); a code may repeat (two
    #: banks each too short are one finding, but two findings of a code are possible).
    codes: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")], ...] | None = None

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

    @field_validator("attributes", "sources", "categories")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if len(set(value)) != len(value):
            raise ValueError("names must not repeat")
        return tuple(sorted(value))

    @property
    def erases_subject(self) -> bool:
        """Whether this is the erasure of a whole subject (its key destroyed)."""
        return self.event == "data.erased" and self.consent_id is None

    @model_validator(mode="after")
    def _fields_fit_the_event(self) -> LedgerEvent:
        present = {name for name, value in self.__dict__.items() if value is not None}
        if self.erases_subject:
            if present != {"event", "at", "subject_key"}:
                raise ValueError("the erasure of a subject carries event, at and subject_key only")
            return self
        if self.session_id is None or self.consent_id is None:
            raise ValueError(f"{self.event} requires session_id and consent_id")
        if self.subject_key is None or self.subject_sealed is None:
            raise ValueError("an event needs its subject: subject_key with subject_sealed")
        required, optional = EVENT_FIELDS[self.event]
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
    # What an event holds is plain JSON (ASCII keys, strings, lists, integers far below
    # 2**53): the check is skipped, which matters to a million-entry audit.
    return _canonical.canonical_json({**event.to_json_dict(), "index": index}, plain=True)


@guarded(LedgerIntegrityError, "not a ledger entry")
def parse_entry(data: bytes) -> tuple[int, LedgerEvent]:
    """Read entry bytes back: ``(index, event)``. Bytes that are not canonical are refused."""
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LedgerIntegrityError(f"entry is not JSON: {exc}") from exc
    except RecursionError:
        raise LedgerIntegrityError("entry is nested too deeply to be an event") from None
    if not isinstance(obj, dict):
        raise LedgerIntegrityError("entry is not a JSON object")
    index = obj.pop("index", None)
    if type(index) is not int or index < 0:
        raise LedgerIntegrityError("entry has no valid 'index'")
    try:
        event = LedgerEvent.model_validate(obj)
    except InvalidEventError as exc:
        raise LedgerIntegrityError(
            f"entry {index} is not a valid ledger event: {exc.message}"
        ) from None
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
