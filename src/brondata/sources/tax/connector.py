"""The tax authority connector: the pre-filled income tax return (VIA) behind DigiD."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi
from brondata.connectors._base import Identity, bsn_digest
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

    def identity(self, api: SourceApi, raw: dict[str, Any]) -> Identity:
        """The BSN the return is of, and its fiscal partner's (as digests)."""
        aangifte = raw.get("aangifte") or {}
        return Identity(
            bsn_digest=_number(aangifte.get("belastingplichtige")),
            partner_digest=_number(aangifte.get("fiscaalPartner")),
        )


def _number(person: object) -> str | None:
    """The digest of the BSN a return names for ``person`` (``{"burgerservicenummer": ...}``)."""
    number = person.get("burgerservicenummer") if isinstance(person, dict) else None
    return bsn_digest(number) if isinstance(number, str) and number else None
