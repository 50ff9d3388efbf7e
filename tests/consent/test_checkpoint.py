"""C2SP signed notes and tlog checkpoints: signing, verifying, and every way to get it wrong."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from brondata.consent import (
    Checkpoint,
    LogSigner,
    LogVerifier,
    MerkleTree,
    sign_checkpoint,
    verify_checkpoint,
    verify_note,
)
from brondata.errors import (
    CheckpointError,
    CheckpointOriginError,
    CheckpointSignatureError,
    LogKeyError,
    MalformedCheckpointError,
)

ORIGIN = "hypotheek-bv.example/consent-ledger"

# The example of c2sp.org/signed-note: a verifier key and a note it verifies.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3"
    "mFXmRKuwHjG1Yu72IneyaQM=\n"
)


@pytest.fixture(scope="module")
def signer() -> LogSigner:
    # A fixed key: its base64 contains '+', which a careless vkey parser splits on.
    key = LogSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    assert "+" in key.vkey().split("+", 2)[2]
    return key


@pytest.fixture(scope="module")
def checkpoint() -> Checkpoint:
    return Checkpoint(ORIGIN, 8, MerkleTree([bytes([i]) for i in range(8)]).root())


@pytest.fixture(scope="module")
def note(checkpoint: Checkpoint, signer: LogSigner) -> str:
    return sign_checkpoint(checkpoint, signer)


def test_the_spec_example_verifies() -> None:
    assert verify_note(SPEC_NOTE, SPEC_VKEY) == "This is an example message.\n"
    with pytest.raises(CheckpointSignatureError):
        verify_note(SPEC_NOTE.replace("example message", "example massage"), SPEC_VKEY)


def test_the_key_id_is_the_truncated_hash_of_name_type_and_key(signer: LogSigner) -> None:
    want = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
    assert signer.key_id == want
    name, id_hex, key = signer.vkey().split("+", 2)
    assert (name, id_hex) == (ORIGIN, want.hex())
    assert base64.b64decode(key) == b"\x01" + signer.public_key
    assert LogVerifier(signer.vkey()).key_id == want


def test_a_signed_checkpoint_round_trips(
    note: str, checkpoint: Checkpoint, signer: LogSigner
) -> None:
    lines = note.split("\n")
    assert lines[:3] == [ORIGIN, "8", base64.b64encode(checkpoint.root).decode()]
    assert lines[3] == ""
    assert lines[4].startswith(f"\u2014 {ORIGIN} ")
    assert note.endswith("\n")
    assert verify_checkpoint(note, signer.vkey()) == checkpoint


def test_unknown_signatures_are_ignored(note: str, signer: LogSigner) -> None:
    witness = LogSigner.generate("witness.example/w1")
    cosigned = note + witness.sign_note(note[: note.index("\n\n") + 1]).split("\n\n")[1]
    assert verify_checkpoint(cosigned, signer.vkey()).size == 8
    # A stranger reusing our name with another key is ignored, not trusted.
    impostor = LogSigner.generate(ORIGIN)
    doubled = note + impostor.sign_note(note[: note.index("\n\n") + 1]).split("\n\n")[1]
    assert verify_checkpoint(doubled, signer.vkey()).size == 8


@pytest.mark.parametrize(
    ("old", "new"),
    [("\n8\n", "\n9\n"), ("consent-ledger\n", "consent-ledgers\n")],
    ids=["size", "origin"],
)
def test_an_altered_checkpoint_is_refused(note: str, signer: LogSigner, old: str, new: str) -> None:
    with pytest.raises(CheckpointError):
        verify_checkpoint(note.replace(old, new, 1), signer.vkey())


def test_a_forged_checkpoint_is_refused(
    note: str, signer: LogSigner, checkpoint: Checkpoint
) -> None:
    # Same name, same key id bytes, but a signature made by another key: forged.
    forger = LogSigner.generate(ORIGIN)
    forged_sig = forger.sign_note(checkpoint.body()).rsplit(" ", 1)[1]
    raw = base64.b64decode(forged_sig)
    forged = note.rsplit(" ", 1)[0] + " " + base64.b64encode(signer.key_id + raw[4:]).decode()
    with pytest.raises(CheckpointSignatureError):
        verify_checkpoint(forged + "\n", signer.vkey())
    # Signed only by someone else under our name: no signature by our key at all.
    with pytest.raises(CheckpointSignatureError):
        verify_checkpoint(sign_checkpoint(checkpoint, forger), signer.vkey())


def test_a_checkpoint_of_another_log_is_refused(signer: LogSigner, checkpoint: Checkpoint) -> None:
    other = LogSigner.generate("other.example/log")
    note = sign_checkpoint(Checkpoint("other.example/log", 8, checkpoint.root), other)
    with pytest.raises(CheckpointOriginError):
        verify_checkpoint(note, signer.vkey())
    with pytest.raises(CheckpointOriginError):
        sign_checkpoint(checkpoint, other)


@pytest.mark.parametrize(
    "cut",
    [
        lambda n: n[:-1],  # no final newline
        lambda n: n[: n.index("\n\n") + 2],  # signatures gone
        lambda n: n[: n.index("\n\n")],  # no blank line
        lambda n: n[: n.index("\n") + 1] + "\n" + n.split("\n\n")[1],  # size and root gone
        lambda n: n[: len(n) // 2],
        lambda n: n.replace("\u2014 ", "- "),
        lambda n: n.replace("\n8\n", "\n08\n"),
        lambda n: n.replace("\n8\n", "\n-8\n"),
        lambda n: n.replace("=\n\n", "\n\n"),  # root base64 broken
        lambda n: n.replace("\n8\n", "\n8\r\n"),
        lambda n: "",
    ],
)
def test_a_truncated_or_malformed_note_is_refused(
    note: str, signer: LogSigner, cut: object
) -> None:
    with pytest.raises(CheckpointError):
        verify_checkpoint(cut(note), signer.vkey())  # type: ignore[operator]


def test_malformed_notes_are_malformed_errors(note: str, signer: LogSigner) -> None:
    with pytest.raises(MalformedCheckpointError, match="truncated"):
        verify_checkpoint(note[:-5], signer.vkey())
    with pytest.raises(MalformedCheckpointError):
        verify_checkpoint(note.replace("\n8\n", "\n0x8\n"), signer.vkey())


def test_the_empty_tree_has_a_checkpoint(signer: LogSigner) -> None:
    empty = Checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest())
    assert verify_checkpoint(sign_checkpoint(empty, signer), signer.vkey()) == empty


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "name+1234",
        "bad name+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AikyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_a_bad_verifier_key_is_refused(vkey: str) -> None:
    with pytest.raises(LogKeyError):
        LogVerifier(vkey)


def test_the_signing_key_file(tmp_path: Path, signer: LogSigner) -> None:
    path = tmp_path / "log.key"
    signer.write(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    loaded = LogSigner.from_file(path)
    assert loaded.vkey() == signer.vkey()
    assert "PRIVATE" not in repr(loaded)
    with pytest.raises(FileExistsError):
        signer.write(path)
    os.chmod(path, 0o644)
    with pytest.raises(LogKeyError, match="chmod 600"):
        LogSigner.from_file(path)
    with pytest.raises(LogKeyError):
        LogSigner.from_file(tmp_path / "missing.key")
    with pytest.raises(LogKeyError):
        LogSigner.from_skey(signer.skey().replace("+KEY+", "+KEYS+"))
    tampered_id = signer.skey().replace(signer.key_id.hex(), "00000000")
    with pytest.raises(LogKeyError):
        LogSigner.from_skey(tampered_id)


def test_checkpoint_fields_are_checked() -> None:
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("", 1, bytes(32))
    with pytest.raises(MalformedCheckpointError):
        Checkpoint(ORIGIN, -1, bytes(32))
    with pytest.raises(MalformedCheckpointError):
        Checkpoint(ORIGIN, 1, bytes(31))
    with pytest.raises(MalformedCheckpointError):
        Checkpoint(ORIGIN, 1, bytes(32), ("",))


@pytest.mark.parametrize("seed", range(40))
def test_keys_round_trip_through_their_text_forms(seed: int) -> None:
    key = LogSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))
    assert LogSigner.from_skey(key.skey()).vkey() == key.vkey()
    assert LogVerifier(key.vkey()).key_id == key.key_id
