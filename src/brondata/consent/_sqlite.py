"""The consent ledger in SQLite (stdlib ``sqlite3``): the embedded default.

Two tables, both prefixed ``ledger_`` so the file can be shared with other stores (the
gateway keeps its sessions in the same database through its own connection):

* ``ledger_entries(idx, entry, leaf_hash, at)``: the canonical bytes of each entry;
* ``ledger_nodes(level, idx, hash)``: every complete subtree hash (level 0 are the leaves).

Append-only is enforced in the database, not only in this module: triggers ``RAISE(ABORT)``
on every UPDATE and DELETE, on an insert at any index but the next, and on an attempt to
replace a stored node. Triggers stop accidents and casual edits; someone with the file can
still drop them, which is what the Merkle tree and signed checkpoints are for.

Appends are group-committed: concurrent appends from threads of one process are written as
one ``BEGIN IMMEDIATE`` transaction (one fsync) in WAL mode, with ``synchronous=FULL`` by
default, and each returns only once its batch has committed. A crash leaves either the whole
batch with its nodes, or nothing, and an entry whose ``append`` returned survives a power cut.
The roots of the complete subtrees at the ledger's end (all a batch combines with) are kept
in memory between batches, and used while the size read under the write lock says no other
process has appended since.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterator
from typing import Final, Literal

from brondata.consent._events import LedgerEntry, LedgerEvent
from brondata.consent._ledger import (
    LedgerUnit,
    check_index,
    check_size,
    lay_out,
    unencodable,
)
from brondata.consent._merkle import (
    NodeKey,
    stored_consistency_proof,
    stored_inclusion_proof,
    stored_root,
)
from brondata.errors import (
    BrondataError,
    LedgerAppendOnlyError,
    LedgerError,
    LedgerIntegrityError,
)
from brondata.stores._base import GroupCommit, split_script
from brondata.stores._sqlite import SqliteStore

__all__ = ["SqliteLedger"]

# The marker the triggers put in their message, so that the library can tell them apart from
# any other constraint failure.
APPEND_ONLY_MARKER: Final = "ledger_append_only"

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ledger_entries (
    idx       INTEGER PRIMARY KEY CHECK (idx >= 0),
    entry     BLOB    NOT NULL,
    leaf_hash BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    at        TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_nodes (
    level INTEGER NOT NULL CHECK (level >= 0),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: ledger entries cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: ledger entries cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS ledger_entries_next_only BEFORE INSERT ON ledger_entries
WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries)
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: entries are only appended at the end'); END;
CREATE TRIGGER IF NOT EXISTS ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: tree nodes cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: tree nodes cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS ledger_nodes_no_replace BEFORE INSERT ON ledger_nodes
WHEN EXISTS (SELECT 1 FROM ledger_nodes WHERE level = NEW.level AND idx = NEW.idx)
BEGIN SELECT RAISE(ABORT, 'ledger_append_only: tree nodes cannot be replaced'); END;
"""

_BATCH: Final = 1024


class SqliteLedger(SqliteStore):
    """A consent ledger in a SQLite file (or ``":memory:"``); tables are created on open.

    Safe to share between threads (one connection behind a lock) and between processes on one
    file (appends serialise on SQLite's write lock; ``timeout`` is how long to wait for it).
    """

    _what = "ledger"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        # An append is exactly one transaction of its own (see ``append``).
        super().__init__(
            path,
            timeout=timeout,
            pragmas=("journal_mode=WAL", f"synchronous={synchronous}"),
            schema=split_script(SCHEMA),
        )
        # (size, the roots of its complete subtrees) as of this process's last batch.
        self._frontier: tuple[int, dict[NodeKey, bytes]] | None = None
        self._commits: GroupCommit[LedgerUnit, tuple[LedgerEntry, ...]] = GroupCommit(
            self._append_batch
        )

    def _closed_error(self) -> BrondataError:
        return LedgerError("the ledger is closed")

    def _error(self, exc: sqlite3.Error) -> BrondataError:
        if APPEND_ONLY_MARKER in str(exc):
            return LedgerAppendOnlyError(str(exc))
        return super()._error(exc)

    def append(self, event: LedgerEvent) -> LedgerEntry:
        # Batched with the appends of other threads of this process; returns once committed.
        return self._commits.submit(LedgerUnit((event,)))[0]

    def append_unit(self, unit: LedgerUnit) -> tuple[LedgerEntry, ...]:
        """Append ``unit``'s events and write its row in one transaction, all or nothing;
        a lost write raises its ``lost`` error to this caller alone, having appended none."""
        return self._commits.submit(unit)

    def _append_batch(
        self, units: list[LedgerUnit]
    ) -> list[tuple[LedgerEntry, ...] | BaseException]:
        """Append ``units`` in one transaction: one commit, one fsync. Each unit's row is
        written first; a unit whose write matches no row (a lost compare-and-set) wrote
        nothing and appends nothing, and the others go on."""
        # IMMEDIATE takes the write lock before reading the size, so two writers (threads,
        # processes, the gateway's own connection) can never compute the same index.
        with self._guard():
            try:
                with self._transaction():
                    laid: list[LedgerUnit | BaseException] = []
                    for unit in units:
                        failure = unencodable(unit)
                        if failure is None and unit.write is not None:
                            written = self._conn.execute(unit.write.sql, unit.write.params)
                            failure = unit.write.lost if written.rowcount != 1 else None
                        laid.append(unit if failure is None else failure)
                    size = self._size()
                    nodes = self._frontier_at(size)
                    results, entries, new_nodes = lay_out(size, nodes, laid)
                    self._conn.executemany(
                        "INSERT INTO ledger_entries (idx, entry, leaf_hash, at)"
                        " VALUES (?, ?, ?, ?)",
                        [(e.index, e.canonical, e.leaf_hash, e.at) for e in entries],
                    )
                    self._conn.executemany(
                        "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)", new_nodes
                    )
            except BaseException:
                self._frontier = None  # whatever was read or computed may not be what is stored
                raise
            end = size + len(entries)
            self._frontier = (end, {key: nodes[key] for key in _frontier_keys(end)})
        return results

    def _frontier_at(self, size: int) -> dict[NodeKey, bytes]:
        """The roots of the complete subtrees of the first ``size`` entries, by key."""
        if self._frontier is not None and self._frontier[0] == size:
            return dict(self._frontier[1])
        return self._read(_frontier_keys(size))

    def size(self) -> int:
        with self._guard():
            return self._size()

    def root(self, size: int | None = None) -> bytes:
        with self._guard():
            return stored_root(check_size(size, self._size()), self._read)

    def entry(self, index: int) -> LedgerEntry:
        with self._guard():
            row = self._conn.execute(
                "SELECT idx, entry, leaf_hash, at FROM ledger_entries WHERE idx = ?", (index,)
            ).fetchone()
        if row is None:
            raise LedgerError(f"no entry {index} in the ledger")
        return LedgerEntry(index=row[0], canonical=row[1], leaf_hash=row[2], at=row[3])

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        with self._guard():
            stop = check_size(stop, self._size())
        # Keyset pages, not one open cursor: a consumer that stops early leaves nothing open,
        # and appends by others in between do not disturb the pages already read.
        cursor = max(start, 0)
        while cursor < stop:
            with self._guard():
                rows = self._conn.execute(
                    "SELECT idx, entry, leaf_hash, at FROM ledger_entries"
                    " WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                    (cursor, stop, _BATCH),
                ).fetchall()
            if not rows:
                raise LedgerIntegrityError(f"entries from {cursor} are missing")
            for idx, data, leaf, at in rows:
                if idx != cursor:
                    raise LedgerIntegrityError(f"entry {cursor} is missing")
                yield LedgerEntry(index=idx, canonical=data, leaf_hash=leaf, at=at)
                cursor += 1

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        with self._guard():
            size = check_size(size, self._size())
            check_index(index, size)
            return stored_inclusion_proof(index, size, self._read)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        with self._guard():
            size2 = check_size(size2, self._size())
            if not 0 < size1 <= size2:
                raise LedgerError(f"no consistency proof from size {size1} to size {size2}")
            return stored_consistency_proof(size1, size2, self._read)

    def _size(self) -> int:
        (n,) = self._conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries").fetchone()
        return int(n)

    def _read(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        if not keys:
            return {}
        ordered = list(keys)
        # OR of equalities: SQLite answers each term from the primary key.
        where = " OR ".join(["(level = ? AND idx = ?)"] * len(ordered))
        params = [v for key in ordered for v in key]
        found = {
            (level, idx): bytes(h)
            for level, idx, h in self._conn.execute(
                f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}",  # noqa: S608 (placeholders only)
                params,
            )
        }
        if len(found) != len(set(ordered)):
            missing = sorted(set(ordered) - found.keys())
            raise LedgerIntegrityError(f"tree nodes missing from the store: {missing[:5]}")
        return found


def _frontier_keys(size: int) -> list[NodeKey]:
    # One complete subtree per set bit of the size: at level k, the one ending at the end.
    return [(k, (size >> k) - 1) for k in range(size.bit_length()) if (size >> k) & 1]
