"""What every source connector shares: the protocol, the OAuth 2.0 round trip, HTTP errors.

A connector does I/O and nothing else: it starts a login (authorization URL with PKCE S256
and ``state``), completes it (checks the callback's ``state`` and ``iss``, exchanges the code),
and fetches raw data with the token. It never maps or releases data; that is the mappings'
and the gateway's job. Every failure leaves as a ``ConnectorError`` or ``AuthorizationError``
subclass naming the source, so one bad source never takes the others down.

The OAuth client side is authlib's logic over the connector's one httpx2 client
(``brondata.connectors._oauth_source``); the checks authlib leaves to the caller (``iss``
per RFC 9207, exact redirect URI, constant-time ``state`` comparison) are made here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import httpx2

from brondata._canonical import canonical_json
from brondata.errors import (
    AuthorizationDeniedError,
    IssuerMismatchError,
    SourceProtocolError,
    SourceRateLimitedError,
    SourceRejectedError,
    SourceUnavailableError,
    StateMismatchError,
)

__all__ = [
    "Evidence",
    "Identity",
    "LoginStart",
    "OAuthEndpoints",
    "SourceConnector",
    "SourceResponse",
    "check_callback",
    "combined_digest",
    "evidence_of",
    "identity_conflict",
    "path_segment",
    "response_digest",
]


@dataclass(frozen=True, slots=True)
class LoginStart:
    """Where to send the consumer, and what to keep (sealed) until the callback."""

    authorization_url: str
    #: Secrets the gateway seals in the session store: ``state``, ``code_verifier``, and
    #: whatever the source needs later (the bank's consent id).
    pending: dict[str, str]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What proves a record's ``source_response_digest``: the salt, and per request made
    the SHA-256 of the body as received. Keep it beside the raw responses if you keep those;
    on its own it reveals nothing about the data."""

    salt: str  # base64url, 128 bits
    responses: tuple[tuple[str, str], ...]  # (request line, hex SHA-256 of the body)

    def digest(self) -> str:
        listing = [{"request": request, "sha-256": body} for request, body in self.responses]
        salt = base64.urlsafe_b64decode(self.salt + "=" * (-len(self.salt) % 4))
        return "sha-256:" + hashlib.sha256(salt + canonical_json(listing)).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "salt": self.salt,
            "responses": [{"request": r, "sha-256": h} for r, h in self.responses],
        }


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a source answered for, as far as its response shows: the SHA-256 of the citizen
    service number (government sources that learn it), the surname in the population
    register, the names of the bank accounts' holders. Compared across the sources of one
    collection (``identity_conflict``); never logged or delivered, and kept with a kind's
    outcome only as digests (salted with the session), so that a source added later is checked
    against who the earlier ones answered for. ``partner_digest``: the digest of the citizen
    service number of the fiscal partner the source names (a tax return, the register), which
    a partner's session (``Gateway.start_partner``) must answer for."""

    bsn_digest: str | None = None
    surname: str | None = None
    holders: tuple[str, ...] = ()
    partner_digest: str | None = None


def bsn_digest(bsn: str) -> str:
    """What an ``Identity`` keeps of a citizen service number: its SHA-256, hex."""
    return hashlib.sha256(bsn.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SourceResponse:
    """Raw data as the source returned it, with the digest that goes into provenance."""

    source: str
    raw: dict[str, Any]
    evidence: Evidence
    retrieved_at: datetime
    identity: Identity = field(default_factory=Identity)

    @property
    def digest(self) -> str:
        return self.evidence.digest()

    @property
    def requests(self) -> int:
        """How many HTTP requests the fetch took (for benchmarks and logs)."""
        return len(self.evidence.responses)


class SourceConnector(Protocol):
    """One source: login, token, fetch. Implementations take an injectable transport.

    Optionally a class attribute ``measures_source_time = True``: every request goes through
    a ``SourceClient``, so the gateway gives the source's timeout as source time (requests in
    flight) rather than as the wall time of the fetch.
    """

    @property
    def name(self) -> str: ...

    async def begin_login(
        self, *, attributes: Sequence[str], redirect_uri: str, valid_until: date
    ) -> LoginStart: ...

    async def complete_login(
        self, *, callback_url: str, pending: dict[str, str], redirect_uri: str
    ) -> dict[str, Any]:
        """Check the callback and exchange the code; returns the grant to seal and keep."""
        ...

    async def fetch(
        self, *, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> SourceResponse: ...

    async def revoke(self, *, grant: dict[str, Any]) -> None:
        """End the access ``grant`` gives (tokens, a source-side consent). Best effort: a
        source that cannot be reached raises a ``ConnectorError``; the caller decides."""
        ...

    async def aclose(self) -> None: ...


def evidence_of(exchanges: Sequence[tuple[str, bytes]], salt: bytes | None = None) -> Evidence:
    """The provenance of one fetch: per request the SHA-256 of the body bytes as received,
    in the order made, under a fresh 128-bit salt.

    The record's digest is ``sha-256:<hex>`` of the salt followed by the JCS list of
    ``{"request": "GET /path?query", "sha-256": <hex>}``. Hashing the bytes as received (not
    a re-serialisation) lets anyone holding the responses and the salt recompute it; the salt
    keeps a short, guessable answer (one age, one yes/no) from being found by trying every
    candidate against a digest that travels in every presentation and stays in the ledger.
    """
    listing = tuple((request, hashlib.sha256(body).hexdigest()) for request, body in exchanges)
    chosen = salt if salt is not None else secrets.token_bytes(16)
    return Evidence(salt=base64.urlsafe_b64encode(chosen).rstrip(b"=").decode(), responses=listing)


def combined_digest(digests: Mapping[str, str]) -> str:
    """The provenance digest of a record built from several instances of one kind (two
    banks): ``sha-256:<hex>`` of the JCS object ``{instance id: that instance's digest}``.
    Each part is salted already; one instance's record carries its own digest unchanged."""
    if len(digests) == 1:
        return next(iter(digests.values()))
    return "sha-256:" + hashlib.sha256(canonical_json(dict(digests))).hexdigest()


def response_digest(exchanges: Sequence[tuple[str, bytes]], salt: bytes) -> str:
    """The digest ``evidence_of(exchanges, salt)`` commits to (see there)."""
    return evidence_of(exchanges, salt).digest()


#: An OAuth error code in the form of the registered ones (RFC 6749 section 4.1.2.1,
#: ``access_denied``, ``temporarily_unavailable``): the only part of a refusal repeated.
_OAUTH_ERROR = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_callback(
    source: str, callback_url: str, *, state: str, issuer: str, redirect_uri: str
) -> str:
    """Validate a redirect back from ``source`` and return the authorization code.

    Order matters: a callback that is not ours (wrong URI or ``state``) is rejected before its
    ``error`` is believed, so a forged ``error=access_denied`` cannot end a session.
    """
    parts = urlsplit(callback_url)
    expected = urlsplit(redirect_uri)
    if (parts.scheme, parts.netloc, parts.path) != (
        expected.scheme,
        expected.netloc,
        expected.path,
    ):
        raise StateMismatchError(f"{source}: the callback did not arrive at the redirect URI")
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items() if v}
    got_state = query.get("state", "")
    if not got_state or not hmac.compare_digest(got_state.encode(), state.encode()):
        raise StateMismatchError(
            f"{source}: the callback's state is missing or is not the one this login sent"
        )
    got_issuer = query.get("iss")
    # RFC 9207: a server that advertises the parameter must send it; we require it always.
    if got_issuer != issuer:
        # The issuer it named is not repeated: it is whatever the redirect's author wrote.
        raise IssuerMismatchError(
            f"{source}: the callback names another issuer than {issuer!r} "
            "(a mix-up between sources?)"
        )
    if "error" in query:
        # Only an RFC 6749 error code is repeated; ``error_description`` is free text that may
        # name the consumer, and it ends up in the session and the lender's result.
        error = query["error"]
        reason = error if _OAUTH_ERROR.fullmatch(error) else "an unrecognised error"
        raise AuthorizationDeniedError(f"{source}: the consumer or the source refused: {reason}")
    code = query.get("code")
    if not code:
        raise AuthorizationDeniedError(f"{source}: the callback carries no authorization code")
    return code


@dataclass(frozen=True, slots=True)
class OAuthEndpoints:
    """A source's authorization server, from its RFC 8414 metadata."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None = None

    @classmethod
    def from_metadata(cls, source: str, metadata: Any, expected_issuer: str) -> OAuthEndpoints:
        if not isinstance(metadata, dict):
            raise SourceProtocolError(
                f"{source}: OAuth metadata is not a JSON object", source=source
            )
        try:
            endpoints = cls(
                issuer=str(metadata["issuer"]),
                authorization_endpoint=str(metadata["authorization_endpoint"]),
                token_endpoint=str(metadata["token_endpoint"]),
                revocation_endpoint=metadata.get("revocation_endpoint"),
            )
        except KeyError as exc:
            raise SourceProtocolError(
                f"{source}: OAuth metadata lacks {exc.args[0]}", source=source
            ) from None
        # RFC 8414 section 3.3: the metadata's issuer must be the one we asked.
        if endpoints.issuer.rstrip("/") != expected_issuer.rstrip("/"):
            raise IssuerMismatchError(
                f"{source}: metadata issuer {endpoints.issuer!r} is not {expected_issuer!r}"
            )
        if "S256" not in metadata.get("code_challenge_methods_supported", []):
            raise SourceProtocolError(
                f"{source}: the server does not support PKCE S256", source=source
            )
        return endpoints


def new_pkce_pair() -> tuple[str, str]:
    """A fresh ``state`` and PKCE ``code_verifier`` (RFC 7636: 43..128 unreserved chars)."""
    return secrets.token_urlsafe(32), secrets.token_urlsafe(48)


def path_segment(value: object, source: str) -> str:
    """A value the source handed out (an account's ``resourceId``, a parcel's
    ``identificatie``) as one segment of the next request's path: every character but the
    unreserved ones percent-encoded, so that a ``/``, ``?`` or ``#`` in it cannot lead the
    request (with its token) to another endpoint; an empty id, ``.`` or ``..`` (which a URL
    resolves as a step in the path) is the source's protocol error."""
    text = str(value)
    if text in ("", ".", ".."):
        raise SourceProtocolError(f"{source}: an id that cannot be a path segment", source=source)
    return quote(text, safe="")


def json_body(source: str, response: httpx2.Response) -> Any:
    """The response's JSON, or the typed error its status and body call for."""
    status = response.status_code
    if status == 429:
        raise SourceRateLimitedError(
            f"{source}: rate limited ({_error_codes(response) or 'HTTP 429'})", source=source
        )
    if status >= 500:
        raise SourceUnavailableError(f"{source}: HTTP {status} from the source", source=source)
    if status >= 400:
        raise SourceRejectedError(
            f"{source}: HTTP {status} {_error_codes(response)}".rstrip(), source=source
        )
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SourceProtocolError(
            f"{source}: the response is not valid JSON", source=source
        ) from None


def _error_codes(response: httpx2.Response) -> str:
    """The codes of a Berlin Group ``tppMessages`` or an RFC 6749 / Haal Centraal error body."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    messages = body.get("tppMessages")
    if isinstance(messages, list):
        return "; ".join(
            f"{m.get('code')}: {m.get('text')}" if m.get("text") else str(m.get("code"))
            for m in messages
            if isinstance(m, dict)
        )
    for key in ("error", "code", "title"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return ""


def _folded(name: str) -> str:
    """A name compared without case, accents or the Turkish dotless i."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ı", "i"))
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


def identity_conflict(identities: Mapping[str, Identity]) -> str | None:
    """Why the sources of one collection did not answer for one person, or ``None``.

    Sources that learnt a citizen service number must have learnt the same one; the
    population register's surname, when it was fetched, must appear in the name of at least
    one account holder at each bank. The reason names sources, never a person's value.
    """
    numbers = {s: i.bsn_digest for s, i in identities.items() if i.bsn_digest}
    if len(set(numbers.values())) > 1:
        return f"{', '.join(sorted(numbers))} answered for different citizen service numbers"
    surnames = {_folded(i.surname) for i in identities.values() if i.surname}
    if len(surnames) > 1:
        return "the register answered for different persons"
    if not surnames:
        return None
    surname = surnames.pop()
    for source, identity in sorted(identities.items()):
        if identity.holders and not any(surname in _folded(h) for h in identity.holders):
            return f"{source}: no account holder there is the person in the population register"
    return None
