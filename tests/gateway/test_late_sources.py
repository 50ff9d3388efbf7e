"""Sources added after the collection (``Gateway.add_source``): the late-source window, the
raw answers dropped when it closes (``expire_due``), and a late bank after a failed first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from brondata import Gateway, verify_record
from brondata.consent import LogSigner, audit_verify, export
from brondata.mock._faults import Fault
from brondata.testing import MockSources

from .test_dossier import add_bank_and_collect, collected, ledger, mortgage

pytestmark = pytest.mark.anyio


#: An answer the bank's mapping cannot use (an account without a booked balance), served for
#: every account request: the fetch succeeds, the bank's outcome is an error.
_NO_BALANCE = {
    "accounts": [{"resourceId": "x1", "iban": "NL91ABNA0417164300", "currency": "EUR"}],
    "account": {"iban": "NL91ABNA0417164300"},
    "balances": [],
    "transactions": {"booked": [], "pending": []},
}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault("status", "/v1/accounts", status=503), id="source-down"),
        pytest.param(Fault("body", "/v1/accounts", body=_NO_BALANCE), id="answer-unusable"),
    ],
)
async def test_a_late_bank_after_a_failed_first_bank_becomes_the_bank_record(
    gateway: Gateway, sources: MockSources, tmp_path: Path, fault: Fault
) -> None:
    # The first bank fails (down at fetch; or its answer cannot be mapped, which leaves an
    # error as the kind's outcome): no bank record is delivered, nothing is kept to merge
    # with. The consumer logs in at another bank: its data are the bank record (superseding
    # nothing), and the checks and decisions run again over it.
    request = mortgage(
        attributes=["bank.balance_total", "bank.accounts", "employment.current"],
    )
    person = sources.scenario("salary_elsewhere")
    sources.faults["bank.mockbank"].add(fault)
    session = await collected(gateway, sources, request, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session)
    assert "bank" not in first.records
    assert first.error("bank.mockbank") is not None

    await add_bank_and_collect(gateway, sources, session, person)
    result = gateway.result(session)
    bank = verify_record(result.records["bank"].compact, gateway.jwks())
    assert bank.claims["instances"] == ["bank.noordbank"]
    assert "supersedes" not in bank.claims
    assert result.delivered("bank.noordbank")
    assert result.error("bank.mockbank") is not None  # the first bank's failure stands
    entries: list[dict[str, Any]] = ledger(gateway)
    delivered = [e for e in entries if e["event"] == "data.delivered" and e["source"] == "bank"]
    assert len(delivered) == 1
    assert "supersedes" not in delivered[0]
    checked = [e for e in entries if e["event"] == "dossier.checked"]
    assert len(checked) == 2  # the checks ran again over the late bank
    export(gateway.ledger, tmp_path / "export", LogSigner.generate("lender.example/log"))
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.to_dict()
