"""The UWV connector: the verzekeringsbericht (employment relations, SV-loon per period)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi
from brondata.connectors._base import Identity, bsn_digest

__all__ = ["EmploymentConnector"]


class EmploymentConnector(DigidSourceConnector):
    """UWV: the verzekeringsbericht (employment relations and SV-loon per period)."""

    name = "employment"
    scope: ClassVar[str] = "employment"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"verzekeringsbericht": await api.get("/api/uwv/v1/verzekeringsbericht")}

    def identity(self, api: SourceApi, raw: dict[str, Any]) -> Identity:
        """The BSN the verzekeringsbericht is of (as a digest)."""
        number = (raw.get("verzekeringsbericht") or {}).get("burgerservicenummer")
        if not isinstance(number, str) or not number:
            return super().identity(api, raw)
        return Identity(bsn_digest=bsn_digest(number))
