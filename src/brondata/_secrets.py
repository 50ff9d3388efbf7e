"""The gateway's own secrets on disk: the session-store key and the pseudonym key.

Both must outlive a process: without the store key, sessions sealed before a restart do not
open; without the pseudonym key, the same consumer gets a new pseudonym and the ledger can no
longer answer for them (art. 15) or erase them (art. 17). They live in one small JSON file,
readable by its owner only (0600); a file others can read is refused rather than used, since
whoever reads it can open every sealed token and link pseudonyms to references.

They never live beside the data they protect: not in the database, where a copy of the
database would carry its own key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from brondata.errors import StoreError

__all__ = ["GatewaySecrets"]


@dataclass(frozen=True, slots=True)
class GatewaySecrets:
    #: AES-256 key sealing session secrets (PKCE verifiers, tokens) at rest.
    store_key: bytes
    #: HMAC key turning the application's subject references into pseudonyms.
    pseudonym_key: bytes

    def pseudonym(self, subject: str) -> str:
        """The keyed pseudonym of the application's reference for a consumer (HMAC-SHA-256):
        stable for this key, not reversible without it."""
        digest = hmac.new(self.pseudonym_key, subject.encode(), hashlib.sha256).hexdigest()
        return f"sub-{digest[:32]}"

    @classmethod
    def generate(cls) -> GatewaySecrets:
        return cls(store_key=secrets.token_bytes(32), pseudonym_key=secrets.token_bytes(32))

    @classmethod
    def load_or_create(cls, path: str | os.PathLike[str]) -> GatewaySecrets:
        """The secrets in ``path``; a new file (0600) with fresh ones if there is none."""
        file = Path(path)
        try:
            mode = file.stat().st_mode
        except FileNotFoundError:
            made = cls.generate()
            try:
                made._write(file)
            except FileExistsError:
                # Another process created it first: theirs is the one everybody uses.
                return cls.load_or_create(file)
            return made
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise StoreError(
                f"{file.name} is readable by others (mode {stat.S_IMODE(mode):o}); "
                "chmod 600 it after checking nobody copied it"
            )
        try:
            body = json.loads(file.read_text(encoding="ascii"))
            made = cls(
                store_key=base64.b64decode(body["store_key"], validate=True),
                pseudonym_key=base64.b64decode(body["pseudonym_key"], validate=True),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{file.name} is not a brondata secrets file: {exc}") from None
        if len(made.store_key) != 32 or len(made.pseudonym_key) < 32:
            raise StoreError(f"{file.name} holds keys of the wrong length")
        return made

    def _write(self, file: Path) -> None:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        body = json.dumps(
            {
                "store_key": base64.b64encode(self.store_key).decode(),
                "pseudonym_key": base64.b64encode(self.pseudonym_key).decode(),
            }
        )
        # Created 0600 from the start: no moment in which the file is world-readable.
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(body + "\n")
