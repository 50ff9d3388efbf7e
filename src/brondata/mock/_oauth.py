"""A reusable mock OAuth 2.0 authorization server with HTML login and approval pages.

Every mock source mounts one ``AuthorizationServer``: the bank with its own bank login, the
government mocks later with a shared DigiD-style login. The server speaks RFC 6749
(authorization code grant, refresh tokens), RFC 7636 (PKCE, S256 only), RFC 8414 (metadata),
RFC 9207 (``iss`` in the authorization response) and RFC 7009 (revocation), as strictly as a
careful real server would, so that the gateway's client code is tested against the rules and
not against a lenient toy.

What is source-specific is injected: who may log in (``Authenticator``, a password form on the
source's own page; or ``ExternalLogin``, a shared identity provider such as the mock DigiD that
the browser is sent to and that answers with a one-time artifact) and what a scope means
(``ScopePolicy``: is it acceptable, what does the approval page show, what happens on approve or
deny). What does not live here: the source's own API; it asks ``access_grant(token)``.

Every authorization is bound to the browser that started it: ``/authorize`` sets a random
browser cookie (HttpOnly, SameSite=Lax, Secure over https) and the pending authorization keeps
it, with a CSRF token the login and approval forms carry. A login post, the browser's return
from an external login, and the approval all need both, so a form posted from another site, or
another browser's authorization id, gets nowhere (login CSRF). Login failures re-render the
login page with status 401 and a message; after five failures the pending authorization is
dropped, and failures per account lock that account for a growing time (``LoginThrottle``),
however many authorizations the guesser starts. Pending authorizations, codes and tokens are
forgotten once expired. All state is in memory, in plain dicts: the server runs
on one event loop (in-process or uvicorn), and no handler awaits between reading and writing
the state it checks, so no locks are needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from brondata._clock import Clock
from brondata.mock._limits import LoginThrottle, lockout_message

__all__ = [
    "BROWSER_COOKIE",
    "AccessGrant",
    "ApprovalView",
    "Authenticator",
    "AuthorizationServer",
    "Branding",
    "ExternalLogin",
    "ScopePolicy",
]

_MAX_LOGIN_FAILURES = 5
BROWSER_COOKIE = "oauth_browser"
# RFC 7636 §4.1: 43..128 characters of the unreserved set; a S256 challenge is 43 of base64url.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
_HTML_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",  # the approval page must not be framed (clickjacking)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
_TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1


class Authenticator(Protocol):
    """Checks a login; returns the subject (a stable user id) or ``None``."""

    def authenticate(self, username: str, password: str) -> str | None: ...


class ExternalLogin(Protocol):
    """A login elsewhere (an identity provider the browser is sent to), as SAML's artifact
    binding has it: the provider sends the browser back with a one-time artifact, and the
    source resolves that artifact over a back channel to the subject."""

    def login_url(self, *, return_url: str, request_id: str) -> str:
        """Where to send the browser to log in; it comes back to ``return_url``."""
        ...

    def resolve(self, artifact: str, *, audience: str, request_id: str) -> str | None:
        """The subject behind an artifact issued for ``audience`` and ``request_id``, once;
        ``None`` for an unknown, reused, expired or misdirected artifact."""
        ...


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """What the approval page shows: a heading and the lines of what is asked."""

    heading: str
    lines: tuple[str, ...]


class ScopePolicy(Protocol):
    """What a scope means at this source."""

    def check(self, scope: str) -> str | None:
        """``None`` if the scope may be authorised now, else why not (sent as invalid_scope)."""
        ...

    def describe(self, scope: str, subject: str) -> ApprovalView:
        """The approval page for this subject; may list the subject's own accounts."""
        ...

    def approved(self, scope: str, subject: str, client_id: str) -> None:
        """The subject pressed Approve."""
        ...

    def denied(self, scope: str, subject: str) -> None:
        """The subject pressed Deny."""
        ...


@dataclass(frozen=True, slots=True)
class Branding:
    """The look of the login pages: the source's name and the login's name."""

    source_name: str
    login_name: str  # e.g. "Mockbank Internetbankieren", "DigiD"
    accent: str = "#1d4e89"


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What an access token stands for."""

    client_id: str
    subject: str
    scope: str
    expires_at: datetime


@dataclass(slots=True)
class _Pending:
    """An authorization request between the authorize call and the approve/deny decision."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    created_at: datetime
    browser: str
    csrf: str
    subject: str | None = None
    approval_token: str | None = None
    failures: int = 0


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    code_challenge: str
    expires_at: datetime
    family: str
    used: bool = False


@dataclass(slots=True)
class _Refresh:
    client_id: str
    subject: str
    scope: str
    expires_at: datetime
    family: str
    rotated: bool = False


@dataclass(slots=True)
class _Family:
    """The tokens descended from one authorization code, revoked together."""

    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    scope: str = ""


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query, keeping any query it already has."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


class AuthorizationServer:
    """The mock authorization server; mount ``routes()`` in the source's Starlette app."""

    def __init__(
        self,
        *,
        issuer: str,
        clients: Mapping[str, Sequence[str]],
        authenticator: Authenticator | None = None,
        scopes: ScopePolicy,
        clock: Clock,
        branding: Branding,
        scopes_supported: Sequence[str] = (),
        code_ttl_seconds: int = 60,
        token_ttl_seconds: int = 3600,
        refresh_ttl_seconds: int = 90 * 24 * 3600,
        login_ttl_seconds: int = 900,
        path_prefix: str = "/oauth",
        external_login: ExternalLogin | None = None,
    ) -> None:
        if (authenticator is None) == (external_login is None):
            raise ValueError("give exactly one of authenticator and external_login")
        self.issuer = issuer.rstrip("/")
        self._clients = {cid: tuple(uris) for cid, uris in clients.items()}
        self._authenticator = authenticator
        self._external = external_login
        self._scopes = scopes
        self._clock = clock
        self._branding = branding
        self._scopes_supported = tuple(scopes_supported)
        self._code_ttl = timedelta(seconds=code_ttl_seconds)
        self._token_ttl = timedelta(seconds=token_ttl_seconds)
        self._token_ttl_seconds = token_ttl_seconds
        self._refresh_ttl = timedelta(seconds=refresh_ttl_seconds)
        self._login_ttl = timedelta(seconds=login_ttl_seconds)
        self._prefix = path_prefix.rstrip("/")
        self._pending: dict[str, _Pending] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, tuple[AccessGrant, str]] = {}  # token -> (grant, family)
        self._refresh: dict[str, _Refresh] = {}
        self._families: dict[str, _Family] = {}
        self.throttle = LoginThrottle(clock)
        self._secure_cookie = urlsplit(self.issuer).scheme == "https"

    # --- what the resource server asks ------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization server metadata."""
        base = self.issuer + self._prefix
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "revocation_endpoint": f"{base}/revoke",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "authorization_response_iss_parameter_supported": True,
            "scopes_supported": list(self._scopes_supported),
        }

    def access_grant(self, token: str) -> AccessGrant | None:
        """The grant behind a bearer token, or ``None`` if unknown, revoked or expired."""
        found = self._access.get(token)
        if found is None:
            return None
        grant = found[0]
        if self._clock.now() >= grant.expires_at:
            del self._access[token]
            return None
        return grant

    def revoke_scope(self, scope: str) -> None:
        """Revoke every token for ``scope`` (the source withdrew what the scope stands for)."""
        for family_id, family in list(self._families.items()):
            if family.scope == scope:
                self._revoke_family(family_id)

    def routes(self) -> list[BaseRoute]:
        p = self._prefix
        routes: list[BaseRoute] = [
            Route("/.well-known/oauth-authorization-server", self._metadata, methods=["GET"]),
            Route(f"{p}/authorize", self._authorize, methods=["GET"]),
            Route(f"{p}/approve", self._approve, methods=["POST"]),
            Route(f"{p}/token", self._token, methods=["POST"]),
            Route(f"{p}/revoke", self._revoke, methods=["POST"]),
        ]
        if self._external is None:
            routes.append(Route(f"{p}/login", self._login, methods=["POST"]))
        else:
            routes.append(Route(f"{p}/login/return", self._login_return, methods=["GET"]))
        return routes

    # --- endpoints --------------------------------------------------------------------------

    async def _metadata(self, request: Request) -> Response:
        return JSONResponse(self.metadata())

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        client_id = params.get("client_id")
        redirect_uri = params.get("redirect_uri")
        # Until client and redirect URI are proven, an error must not redirect anywhere
        # (RFC 6749 §4.1.2.1): an open redirector would leak the user to an attacker.
        if not client_id or client_id not in self._clients:
            return self._error_page("Onbekende toepassing (client_id).", 400)
        if not redirect_uri or redirect_uri not in self._clients[client_id]:
            return self._error_page("Het redirect-adres is niet geregistreerd.", 400)
        if len(params.getlist("client_id")) > 1 or len(params.getlist("redirect_uri")) > 1:
            return self._error_page("Parameters mogen maar één keer voorkomen.", 400)
        state = params.get("state")

        def fail(error: str, description: str) -> Response:
            return self._redirect(
                redirect_uri, {"error": error, "error_description": description, "state": state}
            )

        for name, values in _repeated(params.multi_items()).items():
            if len(values) > 1:
                return fail("invalid_request", f"parameter {name} is repeated")
        if params.get("response_type") != "code":
            return fail("unsupported_response_type", "only response_type=code is supported")
        challenge = params.get("code_challenge")
        if not challenge or params.get("code_challenge_method") != "S256":
            return fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
        if not _CHALLENGE.fullmatch(challenge):
            return fail("invalid_request", "code_challenge is not a base64url SHA-256 digest")
        scope = params.get("scope", "")
        problem = self._scopes.check(scope)
        if problem is not None:
            return fail("invalid_scope", problem)
        authorization_id = secrets.token_urlsafe(24)
        self._expire()
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
        pending = _Pending(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            state=state,
            code_challenge=challenge,
            created_at=self._clock.now(),
            browser=browser,
            csrf=secrets.token_urlsafe(24),
        )
        self._pending[authorization_id] = pending
        response: Response
        if self._external is not None:
            location = self._external.login_url(
                return_url=f"{self.issuer}{self._prefix}/login/return",
                request_id=authorization_id,
            )
            response = RedirectResponse(location, status_code=303, headers=_HTML_HEADERS)
        else:
            response = self._login_page(authorization_id, pending, message=None, status=200)
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            httponly=True,
            samesite="lax",
            path=self._prefix or "/",
            secure=self._secure_cookie,
        )
        return response

    def _bound(self, request: Request, authorization_id: str, csrf: str | None) -> _Pending | None:
        """The live pending authorization, if this browser started it and (for a form) the
        form carries its CSRF token; else ``None``."""
        pending = self._live_pending(authorization_id)
        if pending is None:
            return None
        browser = request.cookies.get(BROWSER_COOKIE, "")
        if not hmac.compare_digest(pending.browser.encode(), browser.encode()):
            return None
        if csrf is not None and not hmac.compare_digest(pending.csrf.encode(), csrf.encode()):
            return None
        return pending

    async def _login(self, request: Request) -> Response:
        form = await request.form()
        authorization_id = str(form.get("authorization_id", ""))
        pending = self._bound(request, authorization_id, str(form.get("csrf", "")))
        if pending is None or self._authenticator is None:
            return self._error_page("Deze inlogpoging is verlopen of ongeldig. Begin opnieuw.", 400)
        username = str(form.get("username", ""))
        locked = self.throttle.locked_until(username)
        if locked is not None:
            # Refused before the password is even checked: a lock that a right guess lifts
            # would tell the guesser when it guessed right.
            return self._login_page(
                authorization_id, pending, message=lockout_message(locked), status=429
            )
        subject = self._authenticator.authenticate(username, str(form.get("password", "")))
        if subject is None:
            locked = self.throttle.failed(username)
            pending.failures += 1
            if pending.failures >= _MAX_LOGIN_FAILURES:
                del self._pending[authorization_id]
                return self._error_page("Te vaak een onjuist wachtwoord. Begin opnieuw.", 401)
            message = (
                lockout_message(locked)
                if locked is not None
                else "Onjuiste gebruikersnaam of wachtwoord."
            )
            return self._login_page(authorization_id, pending, message=message, status=401)
        self.throttle.succeeded(username)
        return self._logged_in(authorization_id, pending, subject)

    async def _login_return(self, request: Request) -> Response:
        """The browser is back from the external login with an artifact (SAML artifact binding:
        ``SAMLart``, and the request id as ``RelayState``)."""
        if self._external is None:  # the route exists only with an external login
            raise RuntimeError("no external login configured")
        params = request.query_params
        authorization_id = params.get("RelayState", "")
        pending = self._bound(request, authorization_id, None)
        if pending is None:
            return self._error_page("Deze inlogpoging is verlopen. Begin opnieuw.", 400)
        if pending.subject is not None:
            # One login per authorization request: a second artifact is a replay.
            del self._pending[authorization_id]
            return self._error_page("Deze inlogpoging is al gebruikt. Begin opnieuw.", 400)
        subject = self._external.resolve(
            params.get("SAMLart", ""), audience=self.issuer, request_id=authorization_id
        )
        if subject is None:
            del self._pending[authorization_id]
            return self._error_page(
                "Het inloggen kon niet worden bevestigd (ongeldig of verlopen). Begin opnieuw.",
                401,
            )
        return self._logged_in(authorization_id, pending, subject)

    def _logged_in(self, authorization_id: str, pending: _Pending, subject: str) -> Response:
        pending.subject = subject
        # A fresh secret only the logged-in browser has: the approve form must carry it, so
        # knowing the authorization id alone cannot approve on the subject's behalf.
        pending.approval_token = secrets.token_urlsafe(24)
        return self._approval_page(authorization_id, pending)

    async def _approve(self, request: Request) -> Response:
        form = await request.form()
        authorization_id = str(form.get("authorization_id", ""))
        pending = self._bound(request, authorization_id, str(form.get("csrf", "")))
        token = str(form.get("approval_token", ""))
        if (
            pending is None
            or pending.subject is None
            or pending.approval_token is None
            or not hmac.compare_digest(pending.approval_token.encode(), token.encode())
        ):
            return self._error_page("Deze aanvraag is verlopen of ongeldig. Begin opnieuw.", 400)
        del self._pending[authorization_id]  # one decision per authorization request
        decision = form.get("decision")
        if decision == "approve":
            self._scopes.approved(pending.scope, pending.subject, pending.client_id)
            code = secrets.token_urlsafe(32)
            self._codes[code] = _Code(
                client_id=pending.client_id,
                redirect_uri=pending.redirect_uri,
                scope=pending.scope,
                subject=pending.subject,
                code_challenge=pending.code_challenge,
                expires_at=self._clock.now() + self._code_ttl,
                family=secrets.token_urlsafe(16),
            )
            return self._redirect(pending.redirect_uri, {"code": code, "state": pending.state})
        self._scopes.denied(pending.scope, pending.subject)
        return self._redirect(
            pending.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "the user denied the request",
                "state": pending.state,
            },
        )

    async def _token(self, request: Request) -> Response:
        try:
            form = await self._token_form(request)
            client_id = form.get("client_id", "")
            if client_id not in self._clients:
                raise _OAuthError("invalid_client", "unknown client_id", 401)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = self._exchange_code(form, client_id)
            elif grant_type == "refresh_token":
                body = self._exchange_refresh(form, client_id)
            else:
                raise _OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")
        except _OAuthError as err:
            return JSONResponse(
                {"error": err.error, "error_description": err.description},
                status_code=err.status,
                headers=_TOKEN_HEADERS,
            )
        return JSONResponse(body, headers=_TOKEN_HEADERS)

    async def _revoke(self, request: Request) -> Response:
        try:
            form = await self._token_form(request)
        except _OAuthError as err:
            return JSONResponse(
                {"error": err.error, "error_description": err.description}, status_code=400
            )
        token = form.get("token", "")
        client_id = form.get("client_id", "")
        found = self._access.get(token)
        if found is not None and found[0].client_id == client_id:
            del self._access[token]
        refresh = self._refresh.get(token)
        if refresh is not None and refresh.client_id == client_id:
            self._revoke_family(refresh.family)  # RFC 7009 §2.1: and its access tokens
        # RFC 7009 §2.2: 200 whether or not the token was known.
        return Response(status_code=200, headers=_TOKEN_HEADERS)

    # --- token logic ------------------------------------------------------------------------

    async def _token_form(self, request: Request) -> dict[str, str]:
        if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/x-www-form-urlencoded"
        ):
            raise _OAuthError(
                "invalid_request", "the body must be application/x-www-form-urlencoded"
            )
        pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        out: dict[str, str] = {}
        for name, value in pairs:
            if name in out:  # RFC 6749 §3.2: parameters must not be repeated
                raise _OAuthError("invalid_request", f"parameter {name} is repeated")
            out[name] = value
        # A public client may still send HTTP Basic with an empty secret; take its id from there.
        basic = _basic_client_id(request.headers.get("authorization"))
        if basic is not None:
            if out.get("client_id", basic) != basic:
                raise _OAuthError("invalid_request", "client_id differs from the Basic credentials")
            out["client_id"] = basic
        return out

    def _exchange_code(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        code_value = form.get("code", "")
        code = self._codes.get(code_value)
        if code is None:
            raise _OAuthError("invalid_grant", "unknown authorization code")
        if code.used:
            # RFC 6749 §4.1.2: a second use suggests a stolen code; revoke what the first use got.
            self._revoke_family(code.family)
            raise _OAuthError("invalid_grant", "authorization code already used")
        if self._clock.now() >= code.expires_at:
            del self._codes[code_value]
            raise _OAuthError("invalid_grant", "authorization code expired")
        if code.client_id != client_id:
            raise _OAuthError("invalid_grant", "code was issued to another client")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _OAuthError("invalid_grant", "redirect_uri does not match the authorization")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(
            _s256(verifier).encode(), code.code_challenge.encode()
        ):
            raise _OAuthError("invalid_grant", "PKCE code_verifier does not match")
        code.used = True
        return self._issue(client_id, code.subject, code.scope, code.family)

    def _exchange_refresh(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        value = form.get("refresh_token", "")
        refresh = self._refresh.get(value)
        if refresh is None or refresh.client_id != client_id:
            raise _OAuthError("invalid_grant", "unknown refresh token")
        if refresh.rotated:
            # A rotated refresh token presented again: someone kept a copy. Revoke the lot.
            self._revoke_family(refresh.family)
            raise _OAuthError("invalid_grant", "refresh token already used")
        if self._clock.now() >= refresh.expires_at:
            raise _OAuthError("invalid_grant", "refresh token expired")
        requested = form.get("scope")
        if requested is not None and requested != refresh.scope:
            raise _OAuthError("invalid_scope", "a refresh may not change the scope")
        refresh.rotated = True
        return self._issue(client_id, refresh.subject, refresh.scope, refresh.family)

    def _issue(self, client_id: str, subject: str, scope: str, family_id: str) -> dict[str, Any]:
        now = self._clock.now()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        family = self._families.setdefault(family_id, _Family(scope=scope))
        grant = AccessGrant(client_id, subject, scope, now + self._token_ttl)
        self._access[access] = (grant, family_id)
        self._refresh[refresh] = _Refresh(
            client_id, subject, scope, now + self._refresh_ttl, family_id
        )
        family.access_tokens.add(access)
        family.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self._token_ttl_seconds,
            "refresh_token": refresh,
            "scope": scope,
        }

    def _revoke_family(self, family_id: str) -> None:
        family = self._families.get(family_id)
        if family is None:
            return
        for token in family.access_tokens:
            self._access.pop(token, None)
        for token in family.refresh_tokens:
            self._refresh.pop(token, None)
        family.access_tokens.clear()
        family.refresh_tokens.clear()

    def _live_pending(self, authorization_id: str) -> _Pending | None:
        pending = self._pending.get(authorization_id)
        if pending is None:
            return None
        if self._clock.now() - pending.created_at >= self._login_ttl:
            del self._pending[authorization_id]
            return None
        return pending

    def _expire(self) -> None:
        """Forget what has expired, so that abandoned logins cannot grow the state forever."""
        now = self._clock.now()
        for key in [k for k, p in self._pending.items() if now - p.created_at >= self._login_ttl]:
            del self._pending[key]
        for key in [k for k, c in self._codes.items() if now >= c.expires_at]:
            del self._codes[key]
        for key in [k for k, (g, _) in self._access.items() if now >= g.expires_at]:
            del self._access[key]
        for key in [k for k, r in self._refresh.items() if now >= r.expires_at]:
            del self._refresh[key]
        for family_id, family in list(self._families.items()):
            family.access_tokens &= self._access.keys()
            family.refresh_tokens &= self._refresh.keys()
            if not family.access_tokens and not family.refresh_tokens:
                del self._families[family_id]

    # --- pages ------------------------------------------------------------------------------

    def _redirect(self, redirect_uri: str, params: Mapping[str, str | None]) -> Response:
        # RFC 9207: every authorization response names its issuer, against mix-up attacks.
        location = _with_query(redirect_uri, {**params, "iss": self.issuer})
        return RedirectResponse(location, status_code=303, headers=_HTML_HEADERS)

    def _page(self, title: str, body: str, status: int) -> HTMLResponse:
        b = self._branding
        document = f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · {html.escape(b.source_name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f3f5f8; margin: 0; }}
header {{ background: {html.escape(b.accent)}; color: #fff; padding: 1rem 2rem; }}
main {{ max-width: 32rem; margin: 2rem auto; background: #fff; padding: 2rem;
        border-radius: .5rem; box-shadow: 0 1px 4px #0002; }}
label {{ display: block; margin-top: 1rem; }}
input {{ width: 100%; padding: .5rem; box-sizing: border-box; }}
button {{ margin-top: 1.5rem; margin-right: .5rem; padding: .6rem 1.2rem; }}
.error {{ color: #a00; }}
.mock {{ font-size: .8rem; color: #666; }}
</style>
</head>
<body>
<header><strong>{html.escape(b.source_name)}</strong> · {html.escape(b.login_name)}</header>
<main>
<h1>{html.escape(title)}</h1>
{body}
<p class="mock">Testomgeving van brondata: synthetische gegevens, geen echte personen.</p>
</main>
</body>
</html>
"""
        return HTMLResponse(document, status_code=status, headers=_HTML_HEADERS)

    def _error_page(self, message: str, status: int) -> HTMLResponse:
        return self._page(
            "Er ging iets mis", f'<p class="error">{html.escape(message)}</p>', status
        )

    def _login_page(
        self, authorization_id: str, pending: _Pending, *, message: str | None, status: int
    ) -> Response:
        error = f'<p class="error" role="alert">{html.escape(message)}</p>\n' if message else ""
        body = f"""{error}<form method="post" action="{self._prefix}/login">
<input type="hidden" name="authorization_id" value="{html.escape(authorization_id)}">
<input type="hidden" name="csrf" value="{html.escape(pending.csrf)}">
<label for="username">Gebruikersnaam</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Wachtwoord</label>
<input id="password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">Inloggen</button>
</form>"""
        return self._page(f"Inloggen met {self._branding.login_name}", body, status)

    def _approval_page(self, authorization_id: str, pending: _Pending) -> Response:
        if pending.subject is None or pending.approval_token is None:
            raise RuntimeError("approval page before a successful login")
        view = self._scopes.describe(pending.scope, pending.subject)
        items = "\n".join(f"<li>{html.escape(line)}</li>" for line in view.lines)
        redirect_host = urlsplit(pending.redirect_uri).netloc
        body = f"""<p>{html.escape(view.heading)}</p>
<ul>
{items}
</ul>
<p>Na uw keuze gaat u terug naar <strong>{html.escape(redirect_host)}</strong>.</p>
<form method="post" action="{self._prefix}/approve">
<input type="hidden" name="authorization_id" value="{html.escape(authorization_id)}">
<input type="hidden" name="approval_token" value="{html.escape(pending.approval_token)}">
<input type="hidden" name="csrf" value="{html.escape(pending.csrf)}">
<button type="submit" name="decision" value="approve">Toestaan</button>
<button type="submit" name="decision" value="deny">Weigeren</button>
</form>"""
        return self._page("Toestemming geven", body, 200)


def _repeated(items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in items:
        out.setdefault(name, []).append(value)
    return out


def _basic_client_id(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, _ = decoded.partition(":")
    return client_id or None
