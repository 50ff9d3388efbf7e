"""Attacks on the mock bank's OAuth 2.0 server, and the flow they attack: state, PKCE downgrade
and mismatch, code replay, redirect URI variants, mix-up (``iss``), refresh-token reuse."""

from __future__ import annotations

import httpx2
import pytest
from tests.mock.conftest import BASE, CLIENT_ID, REDIRECT, SteppingClock, Tpp, pkce_pair, query_of

from brondata.errors import ConsumerLoginError
from brondata.mock.consumer import Consumer, parse_forms
from brondata.mock.population import Person

pytestmark = pytest.mark.anyio


async def test_metadata_names_the_issuer_and_requires_s256(client: httpx2.AsyncClient) -> None:
    meta = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert meta["issuer"] == BASE
    assert meta["authorization_endpoint"] == f"{BASE}/oauth/authorize"
    assert meta["token_endpoint"] == f"{BASE}/oauth/token"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert meta["response_types_supported"] == ["code"]
    assert "refresh_token" in meta["grant_types_supported"]


async def test_full_flow_returns_code_state_and_issuer(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    callback, verifier = await tpp.login(consent_id, person)
    assert callback.startswith(REDIRECT + "?")
    params = query_of(callback)
    assert params["state"] == "st-123"
    assert params["iss"] == BASE
    assert len(params["code"]) >= 40

    response = await tpp.token(params["code"], verifier)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == f"AIS:{consent_id}"
    assert body["access_token"] != body["refresh_token"]

    status = await tpp.client.get(
        f"/v1/consents/{consent_id}/status",
        headers={"X-Request-ID": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
    )
    assert status.json() == {"consentStatus": "valid"}


async def test_login_page_is_a_real_form_with_a_server_side_id(tpp: Tpp) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-frame-options"] == "DENY"
    forms, _ = parse_forms(page.text)
    assert len(forms) == 1
    form = forms[0]
    assert form.method == "post"
    assert set(form.input_types.values()) == {"hidden", "text", "password"}
    # Only an opaque id travels in the page; redirect_uri, state and PKCE stay on the server.
    assert list(form.fields) == ["authorization_id", "csrf", "username", "password"]
    assert REDIRECT not in page.text


async def test_deny_redirects_with_access_denied_and_rejects_the_consent(
    tpp: Tpp, person: Person
) -> None:
    consent_id = await tpp.create_consent()
    callback, _ = await tpp.login(consent_id, person, approve=False)
    params = query_of(callback)
    assert params["error"] == "access_denied"
    assert params["state"] == "st-123"
    assert params["iss"] == BASE
    assert "code" not in params
    status = await tpp.client.get(
        f"/v1/consents/{consent_id}",
        headers={"X-Request-ID": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
    )
    assert status.json()["consentStatus"] == "rejected"


async def test_wrong_password_shows_the_login_again_with_401(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    form = parse_forms(page.text)[0][0]
    again = await tpp.client.post(
        f"{BASE}{form.action}",
        data={**form.fields, "username": person.username, "password": "wrong"},
    )
    assert again.status_code == 401
    forms, alerts = parse_forms(again.text)
    assert forms[0].has_password()
    assert alerts == ["Onjuiste gebruikersnaam of wachtwoord."]


async def test_consumer_raises_when_the_login_is_refused(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    with pytest.raises(ConsumerLoginError, match="login refused"):
        await Consumer(tpp.client).authorize(
            tpp.authorization_url(consent_id, challenge),
            username=person.username,
            password="not-the-password",
        )


async def test_consumer_raises_on_a_page_without_a_form(tpp: Tpp, person: Person) -> None:
    _, challenge = pkce_pair()
    url = tpp.authorization_url("x", challenge).replace(CLIENT_ID, "someone-else")
    with pytest.raises(ConsumerLoginError, match="no form"):
        await Consumer(tpp.client).authorize(
            url, username=person.username, password=person.password
        )


async def test_unknown_client_gets_an_error_page_not_a_redirect(tpp: Tpp) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    url = tpp.authorization_url(consent_id, challenge).replace(CLIENT_ID, "evil-client")
    response = await tpp.client.get(url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback/bank",
        REDIRECT + "/",
        REDIRECT + "?x=1",
        REDIRECT.replace("https", "http"),
    ],
)
async def test_redirect_uri_must_match_exactly(tpp: Tpp, redirect_uri: str) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    url = tpp.authorization_url(consent_id, challenge, redirect_uri=redirect_uri)
    response = await tpp.client.get(url)
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "AIS:no-such-consent"}, "invalid_scope"),
    ],
)
async def test_bad_requests_redirect_with_an_error(
    tpp: Tpp, extra: dict[str, str], error: str
) -> None:
    consent_id = await tpp.create_consent()
    _, challenge = pkce_pair()
    response = await tpp.client.get(tpp.authorization_url(consent_id, challenge, **extra))
    assert response.status_code == 303
    params = query_of(response.headers["location"])
    assert params["error"] == error
    assert params["state"] == "st-123"
    assert params["iss"] == BASE


async def test_missing_pkce_redirects_with_invalid_request(tpp: Tpp) -> None:
    consent_id = await tpp.create_consent()
    url = tpp.authorization_url(consent_id, "x")
    url = "&".join(p for p in url.split("&") if not p.startswith("code_challenge"))
    response = await tpp.client.get(url)
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_a_consent_can_be_authorised_only_once(tpp: Tpp, person: Person) -> None:
    consent_id, _ = await tpp.connect(person)
    _, challenge = pkce_pair()
    response = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    assert query_of(response.headers["location"])["error"] == "invalid_scope"


async def test_wrong_pkce_verifier_is_refused(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    callback, _ = await tpp.login(consent_id, person)
    other_verifier, _ = pkce_pair()
    response = await tpp.token(query_of(callback)["code"], other_verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    missing = await tpp.token(query_of(callback)["code"], "")
    assert missing.json()["error"] == "invalid_grant"


async def test_token_request_must_repeat_the_redirect_uri(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    callback, verifier = await tpp.login(consent_id, person)
    response = await tpp.token(
        query_of(callback)["code"], verifier, redirect_uri="https://lender.example/other"
    )
    assert response.json()["error"] == "invalid_grant"


async def test_unknown_client_at_the_token_endpoint_is_invalid_client(
    tpp: Tpp, person: Person
) -> None:
    consent_id = await tpp.create_consent()
    callback, verifier = await tpp.login(consent_id, person)
    response = await tpp.token(query_of(callback)["code"], verifier, client_id="evil")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_reused_code_is_refused_and_revokes_its_tokens(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent()
    callback, verifier = await tpp.login(consent_id, person)
    code = query_of(callback)["code"]
    first = (await tpp.token(code, verifier)).json()
    accounts = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, first["access_token"])
    )
    assert accounts.status_code == 200

    second = await tpp.token(code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    after = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, first["access_token"])
    )
    assert after.status_code == 401
    assert after.json()["tppMessages"][0]["code"] == "TOKEN_INVALID"
    refresh = await tpp.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    assert refresh.json()["error"] == "invalid_grant"


async def test_code_expires_by_the_clock(tpp: Tpp, person: Person, clock: SteppingClock) -> None:
    consent_id = await tpp.create_consent()
    callback, verifier = await tpp.login(consent_id, person)
    clock.advance(seconds=61)
    response = await tpp.token(query_of(callback)["code"], verifier)
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "authorization code expired",
    }


async def test_refresh_token_rotates(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    refreshed = await tpp.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    ok = await tpp.client.get("/v1/accounts", headers=tpp.headers(consent_id, body["access_token"]))
    assert ok.status_code == 200
    # The old refresh token is spent; presenting it again revokes the whole grant.
    replay = await tpp.client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
        },
    )
    assert replay.json()["error"] == "invalid_grant"
    gone = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, body["access_token"])
    )
    assert gone.json()["tppMessages"][0]["code"] == "TOKEN_INVALID"


async def test_token_endpoint_errors_follow_rfc_6749(tpp: Tpp) -> None:
    wrong_type = await tpp.client.post(
        "/oauth/token", data={"grant_type": "password", "client_id": CLIENT_ID}
    )
    assert wrong_type.json()["error"] == "unsupported_grant_type"
    as_json = await tpp.client.post("/oauth/token", json={"grant_type": "authorization_code"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    repeated = await tpp.client.post(
        "/oauth/token",
        content="grant_type=authorization_code&code=a&code=b&client_id=brondata-demo",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.json()["error"] == "invalid_request"


async def test_revocation_endpoint_revokes_the_grant(tpp: Tpp, person: Person) -> None:
    consent_id, tokens = await tpp.connect(person)
    response = await tpp.client.post(
        "/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": CLIENT_ID}
    )
    assert response.status_code == 200
    after = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, tokens["access_token"])
    )
    assert after.json()["tppMessages"][0]["code"] == "TOKEN_INVALID"


async def test_access_token_expires_by_the_clock(
    tpp: Tpp, person: Person, clock: SteppingClock
) -> None:
    consent_id, tokens = await tpp.connect(person)
    clock.advance(seconds=3600)
    after = await tpp.client.get(
        "/v1/accounts", headers=tpp.headers(consent_id, tokens["access_token"])
    )
    assert after.status_code == 401
    assert after.json()["tppMessages"][0]["code"] == "TOKEN_INVALID"


async def test_approval_page_shows_what_is_asked(tpp: Tpp, person: Person) -> None:
    consent_id = await tpp.create_consent(validUntil="2027-01-31", frequencyPerDay=2)
    _, challenge = pkce_pair()
    page = await tpp.client.get(tpp.authorization_url(consent_id, challenge))
    form = parse_forms(page.text)[0][0]
    approval = await tpp.client.post(
        f"{BASE}{form.action}",
        data={**form.fields, "username": person.username, "password": person.password},
    )
    assert approval.status_code == 200
    text = approval.text
    assert "2027-01-31" in text
    assert "maximaal 2 keer per dag" in text
    for account in person.accounts:
        assert account.iban in text
    forms, _ = parse_forms(text)
    assert sorted(forms[0].buttons) == [("decision", "approve"), ("decision", "deny")]
    # The approve form cannot be replayed without the one-time token from this page.
    forged = await tpp.client.post(
        f"{BASE}{forms[0].action}",
        data={"authorization_id": forms[0].fields["authorization_id"], "decision": "approve"},
    )
    assert forged.status_code == 400
