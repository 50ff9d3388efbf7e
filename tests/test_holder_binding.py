"""Key-bound records: the application passes the holder's public key for a session, every
record of it carries ``cnf.jwk``, and only that holder can present it key-bound."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brondata import DataRequest, Gateway, LegalBasis, Purpose, SigningKey, verify_record
from brondata.cli import app
from brondata.errors import RequestError
from brondata.testing import FixedClock, MockSources

pytestmark = pytest.mark.anyio

REQUEST = DataRequest(
    purpose=Purpose(term="dpv:CreditChecking", text="Assess a mortgage application"),
    legal_basis=LegalBasis.CONTRACT,
    attributes=["bank.balance_total", "bank.salary_monthly_average"],
    retention_days=30,
    recipient="Voorbeeld Hypotheken B.V.",
)


async def test_a_session_with_a_holder_key_issues_key_bound_records(tmp_path: Path) -> None:
    holder = SigningKey.generate("EdDSA")
    # The command verifies against the real time: the records must be issued near it (a clock
    # pinned in the past would see them expire once the real date passes their 'exp').
    sources = MockSources(seed=5, clock=FixedClock(datetime.now(UTC)))
    async with Gateway.embedded(
        sources.connectors(), path=tmp_path / "gw.db", clock=sources.clock
    ) as gateway:
        session = await gateway.start(REQUEST, "applicant-1", holder_jwk=holder.public_jwk())
        # The key survives the session store (another instance may collect).
        assert gateway.session(session.id).holder_jwk == {
            k: v for k, v in holder.public_jwk().items() if k in ("kty", "crv", "x")
        }
        await gateway.give_consent(session.id)
        await sources.authorise(gateway, session.id, sources.person(0))
        result = await gateway.collect(session.id)
        jwks = gateway.jwks()
    record = result.records["bank"]
    issued = verify_record(record.compact, jwks, now=sources.clock.now())
    assert issued.claims["cnf"]["jwk"]["x"] == holder.public_jwk()["x"]

    # Through the command: present with the holder key, then verify the KB-JWT.
    records = tmp_path / "records.txt"
    records.write_text(record.compact + "\n")
    key_file = tmp_path / "holder.json"
    key_file.write_text(json.dumps(holder.private_jwk()))
    (tmp_path / "jwks.json").write_text(json.dumps(jwks.to_dict()))
    binding = ["--aud", "https://verifier.example", "--nonce", "n-42"]
    runner = CliRunner()
    presented = runner.invoke(
        app,
        [
            "present",
            str(records),
            "-a",
            "bank.balance_total",
            "--holder-key",
            str(key_file),
            *binding,
        ],
    )
    assert presented.exit_code == 0, presented.output
    (tmp_path / "presented.txt").write_text(presented.stdout)
    verified = runner.invoke(
        app,
        [
            "verify",
            str(tmp_path / "presented.txt"),
            "--jwks",
            str(tmp_path / "jwks.json"),
            "--json",
            *binding,
        ],
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)[0]["attributes"] == {
        "bank.balance_total": issued.attributes["bank.balance_total"]
    }


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        "not a key",
        {**SigningKey.generate().private_jwk()},
    ],
)
async def test_an_unusable_holder_key_is_refused_at_start(jwk: object) -> None:
    sources = MockSources(seed=5, clock=FixedClock())
    async with Gateway.embedded(sources.connectors(), clock=sources.clock) as gateway:
        with pytest.raises(RequestError):
            await gateway.start(REQUEST, "applicant-1", holder_jwk=jwk)  # type: ignore[arg-type]
        assert gateway.ledger.size() == 0
