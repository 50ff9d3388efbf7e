"""DUO (Dienst Uitvoering Onderwijs): the student loan from Mijn DUO's "Mijn schulden".

An OAuth 2.0 source behind DigiD like the other government sources: the consumer logs in at
Mijn DUO with DigiD and the API answers for that person only, so no citizen service number is
sent. One read covers every ``student_debt.*`` attribute; login, tokens and error mapping come
from ``brondata.connectors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import OAuthSourceConnector, SourceApi

__all__ = ["DuoConnector"]


class DuoConnector(OAuthSourceConnector):
    """Mijn DUO: ``GET /api/duo/v1/schulden``, the debts at DUO on today's date."""

    name = "duo"
    scope: ClassVar[str] = "duo"
    path: ClassVar[str] = "/api/duo/v1/schulden"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"schulden": await api.get(self.path)}
