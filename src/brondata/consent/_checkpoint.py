"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.

A checkpoint commits the organisation to its ledger at one size::

    hypotheek-bv.example/consent-ledger      <- origin: the log's (and key's) name
    1024                                     <- tree size
    Xcnaea...Qyg=                            <- base64 RFC 9162 root

    — hypotheek-bv.example/consent-ledger <base64(key id ‖ Ed25519 signature)>

Keys. ``LogSigner`` holds the organisation's Ed25519 log key. Its text form is the one Go's
``golang.org/x/mod/sumdb/note`` tooling reads, ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖
seed)>``, kept in a file only the service can read (mode 0600), never in the ledger database
or an export. The auditor receives the verifier key (``vkey``):
``<name>+<hex key id>+<base64(0x01 ‖ public key)>``.

Verifying follows the signed-note rules: signatures by unknown keys are ignored, a signature by
the known key must verify, and at least one must. This module parses and checks notes; it does
not fetch or store them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from brondata._inputs import guarded
from brondata.consent._merkle import HASH_SIZE
from brondata.errors import (
    CheckpointOriginError,
    CheckpointSignatureError,
    LogKeyError,
    MalformedCheckpointError,
)

__all__ = [
    "Checkpoint",
    "LogSigner",
    "LogVerifier",
    "key_id",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_note",
]

_ED25519: Final = b"\x01"  # the signed-note signature type of Ed25519
_MAX_SIGNATURES: Final = 32  # the spec asks for at least 16; more is a note to refuse
_MAX_NOTE: Final = 64 * 1024
_SIGNATURE_LINE: Final = re.compile(r"\u2014 (\S+) (\S+)")
_PRIVATE_PREFIX: Final = "PRIVATE+KEY+"


def _b64decode(text: str, what: str, error: type[Exception]) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"{what} is not standard base64") from exc
    # Only the canonical encoding: two spellings of one signature would be two notes.
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return raw


def _check_name(name: str, error: type[Exception]) -> None:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise error(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """The signed-note key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's ``origin``, its ``size`` and its RFC 9162 ``root``."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedCheckpointError("the origin must be one non-empty line")
        if self.size < 0:
            raise MalformedCheckpointError("the tree size cannot be negative")
        if len(self.root) != HASH_SIZE:
            raise MalformedCheckpointError("the root hash has 32 bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise MalformedCheckpointError("extension lines must be non-empty single lines")

    def body(self) -> str:
        """The note text that is signed, final newline included."""
        root = base64.b64encode(self.root).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def parse_body(cls, text: str) -> Self:
        """Read a checkpoint body (the note text); raises ``MalformedCheckpointError``."""
        if not text.endswith("\n"):
            raise MalformedCheckpointError("a checkpoint body ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpointError("a checkpoint has an origin, a size and a root line")
        origin, size_text, root_text, *extensions = lines
        if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size_text):
            raise MalformedCheckpointError(f"tree size {size_text!r} is not a decimal number")
        root = _b64decode(root_text, "the root hash", MalformedCheckpointError)
        return cls(origin, int(size_text), root, tuple(extensions))


class LogVerifier:
    """A log's public key, from its verifier-key (vkey) string."""

    __slots__ = ("key_id", "name", "public_key")

    @guarded(LogKeyError, "not a verifier key")
    def __init__(self, vkey: str) -> None:
        # At most two splits: the base64 key material may itself contain '+'.
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise LogKeyError("a verifier key reads <name>+<hex key id>+<base64 key>")
        name, id_hex, key_b64 = parts
        _check_name(name, LogKeyError)
        if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
            raise LogKeyError("the key id in a verifier key is 8 lowercase hex digits")
        raw = _b64decode(key_b64, "the verifier key", LogKeyError)
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise LogKeyError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
        if key_id(name, raw[1:]) != bytes.fromhex(id_hex):
            raise LogKeyError("the key id does not match the name and key")
        self.name = name
        self.key_id = bytes.fromhex(id_hex)
        self.public_key = Ed25519PublicKey.from_public_bytes(raw[1:])

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over ``message``."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class LogSigner:
    """The organisation's Ed25519 log key under a name (the checkpoint origin)."""

    __slots__ = ("_private", "key_id", "name", "public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name, LogKeyError)
        self.name = name
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.public_key)

    def __repr__(self) -> str:
        return f"LogSigner({self.name!r}, key_id={self.key_id.hex()})"

    @classmethod
    @guarded(LogKeyError, "not a log name")
    def generate(cls, name: str) -> Self:
        """A fresh key under ``name``."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    @guarded(LogKeyError, "not a log signing key")
    def from_skey(cls, skey: str) -> Self:
        """Read ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>``."""
        text = skey.strip()
        if not text.startswith(_PRIVATE_PREFIX):
            raise LogKeyError("a log signing key starts with PRIVATE+KEY+")
        parts = text[len(_PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise LogKeyError("a log signing key reads PRIVATE+KEY+<name>+<hex id>+<base64 key>")
        name, id_hex, key_b64 = parts
        raw = _b64decode(key_b64, "the signing key", LogKeyError)
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise LogKeyError("only Ed25519 signing keys (type 0x01, 32-byte seed) are supported")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id.hex() != id_hex:
            raise LogKeyError("the key id does not match the name and key")
        return signer

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """Read a signing key file; refuse one that others than its owner can read."""
        file = Path(path)
        try:
            mode = file.stat().st_mode
            text = file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise LogKeyError(f"cannot read the log signing key {file.name}: {exc}") from exc
        if os.name == "posix" and mode & 0o077:
            raise LogKeyError(
                f"the log signing key {file.name} is readable by others; chmod 600 it"
            )
        return cls.from_skey(text)

    def skey(self) -> str:
        """The signing key's text form. Secret: write it only to a file of mode 0600."""
        seed = self._private.private_bytes_raw()
        encoded = base64.b64encode(_ED25519 + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"

    def write(self, path: str | os.PathLike[str]) -> None:
        """Create a new key file of mode 0600; an existing file is never overwritten."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(self.skey() + "\n")

    def vkey(self) -> str:
        """The verifier key to hand to auditors."""
        encoded = base64.b64encode(_ED25519 + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def sign_note(self, text: str) -> str:
        """``text`` as a signed note with one signature line by this key."""
        if not text.endswith("\n"):
            raise ValueError("note text ends with a newline")
        signature = self._private.sign(text.encode("utf-8"))
        encoded = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{text}\n\u2014 {self.name} {encoded}\n"


def sign_checkpoint(checkpoint: Checkpoint, signer: LogSigner) -> str:
    """The signed note of ``checkpoint``; the origin must be the signer's key name."""
    if checkpoint.origin != signer.name:
        raise CheckpointOriginError(
            f"checkpoint origin {checkpoint.origin!r} is not the key name {signer.name!r}"
        )
    return signer.sign_note(checkpoint.body())


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    if len(note) > _MAX_NOTE:
        raise MalformedCheckpointError("the note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise MalformedCheckpointError("a note contains no control characters but newlines")
    if not note.endswith("\n"):
        raise MalformedCheckpointError("the note is truncated: it does not end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise MalformedCheckpointError("the note has no signatures (no blank line before them)")
    text, signature_block = note[: cut + 1], note[cut + 2 :]
    lines = signature_block[:-1].split("\n") if signature_block else []
    if not lines:
        raise MalformedCheckpointError("the note is truncated: no signature lines")
    if len(lines) > _MAX_SIGNATURES:
        raise MalformedCheckpointError(f"more than {_MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise MalformedCheckpointError(f"not a signature line: {line[:60]!r}")
        name, encoded = match.groups()
        raw = _b64decode(encoded, "a signature", MalformedCheckpointError)
        if len(raw) < 5:
            raise MalformedCheckpointError("a signature is shorter than its key id")
        signatures.append((name, raw))
    return text, signatures


def _check_signatures(
    text: str, signatures: list[tuple[str, bytes]], verifier: LogVerifier
) -> None:
    ours = [raw for name, raw in signatures if name == verifier.name and raw[:4] == verifier.key_id]
    if not ours:
        raise CheckpointSignatureError(f"the note is not signed by the key {verifier.name}")
    message = text.encode("utf-8")
    # Every signature by the known key must verify: one bad one rejects the note.
    if not all(verifier.verify(message, raw[4:]) for raw in ours):
        raise CheckpointSignatureError("the signature does not verify: forged or altered")


@guarded(MalformedCheckpointError, "not a signed note")
def verify_note(note: str, vkey: str | LogVerifier) -> str:
    """Verify a signed note against a verifier key; returns the note text.

    Signatures by other keys are ignored; one by this key must be there and verify.
    """
    verifier = vkey if isinstance(vkey, LogVerifier) else LogVerifier(vkey)
    text, signatures = _split_note(note)
    _check_signatures(text, signatures, verifier)
    return text


@guarded(MalformedCheckpointError, "not a checkpoint")
def verify_checkpoint(note: str, vkey: str | LogVerifier) -> Checkpoint:
    """Verify a signed checkpoint against the log's verifier key; returns the checkpoint.

    Raises ``MalformedCheckpointError`` for a note that is not a checkpoint (truncated, bad
    lines), ``CheckpointOriginError`` for one of another log, ``CheckpointSignatureError`` for
    one whose signature by this key is missing or does not verify (forged or altered).
    """
    verifier = vkey if isinstance(vkey, LogVerifier) else LogVerifier(vkey)
    text, signatures = _split_note(note)
    checkpoint = Checkpoint.parse_body(text)
    if checkpoint.origin != verifier.name:
        raise CheckpointOriginError(
            f"this checkpoint is of the log {checkpoint.origin!r}, not {verifier.name!r}"
        )
    _check_signatures(text, signatures, verifier)
    return checkpoint
