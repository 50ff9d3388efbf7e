"""ConsentLog: appends seal the subject, erasure destroys the key, the audit still verifies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from brondata.consent import (
    ConsentLog,
    LedgerEvent,
    LogSigner,
    MemoryLedger,
    MemorySubjectKeyring,
    audit_verify,
    export,
    merkle_root,
)
from brondata.errors import InvalidEventError, LedgerIntegrityError

from .factories import AT, DEFAULTS, digest

ALICE = "sub-a11ce0000000000000000000000000"
BOB = "sub-b0b0000000000000000000000000000"


def flow(log: ConsentLog, subject: str, n: int, *, at: str = AT) -> None:
    """One allowed consent session of ``subject``."""
    ids: dict[str, Any] = {"subject": subject, "at": at, "session_id": f"ses_{n}"}
    ids["consent_id"] = f"con_{n}"
    for kind in ("consent.requested", "consent.given", "data.retrieved", "data.delivered"):
        log.append(kind, **ids, **DEFAULTS[kind])


def test_append_seals_the_subject(consent_log: ConsentLog) -> None:
    entry = consent_log.append(
        "consent.requested",
        subject=ALICE,
        at=AT,
        session_id="s1",
        consent_id="c1",
        **DEFAULTS["consent.requested"],
    )
    assert ALICE.encode() not in entry.canonical
    event = entry.event
    assert "subject" not in event.to_json_dict()
    assert event.subject_key == consent_log.keyring.lookup(ALICE)
    assert consent_log.subject_of(entry) == ALICE
    assert consent_log.size() == 1
    assert consent_log.root() == merkle_root([entry.canonical])


def test_an_invalid_event_makes_no_key_and_no_entry() -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    with pytest.raises(InvalidEventError):
        log.append("data.delivered", subject=ALICE, at=AT, session_id="s", consent_id="c")
    with pytest.raises(InvalidEventError):
        log.append("consent.withdrawn", subject="999993653", at=AT, session_id="s", consent_id="c")
    assert log.size() == 0
    assert log.keyring.lookup(ALICE) is None


def test_entries_are_found_by_subject_and_by_consent(consent_log: ConsentLog) -> None:
    flow(consent_log, ALICE, 1)
    flow(consent_log, BOB, 2)
    flow(consent_log, ALICE, 3)
    alice = [entry.index for entry, _ in consent_log.entries_of_subject(ALICE)]
    assert alice == [0, 1, 2, 3, 8, 9, 10, 11]
    assert [e.index for e, _ in consent_log.entries_of_consent("con_2")] == [4, 5, 6, 7]
    assert list(consent_log.entries_of_subject("sub-nobody")) == []


def test_erasure_destroys_the_key_and_leaves_the_tree(consent_log: ConsentLog) -> None:
    flow(consent_log, ALICE, 1)
    flow(consent_log, BOB, 2)
    root = consent_log.root()
    key_id = consent_log.keyring.lookup(ALICE)
    entry = consent_log.erase(ALICE, at="2026-03-02T10:00:00Z")
    assert entry is not None
    assert entry.index == 8
    assert json.loads(entry.canonical) == {
        "at": "2026-03-02T10:00:00Z",
        "event": "data.erased",
        "index": 8,
        "subject_key": key_id,
    }
    # The tree only grew: every older entry and checkpoint stays valid.
    assert consent_log.root(8) == root
    assert len(consent_log.consistency_proof(8)) > 0
    assert all(consent_log.subject_of(e) is None for e in consent_log.entries(0, 4))
    assert all(consent_log.subject_of(e) == BOB for e in consent_log.entries(4, 8))
    assert list(consent_log.entries_of_subject(ALICE)) == []
    assert consent_log.keyring.was_erased(ALICE)
    assert consent_log.erasure_of(key_id or "") == entry
    assert consent_log.erase(ALICE, at="2026-03-02T10:00:00Z") is None  # already gone


def test_a_sealed_subject_moved_to_another_entry_does_not_open() -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    first, second = (e.event for e in log.entries(0, 2))
    moved = LedgerEvent.model_validate(
        {**second.to_json_dict(), "subject_sealed": first.subject_sealed}
    )
    with pytest.raises(LedgerIntegrityError):
        log.subject_of(moved)


def test_the_audit_verifies_after_an_erasure(tmp_path: Path) -> None:
    signer = LogSigner("hypotheek-bv.example/consent-ledger", Ed25519PrivateKey.generate())
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    flow(log, BOB, 2)
    before = export(log.ledger, tmp_path / "before", signer)
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    export(log.ledger, tmp_path / "after", signer)
    report = audit_verify(tmp_path / "after", tmp_path / "before" / "checkpoint")
    assert report.ok, report.findings
    assert report.since is not None
    assert report.since.size == before.size
    assert report.counts["data.erased"] == 1
    assert report.deliveries == 2
    assert ALICE.encode() not in (tmp_path / "after" / "ledger.jsonl").read_bytes()


def test_the_audit_flags_a_subject_written_after_its_erasure(tmp_path: Path) -> None:
    signer = LogSigner("hypotheek-bv.example/consent-ledger", Ed25519PrivateKey.generate())
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    flow(log, ALICE, 1)
    stale = log.entry(3).event  # e.g. an instance that still held the key when it was erased
    log.erase(ALICE, at="2026-03-02T10:00:00Z")
    log.ledger.append(
        LedgerEvent.model_validate({**stale.to_json_dict(), "record_digest": digest("late")})
    )
    export(log.ledger, tmp_path, signer)
    report = audit_verify(tmp_path)
    assert [(f.code, f.index) for f in report.findings] == [("subject_after_erasure", 5)]
    assert not report.findings[0].is_integrity


@pytest.mark.postgres
def test_postgres_erasure_in_another_process_wins_over_a_cached_key(
    postgres_dsn: str, pg_schema: str
) -> None:
    """A keyring beside its ledger caches subject keys; a key another process destroyed is
    neither used nor re-created by an append that still holds it: the append fails alone."""
    from brondata.consent import PostgresLedger, PostgresSubjectKeyring
    from brondata.errors import SubjectErasedError

    def instance() -> ConsentLog:
        ledger = PostgresLedger(postgres_dsn, schema=pg_schema)
        return ConsentLog(
            ledger, PostgresSubjectKeyring(postgres_dsn, schema=pg_schema, ledger=ledger)
        )

    fields = {"at": "2026-03-01T09:30:00Z", "session_id": "ses_1", "consent_id": "con_1"}
    with instance() as here, instance() as there:
        first = here.append("consent.withdrawn", subject=ALICE, **fields)
        old_key = first.event.subject_key
        assert there.erase(ALICE, at="2026-03-02T10:00:00Z") is not None
        size = here.size()
        with pytest.raises(SubjectErasedError):
            here.append("consent.withdrawn", subject=ALICE, **fields)
        assert here.size() == size  # nothing appended under the destroyed key
        assert here.keyring.key(old_key or "") is None  # and the key not re-created
        again = here.append("consent.withdrawn", subject=ALICE, **fields)
        assert again.event.subject_key not in (None, old_key)  # a new key, after the erasure
        assert there.subject_of(again) == ALICE


@pytest.mark.postgres
def test_postgres_a_destroyed_key_fails_its_unit_alone_with_its_row(
    postgres_dsn: str, pg_schema: str
) -> None:
    """In one batch, the unit sealed under a key destroyed elsewhere writes neither its
    events nor its row; the other unit is appended, and the tree stays whole."""
    import psycopg
    from psycopg import sql

    from brondata.consent import MerkleTree, PostgresLedger, PostgresSubjectKeyring
    from brondata.consent._ledger import LedgerUnit
    from brondata.errors import StoreError, SubjectErasedError
    from brondata.stores._base import RowWrite

    fields = {"at": AT, "session_id": "ses_1", "consent_id": "con_1"}
    schema = sql.Identifier(pg_schema)
    ledger = PostgresLedger(postgres_dsn, schema=pg_schema)
    with (
        ConsentLog(
            ledger, PostgresSubjectKeyring(postgres_dsn, schema=pg_schema, ledger=ledger)
        ) as here,
        ConsentLog(
            PostgresLedger(postgres_dsn, schema=pg_schema),
            PostgresSubjectKeyring(postgres_dsn, schema=pg_schema),
        ) as there,
    ):
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE TABLE {}.rows (id int PRIMARY KEY)").format(schema))
        write = RowWrite(
            sql=sql.SQL("INSERT INTO {}.rows (id) VALUES (1) RETURNING id").format(schema),
            params=(),
            lost=StoreError("lost"),
        )
        doomed = here.seal("consent.withdrawn", subject=ALICE, **fields)
        kept = here.seal("consent.withdrawn", subject=BOB, **fields)
        assert there.erase(ALICE, at=AT) is not None
        results = ledger._append_batch([LedgerUnit((doomed,), write), LedgerUnit((kept,))])
        assert isinstance(results[0], SubjectErasedError)
        assert not isinstance(results[1], BaseException)
        assert [e.event for e in results[1]] == [kept]
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            rows = conn.execute(sql.SQL("SELECT count(*) FROM {}.rows").format(schema))
            assert rows.fetchone() == (0,)
        tree = MerkleTree()
        for entry in here.entries():
            tree.append_leaf_hash(entry.leaf_hash)
        assert here.size() == 2
        assert tree.root() == here.root()
