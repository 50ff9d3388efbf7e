"""Key stores: one conformance suite over the memory and file stores, then file specifics."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from brondata.errors import KeyStoreError, UnknownKeyError
from brondata.records import (
    FileKeyStore,
    KeyStore,
    MemoryKeyStore,
    issue_record,
    verify_record,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if request.param == "memory":
        return MemoryKeyStore()
    return FileKeyStore(tmp_path / "keys")


def claims_at(moment: datetime, lifetime: timedelta) -> dict[str, Any]:
    iat = int(moment.timestamp())
    return {
        "iss": "https://gateway.example",
        "iat": iat,
        "exp": iat + int(lifetime.total_seconds()),
        "vct": "urn:brondata:bank:1",
    }


def test_is_a_key_store(store: KeyStore) -> None:
    assert isinstance(store, KeyStore)


def test_empty_store_has_no_active_key(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError) as info:
        store.active()
    assert info.value.code == "key_store_error"
    assert len(store.jwks(T0)) == 0
    assert list(store.key_infos()) == []


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_generate(store: KeyStore, alg: Any) -> None:
    key = store.generate(alg, now=T0)
    assert key.alg == alg
    assert store.active().kid == key.kid
    assert list(store.jwks(T0)) == [key.kid]
    assert store.jwks(T0).to_dict()["keys"][0] == key.public_jwk()
    (info,) = store.key_infos()
    assert info.active
    assert info.created_at == T0
    with pytest.raises(KeyStoreError):
        store.generate(now=T0)


def test_rotation_keeps_old_public_keys_until_retain_until(store: KeyStore) -> None:
    lifetime = timedelta(days=30)
    old = store.generate(now=T0)
    record = issue_record(claims_at(T0, lifetime), {"a.b": 1}, store.active())
    rotated_at = T0 + timedelta(days=1)
    new = store.rotate(rotated_at, retain_until=T0 + lifetime)
    assert new.kid != old.kid
    assert new.alg == old.alg
    assert store.active().kid == new.kid
    # The old record still verifies against the published JWKS until it expires.
    jwks = store.jwks(rotated_at)
    assert set(jwks) == {old.kid, new.kid}
    verify_record(record, jwks, now=rotated_at)
    after = T0 + lifetime + timedelta(seconds=1)
    assert list(store.jwks(after)) == [new.kid]
    with pytest.raises(UnknownKeyError):
        verify_record(record, store.jwks(after), now=rotated_at)
    retired = next(k for k in store.key_infos() if k.kid == old.kid)
    assert retired.retired_at == rotated_at
    assert retired.retain_until == T0 + lifetime
    assert not retired.active


def test_retired_keys_never_sign(store: KeyStore) -> None:
    old = store.generate(now=T0)
    store.rotate(T0, retain_until=T0 + timedelta(days=1))
    store.rotate(T0 + timedelta(hours=1), retain_until=T0 + timedelta(days=2))
    assert store.active().kid != old.kid
    assert [k.active for k in store.key_infos()] == [False, False, True]


def test_rotate_may_change_algorithm(store: KeyStore) -> None:
    store.generate(now=T0)
    assert store.rotate(T0, T0 + timedelta(days=1), alg="EdDSA").alg == "EdDSA"
    assert store.active().alg == "EdDSA"


def test_rotate_an_empty_store_generates(store: KeyStore) -> None:
    key = store.rotate(T0, T0)
    assert store.active().kid == key.kid


def test_rotate_refuses_retain_until_in_the_past(store: KeyStore) -> None:
    store.generate(now=T0)
    with pytest.raises(KeyStoreError):
        store.rotate(T0, T0 - timedelta(seconds=1))


def test_prune(store: KeyStore) -> None:
    old = store.generate(now=T0)
    store.rotate(T0, T0 + timedelta(days=1))
    assert store.prune(T0) == []
    assert store.prune(T0 + timedelta(days=2)) == [old.kid]
    assert len(list(store.key_infos())) == 1


def test_naive_times_refused(store: KeyStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.generate(now=datetime(2025, 1, 1))


# --- the file store -------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_store_layout_and_permissions(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys")
    key = store.generate(now=T0)
    pem = tmp_path / "keys" / f"{key.kid}.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert mode(pem) == 0o600
    assert mode(tmp_path / "keys") & 0o077 == 0
    index = json.loads((tmp_path / "keys" / "keys.json").read_text())
    assert index["keys"][0]["kid"] == key.kid
    assert "d" not in index["keys"][0]["public_jwk"]
    # A second store on the same directory sees the same key.
    assert FileKeyStore(tmp_path / "keys").active().kid == key.kid


def test_file_store_destroys_retired_private_keys(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    old = store.generate(now=T0)
    new = store.rotate(T0, T0 + timedelta(days=1))
    assert not (tmp_path / f"{old.kid}.pem").exists()
    assert (tmp_path / f"{new.kid}.pem").exists()
    assert old.kid in store.jwks(T0)


@pytest.mark.parametrize("bits", [0o640, 0o604, 0o644])
def test_file_store_refuses_a_readable_key_file(tmp_path: Path, bits: int) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    os.chmod(tmp_path / f"{key.kid}.pem", bits)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        store.active()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d, kid: (d / f"{kid}.pem").unlink(),
        lambda d, kid: (d / f"{kid}.pem").write_bytes(b"not a key"),
        lambda d, kid: (d / "keys.json").write_text("{"),
        lambda d, kid: (d / "keys.json").write_text('{"keys": [{"kid": 1}]}'),
    ],
)
def test_file_store_damage_is_a_key_store_error(
    tmp_path: Path, damage: Callable[[Path, str], object]
) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    damage(tmp_path, key.kid)
    with pytest.raises(KeyStoreError):
        store.active()


def test_file_store_detects_a_swapped_key(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    other = FileKeyStore(tmp_path / "other").generate(now=T0)
    (tmp_path / f"{key.kid}.pem").write_bytes(other.to_pem())
    with pytest.raises(KeyStoreError, match="thumbprint"):
        store.active()


# --- the cached active key -----------------------------------------------------------------


def test_active_key_is_read_once_until_the_store_changes(
    store: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brondata.records import SigningKey

    key = store.generate(now=T0)
    reads: list[bytes] = []
    real = SigningKey.from_pem.__func__  # type: ignore[attr-defined]

    def counting(cls: type[SigningKey], pem: bytes, **kw: Any) -> SigningKey:
        reads.append(pem)
        return real(cls, pem, **kw)  # type: ignore[no-any-return]

    monkeypatch.setattr(SigningKey, "from_pem", classmethod(counting))
    assert all(store.active().kid == key.kid for _ in range(5))
    assert len(reads) <= 1  # the file store parses its PEM once; the memory store never
    new = store.rotate(T0, T0 + timedelta(days=1))
    assert store.active().kid == new.kid
    assert store.active() is store.active()


def test_a_rotation_by_another_process_is_seen(tmp_path: Path) -> None:
    ours = FileKeyStore(tmp_path)
    first = ours.generate(now=T0)
    assert ours.active().kid == first.kid
    theirs = FileKeyStore(tmp_path)  # another process on the same directory
    second = theirs.rotate(T0, T0 + timedelta(days=1))
    assert ours.active().kid == second.kid
    assert first.kid in ours.jwks(T0)
    assert second.kid in ours.jwks(T0)


def test_a_cached_key_file_loosened_afterwards_is_refused(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    store.active()
    os.chmod(tmp_path / f"{key.kid}.pem", 0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        store.active()


def test_a_cached_key_file_replaced_afterwards_is_checked(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    store.active()
    other = FileKeyStore(tmp_path / "other").generate(now=T0)
    swap = tmp_path / "swap.pem"
    swap.write_bytes(other.to_pem())
    os.chmod(swap, 0o600)
    os.replace(swap, tmp_path / f"{key.kid}.pem")
    with pytest.raises(KeyStoreError, match="thumbprint"):
        store.active()


def test_a_cached_key_file_removed_afterwards_is_missing(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path)
    key = store.generate(now=T0)
    store.active()
    (tmp_path / f"{key.kid}.pem").unlink()
    with pytest.raises(KeyStoreError, match="missing"):
        store.active()
