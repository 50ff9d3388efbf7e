"""Sources added after the collection (``Gateway.add_source``): the late-source window, the
raw answers dropped when it closes (``expire_due``), and a late bank after a failed first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from brondata import Gateway, verify_record
from brondata._session_store import MemorySessionStore, SessionRecord
from brondata.consent import LogSigner, MemoryLedger, audit_verify, export
from brondata.errors import ConfigurationError, SessionStateError, StoreUnavailableError
from brondata.mock._faults import Fault
from brondata.records import SigningKey
from brondata.session import SessionState, SourceState
from brondata.stores import open_stores
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


# --- the late-source window -----------------------------------------------------------------

WINDOW = timedelta(hours=1)  # the default: the gateway's login window (consent_ttl)
REQUEST = mortgage(attributes=["bank.balance_total", "bank.accounts", "employment.current"])


def opened(gateway: Gateway, session: str) -> dict[str, dict[str, Any]]:
    """The session's outcomes as the store keeps them, opened (the test reaches in)."""
    record = gateway.sessions.get(session)
    return {k: gateway._box.open(s, f"{session}/{k}/outcome") for k, s in record.kinds.items()}


async def log_in(gateway: Gateway, sources: MockSources, session: str, instance: str) -> None:
    person = sources.scenario("salary_elsewhere")
    async with sources.browser() as browser:
        url = await gateway.login_url(session, instance)
        callback = await browser.authorize(url, username=person.username, password=person.password)
        await gateway.callback(session, instance, callback)


def stored_size(gateway: Gateway, session: str) -> int:
    """The bytes of the session record as the stores write it (its JSON body)."""
    return len(gateway.sessions.get(session).model_dump_json().encode())


def snapshot(gateway: Gateway, session: str) -> tuple[Any, ...]:
    """What the session serves: records, errors, evidence, dossier."""
    result = gateway.result(session)
    return (
        {k: r.compact for k, r in result.records.items()},
        {k: e.to_dict() for k, e in result.errors.items()},
        result.evidence,
        gateway.dossier(session),
    )


async def test_add_source_after_the_window_closed_is_refused_and_changes_nothing(
    gateway: Gateway, sources: MockSources
) -> None:
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    record = gateway.session(session)
    assert record.late_sources_until == sources.clock.now() + WINDOW
    sources.clock.advance(WINDOW)
    size = gateway.ledger.size()
    with pytest.raises(SessionStateError, match="window") as refused:
        await gateway.add_source(session, "bank.noordbank")
    message = json.dumps(refused.value.to_dict())
    for value in (person.bsn, person.surname, person.iban, person.username):
        assert value not in message
    assert gateway.session(session) == record
    assert gateway.ledger.size() == size


async def test_a_late_bank_inside_the_window_still_merges(
    gateway: Gateway, sources: MockSources
) -> None:
    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session).records["bank"].digest
    sources.clock.advance(WINDOW - timedelta(seconds=1))
    await add_bank_and_collect(gateway, sources, session, person)
    bank = verify_record(gateway.result(session).records["bank"].compact, gateway.jwks())
    assert bank.claims["supersedes"] == first
    # A collection that merged a late source opens the window again, from its end.
    assert gateway.session(session).late_sources_until == sources.clock.now() + WINDOW


async def test_the_window_is_the_gateway_s_to_set(sources: MockSources) -> None:
    window = timedelta(minutes=10)
    async with Gateway.embedded(
        sources.connectors(), clock=sources.clock, late_source_window=window
    ) as gateway:
        session = await collected(
            gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"]
        )
        assert gateway.session(session).late_sources_until == sources.clock.now() + window
        sources.clock.advance(window)
        with pytest.raises(SessionStateError):
            await gateway.add_source(session, "bank.noordbank")
    with pytest.raises(ConfigurationError):
        Gateway.embedded(sources.connectors(), late_source_window=timedelta(seconds=-1))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine_gateway(
    request: pytest.FixtureRequest, sources: MockSources, tmp_path: Path
) -> AsyncIterator[Gateway]:
    """A gateway on each session store engine (with the ledger beside it)."""
    shared: dict[str, Any] = {
        "issuer": "https://lender.example",
        "connectors": sources.connectors(),
        "redirect_uri": "https://lender.example/callback/{source}",
        "signing_key": SigningKey.generate(),
        "store_key": b"s" * 32,
        "pseudonym_key": b"p" * 32,
        "clock": sources.clock,
    }
    if request.param == "memory":
        gateway = Gateway(ledger=MemoryLedger(), sessions=MemorySessionStore(), **shared)
        yield gateway
        return
    if request.param == "sqlite":
        stores = open_stores(f"sqlite:///{tmp_path / 'gateway.db'}")
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        stores = open_stores(dsn, schema=request.getfixturevalue("pg_schema"))
    with stores:
        yield Gateway(
            ledger=stores.ledger, sessions=stores.sessions, keyring=stores.keyring, **shared
        )


async def test_expire_due_drops_the_kept_answers_and_the_result_stands(
    engine_gateway: Gateway, sources: MockSources
) -> None:
    gateway = engine_gateway
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    assert "answers" in opened(gateway, session)["bank"]
    served = snapshot(gateway, session)
    before = stored_size(gateway, session)
    assert await gateway.expire_due() == []  # the window is open: nothing to do
    assert "answers" in opened(gateway, session)["bank"]

    sources.clock.advance(WINDOW)
    assert gateway.sessions.due(sources.clock.now()) == [session]
    size = gateway.ledger.size()
    assert await gateway.expire_due() == []  # nothing expired: the consent runs on
    record = gateway.session(session)
    assert record.late_sources_until is None
    assert record.state is SessionState.COLLECTED
    assert all("answers" not in outcome for outcome in opened(gateway, session).values())
    assert snapshot(gateway, session) == served
    assert gateway.ledger.size() == size  # no ledger event (see ``flow.close_late_window``)
    after = stored_size(gateway, session)
    assert after < before
    print(f"session record: {before} bytes with the answers kept, {after} after the drop")
    # Not due any more until its consent ends, and the sweep again changes nothing.
    assert gateway.sessions.due(sources.clock.now()) == []
    assert await gateway.expire_due() == []
    assert gateway.session(session).version == record.version
    with pytest.raises(SessionStateError, match="window"):
        await gateway.add_source(session, "bank.noordbank")
    sources.clock.advance(timedelta(days=365))
    assert await gateway.expire_due() == [session]


async def test_a_drop_cut_short_or_done_twice_changes_nothing_twice(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    served = snapshot(gateway, session)
    sources.clock.advance(WINDOW)
    replace = gateway.sessions.replace

    def down(record: SessionRecord) -> SessionRecord:
        raise StoreUnavailableError("the session store is down")

    # The store down for the drop's one write: nothing changed, the session still due.
    gateway.sessions.replace = down  # type: ignore[method-assign]
    try:
        assert await gateway.expire_due() == []
    finally:
        gateway.sessions.replace = replace  # type: ignore[method-assign]
    assert "answers" in opened(gateway, session)["bank"]
    assert gateway.sessions.due(sources.clock.now()) == [session]

    # The write lands but its caller never hears (a crash right after it): done, not due.
    def lands_then_fails(record: SessionRecord) -> SessionRecord:
        replace(record)
        raise StoreUnavailableError("the connection broke after the commit")

    gateway.sessions.replace = lands_then_fails  # type: ignore[method-assign]
    try:
        assert await gateway.expire_due() == []
    finally:
        gateway.sessions.replace = replace  # type: ignore[method-assign]
    dropped = gateway.session(session)
    assert dropped.late_sources_until is None
    assert gateway.sessions.due(sources.clock.now()) == []
    # Taken again (another instance's sweep that read the session before): nothing changes.
    again = await gateway._collector.drop_answers(session)  # test reaches in
    assert again.version == dropped.version
    assert snapshot(gateway, session) == served


async def test_a_late_bank_added_in_the_window_but_collected_after_it_fails_alone(
    gateway: Gateway, sources: MockSources
) -> None:
    # Added and logged in to in time, but collected only after the window closed and the
    # sweep dropped the answers: the late bank cannot join, fails with a typed error, and
    # the bank record delivered before stands. That collection opens no new window, for
    # nothing is kept to merge with: a retry of that bank is refused at once.
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session).records["bank"].digest
    await gateway.add_source(session, "bank.noordbank")
    assert gateway.session(session).state is SessionState.CONSENTED
    sources.clock.advance(WINDOW - timedelta(minutes=1))
    await log_in(gateway, sources, session, "bank.noordbank")  # just in time
    sources.clock.advance(timedelta(minutes=1))
    assert await gateway.expire_due() == []
    assert all("answers" not in outcome for outcome in opened(gateway, session).values())
    assert gateway.session(session).state is SessionState.CONSENTED  # to collect still
    await gateway.collect(session)
    result = gateway.result(session)
    assert result.records["bank"].digest == first
    assert isinstance(result.error("bank.noordbank"), SessionStateError)
    record = gateway.session(session)
    assert record.sources["bank.noordbank"].state is SourceState.FAILED
    assert record.late_sources_until is None
    assert record.due_at == record.consent_expires_at
    with pytest.raises(SessionStateError, match="window"):
        await gateway.retry(session, "bank.noordbank")
    assert gateway.session(session) == record


async def test_a_late_bank_not_logged_in_to_in_the_window_is_refused_at_once(
    gateway: Gateway, sources: MockSources
) -> None:
    # Added in time, but the consumer goes to log in there only after the window closed: its
    # data could not join the bank record, so no login for nothing (refused at once, as a
    # retry is). When the sweep closes the window the session, left with nothing to
    # collect, serves its result again: the late bank failed with that refusal.
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session).records["bank"].digest
    await gateway.add_source(session, "bank.noordbank")
    sources.clock.advance(WINDOW)
    before = gateway.session(session)
    with pytest.raises(SessionStateError, match="window"):
        await gateway.login_url(session, "bank.noordbank")
    assert gateway.session(session) == before
    size = gateway.ledger.size()
    assert await gateway.expire_due() == []
    record = gateway.session(session)
    assert record.state is SessionState.COLLECTED
    assert record.late_sources_until is None
    assert record.sources["bank.noordbank"].state is SourceState.FAILED
    assert record.sources["bank.noordbank"].error is not None
    assert all("answers" not in outcome for outcome in opened(gateway, session).values())
    result = gateway.result(session)
    assert result.records["bank"].digest == first
    assert isinstance(result.error("bank.noordbank"), SessionStateError)
    assert gateway.dossier(session).codes()
    assert gateway.ledger.size() == size  # no login was made: nothing to record
    assert gateway.sessions.due(sources.clock.now()) == []
    with pytest.raises(SessionStateError):
        await gateway.login_url(session, "bank.noordbank")


async def test_a_session_that_cannot_take_a_late_source_has_no_window(
    sources: MockSources,
) -> None:
    # One bank configured: no instance can be added after the collection and no answers are
    # kept, so there is no window to close and the sweep has no work before the consent ends.
    connectors = {i: c for i, c in sources.connectors().items() if i != "bank.noordbank"}
    async with Gateway.embedded(connectors, clock=sources.clock) as gateway:
        session = await collected(gateway, sources, REQUEST, "salaried")
        record = gateway.session(session)
        assert record.late_sources_until is None
        assert record.due_at == record.consent_expires_at
        assert all("answers" not in outcome for outcome in opened(gateway, session).values())
        sources.clock.advance(WINDOW)
        assert gateway.sessions.due(sources.clock.now()) == []


async def test_a_failed_second_bank_is_retried_after_the_collection_only_within_the_window(
    gateway: Gateway, sources: MockSources
) -> None:
    # Two banks at the first collection: one delivers, the other fails. Retrying the failed
    # one later merges it into the delivered bank record, which needs the answers kept for
    # the window: after it closed, the retry is refused at once (before a login the consumer
    # would go through for nothing), and nothing changes.
    sources.scenario("salary_elsewhere")
    sources.faults["bank.noordbank"].add(Fault("status", "/v1/accounts", status=503))
    session = await collected(
        gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank", "bank.noordbank"]
    )
    assert gateway.result(session).error("bank.noordbank") is not None
    sources.clock.advance(WINDOW)
    await gateway.expire_due()  # the kept answers go
    before = gateway.session(session)
    size = gateway.ledger.size()
    with pytest.raises(SessionStateError, match="window"):
        await gateway.retry(session, "bank.noordbank")
    assert gateway.session(session) == before
    assert gateway.ledger.size() == size


async def test_a_failed_second_bank_retried_within_the_window_merges(
    gateway: Gateway, sources: MockSources
) -> None:
    person = sources.scenario("salary_elsewhere")
    sources.faults["bank.noordbank"].add(Fault("status", "/v1/accounts", status=503))
    session = await collected(
        gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank", "bank.noordbank"]
    )
    sources.faults["bank.noordbank"].clear()
    await gateway.retry(session, "bank.noordbank")
    async with sources.browser() as browser:
        url = await gateway.login_url(session, "bank.noordbank")
        callback = await browser.authorize(url, username=person.username, password=person.password)
        await gateway.callback(session, "bank.noordbank", callback)
    await gateway.collect(session)
    bank = verify_record(gateway.result(session).records["bank"].compact, gateway.jwks())
    assert sorted(bank.claims["instances"]) == ["bank.mockbank", "bank.noordbank"]


# --- the review's findings on late sources and retries (issue 12) ---------------------------


async def test_the_failed_only_bank_retried_alone_becomes_the_bank_record(
    gateway: Gateway, sources: MockSources, tmp_path: Path
) -> None:
    # The only bank's answer could not be mapped: the kind's outcome is an error. The bank
    # fixes it, the consumer retries that bank (the journey's way for a failed source) and
    # logs in again: its fresh answer is the bank record, superseding nothing, and the
    # ledger says so after its ``data.retrieved``.
    sources.faults["bank.mockbank"].add(Fault("body", "/v1/accounts", body=_NO_BALANCE))
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    assert "bank" not in gateway.result(session).records
    assert gateway.session(session).sources["bank.mockbank"].error is not None
    sources.faults["bank.mockbank"].clear()
    await gateway.retry(session, "bank.mockbank")
    await log_in(gateway, sources, session, "bank.mockbank")
    await gateway.collect(session)
    result = gateway.result(session)
    bank = verify_record(result.records["bank"].compact, gateway.jwks())
    assert bank.claims["instances"] == ["bank.mockbank"]
    assert "supersedes" not in bank.claims
    assert result.delivered("bank.mockbank")
    assert "bank.mockbank" not in result.errors
    assert "bank" not in result.errors
    progress = gateway.session(session).sources["bank.mockbank"]
    assert progress.state is SourceState.COLLECTED
    assert progress.error is None
    entries = ledger(gateway)
    last = max(
        i
        for i, e in enumerate(entries)
        if e["event"] == "data.retrieved" and e["source"] == "bank.mockbank"
    )
    assert [e["event"] for e in entries[last + 1 :] if e.get("source") == "bank"] == [
        "data.delivered"
    ]
    export(gateway.ledger, tmp_path / "export", LogSigner.generate("lender.example/log"))
    audit = audit_verify(tmp_path / "export")
    assert audit.ok, audit.to_dict()


async def test_the_failed_only_bank_retried_and_failing_again_fails_with_its_error(
    gateway: Gateway, sources: MockSources
) -> None:
    sources.faults["bank.mockbank"].add(Fault("body", "/v1/accounts", body=_NO_BALANCE))
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    await gateway.retry(session, "bank.mockbank")
    await log_in(gateway, sources, session, "bank.mockbank")
    size = len(ledger(gateway))
    await gateway.collect(session)
    progress = gateway.session(session).sources["bank.mockbank"]
    assert progress.state is SourceState.FAILED
    assert progress.error is not None
    assert progress.error["code"] == "mapping_failed"
    assert "bank" not in gateway.result(session).records
    after = [(e["event"], e.get("source")) for e in ledger(gateway)[size:]]
    assert ("data.failed", "bank.mockbank") in after


def stored_by_the_previous_release(record: SessionRecord) -> SessionRecord:
    """``record`` as the release before the late-source window stored it (no
    ``late_sources_until``), read by this one."""
    body = json.loads(record.model_dump_json())
    del body["late_sources_until"]
    return SessionRecord.model_validate(body)


async def test_answers_kept_by_the_previous_release_are_dropped_by_the_next_sweep(
    gateway: Gateway, sources: MockSources
) -> None:
    # The previous release kept the raw bank answers with the kind's outcome and had no
    # window: no source can join such a session, so the answers serve nothing and must not
    # stay for the whole retention.
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    served = snapshot(gateway, session)
    gateway.sessions.replace(stored_by_the_previous_release(gateway.sessions.get(session)))
    assert "answers" in opened(gateway, session)["bank"]
    assert gateway.sessions.due(sources.clock.now()) == [session]
    assert await gateway.expire_due() == []
    record = gateway.session(session)
    assert record.state is SessionState.COLLECTED
    assert record.late_sources_until is None
    assert all("answers" not in outcome for outcome in opened(gateway, session).values())
    assert snapshot(gateway, session) == served
    assert gateway.sessions.due(sources.clock.now()) == []
    with pytest.raises(SessionStateError, match="window"):
        await gateway.add_source(session, "bank.noordbank")


def as_the_previous_release_wrote(engine: str, at: dict[str, Any]) -> None:
    """Rewrite the session table's rows as the release before the window wrote them: no
    ``late_sources_until`` in the body, the consent's end (``at``) as the due time."""
    if engine == "sqlite":
        import sqlite3

        conn = sqlite3.connect(at["path"])
        with conn:
            conn.execute(
                "UPDATE session_records SET expires_at = ?,"
                " body = json_remove(body, '$.late_sources_until')",
                (at["until"].timestamp(),),
            )
        conn.close()
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(at["dsn"]) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {s}.session_records SET expires_at = %s, body = body - 'late_sources_until'"
            ).format(s=sql.Identifier(at["schema"])),
            (at["until"],),
        )


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_sessions_of_the_previous_release_are_due_after_db_upgrade(
    request: pytest.FixtureRequest, sources: MockSources, tmp_path: Path, engine: str
) -> None:
    # Rows the previous release wrote hold their consent's end as the due time: ``db
    # upgrade`` makes those that may keep answers due now (no schema change, the rows only),
    # and the next sweep drops the answers.
    from brondata.consent import upgrade_postgres, upgrade_sqlite

    where: dict[str, Any] = {}
    if engine == "sqlite":
        where["path"] = tmp_path / "gateway.db"
        stores = open_stores(f"sqlite:///{where['path']}")
        upgrade = lambda: upgrade_sqlite(where["path"])  # noqa: E731
    else:
        where["dsn"] = request.getfixturevalue("postgres_dsn")
        where["schema"] = request.getfixturevalue("pg_schema")
        stores = open_stores(where["dsn"], schema=where["schema"])
        upgrade = lambda: upgrade_postgres(where["dsn"], schema=where["schema"])  # noqa: E731
    with stores:
        gateway = Gateway(
            issuer="https://lender.example",
            connectors=sources.connectors(),
            redirect_uri="https://lender.example/callback/{source}",
            signing_key=SigningKey.generate(),
            store_key=b"s" * 32,
            pseudonym_key=b"p" * 32,
            clock=sources.clock,
            ledger=stores.ledger,
            sessions=stores.sessions,
            keyring=stores.keyring,
        )
        session = await collected(
            gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"]
        )
        other = await collected(gateway, sources, REQUEST, "salaried", only=["bank.mockbank"])
        where["until"] = gateway.sessions.get(session).consent_expires_at
        as_the_previous_release_wrote(engine, where)
        assert "answers" in opened(gateway, session)["bank"]
        sources.clock.advance(timedelta(days=30))
        assert gateway.sessions.due(sources.clock.now()) == []  # the rows as they were
        upgrade()
        upgrade()  # idempotent
        assert gateway.sessions.due(sources.clock.now()) == sorted([session, other])
        assert await gateway.expire_due() == []
        assert all("answers" not in o for o in opened(gateway, session).values())
        assert gateway.session(session).state is SessionState.COLLECTED
        assert gateway.sessions.due(sources.clock.now()) == []


async def test_a_late_collection_cut_short_lets_the_sweep_drop_the_answers(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A late bank's collection dies after its merge committed (the session stays
    # ``collecting``, its lease freed or lapsed) and the consumer never comes back. Once the
    # window closed the sweep drops both banks' answers (the dead lease protects no merge)
    # and the session is not due again until its consent ends.
    from brondata._collector import Collector

    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    real = Collector._computed

    async def crash(self: Collector, *args: Any, **kw: Any) -> Any:
        if "bank.noordbank" in gateway.sessions.get(session).sources:
            raise RuntimeError("process killed after the merge committed")
        return await real(self, *args, **kw)

    monkeypatch.setattr(Collector, "_computed", crash)
    with pytest.raises(ExceptionGroup):
        await add_bank_and_collect(gateway, sources, session, person)
    monkeypatch.setattr(Collector, "_computed", real)
    assert gateway.session(session).state is SessionState.COLLECTING
    sources.clock.advance(WINDOW + timedelta(days=1))
    assert gateway.sessions.due(sources.clock.now()) == [session]
    assert await gateway.expire_due() == []
    assert all("answers" not in o for o in opened(gateway, session).values())
    assert gateway.sessions.due(sources.clock.now()) == []
    # The consumer comes back: the collection resumes and finishes with the merged record.
    await gateway.collect(session)
    assert gateway.session(session).state is SessionState.COLLECTED
    assert gateway.result(session).delivered("bank.noordbank")


async def test_a_late_collection_cut_short_before_its_merge_fails_the_late_bank_typed(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brondata._collector import Collector

    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session).records["bank"].digest

    async def crash(self: Collector, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("process killed before the merge")

    monkeypatch.setattr(Collector, "_merge", crash)
    with pytest.raises(ExceptionGroup):
        await add_bank_and_collect(gateway, sources, session, person)
    monkeypatch.undo()
    sources.clock.advance(WINDOW)
    await gateway.expire_due()
    assert all("answers" not in o for o in opened(gateway, session).values())
    await gateway.collect(session)
    result = gateway.result(session)
    assert result.records["bank"].digest == first
    error = result.error("bank.noordbank")
    assert isinstance(error, SessionStateError)
    assert "not kept" in str(error)


async def test_a_merge_whose_answers_went_meanwhile_does_not_count_the_late_bank_delivered(
    gateway: Gateway, sources: MockSources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A late collection stalls past its lease while it merges (the store slow, the process
    # paused); the window closes and a sweep drops the answers meanwhile. The merge then no
    # longer lands (the outcome it replaces changed): the late bank is in no record, so it
    # fails with an error, never shows as collected.
    from brondata._collector import Collector

    person = sources.scenario("salary_elsewhere")
    session = await collected(gateway, sources, REQUEST, "salary_elsewhere", only=["bank.mockbank"])
    first = gateway.result(session).records["bank"].digest
    real = Collector._deliver

    async def stalled(self: Collector, session_id: str, *args: Any, **kw: Any) -> Any:
        if kw.get("replacing") is not None:
            sources.clock.advance(WINDOW + timedelta(minutes=1))  # the lease lapsed too
            await self.drop_answers(session_id)
        return await real(self, session_id, *args, **kw)

    monkeypatch.setattr(Collector, "_deliver", stalled)
    await add_bank_and_collect(gateway, sources, session, person)
    result = gateway.result(session)
    assert result.records["bank"].digest == first
    assert not result.delivered("bank.noordbank")
    progress = gateway.session(session).sources["bank.noordbank"]
    assert progress.state is SourceState.FAILED
    assert progress.error is not None
