"""Export and offline audit: a clean export verifies; every kind of tampering is named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from brondata.consent import (
    ConsentLedger,
    LogSigner,
    MemoryLedger,
    SqliteLedger,
    audit_verify,
    canonical_json,
    export,
    leaf_hash,
)
from brondata.consent import _audit as audit_module
from brondata.errors import LedgerError

from .factories import digest, make_event

ORIGIN = "hypotheek-bv.example/consent-ledger"


@pytest.fixture(scope="module")
def signer() -> LogSigner:
    return LogSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))


def session(ledger: ConsentLedger, n: int, *, withdraw: bool = True) -> None:
    """One consent session of eight entries, all of it allowed."""
    ids = {"session_id": f"ses_{n}", "consent_id": f"con_{n}"}
    ledger.append(make_event("consent.requested", **ids))
    ledger.append(make_event("consent.given", **ids))
    ledger.append(make_event("login.completed", **ids))
    ledger.append(make_event("data.retrieved", **ids))
    ledger.append(make_event("data.delivered", **ids))
    ledger.append(make_event("login.completed", source="employment", **ids))
    ledger.append(
        make_event(
            "data.retrieved",
            source="employment",
            attributes=["income.gross_annual"],
            response_digest=digest("uwv"),
            **ids,
        )
    )
    ledger.append(
        make_event(
            "data.delivered",
            source="employment",
            attributes=["income.gross_annual"],
            response_digest=digest("uwv"),
            **ids,
        )
    )
    if withdraw:
        ledger.append(make_event("consent.withdrawn", **ids))


@pytest.fixture
def exported(tmp_path: Path, signer: LogSigner) -> Path:
    with SqliteLedger(tmp_path / "brondata.db") as ledger:
        for n in range(3):
            session(ledger, n)
        export(ledger, tmp_path / "export", signer)
    return tmp_path / "export"


def lines(folder: Path) -> list[bytes]:
    return (folder / "ledger.jsonl").read_bytes().splitlines(keepends=True)


def rewrite(folder: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    (folder / "ledger.jsonl").write_bytes(b"".join(change(lines(folder))))


def test_a_clean_export_verifies(exported: Path, signer: LogSigner) -> None:
    assert sorted(p.name for p in exported.iterdir()) == [
        "checkpoint",
        "ledger.jsonl",
        "ledger.leaves",
        "log.vkey",
    ]
    assert len(lines(exported)) == 27
    report = audit_verify(exported, vkey=signer.vkey())
    assert report.ok, report.findings
    assert report.checkpoint is not None
    assert report.checkpoint.size == 27
    assert report.root == report.checkpoint.root
    assert (report.consents, report.deliveries) == (3, 6)
    assert report.counts["consent.given"] == 3
    assert report.first_bad_index is None
    assert report.to_dict()["ok"] is True


def test_the_export_is_the_ledger_byte_for_byte(tmp_path: Path, signer: LogSigner) -> None:
    ledger = MemoryLedger()
    session(ledger, 1)
    checkpoint = export(ledger, tmp_path, signer)
    assert checkpoint.root == ledger.root()
    assert lines(tmp_path) == [e.canonical + b"\n" for e in ledger.entries()]
    assert (tmp_path / "log.vkey").read_text().strip() == signer.vkey()
    assert not list(tmp_path.glob("*.tmp"))


def _edit(line: bytes, **changes: object) -> bytes:
    obj = json.loads(line)
    obj.update(changes)
    return canonical_json(obj) + b"\n"


TAMPERING: dict[str, tuple[Callable[[list[bytes]], list[bytes]], str, int]] = {
    # name: (change, the code of the first finding, the first bad index)
    "edited": (
        lambda ls: [*ls[:10], _edit(ls[10], subject_key="key-other"), *ls[11:]],
        "entry_edited",
        10,
    ),
    "edited-not-canonical": (
        lambda ls: [*ls[:10], ls[10].replace(b'":"', b'": "', 1), *ls[11:]],
        "entry_malformed",
        10,
    ),
    "deleted": (lambda ls: [*ls[:12], *ls[13:]], "entry_missing", 12),
    "inserted": (
        lambda ls: [*ls[:12], _edit(ls[12], at="2026-03-01T09:31:00Z"), *ls[12:]],
        "entry_inserted",
        12,
    ),
    "duplicated": (lambda ls: [*ls[:13], ls[12], *ls[13:]], "entry_duplicated", 13),
    "reordered": (lambda ls: [*ls[:5], ls[6], ls[5], *ls[7:]], "entry_reordered", 5),
    "truncated": (lambda ls: ls[:20], "entries_truncated", 20),
    "cut-off": (lambda ls: [*ls[:-1], ls[-1][:-10]], "entry_malformed", 26),
    "unsigned": (lambda ls: [*ls, _edit(ls[-1], index=27)], "entries_unsigned", 27),
}


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_names_the_first_bad_entry(exported: Path, signer: LogSigner, name: str) -> None:
    change, code, index = TAMPERING[name]
    rewrite(exported, change)
    report = audit_verify(exported, vkey=signer.vkey())
    assert not report.ok
    assert report.first_bad_index == index, report.findings
    first = next(f for f in report.findings if f.index == index)
    assert first.code == code, report.findings
    assert first.is_integrity


def test_an_edit_is_detected_without_the_leaves_file(exported: Path, signer: LogSigner) -> None:
    (exported / "ledger.leaves").unlink()
    rewrite(exported, lambda ls: [*ls[:3], _edit(ls[3], subject_key="key-other"), *ls[4:]])
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["root_mismatch"]


def test_a_tampered_leaves_file_is_reported(exported: Path, signer: LogSigner) -> None:
    leaves = bytearray((exported / "ledger.leaves").read_bytes())
    leaves[40] ^= 1
    (exported / "ledger.leaves").write_bytes(bytes(leaves))
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["leaves_mismatch"]


def test_leaves_forged_to_match_an_edit_locate_nothing(exported: Path, signer: LogSigner) -> None:
    rewrite(exported, lambda ls: [*ls[:3], _edit(ls[3], subject_key="key-other"), *ls[4:]])
    leaves = bytearray((exported / "ledger.leaves").read_bytes())
    leaves[3 * 32 : 4 * 32] = leaf_hash(lines(exported)[3][:-1])
    (exported / "ledger.leaves").write_bytes(bytes(leaves))
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["leaves_mismatch", "root_mismatch"]


def test_an_edit_with_tampered_leaves_is_not_located(exported: Path, signer: LogSigner) -> None:
    rewrite(exported, lambda ls: [*ls[:3], _edit(ls[3], subject_key="key-other"), *ls[4:]])
    leaves = bytearray((exported / "ledger.leaves").read_bytes())
    leaves[20 * 32] ^= 1
    (exported / "ledger.leaves").write_bytes(bytes(leaves))
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["leaves_mismatch", "root_mismatch"]


def test_a_leaves_file_of_another_length_is_reported(exported: Path, signer: LogSigner) -> None:
    leaves = (exported / "ledger.leaves").read_bytes()
    (exported / "ledger.leaves").write_bytes(leaves + leaves[:32])
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["leaves_mismatch"]


def test_a_clean_export_reads_its_leaves_once(
    exported: Path, signer: LogSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lines matching their leaves and the signed root vouch for the leaves: no second
    # pass over ledger.leaves to hash them on their own.
    def refused(*_: object) -> bool:
        raise AssertionError("the leaves hashed on their own")

    monkeypatch.setattr(audit_module, "_leaves_match", refused)
    assert audit_verify(exported, vkey=signer.vkey()).ok


def test_a_forged_checkpoint_is_reported(exported: Path, signer: LogSigner) -> None:
    forger = LogSigner.generate(ORIGIN)
    with MemoryLedger() as other:
        session(other, 9)
        export(other, exported, forger)  # a whole new export under a look-alike key
    assert audit_verify(exported).ok  # its own vkey vouches for it: hence pass the real one
    report = audit_verify(exported, vkey=signer.vkey())
    assert [f.code for f in report.findings] == ["checkpoint_invalid"]


def test_an_export_extends_an_older_checkpoint(tmp_path: Path, signer: LogSigner) -> None:
    with SqliteLedger(tmp_path / "brondata.db") as ledger:
        session(ledger, 1)
        export(ledger, tmp_path / "first", signer)
        session(ledger, 2)
        export(ledger, tmp_path / "second", signer)
    old = tmp_path / "first" / "checkpoint"
    report = audit_verify(tmp_path / "second", old, vkey=signer.vkey())
    assert report.ok, report.findings
    assert report.since is not None
    assert report.since.size == 9
    assert audit_verify(tmp_path / "first", old.read_text(), vkey=signer.vkey()).ok
    # Going back in time is not consistent.
    shrunk = audit_verify(tmp_path / "first", tmp_path / "second" / "checkpoint")
    assert [f.code for f in shrunk.findings] == ["since_inconsistent"]


def test_a_rewritten_history_is_inconsistent(tmp_path: Path, signer: LogSigner) -> None:
    with MemoryLedger() as honest, MemoryLedger() as rewritten:
        session(honest, 1)
        export(honest, tmp_path / "old", signer)
        session(rewritten, 1, withdraw=False)  # the withdrawal is gone...
        session(rewritten, 2)
        export(rewritten, tmp_path / "new", signer)  # ...and re-signed with the real key
    report = audit_verify(tmp_path / "new", tmp_path / "old" / "checkpoint")
    assert [f.code for f in report.findings] == ["since_inconsistent"]


def test_an_older_checkpoint_of_another_key(tmp_path: Path, exported: Path) -> None:
    other = LogSigner.generate(ORIGIN)
    with MemoryLedger() as ledger:
        export(ledger, tmp_path / "other", other)
    report = audit_verify(exported, tmp_path / "other" / "checkpoint")
    assert [f.code for f in report.findings] == ["since_invalid"]


def test_an_unreadable_export_raises(tmp_path: Path) -> None:
    with pytest.raises(LedgerError):
        audit_verify(tmp_path)


def _audit(tmp_path: Path, signer: LogSigner, build: Callable[[MemoryLedger], None]) -> list:
    with MemoryLedger() as ledger:
        build(ledger)
        export(ledger, tmp_path, signer)
    report = audit_verify(tmp_path, vkey=signer.vkey())
    return [(f.code, f.index) for f in report.findings]


IDS = {"session_id": "ses_1", "consent_id": "con_1"}


def test_delivery_beyond_the_consent(tmp_path: Path, signer: LogSigner) -> None:
    def build(ledger: MemoryLedger) -> None:
        ledger.append(make_event("consent.given", **IDS))
        ledger.append(make_event("data.retrieved", **IDS))
        ledger.append(make_event("data.delivered", attributes=["bank.iban"], **IDS))
        ledger.append(make_event("data.retrieved", source="tax", **IDS))
        ledger.append(make_event("data.delivered", source="tax", **IDS))

    assert _audit(tmp_path, signer, build) == [
        ("delivered_beyond_consent", 2),
        ("delivered_beyond_consent", 4),
    ]


def test_delivery_before_consent_and_without_retrieval(tmp_path: Path, signer: LogSigner) -> None:
    def build(ledger: MemoryLedger) -> None:
        ledger.append(make_event("consent.requested", **IDS))
        ledger.append(make_event("data.retrieved", **IDS))
        ledger.append(make_event("data.delivered", **IDS))
        ledger.append(make_event("consent.given", **IDS))
        ledger.append(make_event("data.delivered", source="employment", **IDS))

    assert _audit(tmp_path, signer, build) == [
        ("retrieved_without_consent", 1),
        ("delivered_without_consent", 2),
        ("delivered_without_retrieval", 4),
    ]


def test_delivery_after_withdrawal_and_expiry(tmp_path: Path, signer: LogSigner) -> None:
    def build(ledger: MemoryLedger) -> None:
        other = {"session_id": "ses_2", "consent_id": "con_2"}
        for ids in (IDS, other):
            ledger.append(make_event("consent.given", **ids))
            ledger.append(make_event("data.retrieved", **ids))
        ledger.append(make_event("consent.withdrawn", **IDS))
        ledger.append(make_event("consent.expired", **other))
        ledger.append(make_event("data.delivered", **IDS))  # 6
        ledger.append(make_event("data.delivered", **other))  # 7
        ledger.append(make_event("consent.renewed", **other))
        ledger.append(make_event("data.delivered", **other))  # fine again
        ledger.append(make_event("consent.renewed", **IDS))  # a withdrawal is final
        ledger.append(make_event("data.delivered", **IDS))  # 11

    assert _audit(tmp_path, signer, build) == [
        ("delivered_after_withdrawal", 6),
        ("delivered_after_expiry", 7),
        ("delivered_after_withdrawal", 11),
    ]


def test_a_delivery_names_a_response_that_was_retrieved(tmp_path: Path, signer: LogSigner) -> None:
    def build(ledger: MemoryLedger) -> None:
        ledger.append(make_event("consent.given", **IDS))
        ledger.append(make_event("data.retrieved", **IDS))
        ledger.append(make_event("data.delivered", response_digest=digest("response"), **IDS))
        ledger.append(make_event("data.delivered", response_digest=digest("other"), **IDS))

    assert _audit(tmp_path, signer, build) == [("delivered_without_retrieval", 3)]


def test_a_delivery_supersedes_only_a_record_of_its_kind_delivered_before_in_its_consent(
    tmp_path: Path, signer: LogSigner
) -> None:
    other = {"session_id": "ses_2", "consent_id": "con_2"}

    def build(ledger: MemoryLedger) -> None:
        for ids in (IDS, other):
            ledger.append(make_event("consent.given", **ids))
            ledger.append(make_event("data.retrieved", **ids))
        first, merged = digest("first"), digest("merged")
        ledger.append(make_event("data.delivered", record_digest=first, **IDS))
        ledger.append(make_event("data.delivered", record_digest=merged, supersedes=first, **IDS))
        # 6: a forged supersedes, of no record delivered before
        ledger.append(make_event("data.delivered", supersedes=digest("never"), **IDS))
        # 7: a record of another consent
        ledger.append(make_event("data.delivered", supersedes=first, **other))
        # 8: a record of another kind of the same consent
        ledger.append(
            make_event(
                "data.delivered",
                source="employment",
                attributes=["employment.current"],
                supersedes=merged,
                **IDS,
            )
        )
        # 9: the record itself, named as the one it supersedes
        ledger.append(
            make_event("data.delivered", record_digest=digest("x"), supersedes=digest("x"), **IDS)
        )

    found = _audit(tmp_path, signer, build)
    assert [f for f in found if f[0] == "supersedes_unknown"] == [
        ("supersedes_unknown", 6),
        ("supersedes_unknown", 7),
        ("supersedes_unknown", 8),
        ("supersedes_unknown", 9),
    ]


class _CorruptLedger(MemoryLedger):
    """A store whose tree disagrees with its entries."""

    def root(self, size: int | None = None) -> bytes:
        return bytes(32)


def test_export_refuses_to_sign_a_corrupt_store(tmp_path: Path, signer: LogSigner) -> None:
    ledger = _CorruptLedger()
    session(ledger, 1)
    with pytest.raises(LedgerError, match="do not hash"):
        export(ledger, tmp_path, signer)
    assert not (tmp_path / "checkpoint").exists()


def test_a_consent_given_or_withdrawn_twice_is_flagged(tmp_path: Path, signer: LogSigner) -> None:
    # What a step that lost a race used to leave behind: its event beside the winner's.
    def build(ledger: MemoryLedger) -> None:
        other = {"session_id": "ses_2", "consent_id": "con_2"}
        ledger.append(make_event("consent.requested", **IDS))
        ledger.append(make_event("consent.given", **IDS))
        ledger.append(make_event("consent.given", **IDS))  # 2
        ledger.append(make_event("consent.given", **other))
        ledger.append(make_event("consent.withdrawn", **other))
        ledger.append(make_event("consent.withdrawn", **other))  # 5
        ledger.append(make_event("consent.withdrawn", **IDS))

    assert _audit(tmp_path, signer, build) == [
        ("consent_repeated", 2),
        ("consent_repeated", 5),
    ]
