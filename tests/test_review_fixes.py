"""Regression tests for the defects a review found: each one crashed, leaked or lost data."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brondata import DataRequest, Gateway, LegalBasis, Purpose
from brondata._session_store import SqliteSessionStore
from brondata.cli import app
from brondata.consent import parse_entry
from brondata.errors import (
    KeyBindingError,
    LedgerIntegrityError,
    RequestError,
    SessionStateError,
    SourceProtocolError,
    StoreError,
)
from brondata.mock._faults import Fault
from brondata.records import KeySet, SigningKey, issue_record, verify_record
from brondata.records._encoding import json_dumps, sha256_b64url
from brondata.records._jws import sign_compact
from brondata.testing import FixedClock, MockSources

#: The mock bank every existing person banks at (the mock world has two).
BANK = "bank.mockbank"

runner = CliRunner()


def bank_request() -> DataRequest:
    return DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.salary_monthly_average"],
        retention_days=30,
        recipient="Lender",
    )


@pytest.mark.anyio
async def test_the_embedded_database_is_private_from_the_start(tmp_path: Path) -> None:
    sources = MockSources(seed=1, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), path=tmp_path / "g.db", clock=sources.clock):
        pass
    for name in ("g.db", "g.db-wal"):
        file = tmp_path / name
        if file.exists():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, name


@pytest.mark.anyio
async def test_a_next_page_link_to_another_host_is_not_followed() -> None:
    sources = MockSources(seed=1, clock=FixedClock())
    page = {
        "account": {"iban": "NL76RABO0359400371"},
        "transactions": {
            "booked": [],
            "_links": {"next": {"href": "https://collector.example/steal?page=2"}},
        },
    }
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        session = await gateway.start(bank_request(), "applicant")
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, sources.person(0))
        sources.faults[BANK].add(Fault("body", "/v1/accounts/", body=page))
        result = await gateway.collect(session.id)
    assert isinstance(result.errors[BANK], SourceProtocolError)
    assert "leaves the bank" in result.errors[BANK].message


@pytest.mark.anyio
async def test_a_callback_after_the_login_window_is_refused() -> None:
    clock = FixedClock()
    sources = MockSources(seed=1, clock=clock)
    async with Gateway.embedded(sources.connectors(), clock=clock) as gateway:
        session = await gateway.start(bank_request(), "applicant")
        await gateway.give_consent(session.id)
        url = await gateway.login_url(session.id, BANK)
        person = sources.person(0)
        async with sources.browser() as browser:
            callback = await browser.authorize(
                url, username=person.username, password=person.password
            )
        clock.advance(timedelta(hours=2))
        with pytest.raises(SessionStateError, match="expired"):
            await gateway.callback(session.id, BANK, callback)


@pytest.mark.parametrize("attributes", [5, None, [1, 2], {"bank.accounts": 1}])
def test_attributes_of_the_wrong_type_are_a_request_error(attributes: object) -> None:
    with pytest.raises(RequestError):
        DataRequest(
            purpose=Purpose(term="dpv:CreditChecking", text="Loan"),
            legal_basis=LegalBasis.CONTRACT,
            attributes=attributes,  # type: ignore[arg-type]
            retention_days=30,
            recipient="Lender",
        )


def test_a_deeply_nested_ledger_line_is_an_integrity_error() -> None:
    with pytest.raises(LedgerIntegrityError):
        parse_entry(b"[" * 100_000 + b"]" * 100_000)


def test_a_closed_session_store_says_so(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "s.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("x")


def test_verify_refuses_a_binary_file_and_empty_key_binding(tmp_path: Path) -> None:
    binary = tmp_path / "records"
    binary.write_bytes(b"\xff\xfe\x00")
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    result = runner.invoke(app, ["verify", str(binary), "--jwks", str(jwks)])
    assert result.exit_code == 2
    assert "not text" in result.output
    binary.write_text("x.y.z~\n")
    empty = runner.invoke(
        app, ["verify", str(binary), "--jwks", str(jwks), "--aud", "", "--nonce", "n"]
    )
    assert empty.exit_code == 2
    assert "must not be empty" in empty.output


def test_mock_serve_refuses_a_fault_for_an_unknown_source() -> None:
    result = runner.invoke(app, ["mock", "serve", "--port", "0", "--fault", "moon=status"])
    assert result.exit_code == 2
    assert "moon" in result.output


def test_a_key_binding_with_an_impossible_iat_is_refused() -> None:
    issuer, holder = SigningKey.generate("ES256"), SigningKey.generate("ES256")
    now = 1_767_225_600
    record = issue_record(
        {"iss": "https://issuer.example", "vct": "urn:x", "iat": now, "exp": now + 3600},
        {"bank.balance_total": 1},
        issuer,
        holder_jwk=holder.public_jwk(),
    )
    presentation = record.present(["bank.balance_total"])
    claims = {"iat": 10**20, "aud": "x", "nonce": "n", "sd_hash": sha256_b64url(presentation)}
    kb = sign_compact(
        {"alg": "ES256", "typ": "kb+jwt"}, json_dumps(claims).encode(), holder.jose_key
    )
    with pytest.raises(KeyBindingError, match="iat"):
        verify_record(
            presentation + kb,
            KeySet([issuer.public_jwk()]),
            now=datetime.fromtimestamp(now + 60, UTC),
        )
