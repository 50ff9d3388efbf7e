"""The consent ledger: what was asked, consented, fetched and delivered, tamper-evident.

Entries are RFC 8785 canonical JSON appended to an RFC 9162 Merkle tree; backends are
``MemoryLedger``, ``SqliteLedger`` and ``PostgresLedger`` (the ``postgres`` extra) behind the
``ConsentLedger`` protocol. Signed checkpoints are C2SP signed notes (``sign_checkpoint``,
``verify_checkpoint``); ``export`` writes what an auditor needs and ``audit_verify`` checks it
offline. No attribute value ever enters the ledger: events carry attribute *names*, digests
and codes only (see ``LedgerEvent``). The subject is sealed under a per-subject key from a
``SubjectKeyring`` (memory, SQLite, PostgreSQL); ``ConsentLog`` appends with the subject
sealed and erases a subject by destroying its key (crypto-shredding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brondata.consent._audit import AuditFinding, AuditReport, audit_verify, export
from brondata.consent._checkpoint import (
    Checkpoint,
    LogSigner,
    LogVerifier,
    sign_checkpoint,
    verify_checkpoint,
    verify_note,
)
from brondata.consent._events import (
    ATTRIBUTE_NAME_PATTERN,
    EVENT_FIELDS,
    EventType,
    LedgerEntry,
    LedgerEvent,
    canonical_json,
    entry_bytes,
    parse_entry,
)
from brondata.consent._ledger import ConsentLedger, MemoryLedger
from brondata.consent._log import ConsentLog
from brondata.consent._merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from brondata.consent._migrate import (
    SCHEMA_VERSION,
    SchemaUpgrade,
    upgrade_postgres,
    upgrade_sqlite,
)
from brondata.consent._records import (
    ConsentRecord,
    ConsentState,
    Controller,
    PurposeTerm,
    StateChange,
    consent_record_from_ledger,
    kantara_receipt,
)
from brondata.consent._report import DataEvent, SubjectReport, subject_report
from brondata.consent._sqlite import SqliteLedger
from brondata.consent._subjects import (
    MemorySubjectKeyring,
    SqliteSubjectKeyring,
    SubjectKeyring,
    open_subject,
    seal_subject,
)

if TYPE_CHECKING:
    from brondata.consent._postgres import PostgresLedger, PostgresSubjectKeyring

__all__ = [
    "ATTRIBUTE_NAME_PATTERN",
    "EMPTY_ROOT",
    "EVENT_FIELDS",
    "SCHEMA_VERSION",
    "AuditFinding",
    "AuditReport",
    "Checkpoint",
    "ConsentLedger",
    "ConsentLog",
    "ConsentRecord",
    "ConsentState",
    "Controller",
    "DataEvent",
    "EventType",
    "LedgerEntry",
    "LedgerEvent",
    "LogSigner",
    "LogVerifier",
    "MemoryLedger",
    "MemorySubjectKeyring",
    "MerkleFrontier",
    "MerkleTree",
    "PostgresLedger",
    "PostgresSubjectKeyring",
    "PurposeTerm",
    "SchemaUpgrade",
    "SqliteLedger",
    "SqliteSubjectKeyring",
    "StateChange",
    "SubjectKeyring",
    "SubjectReport",
    "audit_verify",
    "canonical_json",
    "consent_record_from_ledger",
    "consistency_proof",
    "entry_bytes",
    "export",
    "inclusion_proof",
    "kantara_receipt",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "open_subject",
    "parse_entry",
    "seal_subject",
    "sign_checkpoint",
    "subject_report",
    "upgrade_postgres",
    "upgrade_sqlite",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]


def __getattr__(name: str) -> Any:
    # PostgreSQL support is an extra (psycopg): import it only when it is asked for.
    if name in ("PostgresLedger", "PostgresSubjectKeyring"):
        from brondata.consent import _postgres

        value = getattr(_postgres, name)
        globals()[name] = value  # found once, an ordinary attribute from then on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
