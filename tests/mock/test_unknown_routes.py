"""Every mock answers an unknown path (404) and a wrong method (405, with ``Allow``) in its own
API's error style, never Starlette's plain-text default: Haal Centraal ``Foutbericht``
(problem+json) for BRP, BRK and WOZ, Berlin Group ``tppMessages`` for the banks, ``{code,
message}`` for the other government JSON APIs, an HTML page for DigiD."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from brondata.testing import MockSources

pytestmark = pytest.mark.anyio

APPS = [*MockSources.source_names(), "digid"]
#: A path each app serves, asked with a method it does not take.
WRONG_METHOD = {"digid": ("PUT", "/login")}
DEFAULT_WRONG = ("PUT", "/.well-known/oauth-authorization-server")
HAAL_CENTRAAL = {"population", "land_registry"}


def check_style(name: str, response: httpx2.Response, status: int, base_url: str) -> None:
    assert response.status_code == status
    kind = name.split(".")[0]
    media = response.headers["content-type"]
    if name == "digid":
        assert media.startswith("text/html")
        assert "Er ging iets mis" in response.text
        return
    body: Any = response.json()
    if kind in HAAL_CENTRAAL:
        assert media.startswith("application/problem+json")
        assert body["status"] == status
        assert body["code"] == {404: "notFound", 405: "methodNotAllowed"}[status]
        assert body["title"]
        assert body["instance"].startswith(base_url + "/")
    elif kind == "bank":
        assert media.startswith("application/json")
        code = {404: "RESOURCE_UNKNOWN", 405: "SERVICE_INVALID"}[status]
        assert body["tppMessages"][0]["code"] == code
        assert body["tppMessages"][0]["category"] == "ERROR"
    else:
        assert media.startswith("application/json")
        assert body["code"] == {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}[status]
        assert body["message"]


@pytest.mark.parametrize("name", APPS)
async def test_unknown_path_and_wrong_method_in_the_apis_own_style(name: str) -> None:
    sources = MockSources(seed=2)
    app = sources.all_apps()[name]
    base_url = sources.digid_url if name == "digid" else sources.base_urls[name]
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=base_url
    ) as client:
        check_style(name, await client.get("/no/such/path"), 404, base_url)
        method, path = WRONG_METHOD.get(name, DEFAULT_WRONG)
        wrong = await client.request(method, path)
        check_style(name, wrong, 405, base_url)
        assert "GET" in wrong.headers["allow"]
