"""The journey's tokens: signed links, the browser-bound cookie, CSRF tokens.

All three are HMAC-SHA256 under keys derived from the journey secret, one key per use, so a
value made for one purpose is never accepted for another. Nothing here is encrypted: a link
and a cookie carry a session id and random values, never a personal value.

* A **journey link** (``link``) names a session and an expiry; the first browser that opens
  it is bound to the session. Opened again in that browser it is accepted; in another
  browser it is refused (a forwarded or replayed link cannot continue the journey).
* The **cookie** holds the browser's own random secret and the session id; the journey
  keeps only the secret's hash per session.
* A **CSRF token** is the MAC of the browser secret and the session: a form posted without
  it, or from a page of another journey, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from brondata._inputs import same_secret
from brondata.errors import CsrfError, JourneyLinkError

__all__ = ["BrowserCookie", "Signer"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise JourneyLinkError("the value is not base64url") from None


@dataclass(frozen=True, slots=True)
class BrowserCookie:
    """What the journey cookie says: the browser's secret, its session, its language."""

    browser: str
    session_id: str
    language: str

    @property
    def browser_hash(self) -> str:
        return hashlib.sha256(self.browser.encode()).hexdigest()


class Signer:
    """MACs for links, cookies and CSRF tokens under one secret."""

    __slots__ = ("_keys",)

    def __init__(self, secret: bytes) -> None:
        self._keys = {
            use: hmac.new(secret, f"brondata journey {use} v1".encode(), hashlib.sha256).digest()
            for use in ("link", "cookie", "csrf")
        }

    def _mac(self, use: str, message: str) -> str:
        return _b64(hmac.new(self._keys[use], message.encode(), hashlib.sha256).digest())

    def _signed(self, use: str, payload: dict[str, str | int]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(use, body)}"

    def _open(self, use: str, token: str) -> dict[str, object]:
        body, _, mac = token.partition(".")
        if not body or not same_secret(mac, self._mac(use, body)):
            raise JourneyLinkError(f"the {use} is not one this journey signed")
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            raise JourneyLinkError(f"the {use} is malformed") from None
        if not isinstance(payload, dict):
            raise JourneyLinkError(f"the {use} is malformed")
        return payload

    # --- links ------------------------------------------------------------------------------

    def link(self, session_id: str, ttl_seconds: int, *, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        return self._signed("link", {"s": session_id, "exp": issued + ttl_seconds})

    def open_link(self, token: str, *, now: float | None = None) -> str:
        """The session id of a valid, unexpired link; ``JourneyLinkError`` otherwise."""
        payload = self._open("link", token)
        session_id, expires = payload.get("s"), payload.get("exp")
        if not isinstance(session_id, str) or not isinstance(expires, int):
            raise JourneyLinkError("the link is malformed")
        if (time.time() if now is None else now) > expires:
            raise JourneyLinkError("the link has expired")
        return session_id

    # --- the cookie ---------------------------------------------------------------------------

    @staticmethod
    def new_browser() -> str:
        return secrets.token_urlsafe(32)

    def cookie(self, value: BrowserCookie) -> str:
        return self._signed(
            "cookie", {"b": value.browser, "s": value.session_id, "l": value.language}
        )

    def open_cookie(self, token: str) -> BrowserCookie:
        payload = self._open("cookie", token)
        browser, session_id, language = payload.get("b"), payload.get("s"), payload.get("l")
        if not (
            isinstance(browser, str) and isinstance(session_id, str) and isinstance(language, str)
        ):
            raise JourneyLinkError("the cookie is malformed")
        return BrowserCookie(browser=browser, session_id=session_id, language=language)

    # --- CSRF ---------------------------------------------------------------------------------

    def csrf(self, cookie: BrowserCookie) -> str:
        return self._mac("csrf", f"{cookie.browser}\x00{cookie.session_id}")

    def check_csrf(self, cookie: BrowserCookie, token: str) -> None:
        if not token or not same_secret(token, self.csrf(cookie)):
            raise CsrfError("the form's CSRF token is missing or not this journey's")
