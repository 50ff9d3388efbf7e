"""From collected catalogue values to a ``DossierInput``: the bridge the gateway will call.

The gateway holds, per source instance, the mapped catalogue values (``income.tax_year``,
``employment.current`` ...) before minimisation: for a kind it consulted, the attributes
``CHECKED`` names, whether asked or not (they never leave the gateway). ``dossier_input``
turns them into the neutral facts the checks read, plus the few facts no catalogue attribute
carries (``extra``, per instance, from the kind's ``SourceMapping.facts`` in its mapping
module): a bank's covered months and the payers of its salary credits, the properties without
a WOZ value. The years until the AOW age come from ``person.birth_date`` (BRP) and the law's
AOW age by date of birth (the ``aow_age`` rule table, ``brondata.dossier._aow``): no pension
login needed; without a birth date, or without the rules engine installed, that criterion is
not judged. A kind that was not consulted simply has no instance. Values come from our
own mappings, so a shape that does not match is a ``DossierInputError`` naming the attribute
(never its value).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from brondata.dossier._checks import DossierInput, EmploymentFacts
from brondata.errors import DecisionsUnavailableError, DossierInputError

__all__ = ["CHECKED", "Collected", "dossier_input", "ibl_applicable"]

#: instance id -> (source kind, {catalogue name: value}).
Collected = Mapping[str, tuple[str, Mapping[str, Any]]]

#: Per source kind, the catalogue attributes the checks read (mapped for the checks whether
#: the request asks for them or not; they stay in the gateway).
CHECKED: dict[str, tuple[str, ...]] = {
    "bank": ("bank.salary_monthly_average",),
    "employment": ("employment.current", "employment.history", "employment.sv_wage_12m"),
    "tax": ("income.tax_year", "income.employers", "tax.student_debt", "household.partner"),
    "pension": ("pension.providers",),
    "land_registry": ("property.count",),
    "population": ("person.birth_date",),
    "duo": ("student_debt.outstanding",),
}


def _money(values: Mapping[str, Any], name: str) -> Decimal | None:
    value = values.get(name)
    if value is None:
        return None
    try:
        return Decimal(value["amount"])
    except (KeyError, TypeError, InvalidOperation):
        raise DossierInputError(f"{name} is not a money value") from None


def _list(values: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = values.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise DossierInputError(f"{name} is not a list of objects")
    return value


def _date(text: object, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise DossierInputError(f"{name} holds a date that is not ISO 8601") from None


def _months_between(start: date, end: date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def _years_until_aow_age(collected: Collected, as_of: date) -> Decimal | None:
    from brondata.dossier._aow import years_until_aow_age

    found = dict(reversed(list(collected.values())))  # the first instance of a kind counts
    born = _date(found.get("population", {}).get("person.birth_date"), "person.birth_date")
    if born is None:
        return None
    try:
        return years_until_aow_age(born, as_of)
    except DecisionsUnavailableError:
        return None  # the AOW table needs the rules engine (the decisions extra)


def _employment(
    values: Mapping[str, Any], years_to_aow: Decimal | None, as_of: date
) -> dict[str, Any]:
    relations = _list(values, "employment.history") or _list(values, "employment.current")
    starts = [_date(r.get("start"), "employment.history") for r in relations]
    first = min((s for s in starts if s is not None), default=None)
    return {
        "current_employers": [
            str(r.get("employer", "")) for r in _list(values, "employment.current")
        ],
        "history_months": _months_between(first, as_of) if first else 0,
        "sv_wage_12m": _money(values, "employment.sv_wage_12m"),
        "years_until_aow_age": years_to_aow,
    }


def ibl_applicable(values: Mapping[str, Any], as_of: date) -> bool:
    """Whether the UWV record in ``values`` (``employment.*`` and ``person.birth_date``) can
    give the test income: ``EmploymentFacts.ibl_applicable``, for the decisions."""
    from brondata.dossier._aow import years_until_aow_age

    born = _date(values.get("person.birth_date"), "person.birth_date")
    years = None if born is None else years_until_aow_age(born, as_of)
    return EmploymentFacts.model_validate(_employment(values, years, as_of)).ibl_applicable


def _tax(values: Mapping[str, Any]) -> dict[str, Any]:
    payers = _list(values, "income.employers")
    wages = [_money({"w": p}, "w") for p in payers] if payers else []
    return {
        "tax_year": values.get("income.tax_year"),
        "payers": [str(p.get("name", "")) for p in payers],
        "wages_total": sum((w for w in wages if w is not None), Decimal(0)) if wages else None,
        "student_debt": bool(values.get("tax.student_debt")),
        "fiscal_partner": values.get("household.partner") is not None,
    }


def _pension(values: Mapping[str, Any]) -> dict[str, Any]:
    dates = [_date(p.get("as_of"), "pension.providers") for p in _list(values, "pension.providers")]
    known = [d for d in dates if d is not None]
    # The oldest provider line decides: the overview is as stale as its stalest part.
    return {"reference_date": min(known) if known and len(known) == len(dates) else None}


def dossier_input(
    as_of: date,
    collected: Collected,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    partner_data_present: bool = False,
) -> DossierInput:
    """The checks' input from the collected values of each instance (and ``extra`` facts).

    Several instances of one kind are fine for banks; for the other kinds the first instance
    of the kind is used (one tax return, one UWV record per person).
    """
    extra = extra or {}
    data: dict[str, Any] = {
        "as_of": as_of,
        "bank": [],
        "partner_data_present": partner_data_present,
    }
    for instance, (kind, values) in collected.items():
        more = extra.get(instance, {})
        if kind == "bank":
            data["bank"].append(
                {
                    "instance": instance,
                    # No facts (the mapping's failed): unknown, never "0 months".
                    "history_months": more.get("history_months"),
                    "salary_payers": more.get("salary_payers") if more else None,
                    "salary_monthly_average": _money(values, "bank.salary_monthly_average"),
                }
            )
        elif kind in data:
            continue
        elif kind == "employment":
            data["employment"] = _employment(values, _years_until_aow_age(collected, as_of), as_of)
        elif kind == "tax":
            data["tax"] = _tax(values)
        elif kind == "pension":
            data["pension"] = _pension(values)
        elif kind == "land_registry":
            data["land_registry"] = {
                "property_count": values.get("property.count")
                or len(_list(values, "property.owned")),
                "without_woz": more.get("without_woz", 0),
            }
        elif kind == "duo":
            outstanding = _money(values, "student_debt.outstanding")
            data["duo"] = {"student_debt": None if outstanding is None else outstanding > 0}
    return DossierInput.parse(data)
