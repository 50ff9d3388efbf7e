"""The fiscal partner's part in the applicant's checks and decisions, as pure functions.

The Dutch income norm counts the partner's income in full in the joint test income (Trhk
art. 3 lid 6; the joint test income replaced "the higher income plus 90% of the lower" from
2023, Wijzigingsregeling hypothecair krediet 2023, Stcrt. 2022, 28829). The partner's income
is determined as the applicant's is: the UWV SV wage of the last 12 months
(``employment.sv_wage_12m``). It is the partner's own data, so it comes from the partner's
own session (``Gateway.start_partner``), never from the applicant's.

* ``PARTNER_ATTRIBUTES``: per source kind, what a partner's session reads for the applicant
  (mapped and kept there, never released): the UWV income and the employments the IBL
  criteria read (current, history), and at the tax authority the
  fiscal partner their return names, so that the partner logs in there and answers with
  their own citizen service number.
* ``feeds(request)``: the applicant's decisions the partner's data feed; ``needs_partner``
  whether the applicant's request needs the partner's data at all.
* ``partner_parts(kept, applicant)``: from what the partner's session kept per kind, the
  parts the applicant's checks and decisions read (``partner.<kind>``): the kind record's
  response digest (the provenance the applicant's decision record names) and the decision
  inputs it gives (``partner_income_annual`` ...); ``partner_present(kept)`` whether there
  are any.

The partner's income is held to the criteria the applicant's is (the IBL criteria, one place:
``ibl_applicable``, ``EmploymentFacts.ibl_applicable``): a current employment, 12 months of
history and more than 10 years until the AOW age, over the partner's own UWV record as of the
day it was fetched (``partner_ibl_applicable``; the income-norm decisions refuse a positive
partner's income without it, naming ``partner_ibl_not_applicable``). The AOW criterion needs
the partner's birth date. The partner's session reads no register of its own (a third login
for one date), so it is the one the applicant's data name for the partner
(``household.partner``: the register entry, else the tax return's), already read for the
applicant's ``has_partner``; it names the same person, since only the fiscal partner those
data name (by BSN) can join. It turns into that one boolean here, in memory, never into a
record, log or error. Without a readable birth date the input is left out, so a decision that
needs it names it missing. The beslagvrije voet's ``partner_taxable_income_annual`` is the
polis income of the latest month (Rv art. 475d lid 1), not under the IBL criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from brondata.dossier._catalogue import _amount
from brondata.dossier._checks import preset
from brondata.dossier._collected import ibl_applicable
from brondata.dossier._decisions import DECISIONS, conditional_on
from brondata.errors import DecisionsUnavailableError, DossierInputError, RuleNotApplicableError

if TYPE_CHECKING:
    from brondata.request import DataRequest

__all__ = [
    "PARTNER_ATTRIBUTES",
    "PARTNER_INPUTS",
    "PARTNER_PREFIX",
    "feeds",
    "named_birth_date",
    "needs_partner",
    "partner_parts",
    "partner_present",
]

#: Per source kind, the partner's attributes a partner's session reads for the applicant.
PARTNER_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "employment": (
        "employment.current",
        "employment.history",
        "employment.sv_wage_12m",
        "employment.taxable_income_annual",
    ),
    "tax": ("household.partner",),
}
#: Per decision input of the applicant's, the partner's attributes it is computed from.
PARTNER_INPUTS: Final[Mapping[str, tuple[str, ...]]] = {
    "partner_income_annual": ("employment.sv_wage_12m",),
    # The IBL criteria (``ibl_applicable``) over the partner's UWV record; the AOW criterion
    # with the birth date the applicant's data name for the partner (``named_birth_date``).
    "partner_ibl_applicable": ("employment.current", "employment.history"),
    # The beslagvrije voet's C for a couple (Rv art. 475da lid 2): the spouse's taxable income.
    "partner_taxable_income_annual": ("employment.taxable_income_annual",),
}
#: The partner's inputs that are an amount, each from one attribute.
_AMOUNTS: Final = ("partner_income_annual", "partner_taxable_income_annual")
#: The keys of the partner's parts among the applicant's kept data: ``partner.<kind>``.
PARTNER_PREFIX: Final = "partner."


def feeds(request: DataRequest) -> tuple[str, ...]:
    """The decisions of ``request`` that take the partner's data (for a couple): those with
    an input that makes a partner's input needed (``has_partner``, ``household``)."""
    deciding = {conditional_on(name) for name in PARTNER_INPUTS}
    return tuple(d for d in request.decisions if deciding & set(DECISIONS[d].inputs))


def needs_partner(request: DataRequest) -> bool:
    """Whether ``request`` needs a fiscal partner's data: a decision that counts the partner's
    income, or a preset whose checks require them."""
    required = request.dossier is not None and preset(request.dossier).partner_required
    return bool(feeds(request)) or required


def named_birth_date(applicant: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The birth date the applicant's kept data name for their fiscal partner (the
    ``household.partner`` their decisions read), as the mapping gives it; ``None`` if none."""
    for part in applicant.values():
        named = part.get("values", {}).get("household.partner")
        if isinstance(named, Mapping) and named.get("birth_date") is not None:
            return str(named["birth_date"])
    return None


def _ibl(values: Mapping[str, Any], born: str | None, as_of: object) -> bool | None:
    """``ibl_applicable`` over the partner's UWV record as of the day it was fetched, with
    the birth date ``born``; ``None`` where it cannot be judged (no record, no readable birth
    date, no AOW table)."""
    if "employment.current" not in values or born is None or not isinstance(as_of, str):
        return None
    try:
        return ibl_applicable({**values, "person.birth_date": born}, date.fromisoformat(as_of))
    except (ValueError, DossierInputError, DecisionsUnavailableError, RuleNotApplicableError):
        return None


def partner_parts(
    kept: Mapping[str, Mapping[str, Any]], applicant: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The applicant's view of a partner's session (``kept``; ``applicant``: the applicant's
    own kept data, for the partner's birth date): per kind the partner delivered, its
    record's response digest and the decision inputs it gives, never another value."""
    born = named_birth_date(applicant)
    parts: dict[str, dict[str, Any]] = {}
    for kind, part in sorted(kept.items()):
        values = part.get("values", {})
        inputs: dict[str, object] = {}
        for name in _AMOUNTS:
            (attribute,) = PARTNER_INPUTS[name]
            if values.get(attribute) is not None:
                inputs[name] = _amount(values[attribute], attribute)
        applicable = _ibl(values, born, part.get("as_of"))
        if applicable is not None:
            inputs["partner_ibl_applicable"] = applicable
        parts[PARTNER_PREFIX + kind] = {
            "digest": part["digest"],
            "instances": {},
            "values": {},
            "inputs": inputs,
        }
    return parts


def partner_present(kept: Mapping[str, Any]) -> bool:
    """Whether the applicant's kept data hold a partner's part (their session delivered)."""
    return any(key.startswith(PARTNER_PREFIX) for key in kept)
