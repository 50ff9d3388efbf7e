"""How a source's HTTP answers become typed errors: one table, for every connector."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from brondata.connectors import OAuthEndpoints, SourceApi
from brondata.connectors._base import json_body
from brondata.errors import (
    IssuerMismatchError,
    SourceProtocolError,
    SourceRateLimitedError,
    SourceRejectedError,
    SourceTimeoutError,
    SourceUnavailableError,
)
from brondata.sources.duo.connector import DuoConnector

pytestmark = pytest.mark.anyio

TPP = {"tppMessages": [{"category": "ERROR", "code": "ACCESS_EXCEEDED", "text": "too often"}]}


def answer(status: int, body: Any = None, content: bytes | None = None) -> httpx2.Response:
    request = httpx2.Request("GET", "https://bank.example/v1/accounts")
    if content is not None:
        return httpx2.Response(status, content=content, request=request)
    return httpx2.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("response", "error", "said"),
    [
        (answer(429, TPP), SourceRateLimitedError, "ACCESS_EXCEEDED: too often"),
        (answer(500, {}), SourceUnavailableError, "HTTP 500"),
        (answer(503, content=b"<html>down</html>"), SourceUnavailableError, "HTTP 503"),
        (answer(404, {"code": "RESOURCE_UNKNOWN"}), SourceRejectedError, "RESOURCE_UNKNOWN"),
        (answer(401, {"error": "invalid_token"}), SourceRejectedError, "invalid_token"),
        (answer(200, content=b"{not json"), SourceProtocolError, "not valid JSON"),
        (answer(200, content=b"\xff\xfe"), SourceProtocolError, "not valid JSON"),
    ],
)
def test_status_and_body_map_to_one_typed_error(
    response: httpx2.Response, error: type[Exception], said: str
) -> None:
    with pytest.raises(error) as caught:
        json_body("bank.noordbank", response)
    assert said in str(caught.value)
    assert getattr(caught.value, "source", None) == "bank.noordbank"


def test_a_good_answer_is_its_json() -> None:
    assert json_body("tax", answer(200, {"a": 1})) == {"a": 1}


async def failing(exc: Exception) -> Exception:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise exc

    connector = DuoConnector(
        base_url="https://duo.example",
        client_id="demo",
        transport=httpx2.MockTransport(handler),
        timeout=1.0,
    )
    api = SourceApi(connector, {"access_token": "t", "token_type": "Bearer"}, {})
    try:
        await api.get("https://duo.example/api")
    except Exception as raised:
        return raised
    finally:
        await connector.aclose()
    raise AssertionError("no error")


async def test_a_timeout_and_an_unreachable_source_are_typed() -> None:
    timeout = await failing(httpx2.ReadTimeout("slow"))
    assert isinstance(timeout, SourceTimeoutError)
    down = await failing(httpx2.ConnectError("refused"))
    assert isinstance(down, SourceUnavailableError)
    assert "duo" in str(down)


METADATA = {
    "issuer": "https://bank.example",
    "authorization_endpoint": "https://bank.example/oauth/authorize",
    "token_endpoint": "https://bank.example/oauth/token",
    "code_challenge_methods_supported": ["S256"],
}


def test_metadata_must_name_the_issuer_asked_and_support_pkce() -> None:
    ok = OAuthEndpoints.from_metadata("bank", METADATA, "https://bank.example/")
    assert ok.token_endpoint.endswith("/oauth/token")
    with pytest.raises(IssuerMismatchError):
        OAuthEndpoints.from_metadata("bank", METADATA, "https://other.example")
    with pytest.raises(SourceProtocolError, match="PKCE S256"):
        OAuthEndpoints.from_metadata(
            "bank", {**METADATA, "code_challenge_methods_supported": ["plain"]}, METADATA["issuer"]
        )
    with pytest.raises(SourceProtocolError, match="lacks token_endpoint"):
        OAuthEndpoints.from_metadata(
            "bank", {k: v for k, v in METADATA.items() if k != "token_endpoint"}, METADATA["issuer"]
        )
    with pytest.raises(SourceProtocolError, match="not a JSON object"):
        OAuthEndpoints.from_metadata("bank", ["x"], METADATA["issuer"])
