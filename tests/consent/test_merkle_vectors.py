"""RFC 9162 conformance: every vector in the reference folder, positive and negative."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from brondata.consent import (
    EMPTY_ROOT,
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

from .conftest import REFERENCE_MERKLE


def _vectors(kind: str) -> list[Path]:
    return sorted((REFERENCE_MERKLE / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in vector["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(REFERENCE_MERKLE))


@pytest.fixture(scope="module")
def roots(reference: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((reference / "merkle" / "roots.json").read_text())
    return data


@pytest.fixture(scope="module")
def leaves(roots: dict[str, Any]) -> list[bytes]:
    return [bytes.fromhex(h) for h in roots["leaf_inputs_hex"]]


def test_the_vectors_are_there(reference: Path) -> None:
    assert len(_vectors("inclusion")) > 50
    assert len(_vectors("consistency")) > 50
    assert any(json.loads(p.read_text())["wantErr"] for p in _vectors("inclusion"))


@pytest.mark.parametrize("size", range(9))
def test_roots_of_every_size(roots: dict[str, Any], leaves: list[bytes], size: int) -> None:
    want = bytes.fromhex(roots["root_by_tree_size_hex"][size])
    assert merkle_root(leaves[:size]) == want
    assert MerkleTree(leaves[:size]).root() == want
    assert MerkleTree(leaves).root(size) == want
    frontier = MerkleFrontier()
    for data in leaves[:size]:
        frontier.append_leaf_hash(leaf_hash(data))
    assert frontier.root() == want


def test_the_empty_root_is_the_hash_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([]) == EMPTY_ROOT


@pytest.mark.parametrize("path", _vectors("inclusion"), ids=_id)
def test_inclusion_vector(path: Path, leaves: list[bytes]) -> None:
    v = json.loads(path.read_text())
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
        return
    verify_inclusion(*args)
    size, index = v["treeSize"], v["leafIdx"]
    # Where the vector is about the reference leaves, our own proofs must be the same bytes.
    if size <= len(leaves) and merkle_root(leaves[:size]) == _b64(v["root"]):
        assert inclusion_proof(leaves[:size], index) == _proof(v)
        assert MerkleTree(leaves).inclusion_proof(index, size) == _proof(v)


@pytest.mark.parametrize("path", _vectors("consistency"), ids=_id)
def test_consistency_vector(path: Path, leaves: list[bytes]) -> None:
    v = json.loads(path.read_text())
    args = (v["size1"], v["size2"], _proof(v), _b64(v["root1"]), _b64(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
        return
    verify_consistency(*args)
    size1, size2 = v["size1"], v["size2"]
    if size2 <= len(leaves) and merkle_root(leaves[:size2]) == _b64(v["root2"]):
        assert consistency_proof(leaves[:size2], size1) == _proof(v)
        assert MerkleTree(leaves).consistency_proof(size1, size2) == _proof(v)
