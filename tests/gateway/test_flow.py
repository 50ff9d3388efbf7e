"""The whole consent flow against the in-process mock bank, and every way to misuse it.

Each bad-input test also checks that nothing was lost or half-written: the ledger holds
exactly the entries it held before (or the one entry the failure itself calls for), and the
session is unchanged.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx2
import pytest

from brondata import Gateway, SigningKey, flow, verify_record
from brondata._session_store import SqliteSessionStore
from brondata.connectors._base import response_digest
from brondata.consent import SqliteLedger, merkle_root
from brondata.errors import (
    AuthorizationDeniedError,
    ConsentDeniedError,
    IssuerMismatchError,
    NoSourceError,
    RequestError,
    SessionNotFoundError,
    SessionStateError,
    StateMismatchError,
    TokenExchangeError,
)
from brondata.session import SessionState, SourceState
from brondata.testing import FixedClock, MockSources

from .conftest import BANK, BANK_ATTRIBUTES, consented, events, login, request

pytestmark = pytest.mark.anyio


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


async def test_full_flow_delivers_exactly_the_requested_attributes(
    gateway: Gateway, sources: MockSources
) -> None:
    session = await gateway.start(request(), "applicant-1")
    view = gateway.consent_view(session.id)
    assert set(view.sources) == {"bank"}
    assert [row[0] for row in view.sources["bank"]] == sorted(BANK_ATTRIBUTES)
    await gateway.give_consent(session.id, notice_hash=view.notice_hash)
    url = await gateway.login_url(session.id, BANK)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]
    await gateway.callback(session.id, BANK, await login(sources, url))
    result = await gateway.collect(session.id)

    assert result.complete
    verified = verify_record(
        result.records["bank"].compact, gateway.jwks(), now=sources.clock.now()
    )
    assert set(verified.attributes) == set(BANK_ATTRIBUTES)
    person = sources.person(0)
    assert person.iban in {a["iban"] for a in verified.attributes["bank.accounts"]}
    assert verified.claims["source"] == "bank"
    assert verified.claims["consent_id"] == session.consent_id
    assert verified.claims["sub"] == session.subject
    assert verified.claims["sub"] != "applicant-1"
    assert verified.claims["source_response_digest"].startswith("sha-256:")
    assert events(gateway) == [
        "consent.requested",
        "consent.given",
        "login.completed",
        "data.retrieved",
        "data.delivered",
    ]
    delivered = json.loads(list(gateway.ledger.entries())[-1].canonical)
    assert delivered["record_digest"] == result.records["bank"].digest
    assert gateway.session(session.id).state is SessionState.COLLECTED


async def test_no_attribute_value_enters_the_ledger(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    url = await gateway.login_url(session_id, BANK)
    await gateway.callback(session_id, BANK, await login(sources, url))
    result = await gateway.collect(session_id)
    values = verify_record(result.records["bank"].compact, gateway.jwks(), now=sources.clock.now())
    ledger = b"".join(e.canonical for e in gateway.ledger.entries()).decode()
    person = sources.person(0)
    for secret in (person.iban, person.surname, values.attributes["bank.balance_total"]["amount"]):
        assert secret not in ledger


async def test_salary_matches_the_population(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway, ["bank.salary_monthly_average"])
    url = await gateway.login_url(session_id, BANK)
    await gateway.callback(session_id, BANK, await login(sources, url))
    result = await gateway.collect(session_id)
    got = verify_record(result.records["bank"].compact, gateway.jwks(), now=sources.clock.now())
    salary = float(got.attributes["bank.salary_monthly_average"]["amount"])
    assert salary == pytest.approx(float(sources.person(0).net_monthly_salary), rel=0.02)


async def test_attributes_no_configured_source_provides_are_refused_before_any_login(
    sources: MockSources,
) -> None:
    bank_only = {"bank": sources.connector(BANK)}
    async with Gateway.embedded(bank_only, clock=sources.clock) as gateway:
        with pytest.raises(NoSourceError, match=r"person\.birth_date"):
            await gateway.start(request(["bank.accounts", "person.birth_date"]), "applicant-1")
        assert gateway.ledger.size() == 0


@pytest.mark.parametrize("call", ["login", "collect", "callback"])
async def test_calls_out_of_order_change_nothing(gateway: Gateway, call: str) -> None:
    session = await gateway.start(request(), "applicant-1")
    before = gateway.ledger.size()
    calls = {
        "login": lambda: gateway.login_url(session.id, BANK),
        "collect": lambda: gateway.collect(session.id),
        "callback": lambda: gateway.callback(
            session.id, BANK, "https://lender.example/callback/bank?code=x"
        ),
    }
    with pytest.raises(SessionStateError) as caught:
        await calls[call]()
    assert caught.value.code == "invalid_transition"
    assert gateway.ledger.size() == before
    assert gateway.session(session.id) == session


async def test_callback_before_login_started_is_out_of_order(gateway: Gateway) -> None:
    session_id = await consented(gateway)
    with pytest.raises(SessionStateError):
        await gateway.callback(session_id, BANK, "https://lender.example/callback/bank?code=x")


async def test_consent_twice_and_collect_twice(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    size = gateway.ledger.size()
    assert (await gateway.give_consent(session_id)).state is SessionState.CONSENTED
    assert gateway.ledger.size() == size
    url = await gateway.login_url(session_id, BANK)
    await gateway.callback(session_id, BANK, await login(sources, url))
    first = await gateway.collect(session_id)
    size = gateway.ledger.size()
    again = await gateway.collect(session_id)
    assert again.records["bank"].compact == first.records["bank"].compact
    assert gateway.result(session_id).records["bank"].compact == first.records["bank"].compact
    assert gateway.ledger.size() == size


async def test_denied_consent_is_final(gateway: Gateway) -> None:
    session = await gateway.start(request(), "applicant-1")
    await gateway.deny_consent(session.id)
    assert events(gateway) == ["consent.requested", "consent.denied"]
    with pytest.raises(SessionStateError):
        await gateway.login_url(session.id, BANK)
    with pytest.raises(ConsentDeniedError):
        await gateway.collect(session.id)


async def test_notice_hash_binds_the_consent(gateway: Gateway) -> None:
    session = await gateway.start(request(), "applicant-1")
    with pytest.raises(ConsentDeniedError):
        await gateway.give_consent(session.id, notice_hash="sha-256:" + "0" * 64)
    assert events(gateway) == ["consent.requested"]


async def test_expired_consent_cannot_be_used(gateway: Gateway, sources: MockSources) -> None:
    session = await gateway.start(request(), "applicant-1")
    assert isinstance(sources.clock, FixedClock)
    sources.clock.advance(timedelta(hours=2))
    with pytest.raises(SessionStateError, match="expired"):
        await gateway.give_consent(session.id)


async def test_unknown_session(gateway: Gateway) -> None:
    with pytest.raises(SessionNotFoundError):
        await gateway.give_consent("no-such-session")


async def test_wrong_source_is_refused(gateway: Gateway) -> None:
    session_id = await consented(gateway)
    with pytest.raises(SessionStateError, match="does not need"):
        await gateway.login_url(session_id, "tax")


class _Snapshot:
    def __init__(self, gateway: Gateway, session_id: str) -> None:
        self.gateway, self.session_id = gateway, session_id
        self.size = gateway.ledger.size()
        self.root = gateway.ledger.root()
        self.session = gateway.session(session_id)

    def unchanged(self) -> bool:
        return (
            self.gateway.ledger.size() == self.size
            and self.gateway.ledger.root() == self.root
            # A callback claimed for its exchange and released again moves the version on.
            and self.gateway.session(self.session_id).model_dump(exclude={"version"})
            == self.session.model_dump(exclude={"version"})
        )


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        ({"state": "forged-state"}, StateMismatchError),
        ({"state": None}, StateMismatchError),
        ({"iss": "https://evil.example"}, IssuerMismatchError),
        ({"iss": None}, IssuerMismatchError),
        ({"code": "forged-code"}, TokenExchangeError),
    ],
)
async def test_bad_callbacks_leave_everything_intact(
    gateway: Gateway, sources: MockSources, tamper: dict[str, Any], error: type[Exception]
) -> None:
    session_id = await consented(gateway)
    url = await gateway.login_url(session_id, BANK)
    callback = await login(sources, url)
    snapshot = _Snapshot(gateway, session_id)
    with pytest.raises(error):
        await gateway.callback(session_id, BANK, with_query(callback, **tamper))
    assert snapshot.unchanged()
    # The genuine callback still completes the login afterwards.
    await gateway.callback(session_id, BANK, callback)
    assert gateway.session(session_id).sources[BANK].state is SourceState.AUTHORISED


async def test_callback_at_another_uri_is_refused(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK))
    snapshot = _Snapshot(gateway, session_id)
    with pytest.raises(StateMismatchError):
        await gateway.callback(session_id, BANK, callback.replace("/callback/bank", "/elsewhere"))
    assert snapshot.unchanged()


async def test_reused_code_is_refused(gateway: Gateway, sources: MockSources) -> None:
    first = await consented(gateway)
    callback = await login(sources, await gateway.login_url(first, BANK))
    await gateway.callback(first, BANK, callback)
    # A second session replays the first one's code with its own state: the bank refuses.
    second = await consented(gateway)
    url = await gateway.login_url(second, BANK)
    state = parse_qs(urlsplit(url).query)["state"][0]
    snapshot = _Snapshot(gateway, second)
    with pytest.raises(TokenExchangeError):
        await gateway.callback(second, BANK, with_query(callback, state=state))
    assert snapshot.unchanged()


async def test_wrong_pkce_verifier_is_refused(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    url = await gateway.login_url(session_id, BANK)
    callback = await login(sources, url)
    # Start the login again: a new verifier is sealed, the old code was bound to the old one.
    await gateway.login_url(session_id, BANK)
    new_state = gateway._box.open(  # test reaches in to forge a consistent state
        gateway.session(session_id).sources[BANK].sealed or "", f"{session_id}/{BANK}/pending"
    )["state"]
    snapshot = _Snapshot(gateway, session_id)
    with pytest.raises(TokenExchangeError):
        await gateway.callback(session_id, BANK, with_query(callback, state=new_state))
    assert snapshot.unchanged()


async def test_consumer_denies_at_the_bank(gateway: Gateway, sources: MockSources) -> None:
    session_id = await consented(gateway)
    callback = await login(sources, await gateway.login_url(session_id, BANK), approve=False)
    with pytest.raises(AuthorizationDeniedError):
        await gateway.callback(session_id, BANK, callback)
    assert events(gateway)[-1] == "data.failed"
    assert gateway.session(session_id).sources[BANK].state is SourceState.FAILED
    with pytest.raises(SessionStateError, match="no completed login"):
        await gateway.collect(session_id)


async def test_session_survives_a_new_gateway_on_the_same_store(
    sources: MockSources, tmp_path: Any
) -> None:
    db = tmp_path / "shared.db"
    common: dict[str, Any] = {
        "issuer": "https://lender.example",
        "redirect_uri": "https://lender.example/callback/{source}",
        "signing_key": SigningKey.generate(),
        "store_key": b"k" * 32,
        "pseudonym_key": b"p" * 32,
        "clock": sources.clock,
    }
    connectors = sources.connectors()
    first = Gateway(
        connectors=connectors,
        ledger=SqliteLedger(str(db)),
        sessions=SqliteSessionStore(db),
        **common,
    )
    session_id = await consented(first)
    url = await first.login_url(session_id, BANK)
    first.ledger.close()
    first.sessions.close()

    second = Gateway(
        connectors=connectors,
        ledger=SqliteLedger(str(db)),
        sessions=SqliteSessionStore(db),
        **common,
    )
    try:
        await second.callback(session_id, BANK, await login(sources, url))
        result = await second.collect(session_id)
        assert result.complete
        assert second.ledger.root() == merkle_root([e.canonical for e in second.ledger.entries()])
    finally:
        second.ledger.close()
        second.sessions.close()
        for connector in connectors.values():
            await connector.aclose()


class _Recorder(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, bytes]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        target = request.url.raw_path.decode()
        self.seen.append((f"{request.method} {target}", body))
        return httpx2.Response(response.status_code, headers=response.headers, content=body)


async def test_provenance_digest_is_over_the_bytes_the_bank_sent(sources: MockSources) -> None:
    recorder = _Recorder(sources.transport(BANK))
    connector = sources.connector(BANK, transport=recorder)
    async with Gateway.embedded({BANK: connector}, clock=sources.clock) as gateway:
        session_id = await consented(gateway)
        callback = await login(sources, await gateway.login_url(session_id, BANK))
        await gateway.callback(session_id, BANK, callback)
        result = await gateway.collect(session_id)
    claims = verify_record(
        result.records["bank"].compact, gateway.jwks(), now=sources.clock.now()
    ).claims
    api = [(r, b) for r, b in recorder.seen if r.startswith("GET /v1/accounts")]
    assert len(api) >= 3
    evidence = result.evidence[BANK]
    salt = base64.urlsafe_b64decode(evidence.salt + "=" * (-len(evidence.salt) % 4))
    assert len(salt) == 16
    assert claims["source_response_digest"] == response_digest(api, salt)
    # Without the salt the same bytes give another digest: a short answer cannot be guessed.
    assert claims["source_response_digest"] != response_digest(api, b"\0" * 16)


async def test_an_empty_subject_reference_is_a_request_error(gateway: Gateway) -> None:
    with pytest.raises(RequestError):
        await gateway.start(request(), "  ")
    assert gateway.ledger.size() == 0


async def test_a_short_lived_token_is_refreshed_before_use(sources: MockSources) -> None:
    # authlib counts a token living 60 s or less as expired at once: a 30 s token must be
    # refreshed (refresh_token grant) before the first API call, and collection still works.
    short = MockSources(seed=11, clock=sources.clock, app_options={BANK: {"token_ttl_seconds": 30}})
    grants: list[str] = []

    class _Watch(httpx2.AsyncBaseTransport):
        def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            if request.url.path == "/oauth/token":
                form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
                grants.append(form["grant_type"])
            return await self.inner.handle_async_request(request)

    connector = short.connector(BANK, transport=_Watch(short.transport(BANK)))
    async with Gateway.embedded({BANK: connector}, clock=short.clock) as gateway:
        session_id = await consented(gateway)
        await short.authorise(gateway, session_id, short.person(0))
        result = await gateway.collect(session_id)
    assert result.complete
    assert grants[0] == "authorization_code"
    assert "refresh_token" in grants[1:]


async def test_the_consent_text_in_english_and_dutch(gateway: Gateway) -> None:
    session = await gateway.start(request(), "applicant-1")
    view = gateway.consent_view(session.id)
    english = view.text()
    dutch = view.text("nl")
    assert "Voorbeeld Hypotheken B.V. asks" in english
    assert "Sum of the booked balances" in english
    assert "vraagt met uw toestemming" in dutch
    assert "Som van de geboekte saldi" in dutch
    for text in (english, dutch):
        assert view.notice_hash in text
        assert "30" in text  # retention days


async def test_a_callback_after_the_login_window_is_refused() -> None:
    clock = FixedClock()
    sources = MockSources(seed=1, clock=clock)
    async with Gateway.embedded(sources.connectors(), clock=clock) as gateway:
        session = await gateway.start(request(), "applicant")
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


async def test_the_notice_shown_hashed_and_recorded_is_the_sessions_own(
    gateway: Gateway,
) -> None:
    """Another instance (or a redeploy) with other settings shows, hashes and records the
    terms the session started with: the consent is bound to the text shown."""
    session = await gateway.start(request(), "applicant-1")
    now = gateway._notice
    gateway._notice = flow.NoticeSettings(
        controller=now.controller,
        controller_contact=now.controller_contact,
        storage_location="US",
        notice_language=now.notice_language,
        withdrawal_method=now.withdrawal_method,
    )
    view = gateway.consent_view(session.id)
    assert view.storage_location == "EU"
    assert view.notice_hash == session.notice_hash
    await gateway.give_consent(session.id, notice_hash=view.notice_hash)
    stored = gateway.session(session.id)
    assert flow.terms_of(stored, gateway._notice).notice_hash() == view.notice_hash
    entries = [json.loads(e.canonical) for e in gateway.ledger.entries()]
    [given] = [e for e in entries if e["event"] == "consent.given"]
    assert given["storage_location"] == "EU"
    assert given["notice_hash"] == view.notice_hash
