"""One consent lifecycle: the audit's fold and the consent records fold the ledger's consent
events with the same table, so for any sequence of events they agree on the state."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.consent.factories import DEFAULTS

from brondata.consent import ConsentLog, MemoryLedger, MemorySubjectKeyring
from brondata.consent._audit import _Auditor
from brondata.consent._records import consent_record_from_ledger
from brondata.session import CONSENT_TRANSITIONS, LIVE_CONSENT

_KINDS = sorted({event for _, event in CONSENT_TRANSITIONS})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=12))
def test_the_audit_and_the_records_agree_on_the_state(kinds: list[str]) -> None:
    log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    for minute, kind in enumerate(["consent.requested", *kinds]):
        log.append(
            kind,  # type: ignore[arg-type]
            subject="sub-abc",
            at=f"2026-03-01T09:{minute:02d}:00Z",
            session_id="ses_1",
            consent_id="con_1",
            **DEFAULTS.get(kind, {}),
        )
    record = consent_record_from_ledger(log, "con_1")
    auditor = _Auditor(None, 0)
    for entry, event in log.entries_of_consent("con_1"):
        auditor.apply(entry.index, "con_1", event.event, event.to_json_dict())
    audited = auditor.consents["con_1"].state
    assert record.state == audited
    assert (record.state in LIVE_CONSENT) == (audited in LIVE_CONSENT)
