"""The population register (BRP) connector: Haal Centraal BRP Personen behind DigiD.

The register is queried by citizen service number, learnt from the source's own ``userinfo``
after login; only the BRP fields the requested attributes need are asked for, so
minimisation starts at the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi
from brondata.connectors._base import Identity, bsn_digest

__all__ = ["PopulationConnector"]

# BRP field paths (Haal Centraal BRP Personen) each catalogue attribute needs: the register
# returns only these, so minimisation starts at the source.
_BRP_FIELDS: dict[str, tuple[str, ...]] = {
    "person.bsn": ("burgerservicenummer",),
    "person.given_names": ("naam.voornamen",),
    "person.surname": ("naam.voorvoegsel", "naam.geslachtsnaam"),
    "person.birth_date": ("geboorte.datum",),
    "person.age_over_18": ("leeftijd",),
    "person.address": ("verblijfplaats",),
    "person.nationality": ("nationaliteiten",),
    "household.partner": ("partners",),
    # Only the children's birth dates: their names and BSNs stay at the register.
    "household.children_under_18": ("kinderen.geboorte.datum",),
}


class PopulationConnector(DigidSourceConnector):
    """BRP via Haal Centraal BRP Personen: ``POST /personen``, only the needed ``fields``."""

    name = "population"
    scope: ClassVar[str] = "population"
    path: ClassVar[str] = "/haalcentraal/api/brp/personen"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        fields = sorted({f for a in attributes for f in _BRP_FIELDS.get(a, ())})
        body = {
            "type": "RaadpleegMetBurgerservicenummer",
            "burgerservicenummer": [await self._bsn(api)],
            "fields": fields,
        }
        return {"personen": await api.post(self.path, body)}

    def identity(self, api: SourceApi, raw: dict[str, Any]) -> Identity:
        """The BSN asked for, the register's surname and the partner's BSN (as a digest)
        when they were among the fields."""
        base = super().identity(api, raw)
        persons = (raw.get("personen") or {}).get("personen") or []
        person = persons[0] if persons and isinstance(persons[0], dict) else {}
        naam = person.get("naam")
        surname = naam.get("geslachtsnaam") if isinstance(naam, dict) else None
        return Identity(
            bsn_digest=base.bsn_digest,
            surname=surname if isinstance(surname, str) and surname else None,
            partner_digest=_partner_digest(person.get("partners")),
        )


def _partner_digest(partners: object) -> str | None:
    """The digest of the BSN of the partner whose partnership stands, if the register gave it."""
    for partner in partners if isinstance(partners, list) else []:
        if not isinstance(partner, dict) or partner.get("ontbindingHuwelijkPartnerschap"):
            continue
        number = partner.get("burgerservicenummer")
        return bsn_digest(number) if isinstance(number, str) and number else None
    return None
