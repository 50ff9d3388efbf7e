"""The fiscal partner's part in the applicant's checks and decisions, as pure functions.

The Dutch income norm counts the partner's income in full in the joint test income (Trhk
art. 3 lid 6; the joint test income replaced "the higher income plus 90% of the lower" from
2023, Wijzigingsregeling hypothecair krediet 2023, Stcrt. 2022, 28829). The partner's income
is determined as the applicant's is: the UWV SV wage of the last 12 months
(``employment.sv_wage_12m``). It is the partner's own data, so it comes from the partner's
own session (``Gateway.start_partner``), never from the applicant's.

* ``PARTNER_ATTRIBUTES``: per source kind, what a partner's session reads for the applicant
  (mapped and kept there, never released): the UWV income, and at the tax authority the
  fiscal partner their return names, so that the partner logs in there and answers with
  their own citizen service number.
* ``feeds(request)``: the applicant's decisions the partner's data feed; ``needs_partner``
  whether the applicant's request needs the partner's data at all.
* ``partner_parts(kept)``: from what the partner's session kept per kind, the parts the
  applicant's checks and decisions read (``partner.<kind>``): the kind record's response
  digest (the provenance the applicant's decision record names) and the decision inputs it
  gives (``partner_income_annual``); ``partner_present(kept)`` whether there are any.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from brondata.dossier._catalogue import _amount
from brondata.dossier._checks import preset
from brondata.dossier._decisions import DECISIONS, conditional_on

if TYPE_CHECKING:
    from brondata.request import DataRequest

__all__ = [
    "PARTNER_ATTRIBUTES",
    "PARTNER_INPUTS",
    "PARTNER_PREFIX",
    "feeds",
    "needs_partner",
    "partner_parts",
    "partner_present",
]

#: Per source kind, the partner's attributes a partner's session reads for the applicant.
PARTNER_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "employment": ("employment.sv_wage_12m", "employment.taxable_income_annual"),
    "tax": ("household.partner",),
}
#: Per decision input of the applicant's, the partner's attribute it is computed from.
PARTNER_INPUTS: Final[Mapping[str, str]] = {
    "partner_income_annual": "employment.sv_wage_12m",
    # The beslagvrije voet's C for a couple (Rv art. 475da lid 2): the spouse's taxable income.
    "partner_taxable_income_annual": "employment.taxable_income_annual",
}
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


def partner_parts(kept: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The applicant's view of a partner's session: per kind the partner delivered, its
    record's response digest and the decision inputs it gives, never another value."""
    parts: dict[str, dict[str, Any]] = {}
    for kind, part in sorted(kept.items()):
        values = part.get("values", {})
        inputs = {
            name: _amount(values[attribute], attribute)
            for name, attribute in PARTNER_INPUTS.items()
            if values.get(attribute) is not None
        }
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
