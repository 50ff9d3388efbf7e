"""The mock bank: a Berlin Group NextGenPSD2 AIS 1.3.9 interface over the synthetic population.

``create_bank_app(population)`` returns a Starlette ASGI app with the consent resource
(``/v1/consents``), the account information endpoints (``/v1/accounts``, balances,
transactions with paging) and an OAuth 2.0 authorization server (the "OAuth SCA approach":
the consent's ``_links.scaOAuth`` points at the server metadata, and the PSU authorises the
consent by logging in and approving scope ``AIS:<consentId>``). One app is one bank
(``bank_id``, with its own name and colour on the login pages): a person who holds an account
there logs in with ``person.username`` / ``person.password`` and sees only the accounts held
there; a person without one is refused, as at a real bank.

The bank behaves like a strict real ASPSP: it validates headers (optional ones too) and bodies,
answers errors as ``tppMessages`` (a body over the cap or nested too deep included), limits
unattended access to ``frequencyPerDay`` per resource per day whatever ``PSU-IP-Address`` says,
lets a new recurring consent of the same PSU and TPP expire the old one, and caps
``validUntil`` at 180 days (PSD2 RTS art. 10a). Reading or deleting an authorised consent needs
the TPP's identification: a real ASPSP takes it from the eIDAS certificate; the mock, without
TLS, takes the access token it issued to that TPP for that consent. A consent never authorised
is forgotten after ``UNAUTHORISED_CONSENT_TTL``, a page cursor after ``CURSOR_TTL``.

It never reveals the population's transaction categories: the
gateway must recognise a salary the way it would at a real bank.

Days are counted in UTC by the injected clock. State is in memory, per app.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brondata._clock import Clock, SystemClock
from brondata.mock._limits import BodyLimit, read_json, route_errors
from brondata.mock._oauth import ApprovalView, AuthorizationServer, Branding
from brondata.mock.population import Account, Person, Population, Transaction

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_CLIENTS", "create_bank_app", "sample_requests"]

DEFAULT_BASE_URL = "https://bank.mock.brondata.test"
DEFAULT_CLIENTS: Mapping[str, Sequence[str]] = {
    "brondata-demo": ["https://lender.example/callback/bank"]
}

MAX_FREQUENCY_PER_DAY = 4  # without a bilateral agreement (BG implementation guidelines)
MAX_VALIDITY = timedelta(days=180)  # PSD2 RTS art. 10a
#: A consent the PSU never authorised is kept this long (the SCA window), then forgotten.
UNAUTHORISED_CONSENT_TTL = timedelta(hours=1)
CURSOR_TTL = timedelta(hours=1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ACCESS_LISTS = ("accounts", "balances", "transactions")
_ACCESS_ALL = ("availableAccounts", "availableAccountsWithBalance", "allPsd2")
_ALL_VALUES = ("allAccounts", "allAccountsWithOwnerName")
_CONSENT_FIELDS = frozenset(
    {"access", "recurringIndicator", "validUntil", "frequencyPerDay", "combinedServiceIndicator"}
)

ConsentStatus = Literal[
    "received", "rejected", "valid", "revokedByPsu", "expired", "terminatedByTpp"
]


class _TppError(Exception):
    """An error answered as a Berlin Group ``tppMessages`` body."""

    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.code = code
        self.text = text


def _format_error(text: str) -> _TppError:
    return _TppError(400, "FORMAT_ERROR", text)


@dataclass(slots=True)
class _Consent:
    consent_id: str
    access: dict[str, Any]
    recurring: bool
    valid_until: date
    frequency_per_day: int
    combined: bool
    status: ConsentStatus
    last_action: date
    created_at: datetime
    psu: str | None = None
    client_id: str | None = None
    # Resolved when the PSU approves: which of the PSU's IBANs each service covers.
    account_ibans: frozenset[str] = frozenset()
    balance_ibans: frozenset[str] = frozenset()
    transaction_ibans: frozenset[str] = frozenset()
    usage: dict[tuple[date, str], int] = field(default_factory=dict)
    delta_marks: dict[str, tuple[date, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Cursor:
    consent_id: str
    resource_id: str
    booked: tuple[Transaction, ...]
    offset: int
    query: str
    booking_status: str
    expires_at: datetime


class _Bank:
    """The ASPSP's state and handlers; one per app."""

    def __init__(
        self,
        population: Population,
        *,
        base_url: str,
        clients: Mapping[str, Sequence[str]],
        clock: Clock,
        page_size: int,
        code_ttl_seconds: int,
        token_ttl_seconds: int,
        bank_id: str,
        title: str,
        accent: str,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.population = population
        self.bank_id = bank_id
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.page_size = page_size
        self.consents: dict[str, _Consent] = {}
        self.cursors: dict[str, _Cursor] = {}
        self.oauth = AuthorizationServer(
            issuer=self.base_url,
            clients=clients,
            authenticator=self,
            scopes=self,
            clock=clock,
            branding=Branding(title, f"{title} Internetbankieren", accent),
            scopes_supported=["AIS:{consentId}"],
            code_ttl_seconds=code_ttl_seconds,
            token_ttl_seconds=token_ttl_seconds,
        )

    # --- Authenticator and ScopePolicy for the OAuth server ---------------------------------

    def authenticate(self, username: str, password: str) -> str | None:
        person = self.population.check_credentials(username, password)
        if person is None or not self.accounts_of(person):
            return None  # no customer of this bank
        return person.username

    def accounts_of(self, person: Person) -> list[Account]:
        """The person's accounts held at this bank."""
        return [a for a in person.accounts if a.bank == self.bank_id]

    def _consent_for_scope(self, scope: str) -> _Consent | None:
        kind, _, consent_id = scope.partition(":")
        return self.consents.get(consent_id) if kind == "AIS" else None

    def _scope_and_person(self, scope: str, subject: str) -> tuple[_Consent, Person]:
        consent = self._consent_for_scope(scope)
        person = self.population.by_username(subject)
        if consent is None or person is None:  # the OAuth server checked both already
            raise RuntimeError(f"no consent for {scope!r} or no person {subject!r}")
        return consent, person

    def check(self, scope: str) -> str | None:
        consent = self._consent_for_scope(scope)
        if consent is None:
            return "scope must be AIS:<consentId> of a consent created at this bank"
        if self._status(consent) != "received":
            return f"consent is {self._status(consent)}, not awaiting authorisation"
        return None

    def describe(self, scope: str, subject: str) -> ApprovalView:
        consent, person = self._scope_and_person(scope, subject)
        accounts, balances, transactions = self._resolve_access(consent.access, person)
        services = ["uw rekeningoverzicht"]
        if balances:
            services.append("saldi")
        if transactions:
            services.append("transacties (tot 12 maanden terug)")
        lines = [
            f"Gegevens: {', '.join(services)}",
            f"Geldig tot en met {consent.valid_until.isoformat()}",
            (
                f"Automatisch opvragen: maximaal {consent.frequency_per_day} keer per dag"
                if consent.recurring
                else "Eenmalige toegang"
            ),
        ]
        lines += [
            f"Rekening {a.iban} ({a.name})" for a in self.accounts_of(person) if a.iban in accounts
        ]
        return ApprovalView(
            heading=f"{person.full_name}, een partij vraagt toegang tot uw rekeninggegevens.",
            lines=tuple(lines),
        )

    def approved(self, scope: str, subject: str, client_id: str) -> None:
        consent, person = self._scope_and_person(scope, subject)
        accounts, balances, transactions = self._resolve_access(consent.access, person)
        consent.account_ibans, consent.balance_ibans = accounts, balances
        consent.transaction_ibans = transactions
        consent.psu, consent.client_id = subject, client_id
        consent.status = "valid"
        consent.last_action = self.today()
        if consent.recurring:
            # BG: a new recurring consent of the PSU at the same TPP replaces the old one.
            for other in self.consents.values():
                if (
                    other is not consent
                    and other.recurring
                    and other.psu == subject
                    and other.client_id == client_id
                    and self._status(other) == "valid"
                ):
                    other.status = "expired"
                    other.last_action = self.today()
                    self.oauth.revoke_scope(f"AIS:{other.consent_id}")

    def denied(self, scope: str, subject: str) -> None:
        consent = self._consent_for_scope(scope)
        if consent is not None:
            consent.status = "rejected"
            consent.last_action = self.today()

    # --- consent logic ----------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().date()

    def _status(self, consent: _Consent) -> ConsentStatus:
        if consent.status in ("received", "valid") and self.today() > consent.valid_until:
            consent.status = "expired"
            consent.last_action = consent.valid_until + timedelta(days=1)
        return consent.status

    def _resolve_access(
        self, access: Mapping[str, Any], person: Person
    ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """Which of the person's IBANs the consent covers for accounts, balances, transactions."""
        mine = frozenset(a.iban for a in self.accounts_of(person))
        if access.get("allPsd2"):
            return mine, mine, mine
        if access.get("availableAccountsWithBalance"):
            return mine, mine, frozenset()
        if access.get("availableAccounts"):
            return mine, frozenset(), frozenset()
        lists = {key: access.get(key) for key in _ACCESS_LISTS if key in access}
        # Empty arrays: a bank-offered consent, the PSU grants all accounts in the dialogue.
        if lists and all(v == [] for v in lists.values()):
            return mine, mine, mine
        named = {
            key: frozenset(ref["iban"] for ref in refs or ()) & mine for key, refs in lists.items()
        }
        balances = named.get("balances", frozenset())
        transactions = named.get("transactions", frozenset())
        return named.get("accounts", frozenset()) | balances | transactions, balances, transactions

    def create_consent(self, body: Any) -> _Consent:
        if not isinstance(body, dict):
            raise _format_error("the body must be a JSON object")
        missing = sorted(_CONSENT_FIELDS - body.keys())
        if missing:
            raise _format_error(f"missing required field(s): {', '.join(missing)}")
        unknown = sorted(body.keys() - _CONSENT_FIELDS)
        if unknown:
            raise _format_error(f"unknown field(s): {', '.join(unknown)}")
        access = _validate_access(body["access"])
        for name in ("recurringIndicator", "combinedServiceIndicator"):
            if not isinstance(body[name], bool):
                raise _format_error(f"{name} must be a boolean")
        frequency = body["frequencyPerDay"]
        if not isinstance(frequency, int) or isinstance(frequency, bool):
            raise _format_error("frequencyPerDay must be an integer")
        if not 1 <= frequency <= MAX_FREQUENCY_PER_DAY:
            raise _format_error(f"frequencyPerDay must be between 1 and {MAX_FREQUENCY_PER_DAY}")
        if not body["recurringIndicator"] and frequency != 1:
            raise _format_error(
                "a one-off consent (recurringIndicator false) has frequencyPerDay 1"
            )
        valid_until = _parse_date(body["validUntil"], "validUntil")
        self._expire()
        today = self.today()
        if valid_until < today:
            raise _format_error("validUntil lies in the past")
        consent = _Consent(
            consent_id=secrets.token_urlsafe(18),
            access=access,
            recurring=body["recurringIndicator"],
            valid_until=min(valid_until, today + MAX_VALIDITY),
            frequency_per_day=frequency,
            combined=body["combinedServiceIndicator"],
            status="received",
            last_action=today,
            created_at=self.clock.now(),
        )
        self.consents[consent.consent_id] = consent
        return consent

    def _expire(self) -> None:
        """Forget consents never authorised and cursors past their time: without this, anyone
        could grow the bank's memory by creating consents nobody authorises."""
        now = self.clock.now()
        for key in [
            k
            for k, c in self.consents.items()
            if c.psu is None and now - c.created_at >= UNAUTHORISED_CONSENT_TTL
        ]:
            del self.consents[key]
        for key in [k for k, c in self.cursors.items() if now >= c.expires_at]:
            del self.cursors[key]

    def identify_tpp(self, request: Request, consent: _Consent) -> None:
        """A consent the PSU authorised is read or deleted only by the TPP it was given to,
        identified (in place of the eIDAS certificate) by its access token for the consent."""
        if consent.psu is None:
            return  # nothing of the PSU's yet; the consent id itself is the capability
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        grant = self.oauth.access_grant(token.strip()) if scheme.lower() == "bearer" else None
        if (
            grant is None
            or grant.scope != f"AIS:{consent.consent_id}"
            or grant.client_id != consent.client_id
        ):
            raise _TppError(
                401, "CERTIFICATE_INVALID", "the TPP is not identified as this consent's TPP"
            )

    def consent(self, consent_id: str) -> _Consent:
        found = self.consents.get(consent_id)
        if found is None:
            raise _TppError(403, "CONSENT_UNKNOWN", "the consent is unknown to this bank")
        return found

    def consent_body(self, consent: _Consent) -> dict[str, Any]:
        access = consent.access
        if consent.status != "received" and not any(k in access for k in _ACCESS_ALL):
            # After authorisation the bank reports the accounts actually granted.
            access = {
                key: [{"iban": iban} for iban in sorted(ibans)]
                for key, ibans in (
                    ("accounts", consent.account_ibans),
                    ("balances", consent.balance_ibans),
                    ("transactions", consent.transaction_ibans),
                )
                if ibans
            } or access
        return {
            "access": access,
            "recurringIndicator": consent.recurring,
            "validUntil": consent.valid_until.isoformat(),
            "frequencyPerDay": consent.frequency_per_day,
            "lastActionDate": consent.last_action.isoformat(),
            "consentStatus": self._status(consent),
            "_links": {"account": {"href": f"{self.base_url}/v1/accounts"}},
        }

    def terminate(self, consent: _Consent) -> None:
        self._status(consent)
        if consent.status in ("received", "valid"):
            consent.status = "terminatedByTpp"
            consent.last_action = self.today()
        self.oauth.revoke_scope(f"AIS:{consent.consent_id}")

    # --- account access ---------------------------------------------------------------------

    def authorise(self, request: Request) -> tuple[_Consent, Person]:
        """The checks every AIS call passes, in the order a bank would make them."""
        consent_id = request.headers.get("consent-id")
        if not consent_id:
            raise _format_error("the Consent-ID header is required")
        consent = self.consent(consent_id)
        status = self._status(consent)
        if status == "expired":
            raise _TppError(401, "CONSENT_EXPIRED", "the consent has expired")
        if status != "valid":
            raise _TppError(401, "CONSENT_INVALID", f"the consent is {status}")
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        grant = self.oauth.access_grant(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            raise _TppError(401, "TOKEN_INVALID", "bearer token missing, unknown or expired")
        if grant.scope != f"AIS:{consent.consent_id}":
            raise _TppError(401, "CONSENT_INVALID", "the token was issued for another consent")
        person = self.population.by_username(consent.psu or "")
        if person is None:  # cannot happen for a valid consent; keep the 401 honest anyway
            raise _TppError(401, "CONSENT_INVALID", "the consent has no account holder")
        return consent, person

    def account(self, consent: _Consent, person: Person, resource_id: str) -> Account:
        for account in self.accounts_of(person):
            if account.resource_id == resource_id and account.iban in consent.account_ibans:
                return account
        raise _TppError(404, "RESOURCE_UNKNOWN", "no account with this id under this consent")

    def count_access(self, request: Request, consent: _Consent, resource: str) -> None:
        # Every read counts, PSU-IP-Address or not: the header is the TPP's own claim that the
        # PSU is present, and taking it at its word would lift the cap for anyone who sends it.
        key = (self.today(), resource)
        used = consent.usage.get(key, 0)
        if used >= consent.frequency_per_day:
            raise _TppError(
                429,
                "ACCESS_EXCEEDED",
                f"frequencyPerDay ({consent.frequency_per_day}) used up for today",
            )
        consent.usage[key] = used + 1

    def account_body(
        self, consent: _Consent, person: Person, account: Account, *, with_balance: bool
    ) -> dict[str, Any]:
        href = f"{self.base_url}/v1/accounts/{account.resource_id}"
        links: dict[str, Any] = {}
        if account.iban in consent.balance_ibans:
            links["balances"] = {"href": f"{href}/balances"}
        if account.iban in consent.transaction_ibans:
            links["transactions"] = {"href": f"{href}/transactions"}
        body: dict[str, Any] = {
            "resourceId": account.resource_id,
            "iban": account.iban,
            "currency": account.currency,
            "name": account.name,
            "product": account.product,
            "cashAccountType": account.cash_account_type,
            "status": "enabled",
            "bic": account.bic,
            "usage": "PRIV",
            "ownerName": account.owner_name,
            "_links": links,
        }
        if with_balance and account.iban in consent.balance_ibans:
            body["balances"] = self.balances(person, account)
        return body

    def balances(self, person: Person, account: Account) -> list[dict[str, Any]]:
        closing = person.closing_booked(account.iban)
        pending = sum((t.amount for t in person.pending_of(account.iban)), Decimal("0.00"))
        as_of = self.population.as_of
        return [
            {
                "balanceType": "closingBooked",
                "balanceAmount": _amount(closing, account.currency),
                "referenceDate": (as_of - timedelta(days=1)).isoformat(),
            },
            {
                "balanceType": "interimAvailable",
                "balanceAmount": _amount(closing + pending, account.currency),
                "referenceDate": as_of.isoformat(),
            },
        ]


# --- the HTTP layer -------------------------------------------------------------------------


def _amount(value: Decimal, currency: str) -> dict[str, str]:
    return {"currency": currency, "amount": f"{value:.2f}"}


def _parse_date(value: Any, name: str) -> date:
    # date.fromisoformat also takes "20261231" and week dates; the API speaks ISO "YYYY-MM-DD".
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _format_error(f"{name} must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _format_error(f"{name} is not a valid date") from None


def _validate_access(access: Any) -> dict[str, Any]:
    if not isinstance(access, dict) or not access:
        raise _format_error("access must be a non-empty object")
    known = set(_ACCESS_LISTS) | set(_ACCESS_ALL)
    unknown = sorted(access.keys() - known)
    if unknown:
        raise _format_error(f"access: unsupported field(s) {', '.join(unknown)}")
    alls = [key for key in _ACCESS_ALL if key in access]
    lists = [key for key in _ACCESS_LISTS if key in access]
    if len(alls) > 1 or (alls and lists):
        raise _format_error(f"access: {', '.join(alls + lists)} cannot be combined")
    for key in alls:
        if access[key] not in _ALL_VALUES:
            raise _format_error(f"access.{key} must be one of {', '.join(_ALL_VALUES)}")
    for key in lists:
        refs = access[key]
        if not isinstance(refs, list):
            raise _format_error(f"access.{key} must be an array of account references")
        for ref in refs:
            if not isinstance(ref, dict) or set(ref) - {"iban", "currency"} or "iban" not in ref:
                raise _format_error(f"access.{key}: only IBAN account references are supported")
            if not isinstance(ref["iban"], str) or not re.fullmatch(
                r"[A-Z]{2}[0-9]{2}[A-Za-z0-9]{1,30}", ref["iban"]
            ):
                raise _format_error(f"access.{key}: not an IBAN: {ref['iban']!r}")
    if lists and any(access[k] == [] for k in lists) and any(access[k] for k in lists):
        raise _format_error("access: empty and non-empty account arrays cannot be mixed")
    return dict(access)


def _request_id(request: Request) -> str:
    value = request.headers.get("x-request-id")
    if not value:
        raise _format_error("the X-Request-ID header is required")
    try:
        uuid.UUID(value)
    except ValueError:
        raise _format_error("X-Request-ID must be a UUID") from None
    _optional_headers(request)
    return value


def _optional_headers(request: Request) -> None:
    """Optional headers, when present, must be well formed (FORMAT_ERROR otherwise)."""
    headers = request.headers
    ip = headers.get("psu-ip-address")
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise _format_error("PSU-IP-Address is not an IP address") from None
    port = headers.get("psu-ip-port")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise _format_error("PSU-IP-Port is not a port number")
    for name in ("tpp-redirect-uri", "tpp-nok-redirect-uri"):
        uri = headers.get(name)
        if uri is not None:
            parts = urlsplit(uri)
            if parts.scheme not in ("https", "http") or not parts.netloc or " " in uri:
                raise _format_error(f"{name} is not an absolute http(s) URI")
    preferred = headers.get("tpp-redirect-preferred")
    if preferred is not None and preferred not in ("true", "false"):
        raise _format_error("TPP-Redirect-Preferred must be true or false")


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() in ("", "true", "1")


class _EchoRequestId:
    """ASGI middleware: every response carries the request's X-Request-ID (BG requirement)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = next((v for k, v in scope["headers"] if k.lower() == b"x-request-id"), None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start" and request_id is not None:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id)]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _too_large(request: Request) -> Response:
    return JSONResponse(
        {
            "tppMessages": [
                {"category": "ERROR", "code": "FORMAT_ERROR", "text": "the body is too large"}
            ]
        },
        status_code=413,
    )


def _unknown(request: Request, status: int) -> Response:
    if status == 405:
        code, text = "SERVICE_INVALID", "the addressed service does not take this method"
    else:
        code, text = "RESOURCE_UNKNOWN", "the addressed resource is unknown"
    return JSONResponse(
        {"tppMessages": [{"category": "ERROR", "code": code, "text": text}]}, status_code=status
    )


def _handler(
    fn: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except _TppError as err:
            return JSONResponse(
                {"tppMessages": [{"category": "ERROR", "code": err.code, "text": err.text}]},
                status_code=err.status,
            )

    return wrapped


def _routes(bank: _Bank) -> list[BaseRoute]:
    base = bank.base_url

    async def post_consent(request: Request) -> Response:
        _request_id(request)
        try:
            body = await read_json(request)
        except ValueError:
            raise _format_error("the body is not valid JSON or nests too deep") from None
        consent = bank.create_consent(body)
        self_href = f"{base}/v1/consents/{consent.consent_id}"
        return JSONResponse(
            {
                "consentStatus": consent.status,
                "consentId": consent.consent_id,
                "_links": {
                    "scaOAuth": {"href": f"{base}/.well-known/oauth-authorization-server"},
                    "self": {"href": self_href},
                    "status": {"href": f"{self_href}/status"},
                },
            },
            status_code=201,
            headers={"ASPSP-SCA-Approach": "REDIRECT", "Location": self_href},
        )

    async def get_consent(request: Request) -> Response:
        _request_id(request)
        consent = bank.consent(request.path_params["consent_id"])
        bank.identify_tpp(request, consent)
        return JSONResponse(bank.consent_body(consent))

    async def get_consent_status(request: Request) -> Response:
        _request_id(request)
        consent = bank.consent(request.path_params["consent_id"])
        return JSONResponse({"consentStatus": bank.consent_body(consent)["consentStatus"]})

    async def delete_consent(request: Request) -> Response:
        _request_id(request)
        consent = bank.consent(request.path_params["consent_id"])
        bank.identify_tpp(request, consent)
        bank.terminate(consent)
        return Response(status_code=204)

    async def get_accounts(request: Request) -> Response:
        _request_id(request)
        consent, person = bank.authorise(request)
        bank.count_access(request, consent, "accounts")
        with_balance = _flag(request.query_params.get("withBalance"))
        accounts = [
            bank.account_body(consent, person, a, with_balance=with_balance)
            for a in bank.accounts_of(person)
            if a.iban in consent.account_ibans
        ]
        return JSONResponse({"accounts": accounts})

    async def get_account(request: Request) -> Response:
        _request_id(request)
        consent, person = bank.authorise(request)
        account = bank.account(consent, person, request.path_params["resource_id"])
        bank.count_access(request, consent, f"account:{account.resource_id}")
        with_balance = _flag(request.query_params.get("withBalance"))
        return JSONResponse(
            {"account": bank.account_body(consent, person, account, with_balance=with_balance)}
        )

    async def get_balances(request: Request) -> Response:
        _request_id(request)
        consent, person = bank.authorise(request)
        account = bank.account(consent, person, request.path_params["resource_id"])
        if account.iban not in consent.balance_ibans:
            raise _TppError(401, "CONSENT_INVALID", "the consent does not cover balances")
        bank.count_access(request, consent, f"balances:{account.resource_id}")
        return JSONResponse(
            {"account": {"iban": account.iban}, "balances": bank.balances(person, account)}
        )

    async def get_transactions(request: Request) -> Response:
        _request_id(request)
        consent, person = bank.authorise(request)
        account = bank.account(consent, person, request.path_params["resource_id"])
        if account.iban not in consent.transaction_ibans:
            raise _TppError(401, "CONSENT_INVALID", "the consent does not cover transactions")
        params = request.query_params
        cursor_id = params.get("page")
        href = f"{base}/v1/accounts/{account.resource_id}"
        pending: list[Transaction] = []
        if cursor_id is not None:
            cursor = bank.cursors.get(cursor_id)
            if (
                cursor is None
                or cursor.consent_id != consent.consent_id
                or cursor.resource_id != account.resource_id
            ):
                raise _format_error("unknown page cursor")
            booked, offset, query = cursor.booked, cursor.offset, cursor.query
            booking_status = cursor.booking_status
            with_balance = False
        else:
            requested = params.get("bookingStatus")
            if requested not in ("booked", "pending", "both"):
                if requested in ("information", "all"):
                    raise _TppError(400, "PARAMETER_NOT_SUPPORTED", f"bookingStatus {requested}")
                raise _format_error("bookingStatus must be booked, pending or both")
            booking_status = requested
            selected = _select_booked(bank, consent, person, account, params)
            # Newest first, as most banks list them.
            booked = tuple(
                sorted(selected, key=lambda t: (t.booking_date, t.transaction_id), reverse=True)
            )
            if booking_status == "pending":
                booked = ()
            if booking_status != "booked":
                pending = person.pending_of(account.iban)
            bank.count_access(request, consent, f"transactions:{account.resource_id}")
            offset = 0
            query = urlencode(
                [(k, v) for k, v in params.multi_items() if k not in ("page", "withBalance")]
            )
            with_balance = _flag(params.get("withBalance"))
        page = booked[offset : offset + bank.page_size]
        links: dict[str, Any] = {"account": {"href": href}}
        if offset + bank.page_size < len(booked):
            next_id = secrets.token_urlsafe(18)
            bank.cursors[next_id] = _Cursor(
                consent.consent_id,
                account.resource_id,
                booked,
                offset + bank.page_size,
                query,
                booking_status,
                bank.clock.now() + CURSOR_TTL,
            )
            links["next"] = {"href": f"{href}/transactions?{query}&page={next_id}"}
        # BG: "booked" only for booked/both, "pending" only for pending/both.
        report: dict[str, Any] = {}
        if booking_status != "pending":
            report["booked"] = [_transaction(t) for t in page]
        if booking_status != "booked":
            report["pending"] = [_transaction(t, pending=True) for t in pending]
        report["_links"] = links
        body: dict[str, Any] = {"account": {"iban": account.iban}, "transactions": report}
        if with_balance and account.iban in consent.balance_ibans:
            body["balances"] = bank.balances(person, account)
        return JSONResponse(body)

    return [
        Route("/v1/consents", _handler(post_consent), methods=["POST"]),
        Route("/v1/consents/{consent_id}", _handler(get_consent), methods=["GET"]),
        Route("/v1/consents/{consent_id}", _handler(delete_consent), methods=["DELETE"]),
        Route("/v1/consents/{consent_id}/status", _handler(get_consent_status), methods=["GET"]),
        Route("/v1/accounts", _handler(get_accounts), methods=["GET"]),
        Route("/v1/accounts/{resource_id}", _handler(get_account), methods=["GET"]),
        Route("/v1/accounts/{resource_id}/balances", _handler(get_balances), methods=["GET"]),
        Route(
            "/v1/accounts/{resource_id}/transactions", _handler(get_transactions), methods=["GET"]
        ),
        *bank.oauth.routes(),
    ]


def _select_booked(
    bank: _Bank, consent: _Consent, person: Person, account: Account, params: Any
) -> list[Transaction]:
    history = person.transactions_of(account.iban)
    entry_from = params.get("entryReferenceFrom")
    if _flag(params.get("deltaList")):
        # Only what this consent has not been sent through a delta call before.
        mark = consent.delta_marks.get(account.resource_id)
        chosen = [t for t in history if mark is None or (t.booking_date, t.transaction_id) > mark]
        if history:
            last = max(history, key=lambda t: (t.booking_date, t.transaction_id))
            consent.delta_marks[account.resource_id] = (last.booking_date, last.transaction_id)
        return chosen
    if entry_from is not None:
        ids = [t.transaction_id for t in history]
        if entry_from not in ids:
            raise _format_error("entryReferenceFrom names no transaction of this account")
        return history[ids.index(entry_from) + 1 :]
    date_from_raw = params.get("dateFrom")
    if date_from_raw is None:
        raise _format_error("dateFrom is required unless deltaList or entryReferenceFrom is used")
    date_from = _parse_date(date_from_raw, "dateFrom")
    date_to_raw = params.get("dateTo")
    date_to = _parse_date(date_to_raw, "dateTo") if date_to_raw is not None else bank.today()
    if date_from > date_to:
        raise _format_error("dateFrom lies after dateTo")
    return [t for t in history if date_from <= t.booking_date <= date_to]


def _transaction(t: Transaction, *, pending: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"transactionId": t.transaction_id}
    if not pending:
        out["bookingDate"] = t.booking_date.isoformat()
    out["valueDate"] = t.value_date.isoformat()
    out["transactionAmount"] = _amount(t.amount, t.currency)
    side = "creditor" if t.amount < 0 else "debtor"
    out[f"{side}Name"] = t.counterparty_name[:70]
    if t.counterparty_iban is not None:
        out[f"{side}Account"] = {"iban": t.counterparty_iban}
    out["remittanceInformationUnstructured"] = t.remittance
    out["bankTransactionCode"] = t.bank_transaction_code
    return out


def create_bank_app(
    population: Population,
    *,
    base_url: str = DEFAULT_BASE_URL,
    clients: Mapping[str, Sequence[str]] | None = None,
    clock: Clock | None = None,
    page_size: int = 50,
    code_ttl_seconds: int = 60,
    token_ttl_seconds: int = 3600,
    bank_id: str = "mockbank",
    title: str = "Mockbank",
    accent: str = "#e8590c",
) -> Starlette:
    """The mock bank ``bank_id`` as an ASGI app; ``base_url`` is where it is reached (the
    OAuth issuer); ``title`` and ``accent`` are its name and colour on the login pages."""
    bank = _Bank(
        population,
        base_url=base_url,
        clients=DEFAULT_CLIENTS if clients is None else clients,
        clock=SystemClock() if clock is None else clock,
        page_size=page_size,
        code_ttl_seconds=code_ttl_seconds,
        token_ttl_seconds=token_ttl_seconds,
        bank_id=bank_id,
        title=title,
        accent=accent,
    )
    app = Starlette(routes=_routes(bank), exception_handlers=route_errors(_unknown))
    app.add_middleware(BodyLimit, too_large=_too_large)
    app.add_middleware(_EchoRequestId)
    app.state.bank = bank
    return app


def sample_requests(
    person: Person, bank_id: str = "mockbank", **branding: str
) -> list[tuple[str, str, dict[str, Any] | None]]:
    """The account-information requests a connector makes for ``person`` at ``bank_id`` once
    its consent is authorised: (method, path, JSON body). Berlin Group also needs the
    ``X-Request-ID`` and ``Consent-ID`` headers, which a caller adds. ``branding`` (the
    bank's title and colour, its other app options) changes nothing here."""
    dated = min((t.booking_date for t in person.transactions), default=person.birth_date)
    out: list[tuple[str, str, dict[str, Any] | None]] = [("GET", "/v1/accounts", None)]
    for account in (a for a in person.accounts if a.bank == bank_id):
        base = f"/v1/accounts/{account.resource_id}"
        out.append(("GET", f"{base}/balances", None))
        out.append(
            ("GET", f"{base}/transactions?bookingStatus=booked&dateFrom={dated.isoformat()}", None)
        )
    return out
