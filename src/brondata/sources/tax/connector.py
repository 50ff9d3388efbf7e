"""The tax authority connector: the pre-filled income tax return (VIA) behind DigiD."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi
from brondata.errors import SourceProtocolError

__all__ = ["TaxConnector"]


class TaxConnector(DigidSourceConnector):
    """The pre-filled income tax return (VIA) of the last complete tax year."""

    name = "tax"
    scope: ClassVar[str] = "tax"
    path: ClassVar[str] = "/api/via/v1/aangiften"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        listing = await api.get(self.path)
        try:
            years = [int(entry["belastingjaar"]) for entry in listing["belastingjaren"]]
        except (KeyError, TypeError, ValueError):
            raise SourceProtocolError(
                "tax: the list of tax years is malformed", source="tax"
            ) from None
        complete = [y for y in years if y < today.year]
        if not complete:
            return {"belastingjaren": years, "aangifte": None}
        year = max(complete)
        return {"belastingjaren": years, "aangifte": await api.get(f"{self.path}/{year}")}
