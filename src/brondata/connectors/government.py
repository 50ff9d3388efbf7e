"""The government sources: tax authority, pension registry, UWV, BRP, Kadaster (BRK + WOZ).

Each is an OAuth 2.0 source behind DigiD: the consumer logs in with DigiD at the source, the
source's authorization server issues the token, and the API answers for the logged-in person
only. The connectors below say which scope they ask for and which resources the requested
attributes need; login, tokens and error mapping come from ``OAuthSourceConnector``.

Sources that are queried by citizen service number (BRP, BRK) learn it from the source's own
``userinfo`` endpoint after login; the BSN is used for that query and is never stored, logged
or released unless ``person.bsn`` itself was requested under a legal obligation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors._oauth_source import OAuthSourceConnector, SourceApi
from brondata.errors import SourceProtocolError

__all__ = [
    "EmploymentConnector",
    "LandRegistryConnector",
    "PensionConnector",
    "PopulationConnector",
    "TaxConnector",
]

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
}


class _DigidSource(OAuthSourceConnector):
    async def _bsn(self, api: SourceApi) -> str:
        info = await api.get("/oauth/userinfo")
        bsn = info.get("burgerservicenummer") if isinstance(info, dict) else None
        if not isinstance(bsn, str) or not bsn.isdigit() or len(bsn) != 9:
            raise SourceProtocolError(
                f"{self.name}: userinfo names no citizen service number", source=self.name
            )
        return bsn


class PopulationConnector(_DigidSource):
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


class TaxConnector(_DigidSource):
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


class PensionConnector(_DigidSource):
    """Mijnpensioenoverzicht: the ``Pensioenaanspraken`` export."""

    name = "pension"
    scope: ClassVar[str] = "pension"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"export": await api.get("/api/mpo/v1/pensioenaanspraken")}


class EmploymentConnector(_DigidSource):
    """UWV: the verzekeringsbericht (employment relations and SV-loon per period)."""

    name = "employment"
    scope: ClassVar[str] = "employment"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        return {"verzekeringsbericht": await api.get("/api/uwv/v1/verzekeringsbericht")}


class LandRegistryConnector(_DigidSource):
    """Kadaster: BRK bevragen 2.0 (properties, rights, mortgages) and WOZ bevragen 1.0.

    The property list comes first; rights, mortgages and WOZ values are only read when a
    requested attribute needs them.
    """

    name = "land_registry"
    scope: ClassVar[str] = "land_registry"
    brk: ClassVar[str] = "/esd/bevragen/v2"
    woz: ClassVar[str] = "/api/woz/v1"

    async def read(
        self, api: SourceApi, grant: dict[str, Any], attributes: Sequence[str], today: date
    ) -> dict[str, Any]:
        wanted = set(attributes)
        bsn = await self._bsn(api)
        zaken = await api.post(
            f"{self.brk}/kadastraalonroerendezaken", {"burgerservicenummer": bsn}
        )
        # Whose share is whose: the mapping picks the person's own right among co-owners'.
        raw: dict[str, Any] = {"subject": bsn, "kadastraalonroerendezaken": zaken}
        listed = _embedded(zaken, "kadastraalOnroerendeZaken", self.name)
        ids = [str(z.get("identificatie")) for z in listed if isinstance(z, dict)]
        if "property.owned" in wanted or "property.woz_value" in wanted:
            raw["zakelijkgerechtigden"] = {
                i: await api.get(f"{self.brk}/kadastraalonroerendezaken/{i}/zakelijkgerechtigden")
                for i in ids
            }
        if "property.mortgage_registered_total" in wanted:
            raw["hypotheken"] = {
                i: await api.get(f"{self.brk}/kadastraalonroerendezaken/{i}/hypotheken")
                for i in ids
            }
        if "property.woz_value" in wanted:
            raw["wozobjecten"] = {}
            for zaak in listed:
                for adres in zaak.get("adressen") or []:
                    number = adres.get("nummeraanduidingIdentificatie")
                    if number and number not in raw["wozobjecten"]:
                        raw["wozobjecten"][number] = await api.get(
                            f"{self.woz}/wozobjecten", {"nummeraanduidingIdentificatie": number}
                        )
        return raw


def _embedded(collection: Any, key: str, source: str) -> list[dict[str, Any]]:
    """The ``_embedded[key]`` list of a HAL collection (an absent list is an empty one)."""
    if not isinstance(collection, dict):
        raise SourceProtocolError(f"{source}: expected a HAL collection", source=source)
    items = (collection.get("_embedded") or {}).get(key, [])
    if not isinstance(items, list):
        raise SourceProtocolError(f"{source}: _embedded.{key} is not a list", source=source)
    return items
