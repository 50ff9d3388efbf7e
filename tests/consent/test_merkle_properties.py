"""Property tests: the stored tree against the RFC definitions, for trees of any size."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brondata.consent import (
    MerkleFrontier,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from brondata.errors import ProofError

leaf_lists = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


def _flip(proof: list[bytes], component: int, bit: int) -> list[bytes]:
    out = list(proof)
    c = bytearray(out[component])
    c[bit // 8] ^= 1 << (bit % 8)
    out[component] = bytes(c)
    return out


@given(leaf_lists, st.data())
def test_inclusion_from_the_stored_tree_equals_recomputation(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree(leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree.inclusion_proof(index, size)
    assert proof == inclusion_proof(leaves[:size], index)
    root = tree.root(size)
    assert root == merkle_root(leaves[:size])
    verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)


@given(leaf_lists, st.data())
def test_consistency_from_the_stored_tree_equals_recomputation(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree(leaves)
    size2 = data.draw(st.integers(1, len(leaves)), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    proof = tree.consistency_proof(size1, size2)
    assert proof == consistency_proof(leaves[:size2], size1)
    verify_consistency(size1, size2, proof, tree.root(size1), tree.root(size2))


@given(leaf_lists, st.data())
def test_a_flipped_bit_breaks_an_inclusion_proof(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1), label="index")
    proof, root, leaf = tree.inclusion_proof(index), tree.root(), leaf_hash(leaves[index])
    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_inclusion(_flip([leaf], 0, bit)[0], index, len(leaves), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, len(leaves), proof, _flip([root], 0, bit)[0])
    if proof:
        component = data.draw(st.integers(0, len(proof) - 1), label="component")
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, len(leaves), _flip(proof, component, bit), root)


@given(leaf_lists.filter(lambda leaves: len(leaves) >= 2), st.data())
def test_a_flipped_bit_breaks_a_consistency_proof(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    size1 = data.draw(st.integers(1, len(leaves) - 1), label="size1")
    proof = tree.consistency_proof(size1)
    root1, root2 = tree.root(size1), tree.root()
    component = data.draw(st.integers(0, len(proof) - 1), label="component")
    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_consistency(size1, len(leaves), _flip(proof, component, bit), root1, root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, len(leaves), proof, _flip([root1], 0, bit)[0], root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, len(leaves), proof, root1, _flip([root2], 0, bit)[0])


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=70, unique=True), st.data())
def test_a_proof_for_another_leaf_or_index_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof, root, leaf = tree.inclusion_proof(index), tree.root(), leaf_hash(leaves[index])
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != index) if n > 1 else st.just(n))
    with pytest.raises(ProofError):
        verify_inclusion(leaf, other, n, proof, root)
    if n > 1:
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[other]), index, n, proof, root)


@given(st.lists(st.binary(max_size=8), max_size=300))
def test_the_streaming_frontier_equals_the_tree(leaves: list[bytes]) -> None:
    frontier = MerkleFrontier()
    for i, data in enumerate(leaves):
        frontier.append_leaf_hash(leaf_hash(data))
        assert frontier.size() == i + 1
    assert frontier.root() == merkle_root(leaves)
