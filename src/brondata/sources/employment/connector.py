"""The UWV connector: the verzekeringsbericht (employment relations, SV-loon per period)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi

__all__ = ["EmploymentConnector"]


class EmploymentConnector(DigidSourceConnector):
    """UWV: the verzekeringsbericht (employment relations and SV-loon per period)."""

    name = "employment"
    scope: ClassVar[str] = "employment"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"verzekeringsbericht": await api.get("/api/uwv/v1/verzekeringsbericht")}
