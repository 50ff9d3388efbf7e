"""The consent ledger in PostgreSQL (psycopg 3 with a connection pool): many app instances,
one ledger; and the subject keyring beside it (``PostgresSubjectKeyring``). Both build on the
PostgreSQL store base (``brondata.stores``): pool, schema creation, error mapping.

The same two tables as the SQLite store (``ledger_entries``, ``ledger_nodes``). Appends are
group-committed: concurrent appends in one process are written as one batch, in one
transaction with one WAL flush, and each returns only once its batch has committed. Writers in
any number of processes take turns under one transaction-level advisory lock
(``pg_advisory_xact_lock``, the key schema creation uses too). A batch is pipelined in two
round trips: (1) BEGIN, the lock, then the size with the roots of the complete subtrees the
batch builds on (a separate statement after the lock, so that it reads what the previous
holder committed), and, when a keyring beside the ledger keeps keys in memory, which of the
keys the entries are sealed under still exist, and the server's synchronous standbys;
(2) every entry and every tree node the batch completes, in one INSERT from arrays, the
COMMIT, and for some batches the flush.

A batch of entries alone, on a server without synchronous standbys
(``synchronous_standby_names`` empty, read again by every batch), commits without waiting
for the WAL flush, so its lock is free from the COMMIT on and the next writer, in any
process, works while this batch is flushed: writers share flushes instead of taking turns
through them. A transaction of its own, in the same round trip, then waits for the flush
(``_FLUSH``); only then is the batch acknowledged. Between the COMMIT and the flush the
entries are visible but not yet durable: a crash then loses them and every batch built on
them (WAL is flushed in order), none acknowledged; the ledger's size (what checkpoints,
exports and proofs are built on) and ``entry`` count only flushed entries. If the connection
is lost after the COMMIT was answered, the flush is made again on a fresh connection; if
that fails too, ``LedgerDurabilityUnknownError`` says the batch is in, its durability
unknown (not a failed append: a retry would append it twice).

Every other batch commits synchronously, holding the lock through its flush: one that
writes a row of another store (a session's state), so that no other instance can read the
row and act on it before it is durable; and with synchronous standbys every batch, so that
no entry is visible, and counted in a checkpoint, before a standby has it (a failover would
otherwise lose an entry a signed checkpoint covers). The ``ledger_head`` table of an earlier
release stays so that existing schemas keep their shape.

Append-only is enforced by triggers that raise on UPDATE, DELETE and TRUNCATE of the ledger
tables and on an insert at any index but the next. The schema is created by the library, in
the schema named at construction (``public`` by default), under an advisory lock so that
several processes opening a new ledger at once do not race.

Requires the ``postgres`` extra (``psycopg[binary]``, ``psycopg-pool``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator
from typing import Any, Final

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg_pool import ConnectionPool

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
from brondata.consent._subjects import new_key_id, subject_digest
from brondata.errors import (
    BrondataError,
    LedgerAppendOnlyError,
    LedgerDurabilityUnknownError,
    LedgerError,
    LedgerIntegrityError,
    LedgerKeyringElsewhereError,
    StoreUnavailableError,
    SubjectErasedError,
)
from brondata.stores._base import GroupCommit
from brondata.stores._postgres import PostgresStore

__all__ = ["PostgresLedger", "PostgresSubjectKeyring"]

_MARKER: Final = "ledger_append_only"
_BATCH: Final = 1024
# Subject keys a keyring keeps in memory, the most recently used.
_KEY_CACHE: Final = 10_000

# {s} is the schema, quoted by psycopg.sql; nothing else is interpolated.
_DDL: Final = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.ledger_entries (
    idx       bigint PRIMARY KEY CHECK (idx >= 0),
    entry     bytea  NOT NULL,
    leaf_hash bytea  NOT NULL CHECK (length(leaf_hash) = 32),
    at        text   NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.ledger_nodes (
    level integer NOT NULL CHECK (level >= 0),
    idx   bigint  NOT NULL CHECK (idx >= 0),
    hash  bytea   NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS {s}.ledger_head (
    id integer PRIMARY KEY CHECK (id = 1)
);
INSERT INTO {s}.ledger_head (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION {s}.ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_append_only: % on % is refused', TG_OP, TG_TABLE_NAME;
END $$;
CREATE OR REPLACE FUNCTION {s}.ledger_next_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.idx IS DISTINCT FROM (SELECT COALESCE(MAX(e.idx) + 1, 0)
                                 FROM {s}.ledger_entries e) THEN
        RAISE EXCEPTION 'ledger_append_only: entries are only appended at the end';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE
    ON {s}.ledger_entries FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse();
CREATE OR REPLACE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE
    ON {s}.ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse();
CREATE OR REPLACE TRIGGER ledger_entries_next_only BEFORE INSERT
    ON {s}.ledger_entries FOR EACH ROW EXECUTE FUNCTION {s}.ledger_next_only();
CREATE OR REPLACE TRIGGER ledger_nodes_no_change BEFORE UPDATE OR DELETE
    ON {s}.ledger_nodes FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse();
CREATE OR REPLACE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE
    ON {s}.ledger_nodes FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse();
CREATE OR REPLACE TRIGGER ledger_head_no_change BEFORE UPDATE OR DELETE
    ON {s}.ledger_head FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse();
"""


# The size, and the root of each complete subtree at the ledger's end (one per set bit of
# the size: level k, index size >> k minus one), which is every stored node a batch of appends
# combines with. One row with NULLs when the ledger is empty.
_FRONTIER: Final = """
WITH size AS (SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM {s}.ledger_entries)
SELECT size.n, f.level, f.hash FROM size LEFT JOIN LATERAL (
    SELECT k.level, t.hash FROM generate_series(0, 62) AS k(level)
    JOIN {s}.ledger_nodes t ON t.level = k.level AND t.idx = (size.n >> k.level) - 1
    WHERE ((size.n >> k.level) & 1) = 1
) f ON true
"""

# The append lock, and the server's synchronous standbys (read with it: each batch checks
# again, so a reload of the setting takes effect from the next batch).
# With the lock: the server process and its server's start, which name the process a COMMIT
# whose answer is lost was sent to (read back after it ended: ``_batch_is_in``); a pooler in
# between would make the connection's own idea of its process wrong.
_LOCK: Final = (
    "SELECT pg_advisory_xact_lock(hashtext(%s)), {standbys},"
    " pg_backend_pid(), pg_postmaster_start_time()"
)

# What the server waits for besides its own disk; empty: nothing (no synchronous replication).
_STANDBYS: Final = "current_setting('synchronous_standby_names')"

_ASYNC_COMMIT: Final = "SELECT set_config('synchronous_commit', 'off', true)"

# A transaction of its own that commits with the connection's durability: it writes one WAL
# record (an empty transactional logical-decoding message; a transaction id alone writes
# none, and a commit that wrote nothing is not flushed), so its commit is flushed. That commit
# comes after the batch's, and WAL is flushed in order, so when it returns the batch is as
# durable as a synchronous commit would have made it (replicas included, with synchronous
# replication). A crash before then loses the batch and every later one built on it, none of
# them acknowledged. Logical decoding consumers see the message only if they ask for
# messages; its prefix says what it is.
_FLUSH: Final = "SELECT pg_logical_emit_message(true, 'brondata.ledger.flush', '')"

# The size, and whether every commit it counts has been flushed: the WAL position read after
# the statement's snapshot is past the commit record of every batch the snapshot sees.
_SIZE: Final = """
SELECT COALESCE(MAX(idx) + 1, 0), pg_current_wal_insert_lsn() <= pg_current_wal_flush_lsn()
FROM {s}.ledger_entries
"""

# Which database this is: its name, and the identifier of the cluster (the server's data
# directory) it is in.
_WHERE: Final = (
    "SELECT current_database(), (SELECT system_identifier FROM pg_control_system())::text"
)

# Which of the key ids a batch's entries are sealed under still exist, read after the lock
# (a destroy takes the same lock, so it comes wholly before or after the batch).
_LIVE_KEYS: Final = "SELECT key_id FROM {s}.subject_keys WHERE key_id = ANY(%s::text[])"

# Every entry and tree node of a batch in one statement. Row order follows the arrays
# (WITH ORDINALITY), so the next-index trigger sees the entries in order.
_LEAF_AT: Final = "SELECT leaf_hash FROM {s}.ledger_entries WHERE idx = %s"

# Ends a server process and waits for it to exit (PostgreSQL 14+: the timeout argument); no row
# when it is gone already or the server is another one (restarted, failed over).
_END_PROCESS: Final = (
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
    " WHERE pid = %s AND pg_postmaster_start_time() = %s"
)

_INSERT: Final = """
WITH entries AS (
    INSERT INTO {s}.ledger_entries (idx, entry, leaf_hash, at)
    SELECT idx, entry, leaf_hash, at
    FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[], %s::text[])
        WITH ORDINALITY AS e(idx, entry, leaf_hash, at, ord)
    ORDER BY ord
)
INSERT INTO {s}.ledger_nodes (level, idx, hash)
SELECT * FROM unnest(%s::integer[], %s::bigint[], %s::bytea[])
"""


class PostgresLedger(PostgresStore):
    """A consent ledger in PostgreSQL; tables are created on open.

    ``dsn`` is a libpq connection string or URL. ``schema`` lets several ledgers (or test
    runs) share a database. Pass ``pool`` to share an existing psycopg ``ConnectionPool``
    (the ledger then does not close it); otherwise one of ``max_connections`` is opened.
    """

    _what = "ledger"
    _pool_name = "ledger"
    _ddl = _DDL
    # The append lock too (below): one lock, so an append and another process's CREATE OR
    # REPLACE TRIGGER can never deadlock.
    _lock_prefix = "brondata:"

    def __init__(
        self,
        dsn: str = "",
        *,
        schema: str = "public",
        pool: ConnectionPool[Any] | None = None,
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(
            dsn, schema=schema, pool=pool, max_connections=max_connections, timeout=timeout
        )
        # Appends take the same transaction-level advisory lock as schema creation.
        self._append_lock = self._lock_prefix + schema
        self._commits: GroupCommit[LedgerUnit, tuple[LedgerEntry, ...]] = GroupCommit(
            self._append_batch
        )
        # Set by a keyring beside this ledger that caches keys (``PostgresSubjectKeyring``
        # with ``ledger=``): each batch then checks that its entries' keys still exist.
        self._keys: _KeyCache | None = None
        try:
            # Every batch waits for its flush with ``_FLUSH``, after its COMMIT: a server that
            # refuses it (a role without the right) fails the open, not each append once its
            # batch is already in.
            with self._connection() as conn:
                conn.execute(_FLUSH)
        except BaseException:
            self.close()
            raise

    def _closed_error(self) -> BrondataError:
        return LedgerError("the ledger is closed")

    def _error(self, exc: Exception) -> BrondataError:
        text = str(exc)
        if _MARKER in text or isinstance(exc, psycopg.errors.UniqueViolation):
            return LedgerAppendOnlyError(text.splitlines()[0])
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
        """Append ``units`` in one transaction: two round trips, the COMMIT in the second.
        Each unit's row is written in the first, after the lock; a unit whose write returns
        no row (a lost compare-and-set) wrote nothing and appends nothing.

        With a key cache bound (``_keys``), the first round trip also reads which of the keys
        the entries are sealed under still exist. If one was destroyed meanwhile (an erasure
        in another process), the transaction is rolled back, the units sealed under it fail
        with ``SubjectErasedError``, their keys leave the cache, and the rest are appended
        again: erasure wins, and a key is never used once destroyed."""
        sealed = self._sealed_keys(units, self._keys) if self._keys is not None else {}
        gone = set[str]()
        results = self._transaction(units, sealed, gone)
        if not gone:
            return results
        assert self._keys is not None
        self._keys.drop_ids(gone)
        failed = {position for position, keys in sealed.items() if keys & gone}
        rest = [unit for position, unit in enumerate(units) if position not in failed]
        again = iter(self._append_batch(rest) if rest else [])
        return [
            SubjectErasedError("the subject was erased: the key an event was sealed under is gone")
            if position in failed
            else next(again)
            for position in range(len(units))
        ]

    @staticmethod
    def _sealed_keys(units: list[LedgerUnit], cache: _KeyCache) -> dict[int, set[str]]:
        """The key ids each unit's entries are sealed under that ``cache`` handed out, by
        the unit's position (an event sealed elsewhere, under a key this process never
        held, is appended as before)."""
        found: dict[int, set[str]] = {}
        for position, unit in enumerate(units):
            keys = cache.issued(
                {
                    event.subject_key
                    for event in unit.events
                    if event.subject_key is not None and event.subject_sealed is not None
                }
            )
            if keys:
                found[position] = keys
        return found

    def _transaction(
        self, units: list[LedgerUnit], sealed: dict[int, set[str]], gone: set[str]
    ) -> list[tuple[LedgerEntry, ...] | BaseException]:
        """One try at the batch; fills ``gone`` (and rolls back) when a key in ``sealed`` no
        longer exists."""
        results: list[tuple[LedgerEntry, ...] | BaseException] = []
        commit: psycopg.Cursor[Any] | None = None
        unconfirmed = False  # committed, the flush after it not confirmed
        in_doubt: LedgerEntry | None = None  # the COMMIT sent, its answer lost
        entries: list[LedgerEntry] = []
        with self._connection() as conn:
            was_autocommit = conn.autocommit
            backend: tuple[Any, ...] | None = None  # the server process, once the lock says
            # BEGIN and COMMIT are sent by hand, so that they travel with the statements
            # around them in the pipeline rather than each in a round trip of its own.
            conn.autocommit = True
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    # The lock and the read are separate statements: a statement reads with
                    # the snapshot of its own start, which must come after the lock is held.
                    lock = conn.execute(_LOCK.format(standbys=_STANDBYS), (self._append_lock,))
                    laid: list[LedgerUnit | BaseException] = []
                    writes: list[tuple[int, Any]] = []
                    for unit in units:
                        failure = unencodable(unit)
                        if failure is None and unit.write is not None:
                            writes.append(
                                (len(laid), conn.execute(unit.write.sql, unit.write.params))
                            )
                        laid.append(unit if failure is None else failure)
                    wanted = set[str]().union(*sealed.values())
                    live = conn.execute(self._q(_LIVE_KEYS), (sorted(wanted),)) if wanted else None
                    rows = conn.execute(self._q(_FRONTIER)).fetchall()  # round trip 1
                    if live is not None:
                        gone.update(wanted - {str(row[0]) for row in live.fetchall()})
                    if gone:
                        conn.execute("ROLLBACK")
                        return results
                    for position, cursor in writes:
                        if cursor.fetchone() is None:
                            unit = units[position]
                            assert unit.write is not None
                            laid[position] = unit.write.lost
                    results, entries, nodes = _batch(rows, laid)
                    if entries:
                        conn.execute(
                            self._q(_INSERT),
                            (
                                [e.index for e in entries],
                                [e.canonical for e in entries],
                                [e.leaf_hash for e in entries],
                                [e.at for e in entries],
                                [level for level, _, _ in nodes],
                                [i for _, i, _ in nodes],
                                [h for _, _, h in nodes],
                            ),
                        )
                    standbys = lock.fetchone()
                    if standbys is not None:
                        backend = (standbys[2], standbys[3])
                    early = _commits_early(standbys, writes)
                    if early:
                        conn.execute(_ASYNC_COMMIT)
                    commit = conn.execute("COMMIT")
                    if early:
                        conn.execute(_FLUSH)
                # Leaving the pipeline sends it all and waits, the flush included: round
                # trip 2. Only then is the batch acknowledged.
            except psycopg.Error:
                if _committed(commit):
                    # The COMMIT's answer is in: the batch is in the ledger, only its flush
                    # is unconfirmed. Not a failed append (a retry would append it twice):
                    # flushed again below, on a fresh connection.
                    unconfirmed = True
                elif commit is not None and entries and conn.broken:
                    # The COMMIT was sent and the connection lost before its answer came
                    # back: it may have committed. Read back below, never guessed.
                    in_doubt = entries[0]
                else:
                    _roll_back(conn)
                    raise
            except BaseException:
                _roll_back(conn)
                raise
            finally:
                if not conn.closed:
                    conn.autocommit = was_autocommit
        if in_doubt is not None:
            self._resolve_in_doubt(in_doubt.index, in_doubt.leaf_hash, backend=backend)
            unconfirmed = True
        if unconfirmed:
            self._flush_again()
        return results

    def _resolve_in_doubt(
        self, index: int, leaf_hash: bytes, *, backend: tuple[Any, ...] | None
    ) -> None:
        """After a batch whose COMMIT was sent and whose answer was lost with the connection:
        returns if the batch is in (its first entry is, by index and leaf hash; a batch
        commits whole), else raises ``StoreUnavailableError`` (it failed; safe to try again).
        Read once the old connection's server process is gone, so that its COMMIT cannot
        still land after the read; a server that cannot be asked leaves the outcome unknown:
        ``LedgerDurabilityUnknownError``, never a guess either way."""
        try:
            is_in = self._batch_is_in(index, leaf_hash, backend=backend)
        except BrondataError as exc:
            raise LedgerDurabilityUnknownError(
                "the connection was lost before the append's COMMIT was answered, and the"
                " ledger could not be read back: its entries may be in; do not append them"
                " again before checking the ledger"
            ) from exc
        if not is_in:
            raise StoreUnavailableError(
                "PostgreSQL ledger: the connection was lost at the append's COMMIT, which did"
                " not commit (read back); nothing was appended"
            )

    def _batch_is_in(
        self, index: int, leaf_hash: bytes, *, backend: tuple[Any, ...] | None
    ) -> bool:
        """Whether the entry ``index`` with ``leaf_hash`` is in the ledger, read after the
        server process ``backend`` (the lost connection's: its pid and its server's start,
        so that a server restarted or failed over meanwhile, where that pid names another
        process, is not touched) has ended: ended by this call if it still runs, waiting up to
        5 s for it to exit (a COMMIT in progress then completes or not, before the read)."""
        with self._connection() as conn:
            if backend is not None:
                pid, started = backend
                ended = conn.execute(_END_PROCESS, (pid, started)).fetchone()
                if ended is not None and not ended[0]:
                    raise StoreUnavailableError(
                        "PostgreSQL ledger: the server process of a lost connection did not end"
                    )
            row = conn.execute(self._q(_LEAF_AT), (index,)).fetchone()
            return row is not None and bytes(row[0]) == leaf_hash

    def _flush_again(self) -> None:
        """Flush after a batch whose COMMIT was answered but whose flush was not: any flush
        after the COMMIT covers it (WAL is flushed in order). If that fails too, the batch is
        in the ledger and its durability unknown: ``LedgerDurabilityUnknownError``."""
        try:
            with self._connection() as conn:
                conn.execute(_FLUSH)
        except BrondataError as exc:
            raise LedgerDurabilityUnknownError(
                "the append committed but its flush could not be confirmed: its entries are"
                " in the ledger, their durability unknown; do not append them again"
            ) from exc

    def size(self) -> int:
        with self._connection() as conn:
            return self._size(conn)

    def root(self, size: int | None = None) -> bytes:
        with self._connection() as conn:
            size = check_size(size, self._size(conn))
            return stored_root(size, lambda keys: self._read(conn, keys))

    def entry(self, index: int) -> LedgerEntry:
        with self._connection() as conn:
            # Only what the size counts: an entry visible but not yet durable is waited for,
            # one beyond the ledger's end is not there.
            if not 0 <= index < self._size(conn):
                raise LedgerError(f"no entry {index} in the ledger")
            row = conn.execute(
                self._q("SELECT idx, entry, leaf_hash, at FROM {s}.ledger_entries WHERE idx = %s"),
                (index,),
            ).fetchone()
        if row is None:
            raise LedgerError(f"no entry {index} in the ledger")
        return LedgerEntry(
            index=row[0], canonical=bytes(row[1]), leaf_hash=bytes(row[2]), at=row[3]
        )

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        with self._connection() as conn:
            stop = check_size(stop, self._size(conn))
        cursor = max(start, 0)
        while cursor < stop:
            # Keyset pages on short-lived connections: a consumer may stop at any point.
            with self._connection() as conn:
                rows = conn.execute(
                    self._q(
                        "SELECT idx, entry, leaf_hash, at FROM {s}.ledger_entries"
                        " WHERE idx >= %s AND idx < %s ORDER BY idx LIMIT %s"
                    ),
                    (cursor, stop, _BATCH),
                ).fetchall()
            if not rows:
                raise LedgerIntegrityError(f"entries from {cursor} are missing")
            for idx, data, leaf, at in rows:
                if idx != cursor:
                    raise LedgerIntegrityError(f"entry {cursor} is missing")
                yield LedgerEntry(index=idx, canonical=bytes(data), leaf_hash=bytes(leaf), at=at)
                cursor += 1

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        with self._connection() as conn:
            size = check_size(size, self._size(conn))
            check_index(index, size)
            return stored_inclusion_proof(index, size, lambda keys: self._read(conn, keys))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        with self._connection() as conn:
            size2 = check_size(size2, self._size(conn))
            if not 0 < size1 <= size2:
                raise LedgerError(f"no consistency proof from size {size1} to size {size2}")
            return stored_consistency_proof(size1, size2, lambda keys: self._read(conn, keys))

    def _size(self, conn: psycopg.Connection[Any]) -> int:
        """The number of entries, counting only durable ones: a batch of entries alone may be
        visible from its COMMIT, a moment before its flush; a size read then waits for that
        flush, so that nothing (a checkpoint, an export, a proof, ``entry``) is built on an
        entry a crash could lose."""
        row = conn.execute(self._q(_SIZE)).fetchone()
        assert row is not None
        if not row[1]:
            conn.execute(_FLUSH)
            if not conn.autocommit:  # a connection of the application's own pool
                conn.commit()
        return int(row[0])

    def _read(
        self, conn: psycopg.Connection[Any], keys: Collection[NodeKey]
    ) -> dict[NodeKey, bytes]:
        if not keys:
            return {}
        wanted = set(keys)
        levels = [level for level, _ in wanted]
        indexes = [idx for _, idx in wanted]
        rows = conn.execute(
            self._q(
                "SELECT n.level, n.idx, n.hash"
                " FROM unnest(%s::integer[], %s::bigint[]) AS k(level, idx)"
                " JOIN {s}.ledger_nodes n ON n.level = k.level AND n.idx = k.idx"
            ),
            (levels, indexes),
        ).fetchall()
        found = {(level, idx): bytes(h) for level, idx, h in rows}
        if len(found) != len(wanted):
            missing = sorted(wanted - found.keys())
            raise LedgerIntegrityError(f"tree nodes missing from the store: {missing[:5]}")
        return found


def _database(store: PostgresStore) -> tuple[str, str]:
    """The database ``store`` is in: its name and its cluster's identifier."""
    with store._connection() as conn:
        row = conn.execute(_WHERE).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def _commits_early(standbys: tuple[Any, ...] | None, writes: list[tuple[int, Any]]) -> bool:
    """Whether a batch commits without waiting for its flush (and is flushed after): only a
    batch of ledger entries alone, on a server without synchronous standbys. A batch that
    writes a row (a session's state) commits synchronously, so that no other instance can
    act on the row before it is durable; with synchronous standbys every batch does, so that
    nothing is visible, and counted in a checkpoint, before a standby has it."""
    return not writes and standbys is not None and not standbys[1]


def _committed(commit: psycopg.Cursor[Any] | None) -> bool:
    """Whether the answer to a batch's COMMIT came back, and said committed (the COMMIT of a
    transaction that failed answers ``ROLLBACK``)."""
    result = None if commit is None else commit.pgresult
    return (
        result is not None
        and result.status == psycopg.pq.ExecStatus.COMMAND_OK
        and result.command_status == b"COMMIT"
    )


def _roll_back(conn: psycopg.Connection[Any]) -> None:
    """Whatever failed, the transaction must not stay open on a pooled connection (a lost
    connection has none left: the pool discards it)."""
    status = conn.info.transaction_status
    if status in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR):
        conn.execute("ROLLBACK")


def _batch(
    rows: list[tuple[Any, ...]], units: list[LedgerUnit | BaseException]
) -> tuple[
    list[tuple[LedgerEntry, ...] | BaseException], list[LedgerEntry], list[tuple[int, int, bytes]]
]:
    """From the ``_FRONTIER`` rows, the batch laid out (``lay_out``)."""
    size = int(rows[0][0])
    nodes: dict[NodeKey, bytes] = {
        (int(level), (size >> int(level)) - 1): bytes(h)
        for _, level, h in rows
        if level is not None
    }
    if len(nodes) != size.bit_count():
        raise LedgerIntegrityError("tree nodes missing from the store at the ledger's end")
    return lay_out(size, nodes, units)


class _KeyCache:
    """Subject keys this process has read or made (``digest -> (key_id, key)``), the most
    recently used ``_KEY_CACHE`` of them, and the ids of the keys it has handed out: shared by
    a keyring and the ledger beside it, which checks those ids and drops a key found gone."""

    def __init__(self) -> None:
        self._keys: OrderedDict[bytes, tuple[str, bytes]] = OrderedDict()
        self._issued: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._keys.get(digest)
            if found is not None:
                self._keys.move_to_end(digest)
                self._issue(found[0])
            return found

    def put(self, digest: bytes, key: tuple[str, bytes]) -> None:
        with self._lock:
            self._keys[digest] = key
            self._keys.move_to_end(digest)
            while len(self._keys) > _KEY_CACHE:
                self._keys.popitem(last=False)
            self._issue(key[0])

    def _issue(self, key_id: str) -> None:
        self._issued[key_id] = None
        self._issued.move_to_end(key_id)
        while len(self._issued) > _KEY_CACHE:
            self._issued.popitem(last=False)

    def issued(self, key_ids: Collection[str]) -> set[str]:
        """Those of ``key_ids`` handed out by this cache (recently): the ones to check."""
        with self._lock:
            return {key_id for key_id in key_ids if key_id in self._issued}

    def drop(self, digest: bytes) -> None:
        with self._lock:
            self._keys.pop(digest, None)

    def drop_ids(self, key_ids: Collection[str]) -> None:
        with self._lock:
            for digest in [d for d, (key_id, _) in self._keys.items() if key_id in key_ids]:
                del self._keys[digest]


_KEYRING_DDL: Final = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.subject_keys (
    subject_digest bytea PRIMARY KEY CHECK (length(subject_digest) = 32),
    key_id         text  NOT NULL UNIQUE,
    key            bytea NOT NULL CHECK (length(key) = 32)
);
CREATE TABLE IF NOT EXISTS {s}.subject_erasures (
    subject_digest bytea PRIMARY KEY CHECK (length(subject_digest) = 32)
);
"""


class PostgresSubjectKeyring(PostgresStore):
    """Subject keys in PostgreSQL, beside the ledger (tables ``subject_keys`` and
    ``subject_erasures`` in the same schema); tables are created on open.

    What a destroy can and cannot promise here: the row is deleted and committed, so no query
    can return the key again. PostgreSQL's MVCC keeps the old row version in the table file
    until VACUUM reclaims it, so ``destroy`` runs ``VACUUM`` on ``subject_keys`` right after
    (it needs the table's owner; without that right the dead row waits for autovacuum).
    VACUUM frees the row but does not zero it: the page is compacted, which usually
    overwrites the bytes, yet a row at the edge of the free space can stay readable in the
    raw file until the space is reused. The key is also in the write-ahead log until its
    segments are recycled, in WAL archives, on replicas and in base backups; those expire on
    the retention you give them, which is therefore part of the erasure period you can
    promise. For a hard bound, keep this database's files, WAL and backups on encrypted
    storage whose key you rotate. The keys sit in the database in clear; protect it as the
    personal data they stand for.

    Pass ``ledger``, the ``PostgresLedger`` in the same database and schema (a keyring
    elsewhere is refused with ``LedgerKeyringElsewhereError``: the database's name and its
    cluster's ``system_identifier`` must match), and the keyring
    keeps the keys it has read or made in memory (the most recently used 10,000), so that an
    append needs no round trip of its own for its key, and a new key commits without waiting for
    the WAL flush: the append of an entry sealed under it waits for one that covers it. A key
    destroyed by another process may then still be in this one's memory: every batch of appends
    checks, in its own transaction, that the keys its entries are sealed under exist, under the
    ledger's append lock, which a destroy takes too. An append sealed under a key that is gone
    fails with ``SubjectErasedError`` and appends nothing, and the key leaves the memory: the
    next append for that subject makes a new key, as after an erasure in this process.
    """

    _what = "subject keyring"
    _pool_name = "keyring"
    _ddl = _KEYRING_DDL
    _lock_prefix = "brondata:keyring:"

    def __init__(
        self,
        dsn: str = "",
        *,
        schema: str = "public",
        pool: ConnectionPool[Any] | None = None,
        max_connections: int = 2,
        timeout: float = 30.0,
        vacuum: bool = True,
        ledger: PostgresLedger | None = None,
    ) -> None:
        self._vacuum = vacuum
        self._ledger_lock = f"brondata:{schema}"  # the append lock of the ledger beside it
        self._cache: _KeyCache | None = None
        if ledger is not None and ledger._schema != psycopg.sql.Identifier(schema):
            raise LedgerKeyringElsewhereError(
                "a keyring caches keys only beside its ledger, in its schema"
            )
        super().__init__(
            dsn, schema=schema, pool=pool, max_connections=max_connections, timeout=timeout
        )
        if ledger is not None:
            try:
                # Its keys commit without a flush of their own, counting on the ledger's: in
                # another database, or on another server, nothing would flush them.
                if _database(self) != _database(ledger):
                    raise LedgerKeyringElsewhereError(
                        "a keyring caches keys only beside its ledger, in its database"
                    )
            except BaseException:
                self.close()
                raise
            self._cache = ledger._keys = _KeyCache()

    def key_for(self, subject: str) -> tuple[str, bytes]:
        digest = subject_digest(subject)
        if self._cache is not None:
            cached = self._cache.get(digest)
            if cached is not None:
                return cached
        select = self._q("SELECT key_id, key FROM {s}.subject_keys WHERE subject_digest = %s")
        with self._connection() as conn:
            # Read first: nearly every call finds the key, and a read commits without a WAL
            # flush, where an INSERT ... ON CONFLICT would cost one per append.
            row = conn.execute(select, (digest,)).fetchone()
            if row is None:
                with conn.transaction():
                    if self._cache is not None:
                        # Beside the ledger, a new key commits without waiting for its flush:
                        # an entry sealed under it commits after it (here or on any instance
                        # that reads it), and its append waits for a flush covering both.
                        conn.execute(_ASYNC_COMMIT)
                    # Of two instances creating the first key at once, the first insert wins
                    # and both read it back.
                    conn.execute(
                        self._q(
                            "INSERT INTO {s}.subject_keys (subject_digest, key_id, key)"
                            " VALUES (%s, %s, %s) ON CONFLICT (subject_digest) DO NOTHING"
                        ),
                        (digest, new_key_id(), AESGCM.generate_key(bit_length=256)),
                    )
                    row = conn.execute(select, (digest,)).fetchone()
        assert row is not None  # inserted or already there
        found = str(row[0]), bytes(row[1])
        if self._cache is not None:
            self._cache.put(digest, found)
        return found

    def lookup(self, subject: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute(
                self._q("SELECT key_id FROM {s}.subject_keys WHERE subject_digest = %s"),
                (subject_digest(subject),),
            ).fetchone()
        return None if row is None else str(row[0])

    def key(self, key_id: str) -> bytes | None:
        with self._connection() as conn:
            row = conn.execute(
                self._q("SELECT key FROM {s}.subject_keys WHERE key_id = %s"), (key_id,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def destroy(self, subject: str) -> str | None:
        digest = subject_digest(subject)
        if self._cache is not None:
            self._cache.drop(digest)
        with self._connection() as conn:
            with conn.transaction():
                # The ledger's append lock: a batch of appends in any process that checks its
                # keys does so wholly before this destroy or after it.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._ledger_lock,))
                row = conn.execute(
                    self._q(
                        "DELETE FROM {s}.subject_keys WHERE subject_digest = %s RETURNING key_id"
                    ),
                    (digest,),
                ).fetchone()
                if row is None:
                    return None
                conn.execute(
                    self._q(
                        "INSERT INTO {s}.subject_erasures (subject_digest) VALUES (%s)"
                        " ON CONFLICT DO NOTHING"
                    ),
                    (digest,),
                )
            if self._vacuum:
                self._vacuum_keys(conn)
        return str(row[0])

    def _vacuum_keys(self, conn: psycopg.Connection[Any]) -> None:
        # VACUUM cannot run inside a transaction block: the pool's connections are in
        # autocommit mode; one from a pool of the application's own is switched for the one
        # statement, and back.
        was = conn.autocommit
        conn.autocommit = True
        try:
            conn.execute(self._q("VACUUM {s}.subject_keys"))
        except psycopg.errors.InsufficientPrivilege:
            pass  # documented: the dead row then waits for autovacuum
        finally:
            conn.autocommit = was

    def was_erased(self, subject: str) -> bool:
        with self._connection() as conn:
            row = conn.execute(
                self._q("SELECT 1 FROM {s}.subject_erasures WHERE subject_digest = %s"),
                (subject_digest(subject),),
            ).fetchone()
        return row is not None
