"""``ConsentLog``: a ledger and a subject keyring used together, the way the gateway needs.

``append`` takes the subject pseudonym in clear and writes it sealed (``subject_key`` and
``subject_sealed``, see ``_events``); ``subject_of`` opens it again while the key exists;
``erase`` destroys the key and records a ``data.erased`` entry that names the key id only.
The tree-level calls (size, root, entries, proofs) pass through to the ledger unchanged.

Finding a subject's or a consent's entries scans the log (a consent's from a given index on):
entries are opaque canonical bytes and the ledger has no index on them. A byte search of the
JCS form picks the candidates (a field's serialisation is fixed), and only those are parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from brondata.consent._events import (
    _IDENTIFIER,
    EventType,
    LedgerEntry,
    LedgerEvent,
    canonical_json,
    check_subject,
)
from brondata.consent._ledger import ConsentLedger
from brondata.consent._subjects import SubjectKeyring, open_subject, seal_subject
from brondata.errors import LedgerError
from brondata.stores._base import ClosingContext

__all__ = ["ConsentLog"]


_KEY_ID: Final = re.compile(_IDENTIFIER)

# A seal of the right form, for validating an event before its subject has a key.
_STAND_IN_KEY = "key-stand-in"
_STAND_IN_SEAL = "A" * 43


def _needle(name: str, value: str) -> bytes:
    # The exact bytes JCS writes for one string member of an object.
    return canonical_json({name: value})[1:-1]


class ConsentLog(ClosingContext):
    """Appends with a sealed subject, erasure by key destruction, and lookups by subject.

    ``close`` closes the ledger and the keyring.
    """

    def __init__(self, ledger: ConsentLedger, keyring: SubjectKeyring) -> None:
        self.ledger = ledger
        self.keyring = keyring

    # --- writing ------------------------------------------------------------------------------

    def seal(
        self,
        event: EventType,
        *,
        subject: str,
        at: datetime | str,
        session_id: str,
        consent_id: str,
        **fields: Any,
    ) -> LedgerEvent:
        """``event`` for ``subject`` (the pseudonym), sealed under the subject's key (made
        if the subject has none), ready to append.

        ``fields`` are the event's own (``EVENT_FIELDS``); an invalid event raises
        ``InvalidEventError`` before a key is made.
        """
        # Validate everything, the subject included, before a key is made for it: the event
        # with a stand-in seal of the right form, replaced by the real one below.
        check_subject(subject)
        draft = self.draft(event, at=at, session_id=session_id, consent_id=consent_id, **fields)
        key_id, key = self.keyring.key_for(subject)
        sealed = seal_subject(
            key,
            subject,
            event=event,
            at=draft.at,  # as the entry writes it: the seal is bound to that text
            session_id=session_id,
            consent_id=consent_id,
            key_id=key_id,
        )
        # The draft passed every check with a stand-in of the same form; the real key id and
        # seal replace it without validating the whole event again. Only the key id comes
        # from outside (a keyring of the application's own): it gets the field's check.
        if not _KEY_ID.fullmatch(key_id):
            raise LedgerError("the subject keyring returned a key id of the wrong form")
        return draft.model_copy(update={"subject_key": key_id, "subject_sealed": sealed})

    def draft(
        self,
        event: EventType,
        *,
        at: datetime | str,
        session_id: str,
        consent_id: str,
        **fields: Any,
    ) -> LedgerEvent:
        """``event`` as ``seal`` makes it, validated, with a stand-in for the subject's seal:
        what the entry will say about the step, without making a key for anyone."""
        return LedgerEvent(
            event=event,
            at=at,
            session_id=session_id,
            consent_id=consent_id,
            subject_key=_STAND_IN_KEY,
            subject_sealed=_STAND_IN_SEAL,
            **fields,
        )

    def append(
        self,
        event: EventType,
        *,
        subject: str,
        at: datetime | str,
        session_id: str,
        consent_id: str,
        **fields: Any,
    ) -> LedgerEntry:
        """Append ``event`` for ``subject`` (the pseudonym), sealed (``seal``)."""
        sealed = self.seal(
            event, subject=subject, at=at, session_id=session_id, consent_id=consent_id, **fields
        )
        return self.ledger.append(sealed)

    def erase(self, subject: str, *, at: datetime | str) -> LedgerEntry | None:
        """Erase ``subject`` (GDPR art. 17): destroy its key, then append ``data.erased``.

        Returns the erasure entry, or ``None`` if the subject has no key (unknown, or erased
        already). The key goes first: if the append then fails, the subject is erased but the
        ledger does not say so yet, which is better than a ledger that claims an erasure that
        did not happen; the error names the key id, to record the erasure by hand
        (``record_erasure``).
        """
        key_id = self.keyring.destroy(subject)
        if key_id is None:
            return None
        return self.record_erasure(key_id, at=at)

    def record_erasure(self, key_id: str, *, at: datetime | str) -> LedgerEntry:
        """Append the ``data.erased`` entry of a destroyed key (``erase`` does this itself)."""
        return self.ledger.append(LedgerEvent(event="data.erased", at=at, subject_key=key_id))

    # --- reading ------------------------------------------------------------------------------

    def subject_of(self, entry: LedgerEntry | LedgerEvent) -> str | None:
        """The pseudonym an entry is about, or ``None`` when its key was destroyed (or the
        entry is about no single subject). A sealed value that does not open with its key
        raises ``LedgerIntegrityError``."""
        event = entry.event if isinstance(entry, LedgerEntry) else entry
        if event.subject_key is None or event.subject_sealed is None:
            return None
        key = self.keyring.key(event.subject_key)
        if key is None:
            return None
        return open_subject(
            key,
            event.subject_sealed,
            event=event.event,
            at=event.at,
            session_id=event.session_id,
            consent_id=event.consent_id,
            key_id=event.subject_key,
        )

    def entries_of_subject(self, subject: str) -> Iterator[tuple[LedgerEntry, LedgerEvent]]:
        """Every entry about ``subject`` that can still be read (sealed under the subject's
        current key), with its parsed event."""
        key_id = self.keyring.lookup(subject)
        if key_id is None:
            return
        needle = _needle("subject_key", key_id)
        for entry in self.ledger.entries():
            if needle in entry.canonical:
                event = entry.event
                if self.subject_of(event) == subject:
                    yield entry, event

    def entries_of_consent(
        self, consent_id: str, start: int = 0
    ) -> Iterator[tuple[LedgerEntry, LedgerEvent]]:
        """Every entry of one consent from index ``start`` on, with its parsed event, in log
        order: only the entries from ``start`` are read."""
        needle = _needle("consent_id", consent_id)
        for entry in self.ledger.entries(start):
            if needle in entry.canonical:
                event = entry.event
                if event.consent_id == consent_id:
                    yield entry, event

    def erasure_of(self, key_id: str) -> LedgerEntry | None:
        """The ``data.erased`` entry of a destroyed key, if the log has one."""
        needle = _needle("subject_key", key_id)
        for entry in self.ledger.entries():
            if needle in entry.canonical and entry.event.erases_subject:
                return entry
        return None

    # --- the tree, passed through --------------------------------------------------------------

    def size(self) -> int:
        return self.ledger.size()

    def root(self, size: int | None = None) -> bytes:
        return self.ledger.root(size)

    def entry(self, index: int) -> LedgerEntry:
        return self.ledger.entry(index)

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        return self.ledger.entries(start, stop)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return self.ledger.inclusion_proof(index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return self.ledger.consistency_proof(size1, size2)

    def close(self) -> None:
        try:
            self.ledger.close()
        finally:
            self.keyring.close()
