"""Decision attributes in the catalogue, and their inputs from the mapped source values.

A decision attribute (``decision.max_mortgage`` ...) is requested like any other catalogue
attribute, but no source provides it: the gateway computes it from catalogue attributes it
collects for that purpose only (``INPUT_ATTRIBUTES``; they are mapped, never released) and the
application's facts. ``decision_attributes()`` gives the catalogue entries (``inputs`` names
those attributes, ``rules`` the rule versions there are); ``decision_inputs(values, today)``
turns the mapped values into the inputs ``decide`` takes. An input whose attributes were not
collected is left out, so ``decide`` names it missing: never a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from brondata.attributes import Attribute, Sensitivity, ValueType
from brondata.dossier._aow import aow_age_reached
from brondata.dossier._collected import ibl_applicable
from brondata.dossier._decisions import DECISIONS, INPUTS, rule_versions
from brondata.errors import InvalidDecisionInputError

__all__ = ["INPUT_ATTRIBUTES", "decision_attributes", "decision_inputs", "input_attributes"]

#: Per decision input, the catalogue attributes it is computed from. The partner's income is
#: the partner's own data: never taken from this consumer's session.
INPUT_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "applicant_income_annual": ("employment.sv_wage_12m",),
    "has_partner": ("household.partner",),
    "partner_income_annual": (),
    # The IBL criteria over the partner's own UWV record (their session's); the AOW criterion
    # reads the birth date this consumer's data name for the partner (``household.partner``).
    "partner_ibl_applicable": ("household.partner",),
    "student_loan_monthly": ("student_debt.statutory_monthly_repayment",),
    # The AOW age is the law's (the ``aow_age`` table), so the BRP birth date is enough.
    "aow_age_reached": ("person.birth_date",),
    "ibl_applicable": ("employment.current", "employment.history", "person.birth_date"),
    "household": ("household.partner",),
    "children_under_18": ("household.children_under_18",),
    "taxable_income_annual": ("employment.taxable_income_annual",),
    # The spouse's taxable income is the spouse's own data: never from this session.
    "partner_taxable_income_annual": (),
    # Rv art. 475dc's income from every periodic payment the banks show: the kind's decision
    # input (``brondata.sources.bank.mapping``), read from the transactions, never released.
    "net_income_monthly": ("bank.transactions",),
    "net_income_complete": ("bank.transactions",),
    "as_of": (),
}
assert set(INPUT_ATTRIBUTES) == set(INPUTS)

_CATEGORY = {"decision.protected_earnings_monthly": "dpv-pd:Income"}


def input_attributes(name: str) -> tuple[str, ...]:
    """The catalogue attributes decision ``name`` is computed from, sorted."""
    decision = DECISIONS[name]
    return tuple(sorted({a for i in decision.inputs for a in INPUT_ATTRIBUTES[i]}))


def decision_attributes() -> list[Attribute]:
    """The catalogue entries of the decisions (computed in the gateway, no source)."""
    return [
        Attribute(
            name=d.name,
            type=ValueType.MONEY if d.kind == "money" else ValueType.BOOLEAN,
            description_en=d.description_en,
            description_nl=d.description_nl,
            sensitivity=Sensitivity.FINANCIAL,
            category=_CATEGORY.get(d.name, "dpv-pd:CreditWorthiness"),
            derived=True,
            inputs=input_attributes(d.name),
            rules=rule_versions(d.table),
        )
        for d in DECISIONS.values()
    ]


def _amount(value: object, name: str) -> object:
    if not isinstance(value, Mapping) or value.get("currency") != "EUR":
        raise InvalidDecisionInputError(f"{name} is not an amount in euros")
    return value.get("amount")  # ``decide`` checks it is an amount in whole cents


def _birth_date(value: object, name: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDecisionInputError(f"{name} holds a date that is not ISO 8601") from None


def decision_inputs(values: Mapping[str, Any], today: date) -> dict[str, object]:
    """The decision inputs ``values`` (mapped catalogue values, any kind) can give, as of
    ``today``. The ages go through the ``aow_age`` rule table (``brondata.dossier._aow``)."""
    out: dict[str, object] = {"as_of": today.isoformat()}
    if "employment.sv_wage_12m" in values:
        out["applicant_income_annual"] = _amount(
            values["employment.sv_wage_12m"], "employment.sv_wage_12m"
        )
    if "employment.current" in values:
        out["ibl_applicable"] = ibl_applicable(values, today)
    if "household.partner" in values:
        partner = values["household.partner"]
        out["has_partner"] = partner is not None
        out["household"] = "single" if partner is None else "couple"
    if values.get("student_debt.statutory_monthly_repayment") is not None:
        out["student_loan_monthly"] = _amount(
            values["student_debt.statutory_monthly_repayment"],
            "student_debt.statutory_monthly_repayment",
        )
    if values.get("person.birth_date") is not None:
        born = _birth_date(values["person.birth_date"], "person.birth_date")
        out["aow_age_reached"] = aow_age_reached(born, today)
    if values.get("household.children_under_18") is not None:
        children = values["household.children_under_18"]
        if not isinstance(children, bool):
            raise InvalidDecisionInputError("household.children_under_18 is not true or false")
        out["children_under_18"] = children
    # None: no current month in the polis administration (UWV shows no income now, or only
    # benefits it does not report): left out, so the decision names it missing.
    if values.get("employment.taxable_income_annual") is not None:
        out["taxable_income_annual"] = _amount(
            values["employment.taxable_income_annual"], "employment.taxable_income_annual"
        )
    return out
