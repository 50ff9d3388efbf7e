"""The bank's raw data: Berlin Group NextGenPSD2 (1.3.x) account information, parsed.

The connector keeps the responses as received; ``BankData.from_raw`` parses them into these
models, and the mapping reads only the models. A payload that does not fit them is a
``SourceProtocolError``, so no record is ever built from malformed bank data.

``combine`` puts the raw data of several banks side by side as one input: each account's
resource id is prefixed with its bank's instance id, so two banks' ids never collide.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from brondata.errors import SourceProtocolError

__all__ = ["BankAccount", "BankData", "BankTransaction", "combine"]


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
    """What the bank returned, parsed: the input of ``brondata.sources.bank.mapping``."""

    accounts: tuple[BankAccount, ...]
    balances: dict[str, tuple[Balance, ...]] = {}
    transactions: dict[str, tuple[BankTransaction, ...]] = {}
    period_start: date
    period_end: date

    @classmethod
    def from_raw(cls, raw: dict[str, Any], source: str = "bank") -> BankData:
        """Parse the raw responses kept in a ``SourceResponse``; errors name ``source``."""
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
                f"{source}: the response does not match the Berlin Group schema: "
                f"{_first_line(exc)}",
                source=source,
            ) from None

    @classmethod
    def parsed(cls, raw: Mapping[str, Any], source: str = "bank") -> BankData:
        """``from_raw``, once per raw object: the connector validates the raw data it
        returns, and the identity check and the mapping read that same object again. ``raw``
        must not change once parsed here; the connector's finished responses never do."""
        key = id(raw)
        hit = _PARSED.get(key)
        if hit is not None and hit[0] is raw:
            return hit[1]
        data = cls.from_raw(dict(raw), source)
        _PARSED[key] = (raw, data)
        while len(_PARSED) > _PARSED_KEPT:
            try:
                del _PARSED[next(iter(_PARSED))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                break
        return data


# The last few raw objects parsed, by id, each with the object itself (so that an id reused
# by a new object is no hit). A session's steps follow one another within milliseconds; the
# bound keeps the memory to a handful of banks' answers.
_PARSED: dict[int, tuple[Mapping[str, Any], BankData]] = {}
_PARSED_KEPT = 16


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def combine(raws: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The raw data of several banks (``{instance id: raw}``) as one bank's raw data."""
    accounts: list[Any] = []
    balances: dict[str, Any] = {}
    transactions: dict[str, Any] = {}
    periods = []
    for instance, raw in sorted(raws.items()):
        try:
            listed = raw["accounts"]["accounts"]
            periods.append(raw["period"])
        except (KeyError, TypeError):
            raise SourceProtocolError(
                f"{instance}: the response does not match the Berlin Group schema",
                source=instance,
            ) from None
        for account in listed:
            account = dict(account)
            account["resourceId"] = f"{instance}/{account.get('resourceId')}"
            accounts.append(account)
        for key, value in raw.get("balances", {}).items():
            balances[f"{instance}/{key}"] = value
        for key, value in raw.get("transactions", {}).items():
            transactions[f"{instance}/{key}"] = value
    # Every bank is read over the same period (the gateway asks each for the same months).
    return {
        "accounts": {"accounts": accounts},
        "balances": balances,
        "transactions": transactions,
        "period": periods[0] if periods else {},
    }
