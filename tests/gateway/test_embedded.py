"""The embedded defaults survive a restart: same keys, same pseudonyms, sessions still open."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata._secrets import GatewaySecrets
from brondata.errors import StoreError
from brondata.records import FileKeyStore
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

pytestmark = pytest.mark.anyio


def request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total"],
        retention_days=30,
        recipient="Lender",
    )


async def test_a_restarted_gateway_finishes_the_session_with_the_same_keys(tmp_path: Path) -> None:
    sources = MockSources(seed=2, clock=FixedClock())
    db = tmp_path / "app.db"
    async with Gateway.embedded(sources.connectors(), path=db, clock=sources.clock) as first:
        session = await first.start(request(), "applicant-1")
        await first.give_consent(session.id)
        url = await first.login_url(session.id, BANK)
        kid = first.signing_key.kid
        pseudonym = first.pseudonym("applicant-1")
    person = sources.person(0)
    async with sources.browser() as browser:
        callback = await browser.authorize(url, username=person.username, password=person.password)

    async with Gateway.embedded(sources.connectors(), path=db, clock=sources.clock) as second:
        assert second.signing_key.kid == kid
        assert second.pseudonym("applicant-1") == pseudonym
        await second.callback(session.id, BANK, callback)  # sealed state opens after restart
        result = await second.collect(session.id)
        verified = verify_record(
            result.records["bank"].compact, second.jwks(), now=sources.clock.now()
        )
        assert verified.kid == kid
    secrets_file = tmp_path / "app.db.keys" / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    made = GatewaySecrets.load_or_create(path)
    assert GatewaySecrets.load_or_create(path) == made
    os.chmod(path, 0o644)
    with pytest.raises(StoreError, match="readable by others"):
        GatewaySecrets.load_or_create(path)
    os.chmod(path, 0o600)
    path.write_text("{}")
    with pytest.raises(StoreError, match="not a brondata secrets file"):
        GatewaySecrets.load_or_create(path)


async def test_rotation_keeps_old_records_verifiable(tmp_path: Path) -> None:
    sources = MockSources(seed=2, clock=FixedClock())
    async with Gateway.embedded(
        sources.connectors(), path=tmp_path / "a.db", clock=sources.clock
    ) as gw:
        old_kid = gw.signing_key.kid
        store = FileKeyStore(tmp_path / "a.db.keys" / "signing")
        now = sources.clock.now()
        store.rotate(now, now.replace(year=now.year + 1))
        assert gw.signing_key.kid != old_kid
        assert {old_kid, gw.signing_key.kid} <= set(gw.jwks())


async def test_the_embedded_database_is_private_from_the_start(tmp_path: Path) -> None:
    sources = MockSources(seed=1, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), path=tmp_path / "g.db", clock=sources.clock):
        pass
    for name in ("g.db", "g.db-wal"):
        file = tmp_path / name
        if file.exists():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, name
