"""Export a ledger for an auditor, and verify such an export offline.

An export is a folder:

* ``ledger.jsonl``  one entry per line, its exact canonical (JCS) bytes, in log order;
* ``ledger.leaves`` the RFC 9162 leaf hashes, 32 bytes each, in log order;
* ``checkpoint``    a C2SP signed checkpoint over exactly those entries;
* ``log.vkey``      the organisation's verifier key (for convenience: an auditor should compare
                    it with, or pass instead, a key obtained from the organisation directly).

``audit_verify`` streams the entries once, in constant memory in the number of entries (a
Merkle frontier, not a tree; per-consent state is the only thing that grows, with the number
of consents). It checks the checkpoint signature, recomputes the root, checks consistency with
an older checkpoint the auditor kept, and then what the entries *say*: nothing delivered
outside its consent, before ``consent.given``, after ``consent.withdrawn`` or
``consent.expired``, or without its ``data.retrieved``, and no entry for a subject after that
subject's erasure. The audit needs no subject keys: the consent semantics hang on consent ids,
so a log with erased subjects verifies exactly as before, their entries simply stay sealed.

Locating tampering: each entry carries its ``index``, which exposes deleted, duplicated,
inserted and reordered lines; ``ledger.leaves``, once its own root matches the signed one, is
an authenticated list of what each line must hash to, which exposes an edited line. Without it
an edit is still detected (the root differs), just not located.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal

from brondata.connectors._base import combined_digest
from brondata.consent._checkpoint import (
    Checkpoint,
    LogSigner,
    LogVerifier,
    sign_checkpoint,
    verify_checkpoint,
)
from brondata.consent._ledger import ConsentLedger
from brondata.consent._merkle import EMPTY_ROOT, HASH_SIZE, MerkleFrontier, leaf_hash
from brondata.errors import CheckpointError, LedgerError, LedgerIntegrityError
from brondata.session import LIVE_CONSENT, ConsentState, next_consent_state
from brondata.sources._kind import kind_of

if TYPE_CHECKING:
    # Imported by the audit when it runs: building its checks from the event schema takes a
    # few tens of milliseconds that importing ``brondata.consent`` need not spend.
    from brondata.consent._audit_entry import Event

__all__ = [
    "CHECKPOINT_FILE",
    "ENTRIES_FILE",
    "LEAVES_FILE",
    "VKEY_FILE",
    "AuditFinding",
    "AuditReport",
    "FindingCode",
    "audit_verify",
    "export",
]

ENTRIES_FILE: Final = "ledger.jsonl"
LEAVES_FILE: Final = "ledger.leaves"
CHECKPOINT_FILE: Final = "checkpoint"
VKEY_FILE: Final = "log.vkey"

_MAX_FINDINGS: Final = 1000  # beyond this the export is plainly broken; stop listing
_LEAVES_CHUNK: Final = 4096  # leaf hashes read from ledger.leaves at a time

FindingCode = Literal[
    # integrity: the export does not match what the organisation signed
    "checkpoint_invalid",  # the checkpoint is malformed, forged, or of another log
    "since_invalid",  # the older checkpoint does not verify with this key
    "since_inconsistent",  # the log now disagrees with the older checkpoint (forked, rewritten)
    "root_mismatch",  # the entries do not hash to the signed root
    "leaves_mismatch",  # ledger.leaves does not hash to the signed root (cannot locate edits)
    "entry_malformed",  # a line that is not a canonical ledger entry
    "entry_edited",  # a line whose bytes differ from what the log holds at that position
    "entry_inserted",  # a line that is not in the log at all
    "entry_missing",  # a position whose entry is absent (deleted)
    "entry_duplicated",  # an entry that appears again
    "entry_reordered",  # an entry at another position than its own
    "entries_truncated",  # fewer lines than the checkpoint's size
    "entries_unsigned",  # more lines than the checkpoint's size
    # consent: what the entries say happened is not allowed
    "retrieved_without_consent",
    "delivered_without_consent",
    "delivered_after_withdrawal",
    "delivered_after_expiry",
    "delivered_beyond_consent",
    "delivered_without_retrieval",
    "subject_after_erasure",  # an entry sealed under a key whose erasure the log recorded
    "consent_repeated",  # a consent given, denied or withdrawn again (a step raced, or replayed)
    "supersedes_unknown",  # a delivery superseding no record of its kind delivered before
]

_CONSENT_CODES: Final = frozenset(
    {
        "retrieved_without_consent",
        "delivered_without_consent",
        "delivered_after_withdrawal",
        "delivered_after_expiry",
        "delivered_beyond_consent",
        "delivered_without_retrieval",
        "subject_after_erasure",
        "consent_repeated",
        "supersedes_unknown",
    }
)


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One thing wrong, at a log position (``index``) where one can be named."""

    code: FindingCode
    message: str
    index: int | None = None

    @property
    def is_integrity(self) -> bool:
        """Whether this is about the log's integrity (rather than about consent)."""
        return self.code not in _CONSENT_CODES

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "index": self.index, "message": self.message}


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of ``audit_verify``: ``ok`` when there are no findings."""

    checkpoint: Checkpoint | None
    entries_read: int
    root: bytes
    findings: tuple[AuditFinding, ...]
    since: Checkpoint | None = None
    consents: int = 0
    deliveries: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad_index(self) -> int | None:
        """The first log position with a finding: where to start looking."""
        indexes = [f.index for f in self.findings if f.index is not None]
        return min(indexes) if indexes else None

    def to_dict(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "origin": cp.origin if cp else None,
            "size": cp.size if cp else None,
            "since_size": self.since.size if self.since else None,
            "entries_read": self.entries_read,
            "root": self.root.hex(),
            "first_bad_index": self.first_bad_index,
            "consents": self.consents,
            "deliveries": self.deliveries,
            "events": dict(sorted(self.counts.items())),
            "findings": [f.to_dict() for f in self.findings],
        }


# --- export ----------------------------------------------------------------------------------


def export(ledger: ConsentLedger, out_dir: str | os.PathLike[str], signer: LogSigner) -> Checkpoint:
    """Write the ledger's entries, leaf hashes, a signed checkpoint and the vkey to ``out_dir``.

    The export covers the ledger as it is when the call starts; later appends are left for the
    next export. The root is recomputed from the exported bytes and must equal the stored one,
    so a corrupt store is refused rather than signed. Files appear atomically (renamed into
    place), the checkpoint last.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    size = ledger.size()
    root = ledger.root(size)
    frontier = MerkleFrontier()
    with (
        _AtomicFile(out / ENTRIES_FILE) as entries_out,
        _AtomicFile(out / LEAVES_FILE) as leaves_out,
    ):
        for entry in ledger.entries(0, size):
            leaf = leaf_hash(entry.canonical)
            if leaf != entry.leaf_hash:
                raise LedgerIntegrityError(f"entry {entry.index} does not match its leaf hash")
            frontier.append_leaf_hash(leaf)
            entries_out.write(entry.canonical + b"\n")
            leaves_out.write(leaf)
    if frontier.root() != root:
        raise LedgerIntegrityError("the stored entries do not hash to the stored tree")
    checkpoint = Checkpoint(signer.name, size, root)
    with _AtomicFile(out / VKEY_FILE) as vkey_out:
        vkey_out.write(signer.vkey().encode("ascii") + b"\n")
    with _AtomicFile(out / CHECKPOINT_FILE) as cp_out:
        cp_out.write(sign_checkpoint(checkpoint, signer).encode("utf-8"))
    return checkpoint


class _AtomicFile:
    """Write to ``path.tmp`` and rename over ``path`` only when the block succeeds."""

    __slots__ = ("_file", "_path", "_tmp")

    def __init__(self, path: Path) -> None:
        self._path = path
        self._tmp = path.with_name(path.name + ".tmp")

    def __enter__(self) -> IO[bytes]:
        self._file = self._tmp.open("wb")
        return self._file

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if exc_type is None:
            self._tmp.replace(self._path)
        else:
            self._tmp.unlink(missing_ok=True)


# --- verify ----------------------------------------------------------------------------------


# Once per consent each: again, it is a step taken twice (``consent_repeated``).
_ONCE: Final = frozenset({"consent.given", "consent.denied", "consent.withdrawn"})
# The consent events that state the terms.
_STATES_TERMS: Final = frozenset({"consent.requested", "consent.given", "consent.renewed"})


@dataclass(slots=True)
class _Consent:
    """What the log has said so far about one consent."""

    state: ConsentState = "requested"
    attributes: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    # (source, response digest) of each retrieval under this consent
    retrieved: set[tuple[str, str]] = field(default_factory=set)
    # (source, record digest) of each delivery under this consent
    delivered: set[tuple[str, str]] = field(default_factory=set)


class _Auditor:
    """The streaming state of one verification."""

    def __init__(self, leaves: IO[bytes] | None, size: int) -> None:
        from brondata.consent._audit_entry import read_entry

        self.read_entry = read_entry
        self.findings: dict[tuple[str, int | None], AuditFinding] = {}
        self.frontier = MerkleFrontier()
        self.since_root: bytes | None = None
        self.leaves = leaves
        self.size = size
        self.expected = 0  # the log index the next line should carry
        self.missing: set[int] = set()
        self.prev: tuple[int, bytes] | None = None  # (carried index, leaf) of the last line
        self.consents: dict[str, _Consent] = {}
        # Withdrawn and denied consents are final: only their state is kept, so that memory
        # follows the consents still open rather than every consent ever given.
        self.closed: dict[str, Literal["denied", "withdrawn"]] = {}
        self.counts: dict[str, int] = {}
        self.deliveries = 0
        self.erased_keys: set[str] = set()  # grows with erasures, not with entries
        # Whether every line so far hashes to the signed leaf at its own position: then, with
        # the right number of lines and the signed root, ``ledger.leaves`` is authentic too.
        self.as_signed = leaves is not None
        self._chunk: tuple[int, bytes] = (-1, b"")  # (first index, leaves) read last

    def add(self, code: FindingCode, message: str, index: int | None = None) -> None:
        if len(self.findings) < _MAX_FINDINGS:
            self.findings.setdefault((code, index), AuditFinding(code, message, index))

    def leaf_at(self, index: int) -> bytes | None:
        if self.leaves is None or not 0 <= index < self.size:
            return None
        first, chunk = self._chunk
        if not first <= index < first + len(chunk) // HASH_SIZE:
            first = index - index % _LEAVES_CHUNK
            self.leaves.seek(first * HASH_SIZE)
            chunk = self.leaves.read(_LEAVES_CHUNK * HASH_SIZE)
            self._chunk = (first, chunk)
        at = (index - first) * HASH_SIZE
        return chunk[at : at + HASH_SIZE]

    def line(self, position: int, data: bytes) -> None:
        leaf = leaf_hash(data)
        self.frontier.append_leaf_hash(leaf)
        if self.as_signed and self.leaf_at(position) != leaf:
            self.as_signed = False
        try:
            carried, event = self.read_entry(data)
        except LedgerIntegrityError as exc:
            self.add("entry_malformed", exc.message, position)
            self.expected += 1
            self.prev = None
            return
        self.place(position, carried, leaf)
        self.prev = (carried, leaf)
        kind = event["event"]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.semantics(carried, kind, event)

    def place(self, position: int, carried: int, leaf: bytes) -> None:
        """Compare the index a line carries and its hash with where it stands."""
        expected = self.expected
        if carried == expected:
            self.expected += 1
            signed = self.leaf_at(carried)
            if signed is not None and signed != leaf:
                self.add("entry_edited", f"entry {carried} is not what the log signed", position)
            return
        if carried > expected:
            self.missing.update(range(expected, min(carried, expected + _MAX_FINDINGS)))
            gap = f"entries {expected}..{carried - 1} are" if carried - 1 > expected else None
            self.add(
                "entry_missing",
                f"{gap or f'entry {expected} is'} missing (line {position} carries {carried})",
                expected,
            )
            self.expected = carried + 1
            return
        # carried < expected: this index was seen or skipped already.
        signed = self.leaf_at(carried)
        if carried in self.missing:
            self.missing.discard(carried)
            self.findings.pop(("entry_missing", carried), None)
            self.add("entry_reordered", f"entry {carried} stands at line {position}", carried)
        elif self.prev is not None and self.prev[0] == carried and signed == leaf != self.prev[1]:
            # The line before carried this index with other bytes and this one is the signed
            # entry: the line before was inserted.
            self.findings.pop(("entry_edited", position - 1), None)
            self.add("entry_inserted", f"line {position - 1} is not in the log", position - 1)
            self.expected = carried + 1
        else:
            self.add(
                "entry_duplicated",
                f"entry {carried} appears again at line {position}",
                position,
            )

    def consent(self, consent_id: str) -> _Consent:
        consent = self.consents.get(consent_id)
        if consent is None:
            consent = _Consent(state=self.closed.pop(consent_id, "requested"))
            self.consents[consent_id] = consent
        return consent

    def semantics(self, index: int, kind: str, event: Event) -> None:
        subject_key: str = event.get("subject_key", "")
        if subject_key in self.erased_keys:
            self.add(
                "subject_after_erasure",
                f"{kind} for a subject whose key {subject_key} was destroyed",
                index,
            )
        consent_id = event.get("consent_id")
        if consent_id is None:
            # Only the erasure of a whole subject has no consent (the event's validation).
            self.erased_keys.add(subject_key)
            return
        self.apply(index, consent_id, kind, event)
        consent = self.consents[consent_id]
        if consent.state in ("denied", "withdrawn"):
            self.closed[consent_id] = consent.state
            del self.consents[consent_id]

    def apply(self, index: int, consent_id: str, kind: str, event: Event) -> None:
        consent = self.consent(consent_id)
        # The one consent table moves the consent; for these three, an event it refuses is a
        # step taken twice (or after the consent ended).
        moved = next_consent_state(consent.state, kind)
        if moved is None and kind in _ONCE:
            self.add(
                "consent_repeated", f"{kind} again while the consent is {consent.state}", index
            )
        if moved is not None and kind in _STATES_TERMS:
            # A renewal may restate (a subset of) the terms; unset terms stay as they were.
            attributes, sources = event.get("attributes"), event.get("sources")
            if attributes is not None or kind != "consent.renewed":
                consent.attributes = frozenset(attributes or ())
            if sources is not None or kind != "consent.renewed":
                consent.sources = frozenset(sources or ())
        if moved is not None:
            consent.state = moved
        if kind == "data.retrieved":
            if consent.state not in LIVE_CONSENT:
                self.add(
                    "retrieved_without_consent",
                    f"data retrieved from {event.get('source')} while the consent is "
                    f"{consent.state}",
                    index,
                )
            consent.retrieved.add((event.get("source") or "", event.get("response_digest") or ""))
        elif kind == "data.delivered":
            self.deliveries += 1
            self.delivery(index, event, consent)

    def delivery(self, index: int, event: Event, consent: _Consent) -> None:
        if consent.state == "withdrawn":
            self.add(
                "delivered_after_withdrawal", "delivered after the consent was withdrawn", index
            )
        elif consent.state == "expired":
            self.add("delivered_after_expiry", "delivered after the consent expired", index)
        elif consent.state not in LIVE_CONSENT:
            self.add("delivered_without_consent", f"delivered while {consent.state}", index)
        source = event.get("source") or ""
        supersedes = event.get("supersedes")
        if supersedes is not None and (source, supersedes) not in consent.delivered:
            self.add(
                "supersedes_unknown",
                f"supersedes no record of {source} delivered before under this consent",
                index,
            )
        consent.delivered.add((source, event.get("record_digest") or ""))
        beyond = sorted(set(event.get("attributes") or ()) - consent.attributes)
        if consent.state in LIVE_CONSENT and (beyond or source not in consent.sources):
            what = ", ".join(beyond) if beyond else f"source {event.get('source')}"
            self.add("delivered_beyond_consent", f"delivered {what} outside the consent", index)
        if consent.state in ("denied", "withdrawn"):
            return  # a final consent keeps no retrievals: the delivery is wrong either way
        response_digest = event.get("response_digest")
        if source == COMPUTED_SOURCE and response_digest is None:
            # Decisions are computed from the session's other retrievals (their record names
            # the input digests); the consent to them is checked above, like any delivery.
            return
        # A kind's record may combine several instances' retrievals (two banks).
        parts = {src: digest for src, digest in consent.retrieved if kind_of(src) == source}
        # ... or one instance's, delivered after its kind (a second bank added later).
        retrieved = {digest for src, digest in consent.retrieved if kind_of(src) == source}
        retrieved |= {digest for src, digest in consent.retrieved if src == source}
        if parts:
            retrieved.add(combined_digest(parts))
        if not retrieved or (response_digest and response_digest not in retrieved):
            self.add(
                "delivered_without_retrieval",
                f"no data.retrieved from {source} precedes this delivery",
                index,
            )


#: The source of the records the gateway computes itself (``brondata.dossier``: decisions).
COMPUTED_SOURCE = "decision"


def _lines(path: Path) -> Iterator[tuple[bytes, bool]]:
    """Each line without its newline, and whether it had one."""
    with path.open("rb") as file:
        for raw in file:
            if raw.endswith(b"\n"):
                yield raw[:-1], True
            else:
                yield raw, False


def _read_checkpoint(source: str | os.PathLike[str]) -> str:
    return source if isinstance(source, str) else Path(source).read_text(encoding="utf-8")


def audit_verify(
    directory: str | os.PathLike[str],
    since_checkpoint: str | os.PathLike[str] | None = None,
    *,
    vkey: str | None = None,
) -> AuditReport:
    """Verify an export offline; returns an ``AuditReport`` (``report.ok``) and never raises
    for a bad export, only for one that cannot be read at all (``LedgerError``).

    ``since_checkpoint`` is an older signed checkpoint the auditor kept (note text, or a path):
    the export must extend it. ``vkey`` is the log's verifier key; by default the export's
    ``log.vkey``, which only proves anything if it is the key the organisation published.
    """
    folder = Path(directory)
    try:
        note = (folder / CHECKPOINT_FILE).read_text(encoding="utf-8")
        key = vkey if vkey is not None else (folder / VKEY_FILE).read_text(encoding="ascii")
        entries_path = folder / ENTRIES_FILE
        if not entries_path.is_file():
            raise FileNotFoundError(entries_path.name)
        since_note = _read_checkpoint(since_checkpoint) if since_checkpoint is not None else None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"not a readable ledger export: {exc}") from exc

    verifier = LogVerifier(key)
    early: list[AuditFinding] = []
    checkpoint: Checkpoint | None = None
    try:
        checkpoint = verify_checkpoint(note, verifier)
    except CheckpointError as exc:
        early.append(AuditFinding("checkpoint_invalid", exc.message))
    since: Checkpoint | None = None
    if since_note is not None:
        try:
            since = verify_checkpoint(since_note, verifier)
        except CheckpointError as exc:
            early.append(AuditFinding("since_invalid", exc.message))

    size = checkpoint.size if checkpoint else 0
    leaves_path = folder / LEAVES_FILE
    if checkpoint is None or not leaves_path.is_file():
        auditor, read = _stream(entries_path, None, size, early, since)
    else:
        with leaves_path.open("rb") as leaves_file:
            auditor, read = _stream(entries_path, leaves_file, size, early, since)
            # The leaves vouch for what the pass found only if they hash to the signed root:
            # so they do when every line matched its own leaf and the lines do.
            authentic = (
                auditor.as_signed
                and read == size
                and auditor.frontier.root() == checkpoint.root
                and leaves_path.stat().st_size == size * HASH_SIZE
            )
            if not authentic:
                leaves_file.seek(0)
                authentic = _leaves_match(leaves_file, checkpoint)
        if not authentic:
            # Findings located with unsigned leaves could be wrong: read again without them.
            early.append(
                AuditFinding("leaves_mismatch", f"{LEAVES_FILE} does not match the checkpoint")
            )
            auditor, read = _stream(entries_path, None, size, early, since)

    if since is not None and read == since.size:
        auditor.since_root = auditor.frontier.root()
    if checkpoint is not None:
        _check_totals(auditor, checkpoint, read)
    if since is not None and checkpoint is not None:
        _check_since(auditor, since, checkpoint)

    return AuditReport(
        checkpoint=checkpoint,
        entries_read=read,
        root=auditor.frontier.root(),
        findings=tuple(sorted(auditor.findings.values(), key=_order)),
        since=since,
        consents=len(auditor.consents) + len(auditor.closed),
        deliveries=auditor.deliveries,
        counts=auditor.counts,
    )


def _stream(
    entries_path: Path,
    leaves: IO[bytes] | None,
    size: int,
    early: list[AuditFinding],
    since: Checkpoint | None,
) -> tuple[_Auditor, int]:
    """One pass over the entries: the auditor's state after it, and the lines read."""
    auditor = _Auditor(leaves, size)
    for finding in early:
        auditor.add(finding.code, finding.message, finding.index)
    position = -1
    for position, (data, newline) in enumerate(_lines(entries_path)):
        if since is not None and position == since.size:
            auditor.since_root = auditor.frontier.root()
        if not newline:
            auditor.add("entry_malformed", "the last line is cut off", position)
        auditor.line(position, data)
    return auditor, position + 1


def _order(finding: AuditFinding) -> tuple[int, int, int, str]:
    # At one position, what is wrong with the log comes before what the entry says.
    return (finding.index is not None, finding.index or 0, not finding.is_integrity, finding.code)


def _leaves_match(leaves: IO[bytes], checkpoint: Checkpoint) -> bool:
    frontier = MerkleFrontier()
    while chunk := leaves.read(HASH_SIZE * 4096):
        if len(chunk) % HASH_SIZE:
            return False
        for i in range(0, len(chunk), HASH_SIZE):
            frontier.append_leaf_hash(chunk[i : i + HASH_SIZE])
    return frontier.size() == checkpoint.size and frontier.root() == checkpoint.root


def _check_totals(auditor: _Auditor, checkpoint: Checkpoint, read: int) -> None:
    if read < checkpoint.size:
        auditor.add(
            "entries_truncated",
            f"{read} lines for a checkpoint of {checkpoint.size} entries",
            read,
        )
    elif read > checkpoint.size:
        auditor.add(
            "entries_unsigned",
            f"{read - checkpoint.size} lines beyond the checkpoint's {checkpoint.size}",
            checkpoint.size,
        )
    elif auditor.frontier.root() != checkpoint.root:
        auditor.add("root_mismatch", "the entries do not hash to the signed root")


def _check_since(auditor: _Auditor, since: Checkpoint, checkpoint: Checkpoint) -> None:
    if since.size > checkpoint.size:
        auditor.add(
            "since_inconsistent",
            f"the log shrank from {since.size} to {checkpoint.size} entries",
        )
    elif since.size == 0:
        if since.root != EMPTY_ROOT:
            auditor.add("since_inconsistent", "an empty checkpoint with a non-empty root")
    elif auditor.since_root != since.root:
        auditor.add(
            "since_inconsistent",
            f"the first {since.size} entries no longer hash to the older checkpoint's root",
        )
