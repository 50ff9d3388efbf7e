"""The bank: a Berlin Group NextGenPSD2 (1.3.x) account-information connector.

The flow is the spec's OAuth SCA approach: ``POST /v1/consents`` asks for only the access the
requested attributes need, the consent response's ``scaOAuth`` link leads to the bank's
RFC 8414 metadata, the consumer logs in at the bank (authorization code, PKCE S256, scope
``AIS:<consentId>``), and the token plus ``Consent-ID`` then read accounts, balances and
transactions (following ``_links.next`` until the last page).

Raw responses are parsed into the pydantic models below; a payload that does not fit them is
a ``SourceProtocolError``, so no record is ever built from malformed bank data.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brondata._clock import Clock
from brondata.connectors._oauth_source import OAuthSourceConnector, SourceApi
from brondata.errors import SourceProtocolError, SourceUnavailableError

__all__ = [
    "BankAccount",
    "BankData",
    "BankTransaction",
    "Psd2Connector",
]

#: At most this many transaction pages per account: a source that pages forever is broken.
MAX_PAGES = 200


class _Lenient(BaseModel):
    # Banks return more than we read; unknown fields are allowed and ignored.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Amount(_Lenient):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    amount: Decimal


class AccountReference(_Lenient):
    iban: str | None = None


class BankAccount(_Lenient):
    resource_id: str = Field(alias="resourceId")
    iban: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    owner_name: str | None = Field(default=None, alias="ownerName")
    name: str | None = None
    cash_account_type: str | None = Field(default=None, alias="cashAccountType")


class Balance(_Lenient):
    balance_type: str = Field(alias="balanceType")
    balance_amount: Amount = Field(alias="balanceAmount")
    reference_date: date | None = Field(default=None, alias="referenceDate")


class BankTransaction(_Lenient):
    transaction_id: str | None = Field(default=None, alias="transactionId")
    booking_date: date = Field(alias="bookingDate")
    value_date: date | None = Field(default=None, alias="valueDate")
    amount: Amount = Field(alias="transactionAmount")
    creditor_name: str | None = Field(default=None, alias="creditorName")
    creditor_account: AccountReference | None = Field(default=None, alias="creditorAccount")
    debtor_name: str | None = Field(default=None, alias="debtorName")
    debtor_account: AccountReference | None = Field(default=None, alias="debtorAccount")
    remittance: str | None = Field(default=None, alias="remittanceInformationUnstructured")
    bank_transaction_code: str | None = Field(default=None, alias="bankTransactionCode")

    @property
    def counterparty(self) -> str:
        """Who paid (for a credit) or was paid (for a debit), by name, else by IBAN."""
        if self.amount.amount >= 0:
            name, account = self.debtor_name, self.debtor_account
        else:
            name, account = self.creditor_name, self.creditor_account
        return (name or (account.iban if account else None) or "").strip()


class BankData(_Lenient):
    """What the bank returned, parsed: the input of ``brondata.mappings.bank``."""

    accounts: tuple[BankAccount, ...]
    balances: dict[str, tuple[Balance, ...]] = {}
    transactions: dict[str, tuple[BankTransaction, ...]] = {}
    period_start: date
    period_end: date

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> BankData:
        """Parse the raw responses kept in a ``SourceResponse``."""
        try:
            return cls(
                accounts=raw["accounts"]["accounts"],
                balances={k: v["balances"] for k, v in raw.get("balances", {}).items()},
                transactions={
                    k: tuple(t for page in pages for t in page["transactions"].get("booked", []))
                    for k, pages in raw.get("transactions", {}).items()
                },
                period_start=raw["period"]["dateFrom"],
                period_end=raw["period"]["dateTo"],
            )
        except (KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise SourceProtocolError(
                f"bank: the response does not match the Berlin Group schema: {_first_line(exc)}",
                source="bank",
            ) from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


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
        timeout: float = 10.0,
        clock: Clock | None = None,
        frequency_per_day: int = 1,
        psu_ip_address: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            client_id=client_id,
            transport=transport,
            timeout=timeout,
            clock=clock,
            ssl_context=ssl_context,
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
                "bank: consent response lacks consentId or _links.scaOAuth", source="bank"
            ) from None
        return metadata_url, f"AIS:{consent_id}", {"consent_id": consent_id}

    async def revoke(self, *, grant: dict[str, Any]) -> None:
        """End the bank-side consent (``DELETE /v1/consents``), then revoke the tokens."""
        try:
            response = await self._http.delete(
                f"/v1/consents/{grant['consent_id']}", headers=self._headers()
            )
        except httpx2.HTTPError as exc:
            raise SourceUnavailableError(
                f"bank: consent deletion failed ({type(exc).__name__})", source="bank"
            ) from exc
        if response.status_code >= 500:
            raise SourceUnavailableError(
                f"bank: consent deletion failed with HTTP {response.status_code}", source="bank"
            )
        await super().revoke(grant=grant)

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
        accounts = BankData.from_raw(raw).accounts
        if balances_needed:
            raw["balances"] = {
                a.resource_id: await get(f"/v1/accounts/{a.resource_id}/balances") for a in accounts
            }
        if transactions_needed:
            raw["transactions"] = {}
            for account in accounts:
                pages = [
                    await get(
                        f"/v1/accounts/{account.resource_id}/transactions",
                        {
                            "bookingStatus": "booked",
                            "dateFrom": date_from.isoformat(),
                            "dateTo": date_to.isoformat(),
                        },
                    )
                ]
                while (next_href := _next_link(pages[-1], self.base_url)) is not None:
                    if len(pages) >= MAX_PAGES:
                        raise SourceProtocolError(
                            f"bank: more than {MAX_PAGES} transaction pages", source="bank"
                        )
                    pages.append(await get(next_href))
                raw["transactions"][account.resource_id] = pages
        BankData.from_raw(raw)  # validate before anything downstream sees it
        return raw


def _next_link(page: Any, base_url: str) -> str | None:
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
            f"bank: the next page link leaves the bank ({there.netloc})", source="bank"
        )
    return target
