"""``OAuthSourceConnector``: the login and token half that every source connector shares.

A source is an OAuth 2.0 authorization server plus an API. This base class does the login
(RFC 8414 discovery, authorization URL with PKCE S256 and ``state``, callback checks,
code exchange) and gives subclasses an authenticated client for the API, with authlib
refreshing an expired token on the way. A subclass says what scope it asks for
(``prepare_login``, which may also create a source-side consent first, as PSD2 does) and
how to read its API (``read``); it never touches tokens or PKCE itself.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from brondata._clock import Clock, SystemClock
from brondata._inputs import require_text, require_url
from brondata.connectors._base import (
    Identity,
    LoginStart,
    OAuthEndpoints,
    SourceResponse,
    check_callback,
    evidence_of,
    exchange_code,
    json_body,
    new_pkce_pair,
    oauth_client,
)
from brondata.errors import (
    ConfigurationError,
    SourceTimeoutError,
    SourceUnavailableError,
    TokenExchangeError,
)

__all__ = ["OAuthSourceConnector", "SourceApi"]


class SourceApi:
    """An authenticated view of one source's API for ``read``: JSON in, typed errors out."""

    __slots__ = ("_client", "_headers", "bsn", "exchanges", "source")

    def __init__(self, source: str, client: AsyncOAuth2Client, headers: dict[str, str]) -> None:
        self.source = source
        self._client = client
        self._headers = headers
        #: ``(METHOD /path?query, body bytes)`` of every answered request, in order.
        self.exchanges: list[tuple[str, bytes]] = []
        #: The citizen service number the source answered for, if the connector learnt it.
        self.bsn: str | None = None

    async def call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = await self._client.request(
                method, url, params=params, json=json, headers=self._headers | (headers or {})
            )
        except OAuthError as exc:
            # authlib refreshes an expired token before the call; a refused or impossible
            # refresh (no refresh token, invalid_grant) ends up here.
            raise TokenExchangeError(
                f"{self.source}: the access token could not be renewed: {exc.error}"
            ) from None
        except httpx2.TimeoutException as exc:
            raise SourceTimeoutError(
                f"{self.source}: no answer in time", source=self.source
            ) from exc
        except httpx2.TransportError as exc:
            raise SourceUnavailableError(
                f"{self.source}: unreachable ({type(exc).__name__})", source=self.source
            ) from exc
        target = response.request.url.raw_path.decode("ascii")
        self.exchanges.append((f"{method} {target}", response.content))
        return json_body(self.source, response)

    async def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return await self.call("GET", url, params=params)

    async def post(self, url: str, body: Any) -> Any:
        return await self.call("POST", url, json=body)


class OAuthSourceConnector:
    """Base for a source behind OAuth 2.0 (authorization code + PKCE S256).

    ``transport`` is any httpx2 async transport: the network by default, an
    ``httpx2.ASGITransport`` around a mock source in tests and the demo. ``ssl_context`` is
    for the network: the trust anchors and the client certificate the source requires (mTLS:
    a PSD2 bank's eIDAS QWAC, a government API's PKIoverheid certificate); every HTTP client
    the connector opens gets a transport of its own with it. A given ``transport`` wins.
    """

    #: The kind's name by default; an instance's id (``bank.noordbank``) when given, so that
    #: every error and response names the instance it came from.
    name: str
    #: The scope asked for unless ``prepare_login`` says otherwise.
    scope: ClassVar[str] = ""
    metadata_path: ClassVar[str] = "/.well-known/oauth-authorization-server"

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if name is not None:
            self.name = name
        self.base_url = require_url(base_url, "base_url", ConfigurationError).rstrip("/")
        self.client_id = require_text(client_id, "client_id", ConfigurationError, max_length=256)
        self.issuer = self.base_url
        self._transport = transport
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._clock: Clock = clock or SystemClock()
        self._http = httpx2.AsyncClient(
            base_url=self.base_url,
            transport=self._new_transport(),
            timeout=timeout,
            follow_redirects=False,
        )
        self._endpoints: OAuthEndpoints | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

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
        digest = hashlib.sha256(api.bsn.encode()).hexdigest() if api.bsn else None
        return Identity(bsn_digest=digest)

    # --- shared machinery --------------------------------------------------------------

    async def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """An unauthenticated call (discovery, a PSD2 consent): JSON or a typed error."""
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx2.TimeoutException as exc:
            raise SourceTimeoutError(f"{self.name}: no answer in time", source=self.name) from exc
        except httpx2.TransportError as exc:
            raise SourceUnavailableError(
                f"{self.name}: unreachable ({type(exc).__name__})", source=self.name
            ) from exc
        return json_body(self.name, response)

    async def endpoints(self, metadata_url: str) -> OAuthEndpoints:
        if self._endpoints is None:
            metadata = await self.call("GET", metadata_url)
            self._endpoints = OAuthEndpoints.from_metadata(self.name, metadata, self.issuer)
        return self._endpoints

    def _new_transport(self) -> httpx2.AsyncBaseTransport | None:
        """The given transport, else one of its own for each client: closing a client closes
        its transport's connections, which must not be those another login is using."""
        if self._transport is not None:
            return self._transport
        if self._ssl_context is not None:
            return httpx2.AsyncHTTPTransport(verify=self._ssl_context)
        return None  # httpx2's default, per client

    def _oauth(
        self, redirect_uri: str | None, scope: str | None, token: Any = None
    ) -> AsyncOAuth2Client:
        return oauth_client(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            transport=self._new_transport(),
            timeout=self._timeout,
            token=token,
            base_url=self.base_url,
        )

    async def begin_login(
        self, *, attributes: Sequence[str], redirect_uri: str, valid_until: date
    ) -> LoginStart:
        metadata_url, scope, extra = await self.prepare_login(
            attributes=attributes, redirect_uri=redirect_uri, valid_until=valid_until
        )
        endpoints = await self.endpoints(metadata_url)
        state, verifier = new_pkce_pair()
        async with self._oauth(redirect_uri, scope) as client:
            url, _ = client.create_authorization_url(
                endpoints.authorization_endpoint, state=state, code_verifier=verifier
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
        async with self._oauth(redirect_uri, None) as client:
            token = await exchange_code(
                self.name, client, endpoints, code=code, code_verifier=pending["code_verifier"]
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
            try:
                response = await self._http.post(
                    endpoints.revocation_endpoint,
                    data={"token": value, "token_type_hint": kind, "client_id": self.client_id},
                )
            except httpx2.HTTPError as exc:
                raise SourceUnavailableError(
                    f"{self.name}: revocation failed ({type(exc).__name__})", source=self.name
                ) from exc
            if response.status_code >= 400:  # RFC 7009 §2.2: 200 even for unknown tokens
                raise SourceUnavailableError(
                    f"{self.name}: revocation refused with HTTP {response.status_code}",
                    source=self.name,
                )

    async def fetch(
        self, *, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> SourceResponse:
        endpoints = await self.endpoints(grant["metadata_url"])
        async with self._oauth(None, None, token=grant["token"]) as client:
            client.metadata["token_endpoint"] = endpoints.token_endpoint  # for refresh
            api = SourceApi(self.name, client, self.api_headers(grant))
            raw = await self.read(api, grant, attributes, today)
        return SourceResponse(
            source=self.name,
            raw=raw,
            evidence=evidence_of(api.exchanges),
            retrieved_at=self._clock.now(),
            identity=self.identity(api, raw),
        )
