"""The mock DigiD: one login for every government source, with single sign-on.

``DigidIdP(population)`` is the identity provider; ``create_digid_app(idp)`` serves its pages.
A government source does not ask for a password itself. Its ``/oauth/authorize`` sends the
browser (303) to ``/login?return_url=…&request_id=…`` here; DigiD shows a username/password
form, and on success sets an SSO session cookie and sends the browser back to the source with a
one-time artifact (``?SAMLart=…&RelayState=<request_id>``). The source resolves the artifact
through the same ``DigidIdP`` object to the person's BSN: the SAML artifact-resolution back
channel, modelled as a method call because all mock apps run in one process.

At the second source in the same browser DigiD sees its session cookie and sends the browser
straight back, as the real DigiD's single sign-on does; a session ends after 15 minutes idle
by the injected clock. An artifact is valid once, for 60 seconds, for the source and request
it was issued to. Only registered sources may be return targets, so the login page is no open
redirector. A login attempt belongs to the browser that opened the form (a browser cookie plus
the form's CSRF token, both checked on the post): a form posted from another site, or with
another browser's attempt, cannot plant the poster's SSO session in the victim's browser.
Failed logins lock the account for a growing time (``LoginThrottle``); sessions, attempts and
artifacts are forgotten once expired.

``DigidSource`` is the part every government mock shares: its OAuth authorization server
logging in through DigiD, the bearer check that maps a token to the person, and
``GET /oauth/userinfo``. The source's own API lives in its own module.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from brondata._clock import Clock, SystemClock
from brondata.mock._limits import BodyLimit, LoginThrottle, lockout_message, route_errors
from brondata.mock._oauth import ApprovalView, AuthorizationServer, Branding
from brondata.mock.population import Person, Population

__all__ = [
    "BROWSER_COOKIE",
    "DEFAULT_BASE_URL",
    "SESSION_COOKIE",
    "DigidIdP",
    "DigidSource",
    "create_digid_app",
    "json_error",
    "json_too_large",
    "json_unauthorized",
    "json_unknown",
]

DEFAULT_BASE_URL = "https://digid.mock.brondata.test"
SESSION_COOKIE = "digid_session"
BROWSER_COOKIE = "digid_browser"
SESSION_IDLE = timedelta(minutes=15)
ARTIFACT_TTL = timedelta(seconds=60)
_MAX_LOGIN_FAILURES = 5
_HTML_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@dataclass(slots=True)
class _Session:
    bsn: str
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class _Artifact:
    bsn: str
    audience: str
    request_id: str
    expires_at: datetime


@dataclass(slots=True)
class _LoginAttempt:
    return_url: str
    request_id: str
    created_at: datetime
    browser: str
    csrf: str
    failures: int = 0


class DigidIdP:
    """The identity provider's state: registered sources, SSO sessions, pending artifacts.

    It implements ``brondata.mock._oauth.ExternalLogin`` for the sources' OAuth servers.
    """

    def __init__(
        self,
        population: Population,
        base_url: str = DEFAULT_BASE_URL,
        clock: Clock | None = None,
    ) -> None:
        self.population = population
        self.base_url = base_url.rstrip("/")
        self.clock: Clock = SystemClock() if clock is None else clock
        self._services: dict[str, str] = {}  # return URL -> the source's issuer (audience)
        self._sessions: dict[str, _Session] = {}
        self._artifacts: dict[str, _Artifact] = {}
        self._attempts: dict[str, _LoginAttempt] = {}
        self.throttle = LoginThrottle(self.clock)

    def __repr__(self) -> str:
        return f"DigidIdP(base_url={self.base_url!r})"

    @property
    def secure_cookie(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def register(self, issuer: str, return_url: str) -> None:
        """Accept ``return_url`` as a place to send the browser back to, for ``issuer``."""
        self._services[return_url] = issuer.rstrip("/")

    # --- ExternalLogin --------------------------------------------------------------------

    def login_url(self, *, return_url: str, request_id: str) -> str:
        query = urlencode({"return_url": return_url, "request_id": request_id})
        return f"{self.base_url}/login?{query}"

    def resolve(self, artifact: str, *, audience: str, request_id: str) -> str | None:
        found = self._artifacts.pop(artifact, None)  # one resolution, whatever its outcome
        if found is None or self.clock.now() >= found.expires_at:
            return None
        if found.audience != audience.rstrip("/") or not hmac.compare_digest(
            found.request_id.encode(), request_id.encode()
        ):
            return None
        return found.bsn

    # --- sessions and artifacts -------------------------------------------------------------

    def session_bsn(self, token: str | None) -> str | None:
        """The BSN of a live SSO session, touching it; ``None`` if absent or idle too long."""
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        now = self.clock.now()
        if now - session.last_seen >= SESSION_IDLE:
            del self._sessions[token]
            return None
        session.last_seen = now
        return session.bsn

    def start_session(self, bsn: str) -> str:
        now = self.clock.now()
        for key in [k for k, v in self._sessions.items() if now - v.last_seen >= SESSION_IDLE]:
            del self._sessions[key]
        token = secrets.token_urlsafe(32)
        self._sessions[token] = _Session(bsn, self.clock.now())
        return token

    def end_session(self, token: str | None) -> None:
        if token:
            self._sessions.pop(token, None)

    def issue_artifact(self, bsn: str, return_url: str, request_id: str) -> str:
        now = self.clock.now()
        for key in [k for k, a in self._artifacts.items() if now >= a.expires_at]:
            del self._artifacts[key]
        artifact = secrets.token_urlsafe(32)
        self._artifacts[artifact] = _Artifact(
            bsn, self._services[return_url], request_id, now + ARTIFACT_TTL
        )
        return artifact

    def audience_of(self, return_url: str) -> str | None:
        return self._services.get(return_url)

    def new_attempt(
        self, return_url: str, request_id: str, browser: str
    ) -> tuple[str, _LoginAttempt]:
        now = self.clock.now()
        for key in [k for k, a in self._attempts.items() if now - a.created_at >= SESSION_IDLE]:
            del self._attempts[key]
        attempt_id = secrets.token_urlsafe(24)
        attempt = _LoginAttempt(return_url, request_id, now, browser, secrets.token_urlsafe(24))
        self._attempts[attempt_id] = attempt
        return attempt_id, attempt

    def attempt(self, attempt_id: str, *, browser: str, csrf: str) -> _LoginAttempt | None:
        """The live attempt, if this browser opened it and the form carries its token."""
        found = self._attempts.get(attempt_id)
        if found is None or self.clock.now() - found.created_at >= SESSION_IDLE:
            self._attempts.pop(attempt_id, None)
            return None
        if not hmac.compare_digest(found.browser.encode(), browser.encode()):
            return None
        if not hmac.compare_digest(found.csrf.encode(), csrf.encode()):
            return None
        return found

    def drop_attempt(self, attempt_id: str) -> None:
        self._attempts.pop(attempt_id, None)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    document = f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · DigiD</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f3f5f8; margin: 0; }}
header {{ background: #154273; color: #fff; padding: 1rem 2rem; }}
main {{ max-width: 32rem; margin: 2rem auto; background: #fff; padding: 2rem;
        border-radius: .5rem; box-shadow: 0 1px 4px #0002; }}
label {{ display: block; margin-top: 1rem; }}
input {{ width: 100%; padding: .5rem; box-sizing: border-box; }}
button {{ margin-top: 1.5rem; padding: .6rem 1.2rem; background: #e17000; color: #fff;
          border: 0; }}
.error {{ color: #a00; }}
.mock {{ font-size: .8rem; color: #666; }}
</style>
</head>
<body>
<header><strong>DigiD</strong> · Inloggen bij de overheid</header>
<main>
<h1>{html.escape(title)}</h1>
{body}
<p class="mock">Testomgeving van brondata: synthetische gegevens, geen echte personen.</p>
</main>
</body>
</html>
"""
    return HTMLResponse(document, status_code=status, headers=_HTML_HEADERS)


def _error(message: str, status: int) -> HTMLResponse:
    return _page("Er ging iets mis", f'<p class="error">{html.escape(message)}</p>', status)


def _login_form(
    attempt_id: str, attempt: _LoginAttempt, service: str, message: str | None, status: int
) -> HTMLResponse:
    error = f'<p class="error" role="alert">{html.escape(message)}</p>\n' if message else ""
    body = f"""<p>U logt in bij <strong>{html.escape(service)}</strong>.</p>
{error}<form method="post" action="/login">
<input type="hidden" name="attempt" value="{html.escape(attempt_id)}">
<input type="hidden" name="csrf" value="{html.escape(attempt.csrf)}">
<label for="username">DigiD gebruikersnaam</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Wachtwoord</label>
<input id="password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">Inloggen</button>
</form>"""
    return _page("Inloggen met DigiD", body, status)


def create_digid_app(idp: DigidIdP) -> Starlette:
    """The DigiD login pages as an ASGI app; ``idp`` holds the state the sources share."""

    def back_to_source(bsn: str, return_url: str, request_id: str) -> str:
        artifact = idp.issue_artifact(bsn, return_url, request_id)
        separator = "&" if "?" in return_url else "?"
        query = urlencode({"SAMLart": artifact, "RelayState": request_id})
        return f"{return_url}{separator}{query}"

    async def login_page(request: Request) -> Response:
        params = request.query_params
        return_url = params.get("return_url", "")
        request_id = params.get("request_id", "")
        audience = idp.audience_of(return_url)
        # An unregistered return address could send the artifact anywhere: refuse, and do not
        # redirect (the same rule as for an OAuth redirect_uri).
        if audience is None or not request_id:
            return _error("Onbekende dienst of ongeldig verzoek.", 400)
        bsn = idp.session_bsn(request.cookies.get(SESSION_COOKIE))
        if bsn is not None:  # single sign-on: already logged in in this browser
            return RedirectResponse(
                back_to_source(bsn, return_url, request_id), status_code=303, headers=_HTML_HEADERS
            )
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
        attempt_id, attempt = idp.new_attempt(return_url, request_id, browser)
        response = _login_form(attempt_id, attempt, urlsplit(audience).netloc, None, 200)
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            httponly=True,
            samesite="lax",
            path="/",
            secure=idp.secure_cookie,
        )
        return response

    async def login_submit(request: Request) -> Response:
        form = await request.form()
        attempt_id = str(form.get("attempt", ""))
        attempt = idp.attempt(
            attempt_id,
            browser=request.cookies.get(BROWSER_COOKIE, ""),
            csrf=str(form.get("csrf", "")),
        )
        if attempt is None:
            return _error("Deze inlogpoging is verlopen of ongeldig. Begin opnieuw.", 400)
        username = str(form.get("username", ""))
        service = urlsplit(idp.audience_of(attempt.return_url) or "").netloc
        locked = idp.throttle.locked_until(username)
        if locked is not None:
            return _login_form(attempt_id, attempt, service, lockout_message(locked), 429)
        person = idp.population.check_credentials(username, str(form.get("password", "")))
        if person is None:
            locked = idp.throttle.failed(username)
            attempt.failures += 1
            if attempt.failures >= _MAX_LOGIN_FAILURES:
                idp.drop_attempt(attempt_id)
                return _error("Te vaak een onjuist wachtwoord. Begin opnieuw.", 401)
            message = (
                lockout_message(locked)
                if locked is not None
                else "Uw gebruikersnaam of wachtwoord is niet correct."
            )
            return _login_form(attempt_id, attempt, service, message, 401)
        idp.throttle.succeeded(username)
        idp.drop_attempt(attempt_id)
        response = RedirectResponse(
            back_to_source(person.bsn, attempt.return_url, attempt.request_id),
            status_code=303,
            headers=_HTML_HEADERS,
        )
        response.set_cookie(
            SESSION_COOKIE,
            idp.start_session(person.bsn),
            httponly=True,
            samesite="lax",
            path="/",
            secure=idp.secure_cookie,
        )
        return response

    async def logout(request: Request) -> Response:
        idp.end_session(request.cookies.get(SESSION_COOKIE))
        response = _page("Uitgelogd", "<p>U bent uitgelogd bij DigiD.</p>", 200)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    app = Starlette(
        routes=[
            Route("/login", login_page, methods=["GET"]),
            Route("/login", login_submit, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
        ],
        exception_handlers=route_errors(
            lambda request, status: _error(
                "Deze pagina bestaat niet." if status == 404 else "Dit verzoek kan hier niet.",
                status,
            )
        ),
    )
    app.add_middleware(BodyLimit, too_large=lambda request: _error("Het verzoek is te groot.", 413))
    app.state.digid = idp
    return app


def json_error(status: int, code: str, message: str) -> JSONResponse:
    """An error as the JSON APIs of the tax authority, the pension registry and the UWV mocks
    answer it: ``{"code": "NOT_FOUND", "message": "..."}``."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def json_unauthorized(request: Request) -> Response:
    return json_error(401, "UNAUTHORIZED", "a valid bearer token is required")


def json_too_large(request: Request) -> Response:
    return json_error(413, "PAYLOAD_TOO_LARGE", "the request body is too large")


def json_unknown(request: Request, status: int) -> Response:
    """An unknown path (404) or a method the path does not take (405)."""
    if status == 405:
        return json_error(405, "METHOD_NOT_ALLOWED", "this path does not take this method")
    return json_error(404, "NOT_FOUND", "no such path")


class DigidSource:
    """What every government mock shares: OAuth through DigiD, bearer checks, userinfo.

    One scope (the source's name) covers the whole API. The token's subject is the person's
    BSN; ``person(request)`` gives the logged-in person behind a bearer token or ``None``.
    """

    def __init__(
        self,
        population: Population,
        *,
        digid: DigidIdP,
        base_url: str,
        clients: Mapping[str, Sequence[str]],
        clock: Clock,
        scope: str,
        branding: Branding,
        approval: Callable[[Person], ApprovalView],
        code_ttl_seconds: int = 60,
        token_ttl_seconds: int = 3600,
    ) -> None:
        self.population = population
        self.base_url = base_url.rstrip("/")
        self.scope = scope
        self.clock = clock
        self._approval = approval
        self.oauth = AuthorizationServer(
            issuer=self.base_url,
            clients=clients,
            scopes=self,
            clock=clock,
            branding=branding,
            scopes_supported=[scope],
            code_ttl_seconds=code_ttl_seconds,
            token_ttl_seconds=token_ttl_seconds,
            external_login=digid,
        )
        digid.register(self.base_url, f"{self.base_url}/oauth/login/return")

    # --- ScopePolicy ----------------------------------------------------------------------

    def check(self, scope: str) -> str | None:
        return None if scope == self.scope else f"this source knows one scope: {self.scope}"

    def describe(self, scope: str, subject: str) -> ApprovalView:
        person = self.population.by_bsn(subject)
        if person is None:  # DigiD only logs in persons of this population
            raise RuntimeError("a DigiD subject that is not in the population")
        return self._approval(person)

    def approved(self, scope: str, subject: str, client_id: str) -> None:
        """Nothing to record: the grant itself is the consent at a government source."""

    def denied(self, scope: str, subject: str) -> None:
        """Nothing to record."""

    # --- resource server ----------------------------------------------------------------------

    def person(self, request: Request) -> Person | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        grant = self.oauth.access_grant(token.strip())
        if grant is None or grant.scope != self.scope:
            return None
        return self.population.by_bsn(grant.subject)

    def pseudonym(self, person: Person) -> str:
        """A stable subject id for this person at this source, not linkable across sources."""
        digest = hashlib.sha256(f"{self.base_url}|{person.bsn}".encode()).hexdigest()
        return digest[:32]

    def routes(self, unauthorized: Callable[[Request], Response]) -> list[BaseRoute]:
        """The OAuth routes and ``GET /oauth/userinfo``; ``unauthorized`` renders a 401 in the
        source's own error style."""

        async def userinfo(request: Request) -> Response:
            person = self.person(request)
            if person is None:
                return unauthorized(request)
            return JSONResponse(
                {"sub": self.pseudonym(person), "burgerservicenummer": person.bsn},
                headers={"Cache-Control": "no-store"},
            )

        return [*self.oauth.routes(), Route("/oauth/userinfo", userinfo, methods=["GET"])]
