"""The shared base of the government sources behind DigiD (tax, pension, UWV, BRP, Kadaster).

Each is an OAuth 2.0 source behind DigiD: the consumer logs in with DigiD at the source, the
source's authorization server issues the token, and the API answers for the logged-in person
only. Sources that are queried by citizen service number (BRP, BRK) learn it from the source's
own ``userinfo`` endpoint after login; the BSN is used for that query and is never stored,
logged or released unless ``person.bsn`` itself was requested under a legal obligation.

The per-source connectors live with their source kind, in ``brondata.sources.<kind>``.
"""

from __future__ import annotations

from typing import Any

from brondata.connectors._oauth_source import OAuthSourceConnector, SourceApi
from brondata.errors import SourceProtocolError

__all__ = ["DigidSourceConnector", "embedded"]


class DigidSourceConnector(OAuthSourceConnector):
    """A source behind DigiD; ``_bsn`` reads the logged-in person's BSN from ``userinfo``."""

    async def _bsn(self, api: SourceApi) -> str:
        info = await api.get("/oauth/userinfo")
        bsn = info.get("burgerservicenummer") if isinstance(info, dict) else None
        if not isinstance(bsn, str) or not bsn.isdigit() or len(bsn) != 9:
            raise SourceProtocolError(
                f"{self.name}: userinfo names no citizen service number", source=self.name
            )
        api.bsn = bsn  # for the identity check across sources; never stored
        return bsn


def embedded(collection: Any, key: str, source: str) -> list[dict[str, Any]]:
    """The ``_embedded[key]`` list of a HAL collection (an absent list is an empty one)."""
    if not isinstance(collection, dict):
        raise SourceProtocolError(f"{source}: expected a HAL collection", source=source)
    items = (collection.get("_embedded") or {}).get(key, [])
    if not isinstance(items, list):
        raise SourceProtocolError(f"{source}: _embedded.{key} is not a list", source=source)
    return items
