"""Where signing keys live, and how they rotate.

A ``KeyStore`` holds exactly one *active* key (the only one that signs) and the *retired*
keys whose public halves stay in the JWKS until ``retain_until``: the moment the last record
they signed expires. Retiring a key destroys its private half, so a retired key can never
sign again. ``MemoryKeyStore`` is for tests and demos; ``FileKeyStore`` keeps the active
private key as a PKCS#8 PEM file with mode 0600 (and refuses to load one that group or
others can read) beside a ``keys.json`` index of every key's public JWK and lifetime.
One writer at a time: the stores do not lock.

Signing asks for the active key once per record, so both stores keep it until the store
changes: ``MemoryKeyStore`` by a generation counter its writes bump, ``FileKeyStore`` by the
identity of ``keys.json`` and of the PEM (inode, size, modification and change times, mode),
taken with ``stat`` before the files are read. Rotation by another process replaces
``keys.json`` (a new inode), so it is seen at the next record; so are a removed, swapped or
loosened (chmod) key file. An in-place rewrite that keeps a file's size, inode and times to
the nanosecond is not; brondata's writers never do that.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from brondata._clock import SystemClock, utc
from brondata.errors import InvalidKeyError, KeyStoreError
from brondata.records._keys import Algorithm, KeySet, SigningKey

__all__ = ["FileKeyStore", "KeyInfo", "KeyStore", "MemoryKeyStore"]


class KeyInfo(BaseModel):
    """One key of a store: identity, public JWK and lifetime (never the private key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str
    alg: Algorithm
    public_jwk: dict[str, str]
    created_at: datetime
    #: When the key stopped signing; ``None`` while it is the active key.
    retired_at: datetime | None = None
    #: Until when its public key stays in the JWKS (retired keys only).
    retain_until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def published_at(self, now: datetime) -> bool:
        """Whether the JWKS carries this key at ``now``."""
        return self.retain_until is None or utc(now) < self.retain_until


class _Index(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: list[KeyInfo] = []


@runtime_checkable
class KeyStore(Protocol):
    """Signing keys with one active key, rotation and JWKS publication."""

    def active(self) -> SigningKey:
        """The key that signs now; ``KeyStoreError`` if the store has none."""
        ...

    def generate(self, alg: Algorithm = "ES256", *, now: datetime | None = None) -> SigningKey:
        """The first key of an empty store; ``KeyStoreError`` if one is active (rotate it)."""
        ...

    def rotate(
        self, now: datetime, retain_until: datetime, *, alg: Algorithm | None = None
    ) -> SigningKey:
        """A new active key; the old one retires and its public key stays until
        ``retain_until`` (at least the ``exp`` of the last record it signed)."""
        ...

    def key_infos(self) -> Sequence[KeyInfo]:
        """Every key the store knows, oldest first."""
        ...

    def jwks(self, now: datetime | None = None) -> KeySet:
        """The keys to publish at ``now``: the active one and retired ones still retained."""
        ...

    def prune(self, now: datetime) -> list[str]:
        """Forget retired keys past ``retain_until``; returns their kids."""
        ...


class _KeyStoreBase:
    """Rotation and publication once, over two storage primitives per backend."""

    __slots__ = ()

    # --- storage, per backend ---------------------------------------------------------------

    def _read_index(self) -> list[KeyInfo]:
        raise NotImplementedError

    def _write_index(self, keys: list[KeyInfo]) -> None:
        raise NotImplementedError

    def _read_private(self, info: KeyInfo) -> SigningKey:
        raise NotImplementedError

    def _write_private(self, key: SigningKey) -> None:
        raise NotImplementedError

    def _destroy_private(self, kid: str) -> None:
        raise NotImplementedError

    # --- behaviour --------------------------------------------------------------------------

    def key_infos(self) -> Sequence[KeyInfo]:
        return tuple(self._read_index())

    def active(self) -> SigningKey:
        return self._load_active()

    def _load_active(self) -> SigningKey:
        current = [info for info in self._read_index() if info.active]
        if not current:
            raise KeyStoreError("the key store has no active key: run 'brondata keys generate'")
        if len(current) > 1:
            raise KeyStoreError("the key store index names more than one active key")
        key = self._read_private(current[0])
        if key.kid != current[0].kid:
            raise KeyStoreError(f"the private key for {current[0].kid!r} has another thumbprint")
        return key

    def generate(self, alg: Algorithm = "ES256", *, now: datetime | None = None) -> SigningKey:
        index = self._read_index()
        if any(info.active for info in index):
            raise KeyStoreError("the key store already has an active key: rotate it instead")
        return self._add(index, alg, _now(now))

    def rotate(
        self, now: datetime, retain_until: datetime, *, alg: Algorithm | None = None
    ) -> SigningKey:
        moment, keep = utc(now), utc(retain_until)
        if keep < moment:
            raise KeyStoreError("retain_until lies before now: records it signed still verify")
        index = self._read_index()
        retired: list[KeyInfo] = []
        for info in index:
            if info.active:
                alg = alg or info.alg
                retired.append(info.model_copy(update={"retired_at": moment, "retain_until": keep}))
            else:
                retired.append(info)
        key = self._add(retired, alg or "ES256", moment)
        for info in index:
            if info.active:
                self._destroy_private(info.kid)
        return key

    def jwks(self, now: datetime | None = None) -> KeySet:
        moment = _now(now)
        return KeySet(info.public_jwk for info in self._read_index() if info.published_at(moment))

    def prune(self, now: datetime) -> list[str]:
        moment = utc(now)
        index = self._read_index()
        gone = [info.kid for info in index if not info.published_at(moment)]
        if gone:
            self._write_index([info for info in index if info.kid not in gone])
        return gone

    def _add(self, index: list[KeyInfo], alg: Algorithm, now: datetime) -> SigningKey:
        key = SigningKey.generate(alg)
        info = KeyInfo(kid=key.kid, alg=key.alg, public_jwk=key.public_jwk(), created_at=now)
        # The private key first: an index naming a key that is not there would be worse
        # than a stray key file nobody uses.
        self._write_private(key)
        self._write_index([*index, info])
        return key


def _now(now: datetime | None) -> datetime:
    return utc(now) if now is not None else SystemClock().now()


class MemoryKeyStore(_KeyStoreBase):
    """Keys in memory: for tests, demos and short-lived processes."""

    __slots__ = ("_cached", "_generation", "_index", "_private")

    def __init__(self) -> None:
        self._index: list[KeyInfo] = []
        self._private: dict[str, SigningKey] = {}
        self._generation = 0
        self._cached: tuple[int, SigningKey] | None = None

    def active(self) -> SigningKey:
        cached, generation = self._cached, self._generation
        if cached is not None and cached[0] == generation:
            return cached[1]
        key = self._load_active()
        self._cached = (generation, key)
        return key

    def _read_index(self) -> list[KeyInfo]:
        return list(self._index)

    def _write_index(self, keys: list[KeyInfo]) -> None:
        self._index = list(keys)
        self._generation += 1

    def _read_private(self, info: KeyInfo) -> SigningKey:
        try:
            return self._private[info.kid]
        except KeyError:
            raise KeyStoreError(f"no private key for {info.kid!r}") from None

    def _write_private(self, key: SigningKey) -> None:
        self._private[key.kid] = key

    def _destroy_private(self, kid: str) -> None:
        self._private.pop(kid, None)
        self._generation += 1


_INDEX: Final = "keys.json"
_PRIVATE_MODE: Final = 0o600

#: What identifies one version of a file without reading it (see the module docstring).
_Stamp = tuple[int, int, int, int, int, int]


def _stamp_of(result: os.stat_result) -> _Stamp:
    return (
        result.st_dev,
        result.st_ino,
        result.st_size,
        result.st_mtime_ns,
        result.st_ctime_ns,
        result.st_mode,
    )


def _stamp(path: Path) -> _Stamp | None:
    try:
        return _stamp_of(os.stat(path))
    except OSError:
        return None  # missing or unreadable: the full read says what is wrong


@dataclass(frozen=True, slots=True)
class _Cached:
    index: _Stamp
    pem: _Stamp
    key: SigningKey


class FileKeyStore(_KeyStoreBase):
    """Keys in a directory: ``<kid>.pem`` (0600) for the active key, ``keys.json`` index."""

    __slots__ = ("_cached", "_directory", "_index_cache", "_loading", "_pem_read")

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._directory = Path(directory)
        self._cached: _Cached | None = None
        self._index_cache: tuple[_Stamp, list[KeyInfo]] | None = None
        self._pem_read: _Stamp | None = None
        # A miss reads the files and notes the PEM's stamp on self: one reader at a time,
        # so that no thread caches its key under a stamp another thread read.
        self._loading = threading.Lock()

    def active(self) -> SigningKey:
        index = _stamp(self._directory / _INDEX)
        cached = self._cached
        if (
            cached is not None
            and index == cached.index
            and _stamp(self._pem_path(cached.key.kid)) == cached.pem
        ):
            return cached.key
        with self._loading:
            self._cached = None
            key = self._load_active()
            # The PEM's stamp comes from the very handle it was read through, and the
            # index's from before it was read: a change during the read is a miss next time.
            if index is not None and self._pem_read is not None:
                self._cached = _Cached(index, self._pem_read, key)
            return key

    @property
    def directory(self) -> Path:
        return self._directory

    def _pem_path(self, kid: str) -> Path:
        # A kid is a base64url thumbprint; anything else must not become a path.
        if not kid or not all(c.isalnum() or c in "-_" for c in kid):
            raise KeyStoreError(f"refusing the key id {kid!r} as a file name")
        return self._directory / f"{kid}.pem"

    def _read_index(self) -> list[KeyInfo]:
        path = self._directory / _INDEX
        try:
            with path.open("rb") as handle:
                stamp = _stamp_of(os.fstat(handle.fileno()))
                cached = self._index_cache
                if cached is not None and cached[0] == stamp:
                    return list(cached[1])
                raw = handle.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise KeyStoreError(f"cannot read {path.name}: {exc.strerror}") from None
        try:
            keys = list(_Index.model_validate_json(raw).keys)
        except ValidationError as exc:
            raise KeyStoreError(
                f"{path.name} is not a valid key index: {exc.error_count()} errors"
            ) from None
        self._index_cache = (stamp, keys)
        return list(keys)

    def _write_index(self, keys: list[KeyInfo]) -> None:
        body = _Index(keys=keys).model_dump_json(indent=2).encode("utf-8")
        self._write_atomically(self._directory / _INDEX, body)

    def _read_private(self, info: KeyInfo) -> SigningKey:
        path = self._pem_path(info.kid)
        self._pem_read = None
        try:
            with path.open("rb") as handle:
                status = os.fstat(handle.fileno())
                mode = status.st_mode
                if stat.S_IMODE(mode) & 0o077:
                    raise KeyStoreError(
                        f"{path.name} is readable by group or others "
                        f"(mode {stat.S_IMODE(mode):o}): chmod 600 it"
                    )
                pem = handle.read()
        except FileNotFoundError:
            raise KeyStoreError(f"the private key {path.name} is missing") from None
        except OSError as exc:
            raise KeyStoreError(f"cannot read {path.name}: {exc.strerror}") from None
        try:
            key = SigningKey.from_pem(pem, alg=info.alg)
        except InvalidKeyError as exc:
            raise KeyStoreError(f"{path.name} holds no usable key: {exc.message}") from None
        self._pem_read = _stamp_of(status)
        return key

    def _write_private(self, key: SigningKey) -> None:
        self._write_atomically(self._pem_path(key.kid), key.to_pem())

    def _destroy_private(self, kid: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._pem_path(kid).unlink()

    def _write_atomically(self, path: Path, body: bytes) -> None:
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp creates the file 0600 from the start: no window in which it is readable.
            fd, temporary = tempfile.mkstemp(dir=self._directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    os.fchmod(handle.fileno(), _PRIVATE_MODE)
                    handle.write(body)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise KeyStoreError(f"cannot write {path.name}: {exc.strerror}") from None
