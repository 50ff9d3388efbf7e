"""``OAuthSourceConnector``: the login and token half that every source connector shares.

A source is an OAuth 2.0 authorization server plus an API. This base class does the login
(RFC 8414 discovery, authorization URL with PKCE S256 and ``state``, callback checks,
code exchange) and gives subclasses an authenticated view of the API (``SourceApi``) that
renews an expired token on the way. A subclass says what scope it asks for
(``prepare_login``, which may also create a source-side consent first, as PSD2 does) and
how to read its API (``read``); it never touches tokens or PKCE itself.

The OAuth logic is authlib's (the authorization URL, the PKCE challenge, the token request,
client authentication ``none`` of a public client, a token's expiry with its 60 s leeway);
the HTTP is the connector's one client (``brondata.connectors._http``), shared by every
session, so the per-session OAuth state (``state``, verifier, tokens) lives in the session,
never on the client.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import anyio
import httpx2
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749 import OAuth2Token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc6750 import add_bearer_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from brondata._clock import Clock, SystemClock
from brondata._inputs import require_text, require_url
from brondata.connectors._base import (
    Identity,
    LoginStart,
    OAuthEndpoints,
    SourceResponse,
    bsn_digest,
    check_callback,
    evidence_of,
    json_body,
    new_pkce_pair,
)
from brondata.connectors._http import SourceClient
from brondata.errors import (
    ConfigurationError,
    SourceProtocolError,
    SourceUnavailableError,
    TokenExchangeError,
)

__all__ = ["OAuthSourceConnector", "SourceApi"]

#: authlib's default: a token that expires within a minute is renewed before it is used.
TOKEN_LEEWAY_SECONDS = 60
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class SourceApi:
    """An authenticated view of one source's API for ``read``, for one fetch: JSON in,
    typed errors out, the token renewed (refresh grant) when it is about to expire."""

    __slots__ = (
        "_connector",
        "_headers",
        "_refresh_lock",
        "_token",
        "_token_endpoint",
        "bsn",
        "exchanges",
    )

    def __init__(
        self,
        connector: OAuthSourceConnector,
        token: dict[str, Any],
        headers: dict[str, str],
        *,
        token_endpoint: str | None = None,
    ) -> None:
        self._connector = connector
        self._token = OAuth2Token.from_dict(dict(token))
        self._headers = headers
        self._token_endpoint = token_endpoint
        self._refresh_lock = anyio.Lock()
        #: ``(METHOD /path?query, body bytes)`` of every answered request, in order.
        self.exchanges: list[tuple[str, bytes]] = []
        #: The citizen service number the source answered for, if the connector learnt it.
        self.bsn: str | None = None

    @property
    def source(self) -> str:
        return self._connector.name

    async def call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        await self._ensure_active_token()
        _, signed, _ = add_bearer_token(
            self._token["access_token"], url, self._headers | (headers or {}), None
        )
        response = await self._connector.send(method, url, params=params, json=json, headers=signed)
        target = response.request.url.raw_path.decode("ascii")
        self.exchanges.append((f"{method} {target}", response.content))
        return json_body(self.source, response)

    async def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return await self.call("GET", url, params=params)

    async def post(self, url: str, body: Any) -> Any:
        return await self.call("POST", url, json=body)

    async def _ensure_active_token(self) -> None:
        # One renewal at a time: a refresh token may be single use (rotated on refresh).
        async with self._refresh_lock:
            if not self._token.is_expired(leeway=TOKEN_LEEWAY_SECONDS):
                return
            refresh_token = self._token.get("refresh_token")
            if not refresh_token or self._token_endpoint is None:
                raise TokenExchangeError(
                    f"{self.source}: the access token expired and cannot be renewed"
                )
            renewed = await self._connector.token_request(
                self._token_endpoint,
                "refresh_token",
                refused="the access token could not be renewed",
                refresh_token=refresh_token,
            )
            # RFC 6749 section 6: a server may keep the refresh token as it was.
            renewed.setdefault("refresh_token", refresh_token)
            self._token = OAuth2Token.from_dict(renewed)


class OAuthSourceConnector:
    """Base for a source behind OAuth 2.0 (authorization code + PKCE S256).

    The connector holds one HTTP client for its whole life (``aclose`` closes it). Where it
    goes: ``transport`` is any httpx2 async transport (an ``httpx2.ASGITransport`` around a
    mock source in tests and the demo); without one, the network, with ``ssl_context`` for
    the trust anchors and the client certificate the source requires (mTLS: a PSD2 bank's
    eIDAS QWAC, a government API's PKIoverheid certificate) and ``limits`` for the pool
    (``httpx2.Limits``: connections, keep-alive). ``timeout`` is per request (seconds, or an
    ``httpx2.Timeout`` for connect, read, write and pool apart).
    """

    #: The kind's name by default; an instance's id (``bank.noordbank``) when given, so that
    #: every error and response names the instance it came from.
    name: str
    #: The scope asked for unless ``prepare_login`` says otherwise.
    scope: ClassVar[str] = ""
    metadata_path: ClassVar[str] = "/.well-known/oauth-authorization-server"
    #: Every request goes through ``send``, so the gateway's ``source_timeout`` is counted in
    #: the source's own time (``brondata.connectors.source_deadline``), not in wall time.
    measures_source_time: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float | httpx2.Timeout = 10.0,
        clock: Clock | None = None,
        name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx2.Limits | None = None,
    ) -> None:
        if name is not None:
            self.name = name
        self.base_url = require_url(base_url, "base_url", ConfigurationError).rstrip("/")
        self.client_id = require_text(client_id, "client_id", ConfigurationError, max_length=256)
        self.issuer = self.base_url
        self._clock: Clock = clock or SystemClock()
        self._http = SourceClient(
            source=self.name,
            base_url=self.base_url,
            transport=transport,
            ssl_context=ssl_context,
            timeout=timeout,
            limits=limits,
            retry_allowed=self.retry_allowed,
        )
        # A public PKCE client: authenticated at the token endpoint by its client_id alone
        # (and, on the network, by its TLS client certificate).
        self._client_auth = ClientAuth(self.client_id, None, "none")
        self._endpoints: OAuthEndpoints | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    def retry_allowed(self, request: httpx2.Request, attempt: int) -> bool:
        """Whether an idempotent request may be tried an ``attempt``-th time (``_retry``); a
        source with an access budget says no once a retry could exceed it."""
        return True

    # --- what a subclass provides --------------------------------------------------------

    async def prepare_login(
        self, *, attributes: Sequence[str], redirect_uri: str, valid_until: date
    ) -> tuple[str, str, dict[str, str]]:
        """``(metadata URL, scope, extra pending secrets)`` for a new login."""
        return self.base_url + self.metadata_path, self.scope, {}

    def api_headers(self, grant: dict[str, Any]) -> dict[str, str]:
        """Headers every API call carries besides the bearer token."""
        return {"Accept": "application/json"}

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        """Fetch the raw responses the requested attributes need."""
        raise NotImplementedError

    def identity(self, api: SourceApi, raw: dict[str, Any]) -> Identity:
        """Who the response is about, for the check that every source answered for the same
        person; a subclass adds what its raw data show (a register's surname, holders)."""
        return Identity(bsn_digest=bsn_digest(api.bsn) if api.bsn else None)

    # --- shared machinery --------------------------------------------------------------

    async def send(
        self, method: str, url: str, *, what: str = "", **kwargs: Any
    ) -> httpx2.Response:
        """Any request to the source, over the connector's client, on the source's clock;
        a transport failure is a typed error naming the source (and ``what`` endpoint)."""
        return await self._http.send(method, url, what=what, **kwargs)

    async def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """An unauthenticated call (discovery, a PSD2 consent): JSON or a typed error."""
        return json_body(self.name, await self.send(method, url, **kwargs))

    async def endpoints(self, metadata_url: str) -> OAuthEndpoints:
        if self._endpoints is None:
            metadata = await self.call("GET", metadata_url)
            self._endpoints = OAuthEndpoints.from_metadata(self.name, metadata, self.issuer)
        return self._endpoints

    async def token_request(
        self, token_endpoint: str, grant_type: str, *, refused: str, **params: str
    ) -> dict[str, Any]:
        """A grant at the token endpoint (RFC 6749 section 4.1.3, 6): the token, with
        ``expires_at`` (authlib's ``OAuth2Token``), or ``TokenExchangeError`` saying
        ``refused`` and the server's error code."""
        body = prepare_token_request(grant_type, **params)
        _, headers, body = self._client_auth.prepare("POST", token_endpoint, dict(_FORM), body)
        response = await self.send(
            "POST", token_endpoint, content=body, headers=headers, what="token endpoint"
        )
        if response.status_code >= 500:
            raise SourceUnavailableError(
                f"{self.name}: token endpoint answered HTTP {response.status_code}",
                source=self.name,
            )
        try:
            token = response.json()
        except ValueError:
            raise SourceProtocolError(
                f"{self.name}: token response is not JSON", source=self.name
            ) from None
        if not isinstance(token, dict):
            raise SourceProtocolError(
                f"{self.name}: token response is not a JSON object", source=self.name
            )
        if "error" in token:
            # The error code only: the description is the source's free text.
            raise TokenExchangeError(f"{self.name}: {refused}: {token['error']}")
        if not token.get("access_token"):
            raise TokenExchangeError(f"{self.name}: the token response has no access_token")
        return dict(OAuth2Token.from_dict(token))

    async def begin_login(
        self, *, attributes: Sequence[str], redirect_uri: str, valid_until: date
    ) -> LoginStart:
        metadata_url, scope, extra = await self.prepare_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=valid_until
        )
        endpoints = await self.endpoints(metadata_url)
        state, verifier = new_pkce_pair()
        url = prepare_grant_uri(
            endpoints.authorization_endpoint,
            self.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=scope or None,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return LoginStart(
            authorization_url=str(url),
            pending={
                "state": state,
                "code_verifier": verifier,
                "metadata_url": metadata_url,
                **extra,
            },
        )

    async def complete_login(
        self, *, callback_url: str, pending: dict[str, str], redirect_uri: str
    ) -> dict[str, Any]:
        # The callback may reach another application instance than the one that started
        # the login: discovery again (cached per connector) from what the session kept.
        endpoints = await self.endpoints(pending["metadata_url"])
        code = check_callback(
            self.name,
            callback_url,
            state=pending["state"],
            issuer=endpoints.issuer,
            redirect_uri=redirect_uri,
        )
        token = await self.token_request(
            endpoints.token_endpoint,
            "authorization_code",
            refused="the token endpoint refused the code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=pending["code_verifier"],
        )
        extra = {k: v for k, v in pending.items() if k not in ("state", "code_verifier")}
        return {"token": token, **extra}

    async def revoke(self, *, grant: dict[str, Any]) -> None:
        """RFC 7009: revoke the refresh token (and with it the access token), then the
        access token itself for servers that keep them apart."""
        endpoints = await self.endpoints(grant["metadata_url"])
        if endpoints.revocation_endpoint is None:
            return
        token = grant.get("token", {})
        for kind in ("refresh_token", "access_token"):
            value = token.get(kind)
            if not value:
                continue
            response = await self.send(
                "POST",
                endpoints.revocation_endpoint,
                data={"token": value, "token_type_hint": kind, "client_id": self.client_id},
                what="revocation",
            )
            if response.status_code >= 400:  # RFC 7009 §2.2: 200 even for unknown tokens
                raise SourceUnavailableError(
                    f"{self.name}: revocation refused with HTTP {response.status_code}",
                    source=self.name,
                )

    async def fetch(
        self, *, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> SourceResponse:
        endpoints = await self.endpoints(grant["metadata_url"])
        api = SourceApi(
            self,
            grant["token"],
            self.api_headers(grant),
            token_endpoint=endpoints.token_endpoint,
        )
        raw = await self.read(api, grant, attributes, today)
        return SourceResponse(
            source=self.name,
            raw=raw,
            evidence=evidence_of(api.exchanges),
            retrieved_at=self._clock.now(),
            identity=self.identity(api, raw),
        )
