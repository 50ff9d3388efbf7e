"""The bank: a Berlin Group NextGenPSD2 (1.3.x) account-information connector.

The flow is the spec's OAuth SCA approach: ``POST /v1/consents`` asks for only the access the
requested attributes need, the consent response's ``scaOAuth`` link leads to the bank's
RFC 8414 metadata, the consumer logs in at the bank (authorization code, PKCE S256, scope
``AIS:<consentId>``), and the token plus ``Consent-ID`` then read accounts, balances and
transactions (following ``_links.next`` until the last page).

Raw responses are checked against the models of ``brondata.sources.bank.models`` before
anything downstream sees them; a payload that does not fit is a ``SourceProtocolError``.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2

from brondata._clock import Clock
from brondata.connectors._base import Identity, path_segment
from brondata.connectors._oauth_source import OAuthSourceConnector, SourceApi
from brondata.errors import SourceProtocolError, SourceUnavailableError
from brondata.sources.bank.models import BankData

__all__ = ["Psd2Connector"]

#: At most this many transaction pages per account: a source that pages forever is broken.
MAX_PAGES = 200


def _needs(attributes: Sequence[str]) -> tuple[bool, bool]:
    """(balances, transactions): what access the requested bank attributes need."""
    wanted = set(attributes)
    balances = "bank.balance_total" in wanted
    transactions = bool(
        wanted
        & {"bank.salary_monthly_average", "bank.fixed_costs_monthly_average", "bank.transactions"}
    )
    return balances, transactions


def transaction_period(today: date) -> tuple[date, date]:
    """The six complete calendar months before ``today``'s month, up to ``today``."""
    month_index = today.year * 12 + today.month - 1 - 6
    start = date(month_index // 12, month_index % 12 + 1, 1)
    return start, today


class Psd2Connector(OAuthSourceConnector):
    """Berlin Group NextGenPSD2 AIS over OAuth 2.0 SCA.

    ``psu_ip_address``, when the application knows the consumer's address, marks each call
    as made with the consumer present, which the spec exempts from ``frequencyPerDay``.
    """

    name = "bank"

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float | httpx2.Timeout = 10.0,
        clock: Clock | None = None,
        frequency_per_day: int = 1,
        psu_ip_address: str | None = None,
        name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx2.Limits | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            client_id=client_id,
            transport=transport,
            timeout=timeout,
            clock=clock,
            name=name,
            ssl_context=ssl_context,
            limits=limits,
        )
        self._frequency_per_day = frequency_per_day
        self._psu_ip_address = psu_ip_address

    def _headers(self) -> dict[str, str]:
        headers = {"X-Request-ID": str(uuid.uuid4())}
        if self._psu_ip_address is not None:
            headers["PSU-IP-Address"] = self._psu_ip_address
        return headers

    async def prepare_login(
        self, *, attributes: Sequence[str], redirect_uri: str, valid_until: date
    ) -> tuple[str, str, dict[str, str]]:
        balances, transactions = _needs(attributes)
        # Minimisation starts at the bank: the account list alone unless more is needed.
        access: dict[str, Any] = (
            {"allPsd2": "allAccounts"}
            if balances or transactions
            else {"availableAccounts": "allAccounts"}
        )
        body = {
            "access": access,
            # One session, one read: a one-off consent, which the spec pins at one access a
            # day per resource without the consumer present.
            "recurringIndicator": self._frequency_per_day > 1,
            "validUntil": valid_until.isoformat(),
            "frequencyPerDay": self._frequency_per_day,
            "combinedServiceIndicator": False,
        }
        headers = self._headers() | {"TPP-Redirect-URI": redirect_uri}
        created = await self.call("POST", "/v1/consents", json=body, headers=headers)
        try:
            consent_id = str(created["consentId"])
            metadata_url = str(created["_links"]["scaOAuth"]["href"])
        except (KeyError, TypeError):
            raise SourceProtocolError(
                f"{self.name}: consent response lacks consentId or _links.scaOAuth",
                source=self.name,
            ) from None
        return metadata_url, f"AIS:{consent_id}", {"consent_id": consent_id}

    async def revoke(self, *, grant: dict[str, Any]) -> None:
        """End the bank-side consent (``DELETE /v1/consents``), then revoke the tokens."""
        # The bank identifies the TPP of an authorised consent by its token for it.
        token = grant.get("token", {}).get("access_token", "")
        response = await self.send(
            "DELETE",
            f"/v1/consents/{path_segment(grant['consent_id'], self.name)}",
            headers=self._headers() | {"Authorization": f"Bearer {token}"},
            what="consent deletion",
        )
        if response.status_code >= 500:
            raise SourceUnavailableError(
                f"{self.name}: consent deletion failed with HTTP {response.status_code}",
                source=self.name,
            )
        await super().revoke(grant=grant)

    def retry_allowed(self, request: httpx2.Request, attempt: int) -> bool:
        # The bank may have counted a failed read against frequencyPerDay: a retry must fit
        # in what the consent allows today, counting every attempt.
        if request.url.path.startswith("/v1/accounts"):
            return attempt <= self._frequency_per_day
        return True

    def identity(self, api: SourceApi, raw: dict[str, Any]) -> Identity:
        """The account holders' names, to compare with the population register's."""
        return Identity(holders=_holders(raw, self.name))

    def api_headers(self, grant: dict[str, Any]) -> dict[str, str]:
        return {"Accept": "application/json", "Consent-ID": str(grant["consent_id"])}

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        balances_needed, transactions_needed = _needs(attributes)

        async def get(url: str, params: dict[str, str] | None = None) -> Any:
            return await api.call("GET", url, params=params, headers=self._headers())

        date_from, date_to = transaction_period(today)
        raw: dict[str, Any] = {
            "accounts": await get("/v1/accounts"),
            "period": {"dateFrom": date_from.isoformat(), "dateTo": date_to.isoformat()},
        }
        accounts = BankData.from_raw(raw, self.name).accounts
        # Source-supplied ids, each one segment of the path.
        segments = {a.resource_id: path_segment(a.resource_id, self.name) for a in accounts}
        if balances_needed:
            raw["balances"] = {
                a.resource_id: await get(f"/v1/accounts/{segments[a.resource_id]}/balances")
                for a in accounts
            }
        if transactions_needed:
            raw["transactions"] = {}
            for account in accounts:
                pages = [
                    await get(
                        f"/v1/accounts/{segments[account.resource_id]}/transactions",
                        {
                            "bookingStatus": "booked",
                            "dateFrom": date_from.isoformat(),
                            "dateTo": date_to.isoformat(),
                        },
                    )
                ]
                while (next_href := _next_link(pages[-1], self.base_url, self.name)) is not None:
                    if len(pages) >= MAX_PAGES:
                        raise SourceProtocolError(
                            f"{self.name}: more than {MAX_PAGES} transaction pages",
                            source=self.name,
                        )
                    pages.append(await get(next_href))
                raw["transactions"][account.resource_id] = pages
        BankData.parsed(raw, self.name)  # validate before anything downstream sees it
        return raw


def _holders(raw: dict[str, Any], source: str) -> tuple[str, ...]:
    accounts = BankData.parsed(raw, source).accounts
    return tuple(a.owner_name for a in accounts if a.owner_name)


def _next_link(page: Any, base_url: str, source: str) -> str | None:
    """The next page's URL, resolved against the bank's base URL. A link to another origin
    is refused: following it would hand the bearer token and Consent-ID to that host."""
    try:
        href = page["transactions"]["_links"]["next"]["href"]
    except (KeyError, TypeError):
        return None
    if not href:
        return None
    target = urljoin(base_url + "/", str(href))
    own, there = urlsplit(base_url), urlsplit(target)
    if (there.scheme, there.netloc) != (own.scheme, own.netloc):
        raise SourceProtocolError(
            f"{source}: the next page link leaves the bank ({there.netloc})", source=source
        )
    return target
