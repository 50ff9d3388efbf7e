"""RFC 9162 Merkle tree maths: hashing, roots, inclusion and consistency proofs.

Pure functions and one in-memory tree. Two families live here:

* the reference definitions (``merkle_root``, ``inclusion_proof``, ``consistency_proof``) that
  recompute everything from the raw leaves, written as close to RFC 9162 §2.1 as possible, so
  that tests can check the stored trees against them;
* the stored-tree helpers used by the ledgers. A store keeps the hash of every *complete*
  subtree, addressed as ``(level, index)`` (the node covering leaves
  ``[index·2^level, (index+1)·2^level)``). Every range the RFC recursion ever hashes splits into
  O(log n) such nodes, so a root or a proof at any size costs O(log n) reads and one query, and
  an append writes the leaf plus the nodes it completes (amortised two).

No I/O here: a store hands in a ``NodeReader`` that fetches a batch of nodes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from brondata.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleFrontier",
    "MerkleTree",
    "NodeKey",
    "NodeReader",
    "append_siblings",
    "completed_nodes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "stored_consistency_proof",
    "stored_inclusion_proof",
    "stored_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index): the complete subtree of 2^level leaves starting at leaf index·2^level.
NodeKey = tuple[int, int]
# Fetch a batch of stored nodes; every key asked for must be present.
NodeReader = Callable[[Collection[NodeKey]], Mapping[NodeKey, bytes]]


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n ≥ 2): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


# --- reference definitions: recompute from the raw leaves ------------------------------------


def _mth(hashes: Sequence[bytes]) -> bytes:
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(_mth(hashes[:k]), _mth(hashes[k:]))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the raw leaf inputs ``leaves`` (RFC 9162 §2.1.1)."""
    return _mth([leaf_hash(d) for d in leaves])


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) over the raw leaf inputs (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} outside a tree of size {len(leaves)}")

    def path(m: int, d: Sequence[bytes]) -> list[bytes]:
        n = len(d)
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, d[:k]), _mth(d[k:])]
        return [*path(m - k, d[k:]), _mth(d[:k])]

    return path(index, [leaf_hash(d) for d in leaves])


def consistency_proof(leaves: Sequence[bytes], size1: int) -> list[bytes]:
    """PROOF(size1, D[n]) over the raw leaf inputs (RFC 9162 §2.1.4.1); n = len(leaves).

    Defined for 0 < size1 ≤ n; equal sizes give the empty proof.
    """
    if not 0 < size1 <= len(leaves):
        raise ValueError(f"no consistency proof from size {size1} to size {len(leaves)}")

    def subproof(m: int, d: Sequence[bytes], complete: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if complete else [_mth(d)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, d[:k], complete), _mth(d[k:])]
        return [*subproof(m - k, d[k:], False), _mth(d[:k])]

    return subproof(size1, [leaf_hash(d) for d in leaves], True)


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) -------------------------------------------


def _check_components(proof: Sequence[bytes]) -> None:
    for c in proof:
        if len(c) != HASH_SIZE:
            raise ProofError(f"proof component of {len(c)} bytes; SHA-256 hashes have 32")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf hash ``leaf`` sits at ``index`` in the tree ``(size, root)``.

    Returns nothing; raises ``ProofError`` saying why the proof fails.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside a tree of size {size}")
    if len(leaf) != HASH_SIZE or len(root) != HASH_SIZE:
        raise ProofError("a leaf hash and a root have 32 bytes")
    _check_components(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # A left-edge node of a subtree that has no right sibling at this level: climb
            # until the path turns, as the RFC prescribes.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``(size2, root2)`` extends the tree ``(size1, root1)``.

    Returns nothing; raises ``ProofError`` saying why the proof fails. A consistency proof from
    the empty tree proves nothing (RFC 9162 defines proofs for 0 < size1 ≤ size2) and is
    refused; equal sizes need an empty proof and equal roots.
    """
    if size1 < 0 or size2 < size1:
        raise ProofError(f"no consistency from size {size1} to the smaller size {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty consistency proof")
        if root1 != root2:
            raise ProofError("equal sizes but different roots: the log forked")
        return
    if not proof:
        raise ProofError("empty consistency proof between different sizes")
    _check_components(proof)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # The old tree is a complete subtree of the new one: its root is the first node.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is deep")
    if fr != root1:
        raise ProofError("consistency proof does not lead to the old root")
    if sr != root2:
        raise ProofError("consistency proof does not lead to the new root")


# --- stored trees: ranges, complete subtrees, batched reads ----------------------------------


def _range_nodes(start: int, stop: int) -> list[NodeKey]:
    """The complete subtrees that make up the RFC range ``[start, stop)``, left to right.

    Every range the RFC recursion produces starts at a multiple of its largest power of two,
    so the split is the binary expansion of its length.
    """
    keys: list[NodeKey] = []
    while start < stop:
        level = (stop - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise AssertionError(f"range [{start}, {stop}) is not aligned")  # pragma: no cover
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _fold(keys: Sequence[NodeKey], nodes: Mapping[NodeKey, bytes]) -> bytes:
    # MTH of a range: the rightmost subtrees combine first (the RFC splits off the left part).
    acc = nodes[keys[-1]]
    for key in reversed(keys[:-1]):
        acc = node_hash(nodes[key], acc)
    return acc


def _path_ranges(m: int, start: int, stop: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    # Iterative PATH: collect siblings top-down, then reverse into the RFC's bottom-up order.
    while stop - start > 1:
        k = _split(stop - start)
        if m - start < k:
            ranges.append((start + k, stop))
            stop = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _subproof_ranges(m: int, start: int, stop: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    complete = True
    while True:
        n = stop - start
        if m == n:
            if not complete:
                ranges.append((start, stop))
            break
        k = _split(n)
        if m <= k:
            ranges.append((start + k, stop))
            stop = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    ranges.reverse()
    return ranges


def _resolve(ranges: Sequence[tuple[int, int]], read: NodeReader) -> list[bytes]:
    per_range = [_range_nodes(a, b) for a, b in ranges]
    wanted = {key for keys in per_range for key in keys}
    nodes = read(wanted) if wanted else {}
    return [_fold(keys, nodes) for keys in per_range]


def stored_root(size: int, read: NodeReader) -> bytes:
    """The root at ``size`` from stored complete subtrees (one batched read)."""
    if size == 0:
        return EMPTY_ROOT
    return _resolve([(0, size)], read)[0]


def stored_inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """PATH(index, D[size]) from stored complete subtrees (one batched read)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of size {size}")
    return _resolve(_path_ranges(index, 0, size), read)


def stored_consistency_proof(size1: int, size2: int, read: NodeReader) -> list[bytes]:
    """PROOF(size1, D[size2]) from stored complete subtrees (one batched read)."""
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    return _resolve(_subproof_ranges(size1, 0, size2), read)


def append_siblings(index: int) -> list[NodeKey]:
    """The stored nodes that appending leaf ``index`` combines with, lowest level first."""
    keys: list[NodeKey] = []
    level = 0
    while (index >> level) & 1:
        keys.append((level, (index >> level) - 1))
        level += 1
    return keys


def completed_nodes(
    index: int, leaf: bytes, siblings: Mapping[NodeKey, bytes]
) -> list[tuple[int, int, bytes]]:
    """The ``(level, index, hash)`` rows that appending leaf hash ``leaf`` at ``index`` creates.

    The leaf itself is level 0; each left sibling in ``siblings`` (see ``append_siblings``)
    completes one more subtree above it.
    """
    rows = [(0, index, leaf)]
    acc, level, i = leaf, 0, index
    while i & 1:
        acc = node_hash(siblings[(level, i - 1)], acc)
        level += 1
        i >>= 1
        rows.append((level, i, acc))
    return rows


class MerkleTree:
    """An append-only RFC 9162 tree in memory, storing every complete subtree.

    ``append`` takes the raw leaf input; roots and proofs at any earlier size are answered
    from stored nodes, never by rehashing the leaves.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for data in leaves:
            self.append(data)

    def __len__(self) -> int:
        return len(self._levels[0])

    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def append(self, data: bytes) -> int:
        """Add the raw leaf input ``data``; returns its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf: bytes) -> int:
        """Add a leaf by its hash; returns its index."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash has 32 bytes")
        index = len(self._levels[0])
        siblings = self._read(append_siblings(index))
        for level, i, h in completed_nodes(index, leaf, siblings):
            if level == len(self._levels):
                self._levels.append([])
            assert len(self._levels[level]) == i
            self._levels[level].append(h)
        return index

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default: all)."""
        return stored_root(self._size(size), self._read)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return stored_inclusion_proof(index, self._size(size), self._read)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from ``size1`` to ``size2`` leaves (default: all)."""
        return stored_consistency_proof(size1, self._size(size2), self._read)

    def _size(self, size: int | None) -> int:
        n = len(self._levels[0])
        if size is None:
            return n
        if not 0 <= size <= n:
            raise ValueError(f"size {size} outside a tree of {n} leaves")
        return size

    def _read(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        return {(lvl, i): self._levels[lvl][i] for lvl, i in keys}


class MerkleFrontier:
    """Streaming root computation in O(log n) memory: the roots of the complete subtrees.

    An auditor replays a log of any length through ``append`` and compares ``root()`` with
    a signed checkpoint, without holding the entries.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        # Complete subtree roots, largest (leftmost) first; their sizes are the set bits of n.
        self._stack: list[bytes] = []
        self._size = 0

    def size(self) -> int:
        """The number of leaves seen."""
        return self._size

    def append_leaf_hash(self, leaf: bytes) -> None:
        """Add the next leaf by its hash."""
        acc, i = leaf, self._size
        while i & 1:
            acc = node_hash(self._stack.pop(), acc)
            i >>= 1
        self._stack.append(acc)
        self._size += 1

    def root(self) -> bytes:
        """The root of the leaves seen so far."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            acc = node_hash(h, acc)
        return acc
