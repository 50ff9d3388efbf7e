"""The consent ledger's contract (``ConsentLedger``) and its in-memory implementation.

A ledger is an append-only list of entries with an RFC 9162 Merkle tree over them. Every
backend (memory here, SQLite in ``_sqlite``, PostgreSQL in ``_postgres``) stores the entries
plus the hash of every complete subtree, so that appends and proofs never rehash the log, and
passes the same conformance tests. Signing checkpoints and exporting are done on top of this
protocol, not inside a backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from brondata.consent._events import LedgerEntry, LedgerEvent, entry_bytes
from brondata.consent._merkle import MerkleTree, NodeKey, completed_nodes, leaf_hash
from brondata.errors import LedgerError
from brondata.stores._base import ClosingContext, RowWrite

__all__ = [
    "ConsentLedger",
    "LedgerUnit",
    "MemoryLedger",
    "check_index",
    "check_size",
    "lay_out",
    "unencodable",
]


@dataclass(frozen=True, slots=True)
class LedgerUnit:
    """Events appended together, all or none, with the row another store writes in the same
    transaction (a session's compare-and-set, ``write``), if any: a lost ``write`` appends
    none of them."""

    events: tuple[LedgerEvent, ...]
    write: RowWrite | None = None


def unencodable(unit: LedgerUnit) -> BaseException | None:
    """The error an event of ``unit`` fails to encode with, found before anything is written
    (an entry's bytes depend on its index only through that number)."""
    try:
        for event in unit.events:
            entry_bytes(event, 0)
    except Exception as exc:
        return exc
    return None


def lay_out(
    size: int, nodes: dict[NodeKey, bytes], units: Sequence[LedgerUnit | BaseException]
) -> tuple[
    list[tuple[LedgerEntry, ...] | BaseException], list[LedgerEntry], list[tuple[int, int, bytes]]
]:
    """A batch's place in the tree, for every engine: from the ledger's ``size`` and the
    roots of its complete subtrees (``nodes``, updated), each unit's entries (or the error it
    alone failed with, passed in), every entry to write, and every tree node they complete."""
    results: list[tuple[LedgerEntry, ...] | BaseException] = []
    entries: list[LedgerEntry] = []
    new_nodes: list[tuple[int, int, bytes]] = []
    for unit in units:
        if isinstance(unit, BaseException):
            results.append(unit)
            continue
        mine: list[LedgerEntry] = []
        for event in unit.events:
            index = size + len(entries)
            data = entry_bytes(event, index)
            leaf = leaf_hash(data)
            completed = completed_nodes(index, leaf, nodes)
            nodes.update(((level, i), h) for level, i, h in completed)
            new_nodes += completed
            entry = LedgerEntry(index=index, canonical=data, leaf_hash=leaf, at=event.at)
            entries.append(entry)
            mine.append(entry)
        results.append(tuple(mine))
    return results, entries, new_nodes


@runtime_checkable
class ConsentLedger(Protocol):
    """An append-only, Merkle-hashed log of consent events."""

    def append(self, event: LedgerEvent) -> LedgerEntry:
        """Write ``event`` as the next entry, atomically; returns the stored entry."""
        ...

    def size(self) -> int:
        """The number of entries."""
        ...

    def root(self, size: int | None = None) -> bytes:
        """The RFC 9162 root of the first ``size`` entries (default: all)."""
        ...

    def entry(self, index: int) -> LedgerEntry:
        """The entry at ``index``."""
        ...

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        """Entries ``start`` up to (not including) ``stop``, in order, streamed."""
        ...

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Proof that entry ``index`` is in the tree of ``size`` entries (default: all)."""
        ...

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Proof that the tree of ``size2`` entries extends the one of ``size1``."""
        ...

    def close(self) -> None:
        """Release the backend's resources; the ledger cannot be used afterwards."""
        ...


def check_size(size: int | None, current: int) -> int:
    """``size`` checked against the ledger's ``current`` size (``None`` means current)."""
    if size is None:
        return current
    if not 0 <= size <= current:
        raise LedgerError(f"size {size} is outside the ledger of {current} entries")
    return size


def check_index(index: int, size: int) -> None:
    """Refuse an entry index outside a tree of ``size`` entries."""
    if not 0 <= index < size:
        raise LedgerError(f"entry {index} is outside a tree of {size} entries")


class MemoryLedger(ClosingContext):
    """A ledger held in memory: for tests, examples and short-lived processes."""

    def __init__(self) -> None:
        self._tree = MerkleTree()
        self._entries: list[LedgerEntry] = []
        self._lock = threading.Lock()

    def append(self, event: LedgerEvent) -> LedgerEntry:
        with self._lock:
            index = len(self._entries)
            data = entry_bytes(event, index)
            entry = LedgerEntry(index=index, canonical=data, leaf_hash=leaf_hash(data), at=event.at)
            self._tree.append_leaf_hash(entry.leaf_hash)
            self._entries.append(entry)
            return entry

    def size(self) -> int:
        return len(self._entries)

    def root(self, size: int | None = None) -> bytes:
        with self._lock:
            return self._tree.root(check_size(size, len(self._entries)))

    def entry(self, index: int) -> LedgerEntry:
        check_index(index, len(self._entries))
        return self._entries[index]

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        stop = check_size(stop, len(self._entries))
        for index in range(max(start, 0), stop):
            yield self._entries[index]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        with self._lock:
            size = check_size(size, len(self._entries))
            check_index(index, size)
            return self._tree.inclusion_proof(index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        with self._lock:
            size2 = check_size(size2, len(self._entries))
            if not 0 < size1 <= size2:
                raise LedgerError(f"no consistency proof from size {size1} to size {size2}")
            return self._tree.consistency_proof(size1, size2)

    def close(self) -> None:
        """Nothing to release; present for the protocol."""
