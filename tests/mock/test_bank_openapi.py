"""The mock bank's responses validated against the Berlin Group NextGenPSD2 1.3.9 OpenAPI file.

Each response is checked against the schema the specification names for that path, method,
status and ``application/json``, with every ``#/components/...`` reference resolved inside the
specification. OpenAPI 3.0 schemas are JSON Schema draft 4 plus ``nullable``, which is turned
into a ``null`` type before validation. Formats (``date``, ``date-time``) are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from brondata.mock.population import SCENARIOS, Person, Population

from ._openapi import FORMATS, Spec
from .conftest import SteppingClock, Tpp, consent_body, new_request_id

pytestmark = pytest.mark.anyio


# The copy of the specification kept as reference has the message-code enums stripped; these
# are the AIS codes the Berlin Group implementation guidelines define per HTTP status.
AIS_CODES = {
    400: {
        "FORMAT_ERROR",
        "PARAMETER_NOT_CONSUMED",
        "PARAMETER_NOT_SUPPORTED",
        "SERVICE_INVALID",
        "RESOURCE_UNKNOWN",
        "RESOURCE_EXPIRED",
        "RESOURCE_BLOCKED",
        "TIMESTAMP_INVALID",
        "PERIOD_INVALID",
        "SCA_METHOD_UNKNOWN",
        "CONSENT_UNKNOWN",
        "SESSIONS_NOT_SUPPORTED",
    },
    401: {
        "CERTIFICATE_INVALID",
        "ROLE_INVALID",
        "CERTIFICATE_EXPIRED",
        "CERTIFICATE_BLOCKED",
        "CERTIFICATE_REVOKED",
        "CERTIFICATE_MISSING",
        "SIGNATURE_INVALID",
        "SIGNATURE_MISSING",
        "CORPORATE_ID_INVALID",
        "PSU_CREDENTIALS_INVALID",
        "CONSENT_INVALID",
        "CONSENT_EXPIRED",
        "TOKEN_UNKNOWN",
        "TOKEN_INVALID",
        "TOKEN_EXPIRED",
    },
    403: {
        "CONSENT_UNKNOWN",
        "SERVICE_BLOCKED",
        "RESOURCE_UNKNOWN",
        "RESOURCE_EXPIRED",
        "PRODUCT_INVALID",
    },
    404: {"RESOURCE_UNKNOWN"},
    429: {"ACCESS_EXCEEDED"},
}


@pytest.fixture(scope="module")
def spec(reference: Path) -> Spec:
    return Spec(reference / "openapi" / "berlin-group-nextgenpsd2-1.3.9.yaml")


class Checker:
    """Validates a live response against the specification and counts what it checked."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.checked: set[tuple[str, str, int]] = set()

    def __call__(self, response: httpx2.Response, path: str, method: str) -> dict[str, Any]:
        status = response.status_code
        body = response.json()
        self.spec.validate(body, self.spec.response_schema(path, method, status))
        if status >= 400:
            for message in body["tppMessages"]:
                assert message["code"] in AIS_CODES[status], message
        assert response.headers["x-request-id"] == response.request.headers["x-request-id"]
        self.checked.add((path, method, status))
        return dict(body)


@pytest.fixture
def check(spec: Spec) -> Iterator[Checker]:
    checker = Checker(spec)
    yield checker
    assert checker.checked, "nothing was validated"


def test_formats_are_really_checked() -> None:
    assert "date" in FORMATS.checkers


def test_the_specification_resolves_and_rejects(spec: Spec) -> None:
    """The validator is not vacuous: bodies that break the schemas are refused."""
    for path, method, status, body in [
        ("/v1/consents", "post", 201, {"consentId": 7, "consentStatus": "received"}),
        ("/v1/consents/{consentId}/status", "get", 200, {"consentStatus": "fine"}),
        ("/v1/accounts", "get", 200, {"accounts": [{"iban": "NL76RABO0359400371"}]}),
        (
            "/v1/accounts/{account-id}/transactions",
            "get",
            200,
            {"transactions": {"booked": [{"bookingDate": "2026-13-01"}], "_links": {}}},
        ),
        ("/v1/accounts", "get", 429, {"tppMessages": [{"category": "FATAL", "code": "X"}]}),
    ]:
        schema = spec.response_schema(path, method, status)
        with pytest.raises(AssertionError):
            spec.validate(body, schema)


def test_the_consent_request_the_tests_send_is_valid(spec: Spec) -> None:
    spec.validate(consent_body(), spec.component("consents"))
    spec.validate(
        consent_body(access={"accounts": [{"iban": "NL76RABO0359400371"}]}),
        spec.component("consents"),
    )


async def test_consent_responses_follow_the_specification(
    tpp: Tpp, person: Person, check: Checker
) -> None:
    created = await tpp.client.post(
        "/v1/consents", json=consent_body(), headers={"X-Request-ID": new_request_id()}
    )
    consent_id = check(created, "/v1/consents", "post")["consentId"]
    headers = {"X-Request-ID": new_request_id()}
    check(
        await tpp.client.get(f"/v1/consents/{consent_id}", headers=headers),
        "/v1/consents/{consentId}",
        "get",
    )
    check(
        await tpp.client.get(f"/v1/consents/{consent_id}/status", headers=headers),
        "/v1/consents/{consentId}/status",
        "get",
    )
    await tpp.login(consent_id, person)
    info = check(
        await tpp.client.get(f"/v1/consents/{consent_id}", headers=headers),
        "/v1/consents/{consentId}",
        "get",
    )
    assert info["consentStatus"] == "valid"
    bad = await tpp.client.post(
        "/v1/consents", json=consent_body(frequencyPerDay=9), headers=headers
    )
    check(bad, "/v1/consents", "post")
    unknown = await tpp.client.get("/v1/consents/unknown", headers=headers)
    check(unknown, "/v1/consents/{consentId}", "get")
    assert unknown.status_code == 403


@pytest.fixture(params=["general", *SCENARIOS])
def account_holder(
    request: pytest.FixtureRequest, person: Person, population: Population
) -> Person:
    """The multi-account person, then the first person of every scenario."""
    return person if request.param == "general" else population.scenario(request.param)


async def test_account_responses_follow_the_specification(
    tpp: Tpp, account_holder: Person, check: Checker
) -> None:
    person = account_holder
    consent_id, tokens = await tpp.connect(person)
    token = tokens["access_token"]
    accounts = check(
        await tpp.client.get(
            "/v1/accounts?withBalance=true", headers=tpp.headers(consent_id, token)
        ),
        "/v1/accounts",
        "get",
    )
    held = person.accounts_at("mockbank")  # this app is the mockbank; noordbank is another
    assert len(accounts["accounts"]) == len(held)
    for account in held:
        url = f"/v1/accounts/{account.resource_id}"
        check(
            await tpp.client.get(url, headers=tpp.headers(consent_id, token)),
            "/v1/accounts/{account-id}",
            "get",
        )
        check(
            await tpp.client.get(f"{url}/balances", headers=tpp.headers(consent_id, token)),
            "/v1/accounts/{account-id}/balances",
            "get",
        )
        page: str | None = (
            f"{url}/transactions?bookingStatus=both&dateFrom=2025-11-01&withBalance=true"
        )
        pages = 0
        while page is not None:
            body = check(
                await tpp.client.get(page, headers=tpp.headers(consent_id, token, psu_ip=True)),
                "/v1/accounts/{account-id}/transactions",
                "get",
            )
            page = body["transactions"]["_links"].get("next", {}).get("href")
            pages += 1
        assert pages > 1 or len(person.transactions_of(account.iban)) <= 20
        check(
            await tpp.client.get(
                f"{url}/transactions?bookingStatus=pending&dateFrom=2025-11-01",
                headers=tpp.headers(consent_id, token),
            ),
            "/v1/accounts/{account-id}/transactions",
            "get",
        )


async def test_error_responses_follow_the_specification(
    tpp: Tpp, person: Person, population: Population, clock: SteppingClock, check: Checker
) -> None:
    consent_id, tokens = await tpp.connect(
        person, frequencyPerDay=1, validUntil=(clock.now().date() + timedelta(days=1)).isoformat()
    )
    token = tokens["access_token"]
    other_id, _ = await tpp.connect(population.person(person.index + 1))
    accounts = "/v1/accounts"
    transactions = f"/v1/accounts/{person.accounts[0].resource_id}/transactions"
    cases: list[tuple[str, str, dict[str, str], int, str]] = [
        (accounts, accounts, {"X-Request-ID": new_request_id()}, 400, "FORMAT_ERROR"),
        (
            f"{transactions}?bookingStatus=booked&dateFrom=bad",
            "/v1/accounts/{account-id}/transactions",
            tpp.headers(consent_id, token),
            400,
            "FORMAT_ERROR",
        ),
        (accounts, accounts, tpp.headers(consent_id, "forged"), 401, "TOKEN_INVALID"),
        (accounts, accounts, tpp.headers(other_id, token), 401, "CONSENT_INVALID"),
        (accounts, accounts, tpp.headers("nope", token), 403, "CONSENT_UNKNOWN"),
        (
            "/v1/accounts/nope/balances",
            "/v1/accounts/{account-id}/balances",
            tpp.headers(consent_id, token),
            404,
            "RESOURCE_UNKNOWN",
        ),
        (accounts, accounts, tpp.headers(consent_id, token), 200, ""),
        (accounts, accounts, tpp.headers(consent_id, token), 429, "ACCESS_EXCEEDED"),
    ]
    for url, path, headers, status, code in cases:
        response = await tpp.client.get(url, headers=headers)
        assert response.status_code == status, (url, response.text)
        body = check(response, path, "get")
        if code:
            assert body["tppMessages"][0]["code"] == code
    clock.advance(days=2)
    expired = await tpp.client.get(accounts, headers=tpp.headers(consent_id, token))
    assert check(expired, accounts, "get")["tppMessages"][0]["code"] == "CONSENT_EXPIRED"
