"""Per-subject keys, and the sealing of the subject in ledger entries (crypto-shredding).

A ``SubjectKeyring`` holds, for each subject pseudonym, a random 256-bit AES-GCM key under a
random key id. Ledger entries carry the key id and the pseudonym sealed under that key
(``seal_subject``); destroying the key (GDPR art. 17) makes every sealed pseudonym unreadable
while the entries, and so the Merkle tree and every signed checkpoint, stay as they are.

What the keyring stores about a subject is looked up by a digest of the pseudonym, never the
pseudonym itself. ``destroy`` deletes the key and that lookup row, and keeps only an erasure
marker (the digest, no key id, no time): enough to tell the subject "your data was erased",
too little to find their entries again. Keeping the key id or the time would re-link the
person to their entries through the ``data.erased`` entry and undo the erasure.

How gone is gone: ``SqliteSubjectKeyring`` deletes with ``PRAGMA secure_delete`` (freed bytes
are zeroed) and then truncates the write-ahead log, so the key is in neither file afterwards;
file-system and SSD remanence, copies and backups are beyond any database. The PostgreSQL
keyring (in ``_postgres``) says what it can and cannot promise. ``MemorySubjectKeyring``
drops its reference; Python gives no way to wipe the bytes.

This module does not know about ledgers; ``ConsentLog`` (``_log``) puts the two together.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from brondata.consent._events import canonical_json
from brondata.errors import LedgerIntegrityError, LedgerKeyringElsewhereError
from brondata.stores._base import ClosingContext
from brondata.stores._sqlite import SqliteStore

if TYPE_CHECKING:
    from brondata.consent._sqlite import SqliteLedger

__all__ = [
    "MemorySubjectKeyring",
    "SqliteSubjectKeyring",
    "SubjectKeyring",
    "new_key_id",
    "open_subject",
    "seal_subject",
    "subject_digest",
]

KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
_SEAL_CONTEXT: Final = "brondata.subject.v1"


def subject_digest(subject: str) -> bytes:
    """The keyring's lookup key for a pseudonym: SHA-256, domain-separated."""
    return hashlib.sha256(f"{_SEAL_CONTEXT}\x00{subject}".encode()).digest()


def new_key_id() -> str:
    """A random key id: 128 bits, so it names nothing and cannot be guessed from a subject."""
    return f"key-{secrets.token_hex(16)}"


def _aad(event: str, at: str, session_id: str | None, consent_id: str | None, key_id: str) -> bytes:
    # The sealed pseudonym is bound to the entry it stands in: moved into another event,
    # session or consent, or set beside another key id, it no longer opens.
    return canonical_json(
        {
            "context": _SEAL_CONTEXT,
            "event": event,
            "at": at,
            "session_id": session_id,
            "consent_id": consent_id,
            "subject_key": key_id,
        }
    )


def seal_subject(
    key: bytes,
    subject: str,
    *,
    event: str,
    at: str,
    session_id: str | None,
    consent_id: str | None,
    key_id: str,
) -> str:
    """The pseudonym AES-GCM encrypted under ``key``: base64url of nonce, ciphertext, tag.

    The nonce is random: a subject's key seals a few dozen entries, far from the 2**32
    messages at which random 96-bit nonces start to risk a collision.
    """
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(key).encrypt(
        nonce, subject.encode(), _aad(event, at, session_id, consent_id, key_id)
    )
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def open_subject(
    key: bytes,
    sealed: str,
    *,
    event: str,
    at: str,
    session_id: str | None,
    consent_id: str | None,
    key_id: str,
) -> str:
    """The pseudonym sealed by ``seal_subject``; ``LedgerIntegrityError`` if it does not open."""
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        plain = AESGCM(key).decrypt(
            raw[:NONCE_SIZE], raw[NONCE_SIZE:], _aad(event, at, session_id, consent_id, key_id)
        )
        return plain.decode()
    except (ValueError, InvalidTag, UnicodeDecodeError) as exc:
        raise LedgerIntegrityError(
            "a sealed subject does not open with its key: the entry was altered or moved"
        ) from exc


@runtime_checkable
class SubjectKeyring(Protocol):
    """Per-subject encryption keys, destroyable one subject at a time."""

    def key_for(self, subject: str) -> tuple[str, bytes]:
        """``(key_id, key)`` of ``subject``, created on first use (also after an erasure)."""
        ...

    def lookup(self, subject: str) -> str | None:
        """The key id of ``subject``, or ``None`` if it has no key (never had, or erased)."""
        ...

    def key(self, key_id: str) -> bytes | None:
        """The key under ``key_id``, or ``None`` once destroyed (or never created)."""
        ...

    def destroy(self, subject: str) -> str | None:
        """Destroy the key of ``subject`` and forget which key it was; returns the key id
        destroyed, or ``None`` if there was none. Marks the subject as erased."""
        ...

    def was_erased(self, subject: str) -> bool:
        """Whether a key of ``subject`` was ever destroyed."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


class MemorySubjectKeyring(ClosingContext):
    """Keys in a dict: for tests and short-lived processes."""

    def __init__(self) -> None:
        self._ids: dict[bytes, str] = {}
        self._keys: dict[str, bytes] = {}
        self._erased: set[bytes] = set()
        self._lock = threading.Lock()

    def key_for(self, subject: str) -> tuple[str, bytes]:
        digest = subject_digest(subject)
        with self._lock:
            key_id = self._ids.get(digest)
            if key_id is None:
                key_id = new_key_id()
                self._ids[digest] = key_id
                self._keys[key_id] = AESGCM.generate_key(bit_length=256)
            return key_id, self._keys[key_id]

    def lookup(self, subject: str) -> str | None:
        return self._ids.get(subject_digest(subject))

    def key(self, key_id: str) -> bytes | None:
        return self._keys.get(key_id)

    def destroy(self, subject: str) -> str | None:
        digest = subject_digest(subject)
        with self._lock:
            key_id = self._ids.pop(digest, None)
            if key_id is not None:
                self._keys.pop(key_id, None)
                self._erased.add(digest)
            return key_id

    def was_erased(self, subject: str) -> bool:
        return subject_digest(subject) in self._erased

    def close(self) -> None:
        """Nothing to release; present for the protocol."""


SQLITE_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS subject_keys (
    subject_digest BLOB PRIMARY KEY CHECK (length(subject_digest) = 32),
    key_id         TEXT NOT NULL UNIQUE,
    key            BLOB NOT NULL CHECK (length(key) = 32)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS subject_erasures (
    subject_digest BLOB PRIMARY KEY CHECK (length(subject_digest) = 32)
) WITHOUT ROWID""",
)


class SqliteSubjectKeyring(SqliteStore):
    """Subject keys in a SQLite file, normally the ledger's own (tables ``subject_keys`` and
    ``subject_erasures``, through a connection of its own); tables are created on open.

    The keys sit in the file in clear, as the ledger's signing key does not: protect the file
    (permissions, disk encryption) as you would the personal data it stands for.

    Pass ``ledger``, the ``SqliteLedger`` in the same file, and a new key commits without an
    fsync of its own: its pages are in the file's one write-ahead log ahead of any entry
    sealed under the key, and the ledger's commit syncs the log up to its own end, the key's
    pages included, before the append returns. A key no entry was appended under yet may then
    be lost in a power cut, and made anew. A destroy is synced on its own all the same.
    """

    _what = "subject keyring"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        ledger: SqliteLedger | None = None,
    ) -> None:
        super().__init__(
            path,
            timeout=timeout,
            # Zero what a DELETE frees, so that a destroyed key is not left in a free page.
            pragmas=("secure_delete=ON", "journal_mode=WAL", "synchronous=FULL"),
            schema=SQLITE_SCHEMA,
        )
        self._beside_ledger = ledger is not None
        if ledger is not None and (self.database is None or ledger.database != self.database):
            self.close()
            raise LedgerKeyringElsewhereError(
                "a keyring leaves its keys to the ledger's sync only in its file"
            )

    def key_for(self, subject: str) -> tuple[str, bytes]:
        digest = subject_digest(subject)
        with self._guard():
            row = self._select(digest)
            if row is not None:
                return row
            if self._beside_ledger:
                self._conn.execute("PRAGMA synchronous=NORMAL")  # see the class
            try:
                with self._transaction():
                    # Another process may have made it since the read: keep whichever is first.
                    self._conn.execute(
                        "INSERT OR IGNORE INTO subject_keys (subject_digest, key_id, key)"
                        " VALUES (?, ?, ?)",
                        (digest, new_key_id(), AESGCM.generate_key(bit_length=256)),
                    )
                    row = self._select(digest)
            finally:
                if self._beside_ledger:
                    self._conn.execute("PRAGMA synchronous=FULL")
            assert row is not None  # inserted or already there, under the write lock
            return row

    def _select(self, digest: bytes) -> tuple[str, bytes] | None:
        row = self._conn.execute(
            "SELECT key_id, key FROM subject_keys WHERE subject_digest = ?", (digest,)
        ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def lookup(self, subject: str) -> str | None:
        with self._guard():
            row = self._select(subject_digest(subject))
        return None if row is None else row[0]

    def key(self, key_id: str) -> bytes | None:
        with self._guard():
            row = self._conn.execute(
                "SELECT key FROM subject_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def destroy(self, subject: str) -> str | None:
        digest = subject_digest(subject)
        with self._guard():
            with self._transaction():
                row = self._conn.execute(
                    "DELETE FROM subject_keys WHERE subject_digest = ? RETURNING key_id", (digest,)
                ).fetchone()
                if row is None:
                    return None
                self._conn.execute(
                    "INSERT OR IGNORE INTO subject_erasures (subject_digest) VALUES (?)",
                    (digest,),
                )
            # The key is still in the write-ahead log's earlier frames (the insert, and the
            # page as it was): copy the zeroed page into the database and empty the log.
            # Another connection reading at this moment keeps the log busy; the next
            # checkpoint then overwrites it, but only TRUNCATE gives a file without the key.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return str(row[0])

    def was_erased(self, subject: str) -> bool:
        with self._guard():
            row = self._conn.execute(
                "SELECT 1 FROM subject_erasures WHERE subject_digest = ?",
                (subject_digest(subject),),
            ).fetchone()
        return row is not None
