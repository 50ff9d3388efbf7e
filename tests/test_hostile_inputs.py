"""The public API answers hostile input with a ``BrondataError``, never anything else.

Hypothesis throws wrong types, lone surrogates, NUL bytes, over-long text, malformed URLs and
JSON, and JWKs with odd members at every public function and constructor, one argument at a
time (the others valid). A ``BrondataError`` (or a normal return) passes; any other
exception -- ``TypeError``, ``ValueError``, ``UnicodeEncodeError``, pydantic's or psycopg's
own -- fails the test. A ``DataRequest`` that validates is always accepted by the ledger.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brondata import (
    CATALOGUE,
    DataRequest,
    Gateway,
    KeySet,
    LegalBasis,
    Psd2Connector,
    Purpose,
    SignedRecord,
    SigningKey,
    verify_record,
)
from brondata.consent import (
    ConsentLog,
    Controller,
    LedgerEvent,
    LogSigner,
    LogVerifier,
    MemoryLedger,
    MemorySubjectKeyring,
    parse_entry,
    verify_checkpoint,
    verify_note,
)
from brondata.errors import BrondataError
from brondata.records import KeyBindingPolicy, issue_record, jwk_thumbprint
from brondata.testing import FixedClock, MockSources

# --- hostile values ---------------------------------------------------------------------------

_odd_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc"])),  # surrogates, NUL
    st.just("\ud800"),
    st.just("a\x00b"),
    st.just("x" * 100_000),
    st.just(""),
    st.just("   "),
    st.just("http://"),
    st.just("https://[::1"),
    st.just("https://lender.example:99999/{source}"),
    st.just("javascript:alert(1)"),
    st.just('{"keys": [}'),
    st.just("{}"),
    st.just("~~~"),
    st.just("a.b.c~"),
    st.just("eyJhbGciOiJFUzI1NiJ9.e30.AAAA~"),
)
_odd_jwk = st.fixed_dictionaries(
    {},
    optional={
        "kty": st.sampled_from(["EC", "OKP", "RSA", "oct", "", 1, None]),
        "crv": st.sampled_from(["P-256", "Ed25519", "X25519", "P-384", 7, None]),
        "x": st.one_of(st.just("AAAA"), st.text(max_size=5), st.integers()),
        "y": st.one_of(st.just("AAAA"), st.text(max_size=5), st.lists(st.integers())),
        "alg": st.sampled_from(["ES256", "EdDSA", "none", "HS256", 5]),
        "use": st.sampled_from(["sig", "enc", 0]),
        "kid": st.one_of(st.text(max_size=5), st.integers(), st.none()),
        "key_ops": st.one_of(st.just(["verify"]), st.just("verify"), st.integers()),
        "d": st.just("AAAA"),
    },
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
)
hostile: st.SearchStrategy[Any] = st.one_of(
    _scalars,
    _odd_text,
    _odd_jwk,
    st.lists(st.one_of(_scalars, _odd_text, _odd_jwk), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(_scalars, _odd_text), max_size=3),
)

# --- valid arguments the hostile one replaces ------------------------------------------------

KEY = SigningKey.generate()
HOLDER = SigningKey.generate("EdDSA")
CLAIMS = {"iss": "https://lender.example", "iat": 1_700_000_000, "exp": 1_900_000_000}
CLAIMS |= {"vct": "urn:brondata:bank:1"}
RECORD = issue_record(CLAIMS, {"bank.balance_total": 1}, KEY, holder_jwk=HOLDER.public_jwk())
JWKS = KeySet([KEY.public_jwk()])
PURPOSE = {"term": "dpv:CreditChecking", "text": "Assess a mortgage application"}
REQUEST = {
    "purpose": PURPOSE,
    "legal_basis": LegalBasis.CONTRACT,
    "attributes": ["bank.balance_total"],
    "retention_days": 30,
    "recipient": "Voorbeeld Hypotheken B.V.",
}
SIGNER = LogSigner.generate("lender.example/log")

# Each entry: a name, and a call taking the hostile value.
CALLS: dict[str, Callable[[Any], object]] = {
    **{f"DataRequest.{f}": (lambda v, f=f: DataRequest(**{**REQUEST, f: v})) for f in REQUEST},
    "DataRequest.model_validate": DataRequest.model_validate,
    "DataRequest.model_validate_json": DataRequest.model_validate_json,
    "Purpose.term": lambda v: Purpose(term=v, text="x"),
    "Purpose.text": lambda v: Purpose(term="dpv:CreditChecking", text=v),
    "CATALOGUE.require": lambda v: CATALOGUE.require(v),
    "KeySet": lambda v: KeySet(v),
    "KeySet.entry": lambda v: KeySet([v]),
    "KeySet.from_dict": KeySet.from_dict,
    "KeySet.from_dict.keys": lambda v: KeySet.from_dict({"keys": v}),
    "SigningKey.generate": SigningKey.generate,
    "SigningKey.from_jwk": SigningKey.from_jwk,
    "SigningKey.from_jwk.private": lambda v: (
        SigningKey.from_jwk({**v, "d": "AAAA"}) if isinstance(v, dict) else SigningKey.from_jwk(v)
    ),
    "SigningKey.from_pem": SigningKey.from_pem,
    "jwk_thumbprint": jwk_thumbprint,
    "SignedRecord.parse": SignedRecord.parse,
    "SignedRecord.present": lambda v: RECORD.present(v),
    "SignedRecord.present.aud": lambda v: RECORD.present(
        ["bank.balance_total"], holder_key=HOLDER, aud=v, nonce="n"
    ),
    "verify_record": lambda v: verify_record(v, JWKS),
    "verify_record.jwks": lambda v: verify_record(RECORD.compact, v),
    "verify_record.now": lambda v: verify_record(RECORD.compact, JWKS, now=v),
    "verify_record.key_binding": lambda v: verify_record(RECORD.compact, JWKS, key_binding=v),
    "KeyBindingPolicy": lambda v: verify_record(
        RECORD.compact, JWKS, key_binding=KeyBindingPolicy(aud=v, nonce=v)
    ),
    "issue_record.claims": lambda v: issue_record(v, {"a.b": 1}, KEY),
    "issue_record.attributes": lambda v: issue_record(CLAIMS, v, KEY),
    "issue_record.holder_jwk": lambda v: issue_record(CLAIMS, {"a.b": 1}, KEY, holder_jwk=v),
    "LogSigner.generate": LogSigner.generate,
    "LogSigner.from_skey": LogSigner.from_skey,
    "LogVerifier": LogVerifier,
    "verify_note": lambda v: verify_note(v, SIGNER.vkey()),
    "verify_checkpoint": lambda v: verify_checkpoint(v, SIGNER.vkey()),
    "verify_checkpoint.vkey": lambda v: verify_checkpoint("x", v),
    "parse_entry": lambda v: (
        parse_entry(v.encode("utf-8", "surrogatepass")) if isinstance(v, str) else parse_entry(v)
    ),
    "Controller.name": lambda v: Controller(name=v),
    "LedgerEvent.model_validate": LedgerEvent.model_validate,
    "Psd2Connector.base_url": lambda v: Psd2Connector(base_url=v, client_id="lender"),
    "Psd2Connector.client_id": lambda v: Psd2Connector(
        base_url="https://bank.example", client_id=v
    ),
    "LedgerEvent.purpose_text": lambda v: LedgerEvent(
        event="consent.withdrawn", at="2026-01-01T00:00:00Z", purpose_text=v
    ),
    "ConsentLog.append.subject": lambda v: ConsentLog(
        MemoryLedger(), MemorySubjectKeyring()
    ).append(
        "consent.withdrawn", subject=v, at="2026-01-01T00:00:00Z", session_id="s", consent_id="c"
    ),
    "ConsentLog.append.at": lambda v: ConsentLog(MemoryLedger(), MemorySubjectKeyring()).append(
        "consent.withdrawn", subject="sub-1", at=v, session_id="s", consent_id="c"
    ),
}


def _only_brondata_errors(call: Callable[[Any], object], value: Any) -> None:
    with contextlib.suppress(BrondataError):
        call(value)


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=hostile)
def test_public_functions_raise_only_brondata_errors(name: str, value: Any) -> None:
    _only_brondata_errors(CALLS[name], value)


# --- the gateway ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    sources = MockSources(seed=3, clock=FixedClock())
    gw = Gateway.embedded(sources.connectors(), clock=sources.clock)
    yield gw
    anyio.run(gw.aclose)


def _session(gateway: Gateway) -> str:
    async def start() -> str:
        return (await gateway.start(DataRequest(**REQUEST), "applicant")).id

    return anyio.run(start)


GATEWAY_CALLS: dict[str, Callable[[Gateway, str, Any], Any]] = {
    "start.subject": lambda g, s, v: g.start(DataRequest(**REQUEST), v),
    "start.request": lambda g, s, v: g.start(v, "applicant"),
    "start.holder_jwk": lambda g, s, v: g.start(DataRequest(**REQUEST), "a", holder_jwk=v),
    "session": lambda g, s, v: _sync(g.session, v),
    "consent_view": lambda g, s, v: _sync(g.consent_view, v),
    "give_consent": lambda g, s, v: g.give_consent(v),
    "give_consent.notice_hash": lambda g, s, v: g.give_consent(s, notice_hash=v),
    "deny_consent": lambda g, s, v: g.deny_consent(v),
    "login_url.source": lambda g, s, v: g.login_url(s, v),
    "callback.url": lambda g, s, v: g.callback(s, "bank", v),
    "collect": lambda g, s, v: g.collect(v),
    "withdraw": lambda g, s, v: g.withdraw(v),
    "renew": lambda g, s, v: g.renew(v),
    "pseudonym": lambda g, s, v: _sync(g.pseudonym, v),
    "subject_report": lambda g, s, v: _sync(g.subject_report, v),
    "erase_subject": lambda g, s, v: g.erase_subject(v),
    "consent_record": lambda g, s, v: _sync(g.consent_record, v),
    "redirect_uri": lambda g, s, v: _sync(g.redirect_uri, v),
}


async def _sync(function: Callable[[Any], object], value: Any) -> object:
    return function(value)


@pytest.mark.parametrize("name", sorted(GATEWAY_CALLS))
def test_gateway_methods_raise_only_brondata_errors(gateway: Gateway, name: str) -> None:
    session = _session(gateway)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value=hostile)
    def check(value: Any) -> None:
        async def call() -> None:
            await GATEWAY_CALLS[name](gateway, session, value)

        _only_brondata_errors(lambda _: anyio.run(call), None)

    check()


@settings(max_examples=40, deadline=None)
@given(value=hostile, which=st.sampled_from(["path", "keys", "issuer", "redirect_uri"]))
def test_gateway_embedded_raises_only_brondata_errors(
    tmp_path_factory: pytest.TempPathFactory, value: Any, which: str
) -> None:
    here = tmp_path_factory.mktemp("gw")

    async def build() -> None:
        arguments: dict[str, Any] = {"path": here / "gw.db", which: value}
        async with Gateway.embedded({}, **arguments):
            pass

    with contextlib.chdir(here):  # a relative path lands here, not in the project
        _only_brondata_errors(lambda _: anyio.run(build), None)


def test_gateway_embedded_in_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BrondataError):
        Gateway.embedded({}, path=tmp_path / "missing" / "gw.db")
    assert list(tmp_path.iterdir()) == []


# --- a request that validates is accepted by the ledger --------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.text(min_size=1), st.text(min_size=990, max_size=1100)),
    recipient=st.one_of(st.text(min_size=1), st.text(min_size=190, max_size=220)),
    term=st.from_regex(r"dpv:[A-Z][A-Za-z]{0,70}", fullmatch=True),
    days=st.integers(min_value=-5, max_value=40_000),
)
def test_a_request_that_validates_is_accepted_by_the_ledger(
    gateway: Gateway, text: str, recipient: str, term: str, days: int
) -> None:
    try:
        request = DataRequest(
            purpose={"term": term, "text": text},
            legal_basis=LegalBasis.CONTRACT,
            attributes=["bank.balance_total"],
            retention_days=days,
            recipient=recipient,
        )
    except BrondataError:
        return

    async def start() -> None:
        session = await gateway.start(request, "applicant")
        await gateway.give_consent(session.id)

    anyio.run(start)  # anything raised here fails: the ledger refused a valid request


def test_json_round_trip_of_a_request() -> None:
    request = DataRequest(**REQUEST)
    assert DataRequest.model_validate_json(json.dumps(request.model_dump(mode="json"))) == request
