"""The embedded wiring of ``Gateway.embedded``: one SQLite file, its keys beside it.

What a gateway on the embedded defaults is made of, before it is made: the database file
(created readable by its owner only), the store and pseudonym keys (``secrets.json``, 0600),
the signing keys (a ``FileKeyStore``) and the stores on the file (``open_stores``). An
in-memory database gets in-memory keys.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from brondata._clock import Clock, SystemClock
from brondata._inputs import bad_input, require_text, require_url
from brondata._logging import get_logger
from brondata._secrets import GatewaySecrets
from brondata.errors import ConfigurationError, StoreError
from brondata.records import FileKeyStore, KeyStore, MemoryKeyStore, SigningKey
from brondata.stores import Stores, open_stores

__all__ = ["Embedded", "check_urls", "embedded"]

_log = get_logger("brondata.gateway")


@dataclass(frozen=True, slots=True)
class Embedded:
    """The parts of an embedded gateway: its stores, secrets and signing keys."""

    stores: Stores
    secrets: GatewaySecrets
    signing_key: SigningKey | KeyStore


def embedded(
    *,
    path: str | Path,
    keys: str | Path | None,
    issuer: object,
    redirect_uri: object,
    signing_key: SigningKey | KeyStore | None,
    clock: Clock | None,
) -> Embedded:
    """Open (or create) the embedded gateway's files: see ``Gateway.embedded``."""
    in_memory = str(path) == ":memory:"
    if not in_memory:
        _check_location(path, "path")
    if keys is not None:
        _check_location(keys, "keys")
    check_urls(issuer, redirect_uri)  # before any file is made
    key_dir = Path(keys) if keys is not None else None
    if key_dir is None and not in_memory:
        key_dir = Path(f"{path}.keys")
    try:
        if key_dir is None:
            gateway_secrets = GatewaySecrets.generate()
            store: KeyStore = MemoryKeyStore()
        else:
            gateway_secrets = GatewaySecrets.load_or_create(key_dir / "secrets.json")
            store = FileKeyStore(key_dir / "signing")
        if signing_key is None and not any(info.active for info in store.key_infos()):
            store.generate("ES256", now=(clock or SystemClock()).now())
        if not in_memory:
            _private_file(Path(path))
        stores = open_stores(path)
    except OSError as exc:
        raise StoreError(f"cannot create the gateway's files: {exc.strerror}") from None
    return Embedded(stores=stores, secrets=gateway_secrets, signing_key=signing_key or store)


def check_urls(issuer: object, redirect_uri: object) -> None:
    """The issuer and the callback URL template (one callback per source) are usable."""
    require_url(issuer, "issuer", ConfigurationError)
    require_url(redirect_uri, "redirect_uri", ConfigurationError)
    with bad_input(ConfigurationError, "redirect_uri"):
        str(redirect_uri).format(source="bank")
    if "{source}" not in str(redirect_uri):
        raise ConfigurationError("redirect_uri must contain '{source}', one callback per source")


def _private_file(path: Path) -> None:
    """Create the database readable by its owner only: it holds the subject keys whose
    destruction is the erasure, the sealed tokens and the ledger. SQLite gives its -wal and
    -shm files the same mode. An existing file keeps its mode, with a warning if others can
    read it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            _log.warning("store.readable_by_others", file=path.name)


def _check_location(where: object, what: str) -> None:
    """A file system path whose directory exists: a missing directory is a typo, not a wish
    for a new, empty ledger (or a new set of keys, and with them new pseudonyms)."""
    if not isinstance(where, str | Path):
        raise ConfigurationError(f"{what} must be a file system path")
    require_text(str(where), what, StoreError, max_length=4096)
    if str(where).endswith(("/", os.sep)) or (Path(where).is_dir() and what == "path"):
        raise StoreError(f"{what} names a directory: give the database file in it")
    directory = Path(where).parent
    if not directory.is_dir():
        raise StoreError(
            f"the directory of {what}, {directory}, does not exist: create it, or correct {what}"
        )
