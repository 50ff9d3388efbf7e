"""The pension registry connector: Mijnpensioenoverzicht's ``Pensioenaanspraken`` export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi

__all__ = ["PensionConnector"]


class PensionConnector(DigidSourceConnector):
    """Mijnpensioenoverzicht: the ``Pensioenaanspraken`` export."""

    name = "pension"
    scope: ClassVar[str] = "pension"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"export": await api.get("/api/mpo/v1/pensioenaanspraken")}
