"""The Kadaster connector: BRK bevragen 2.0 (properties, rights, mortgages) and WOZ bevragen 1.0."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from brondata.connectors import DigidSourceConnector, SourceApi, path_segment
from brondata.connectors._government import embedded

__all__ = ["LandRegistryConnector"]


class LandRegistryConnector(DigidSourceConnector):
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
        listed = embedded(zaken, "kadastraalOnroerendeZaken", self.name)
        ids = [str(z.get("identificatie")) for z in listed if isinstance(z, dict)]
        # Source-supplied ids, each one segment of the path.
        under = {
            i: f"{self.brk}/kadastraalonroerendezaken/{path_segment(i, self.name)}" for i in ids
        }
        if "property.owned" in wanted or "property.woz_value" in wanted:
            raw["zakelijkgerechtigden"] = {
                i: await api.get(f"{under[i]}/zakelijkgerechtigden") for i in ids
            }
        if "property.mortgage_registered_total" in wanted:
            raw["hypotheken"] = {i: await api.get(f"{under[i]}/hypotheken") for i in ids}
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
