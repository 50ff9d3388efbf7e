"""The mock bank's Berlin Group AIS interface: consents, accounts, balances, transactions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from brondata.mock.population import Person, Population

from .conftest import BASE, CLIENT_ID, PAGE_SIZE, SteppingClock, Tpp, consent_body, new_request_id

pytestmark = pytest.mark.anyio


def error_code(response: httpx2.Response) -> str:
    messages = response.json()["tppMessages"]
    assert len(messages) == 1
    assert messages[0]["category"] == "ERROR"
    return str(messages[0]["code"])


async def collect(tpp: Tpp, consent_id: str, token: str, url: str) -> list[dict[str, Any]]:
    """Every booked transaction behind ``url``, following ``_links.next``."""
    seen: list[dict[str, Any]] = []
    while True:
        response = await tpp.client.get(url, headers=tpp.headers(consent_id, token))
        assert response.status_code == 200, response.text
        report = response.json()["transactions"]
        seen += report["booked"]
        assert len(report["booked"]) <= PAGE_SIZE
        if "next" not in report["_links"]:
            return seen
        url = report["_links"]["next"]["href"]


# --- consents -------------------------------------------------------------------------------


async def test_consent_creation_answers_201_with_oauth_links(tpp: Tpp) -> None:
    request_id = new_request_id()
    response = await tpp.client.post(
        "/v1/consents",
        json=consent_body(),
        headers={"X-Request-ID": request_id, "PSU-IP-Address": "192.0.2.10"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == request_id
    assert response.headers["aspsp-sca-approach"] == "REDIRECT"
    body = response.json()
    assert body["consentStatus"] == "received"
    links = body["_links"]
    assert links["scaOAuth"]["href"] == f"{BASE}/.well-known/oauth-authorization-server"
    assert links["self"]["href"] == response.headers["location"]
    assert links["status"]["href"] == f"{links['self']['href']}/status"


@pytest.mark.parametrize(
    "body",
    [
        consent_body(frequencyPerDay=5),
        consent_body(frequencyPerDay=0),
        consent_body(frequencyPerDay="4"),
        consent_body(frequencyPerDay=True),
        consent_body(recurringIndicator="yes"),
        consent_body(combinedServiceIndicator=None),
        consent_body(validUntil="31-12-2026"),
        consent_body(validUntil="2026-02-30"),
        consent_body(validUntil="20261231"),
        consent_body(validUntil="2026-01-01"),
        consent_body(recurringIndicator=False, frequencyPerDay=4),
        consent_body(access={}),
        consent_body(access={"allPsd2": "everything"}),
        consent_body(access={"allPsd2": "allAccounts", "accounts": []}),
        consent_body(access={"accounts": [{"bban": "123"}]}),
        consent_body(access={"accounts": "NL76RABO0359400371"}),
        consent_body(extra=1),
        {k: v for k, v in consent_body().items() if k != "validUntil"},
        [consent_body()],
    ],
)
async def test_bad_consent_requests_are_format_errors(tpp: Tpp, body: Any) -> None:
    response = await tpp.client.post(
        "/v1/consents", json=body, headers={"X-Request-ID": new_request_id()}
    )
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


@pytest.mark.parametrize("headers", [{}, {"X-Request-ID": "not-a-uuid"}])
async def test_x_request_id_is_required_and_a_uuid(tpp: Tpp, headers: dict[str, str]) -> None:
    response = await tpp.client.post("/v1/consents", json=consent_body(), headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"
    if headers:
        assert response.headers["x-request-id"] == "not-a-uuid"


async def test_get_consent_and_status(tpp: Tpp, person: Person, clock: SteppingClock) -> None:
    consent_id = await tpp.create_consent(validUntil="9999-12-31")
    headers = {"X-Request-ID": new_request_id()}
    info = (await tpp.client.get(f"/v1/consents/{consent_id}", headers=headers)).json()
    assert info["consentStatus"] == "received"
    # The bank caps the validity at 180 days.
    assert info["validUntil"] == (clock.now().date() + timedelta(days=180)).isoformat()
    assert info["lastActionDate"] == clock.now().date().isoformat()
    assert info["access"] == {"allPsd2": "allAccounts"}
    unknown = await tpp.client.get("/v1/consents/nope/status", headers=headers)
    assert unknown.status_code == 403
    assert error_code(unknown) == "CONSENT_UNKNOWN"


async def test_delete_terminates_the_consent_and_its_tokens(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    deleted = await tpp.client.delete(
        f"/v1/consents/{consent_id}",
        headers={
            "X-Request-ID": new_request_id(),
            "Authorization": f"Bearer {tokens['access_token']}",
        },
    )
    assert deleted.status_code == 204
    status = await tpp.client.get(
        f"/v1/consents/{consent_id}/status", headers={"X-Request-ID": new_request_id()}
    )
    assert status.json() == {"consentStatus": "terminatedByTpp"}
    after = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, tokens["access_token"])
    )
    assert after.status_code == 401
    assert error_code(after) == "CONSENT_INVALID"


async def test_a_new_recurring_consent_expires_the_old_one(tpp: Tpp, person: Person) -> None:
    old_id, old_tokens = await tpp.connect(person)
    pending_id = await tpp.create_consent()
    # Not yet: the old consent stays valid until the new one is authorised.
    status = await tpp.client.get(
        f"/v1/consents/{old_id}/status", headers={"X-Request-ID": new_request_id()}
    )
    assert status.json()["consentStatus"] == "valid"
    await tpp.login(pending_id, person)
    status = await tpp.client.get(
        f"/v1/consents/{old_id}/status", headers={"X-Request-ID": new_request_id()}
    )
    assert status.json()["consentStatus"] == "expired"
    after = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(old_id, old_tokens["access_token"])
    )
    assert error_code(after) == "CONSENT_EXPIRED"


async def test_bank_offered_consent_reports_the_granted_accounts(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(
        person, access={"accounts": [], "balances": [], "transactions": []}
    )
    info = (
        await tpp.client.get(
            f"/v1/consents/{consent_id}",
            headers={
                "X-Request-ID": new_request_id(),
                "Authorization": f"Bearer {tokens['access_token']}",
            },
        )
    ).json()
    granted = [{"iban": iban} for iban in sorted(a.iban for a in person.accounts)]
    assert info["access"] == {"accounts": granted, "balances": granted, "transactions": granted}


# --- account information --------------------------------------------------------------------


async def test_accounts_list_the_persons_accounts(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    headers = tpp.headers(consent_id, tokens["access_token"])
    response = await tpp.client.get("/v1/accounts?withBalance=true", headers=headers)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == headers["X-Request-ID"]
    accounts = response.json()["accounts"]
    assert [a["iban"] for a in accounts] == [a.iban for a in person.accounts]
    assert [a["cashAccountType"] for a in accounts] == ["CACC", "SVGS"]
    for shown, account in zip(accounts, person.accounts, strict=True):
        assert shown["resourceId"] == account.resource_id
        assert shown["ownerName"] == account.owner_name
        assert shown["_links"]["transactions"]["href"].endswith(
            f"/v1/accounts/{account.resource_id}/transactions"
        )
        closing = next(b for b in shown["balances"] if b["balanceType"] == "closingBooked")
        assert Decimal(closing["balanceAmount"]["amount"]) == person.closing_booked(account.iban)


async def test_balances_match_the_transactions(
    tpp: Tpp, person: Person, population: Population
) -> None:
    consent_id, tokens = await tpp.connect(person)
    token = tokens["access_token"]
    for account in person.accounts:
        url = f"/v1/accounts/{account.resource_id}"
        balances = (
            await tpp.client.get(f"{url}/balances", headers=tpp.headers(consent_id, token))
        ).json()
        assert balances["account"] == {"iban": account.iban}
        closing = next(b for b in balances["balances"] if b["balanceType"] == "closingBooked")
        assert closing["referenceDate"] == (population.as_of - timedelta(days=1)).isoformat()
        booked = await collect(
            tpp, consent_id, token, f"{url}/transactions?bookingStatus=booked&dateFrom=2000-01-01"
        )
        total = sum((Decimal(t["transactionAmount"]["amount"]) for t in booked), Decimal(0))
        assert Decimal(closing["balanceAmount"]["amount"]) == account.opening_balance + total


async def test_paging_returns_every_transaction_exactly_once(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    account = person.accounts[0]
    url = (
        f"/v1/accounts/{account.resource_id}/transactions?bookingStatus=booked&dateFrom=2025-11-01"
    )
    booked = await collect(tpp, consent_id, tokens["access_token"], url)
    ids = [t["transactionId"] for t in booked]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(t.transaction_id for t in person.transactions_of(account.iban))
    assert len(ids) > 3 * PAGE_SIZE  # the test really pages


async def test_transactions_look_like_a_real_banks(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    account = person.accounts[0]
    url = (
        f"/v1/accounts/{account.resource_id}/transactions"
        "?bookingStatus=both&dateFrom=2026-10-01&dateTo=2026-10-31"
    )
    response = await tpp.client.get(url, headers=tpp.headers(consent_id, tokens["access_token"]))
    body = response.json()
    assert body["account"] == {"iban": account.iban}
    booked = body["transactions"]["booked"]
    assert "pending" in body["transactions"]
    assert all("2026-10-01" <= t["bookingDate"] <= "2026-10-31" for t in booked)
    salary = [t for t in booked if t.get("debtorName") == person.employer]
    assert len(salary) == 1
    assert salary[0]["bankTransactionCode"] == "PMNT-RCDT-ESCT"
    assert salary[0]["debtorAccount"] == {"iban": person.employer_iban}
    assert Decimal(salary[0]["transactionAmount"]["amount"]) > 0
    debits = [t for t in booked if Decimal(t["transactionAmount"]["amount"]) < 0]
    assert debits
    assert all("creditorName" in t and "debtorName" not in t for t in debits)
    codes = {t["bankTransactionCode"] for t in booked}
    assert {"PMNT-CCRD-POSD", "PMNT-RDDT-ESDD"} <= codes
    # The generator's ground truth never leaks into the API.
    assert "category" not in response.text
    assert "groceries" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        "bookingStatus=booked",
        "bookingStatus=booked&dateFrom=2026-13-01",
        "bookingStatus=booked&dateFrom=2026-10-01&dateTo=2026-09-01",
        "bookingStatus=booked&dateFrom=yesterday",
        "bookingStatus=everything&dateFrom=2026-10-01",
        "dateFrom=2026-10-01",
        "bookingStatus=booked&dateFrom=2026-10-01&page=forged-cursor",
        "bookingStatus=booked&entryReferenceFrom=unknown",
    ],
)
async def test_bad_transaction_queries_are_format_errors(
    tpp: Tpp, person: Person, query: str
) -> None:
    consent_id, tokens = await tpp.connect(person)
    url = f"/v1/accounts/{person.accounts[0].resource_id}/transactions?{query}"
    response = await tpp.client.get(url, headers=tpp.headers(consent_id, tokens["access_token"]))
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_delta_list_and_entry_reference(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    token = tokens["access_token"]
    base = f"/v1/accounts/{person.accounts[0].resource_id}/transactions?bookingStatus=booked"
    everything = await collect(tpp, consent_id, token, f"{base}&deltaList=true")
    assert len(everything) == len(person.transactions_of(person.iban))
    assert await collect(tpp, consent_id, token, f"{base}&deltaList=true") == []
    history = person.transactions_of(person.iban)
    after = await collect(
        tpp, consent_id, token, f"{base}&entryReferenceFrom={history[-3].transaction_id}"
    )
    assert {t["transactionId"] for t in after} == {t.transaction_id for t in history[-2:]}


# --- errors ---------------------------------------------------------------------------------


async def test_missing_consent_id_is_a_format_error(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    headers = tpp.headers(consent_id, tokens["access_token"])
    del headers["Consent-ID"]
    response = await tpp.client.get("/v1/accounts", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "FORMAT_ERROR"


async def test_unknown_consent_is_consent_unknown(tpp: Tpp, person: Person) -> None:
    _, tokens = await tpp.connect(person)
    response = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers("no-such-consent", tokens["access_token"])
    )
    assert response.status_code == 403
    assert error_code(response) == "CONSENT_UNKNOWN"


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer unknown-token", "Basic abc"])
async def test_missing_or_unknown_token_is_token_invalid(
    tpp: Tpp, person: Person, authorization: str | None
) -> None:
    consent_id, _ = await tpp.connect(person)
    headers = tpp.headers(consent_id, "x")
    del headers["Authorization"]
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await tpp.client.get("/v1/accounts", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "TOKEN_INVALID"


async def test_token_of_another_consent_is_consent_invalid(
    tpp: Tpp, person: Person, population: Population
) -> None:
    _, tokens = await tpp.connect(person)
    other_id, _ = await tpp.connect(population.person(person.index + 1))
    response = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(other_id, tokens["access_token"])
    )
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


@pytest.mark.parametrize("approve", [None, False])
async def test_unauthorised_or_rejected_consent_is_consent_invalid(
    tpp: Tpp, person: Person, approve: bool | None
) -> None:
    _, tokens = await tpp.connect(person, recurringIndicator=False, frequencyPerDay=1)
    consent_id = await tpp.create_consent(recurringIndicator=False, frequencyPerDay=1)
    if approve is not None:
        await tpp.login(consent_id, person, approve=approve)
    response = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, tokens["access_token"])
    )
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_INVALID"


async def test_expired_consent_is_consent_expired(
    tpp: Tpp, person: Person, clock: SteppingClock
) -> None:
    valid_until = clock.now().date() + timedelta(days=2)
    consent_id, tokens = await tpp.connect(person, validUntil=valid_until.isoformat())
    clock.advance(days=3)
    response = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, tokens["access_token"])
    )
    assert response.status_code == 401
    assert error_code(response) == "CONSENT_EXPIRED"
    status = await tpp.client.get(
        f"/v1/consents/{consent_id}/status", headers={"X-Request-ID": new_request_id()}
    )
    assert status.json() == {"consentStatus": "expired"}


async def test_account_outside_the_consent_is_resource_unknown(
    tpp: Tpp, person: Person, population: Population
) -> None:
    consent_id, tokens = await tpp.connect(
        person, access={"accounts": [{"iban": person.iban}], "balances": [{"iban": person.iban}]}
    )
    headers = tpp.headers(consent_id, tokens["access_token"])
    savings = person.accounts[1].resource_id
    for resource in (savings, population.person(person.index + 1).accounts[0].resource_id, "x"):
        response = await tpp.client.get(f"/v1/accounts/{resource}/balances", headers=headers)
        assert response.status_code == 404
        assert error_code(response) == "RESOURCE_UNKNOWN"
    listed = (await tpp.client.get("/v1/accounts", headers=headers)).json()["accounts"]
    assert [a["iban"] for a in listed] == [person.iban]
    # Balances were granted, transactions were not.
    own = person.accounts[0].resource_id
    ok = await tpp.client.get(f"/v1/accounts/{own}/balances", headers=headers)
    assert ok.status_code == 200
    refused = await tpp.client.get(
        f"/v1/accounts/{own}/transactions?bookingStatus=booked&dateFrom=2026-10-01",
        headers=headers,
    )
    assert refused.status_code == 401
    assert error_code(refused) == "CONSENT_INVALID"


async def test_frequency_per_day_is_enforced_without_psu(
    tpp: Tpp, person: Person, clock: SteppingClock
) -> None:
    consent_id, tokens = await tpp.connect(person, frequencyPerDay=2)
    token = tokens["access_token"]
    for _ in range(2):
        ok = await tpp.client.get("/v1/accounts", headers=tpp.headers(consent_id, token))
        assert ok.status_code == 200
    limited = await tpp.client.get("/v1/accounts", headers=tpp.headers(consent_id, token))
    assert limited.status_code == 429
    assert error_code(limited) == "ACCESS_EXCEEDED"
    # A PSU-IP-Address header does not lift the limit; another resource has its own count.
    present = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, token, psu_ip=True)
    )
    assert present.status_code == 429
    balances = f"/v1/accounts/{person.accounts[0].resource_id}/balances"
    assert (await tpp.client.get(balances, headers=tpp.headers(consent_id, token))).is_success
    # A new day, a new allowance (and, the access token having expired, a refreshed token).
    clock.advance(days=1)
    refreshed = await tpp.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    token = refreshed.json()["access_token"]
    again = await tpp.client.get("/v1/accounts", headers=tpp.headers(consent_id, token))
    assert again.status_code == 200


async def test_follow_up_pages_do_not_count(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person, frequencyPerDay=1)
    url = (
        f"/v1/accounts/{person.accounts[0].resource_id}/transactions"
        "?bookingStatus=booked&dateFrom=2025-11-01"
    )
    booked = await collect(tpp, consent_id, tokens["access_token"], url)
    assert len(booked) > PAGE_SIZE
    response = await tpp.client.get(url, headers=tpp.headers(consent_id, tokens["access_token"]))
    assert response.status_code == 429
    assert error_code(response) == "ACCESS_EXCEEDED"


async def test_available_accounts_consent_lists_accounts_only(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person, access={"availableAccounts": "allAccounts"})
    headers = tpp.headers(consent_id, tokens["access_token"])
    accounts = (await tpp.client.get("/v1/accounts?withBalance=true", headers=headers)).json()
    assert all("balances" not in a and a["_links"] == {} for a in accounts["accounts"])
    response = await tpp.client.get(
        f"/v1/accounts/{person.accounts[0].resource_id}/balances", headers=headers
    )
    assert error_code(response) == "CONSENT_INVALID"


async def test_x_request_id_is_echoed_on_errors(tpp: Tpp) -> None:
    request_id = new_request_id()
    response = await tpp.client.get("/v1/accounts", headers={"X-Request-ID": request_id})
    assert response.status_code == 400
    assert response.headers["x-request-id"] == request_id
