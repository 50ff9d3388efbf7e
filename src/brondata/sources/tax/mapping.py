"""From the pre-filled income tax return (VIA) to ``income.*``, ``tax.*`` and the partner.

The connector fetches the return of the last complete tax year. Amounts are whole euros, as
the tax authority states them. A person without such a return (recently arrived) gets
``None`` for the year-bound attributes rather than a guess; ``tax.student_debt`` is then
``False`` only in the sense that no debt was reported, which the catalogue text says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from brondata.sources._kind import SourceMapping
from brondata.sources._mapping import money, select
from brondata.sources.tax.models import (
    TaxReturn,
)

__all__ = ["MAPPING", "MAPPING_VERSION", "map_tax"]

MAPPING_VERSION = "tax.v1"


def _employers(r: TaxReturn) -> list[dict[str, Any]]:
    return [
        {
            "name": w.naamInhoudingsplichtige,
            "income_code": w.codeInkomstenverhouding,
            **money(w.loon),
        }
        for w in r.inkomsten.loonEnUitkeringen
    ]


def _partner(r: TaxReturn) -> dict[str, Any] | None:
    p = r.fiscaalPartner
    return None if p is None else {"name": p.naam, "birth_date": p.geboortedatum}


_MAPPERS: dict[str, Callable[[TaxReturn], Any]] = {
    "income.tax_year": lambda r: r.belastingjaar,
    "income.taxable_annual": lambda r: money(r.belastbaarInkomenWerkEnWoning),
    "income.employers": _employers,
    "tax.mortgage_interest_paid": lambda r: money(
        r.eigenWoning.hypotheekrenteBetaald if r.eigenWoning else 0
    ),
    "tax.student_debt": lambda r: any(
        d.soort == "studieschuld" and d.bedrag > 0 for d in r.schulden
    ),
    "household.partner": _partner,
}


def map_tax(tax_return: TaxReturn | None, attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly the requested attributes the tax return provides (``None`` without one)."""
    if tax_return is None:
        return select("tax", dict.fromkeys(_MAPPERS, _nothing), None, attributes)
    return select("tax", _MAPPERS, tax_return, attributes)


def _nothing(_: object) -> None:
    return None


def _map(raw: Mapping[str, Any], attributes: Sequence[str], today: date) -> dict[str, Any]:
    return map_tax(TaxReturn.from_raw(dict(raw)), attributes)


MAPPING = SourceMapping(version=MAPPING_VERSION, provides=frozenset(_MAPPERS), map=_map)
