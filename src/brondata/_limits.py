"""The limits a data request's free text and figures keep, in one place.

``DataRequest`` validates against these, and the consent ledger's events (``LedgerEvent``)
against the same, so a request that validates is always one the ledger accepts: nothing is
refused halfway through a session. Text must be valid Unicode (no lone surrogates: it is
hashed as UTF-8 and written as JCS) and carry no control characters; the purpose may span
lines, a name may not.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field

__all__ = [
    "ORGANISATION_NAME_MAX",
    "PURPOSE_TERM_PATTERN",
    "PURPOSE_TEXT_MAX",
    "RETENTION_DAYS_MAX",
    "OrganisationName",
    "PurposeText",
]

PURPOSE_TEXT_MAX: Final = 1000
ORGANISATION_NAME_MAX: Final = 200
RETENTION_DAYS_MAX: Final = 3650
# A DPV purpose term (``dpv:CreditChecking``): a prefix and a CamelCase name.
PURPOSE_TERM_PATTERN: Final = r"^[a-z][a-z0-9-]{0,15}:[A-Z][A-Za-z0-9]{0,95}$"


def _unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


# An organisation's name, or where to reach it, as the consumer reads it: one line.
OrganisationName = Annotated[
    str,
    Field(pattern=rf"^[^\x00-\x1f\x7f]{{1,{ORGANISATION_NAME_MAX}}}$"),
    AfterValidator(_unicode),
]
# The purpose in words: line breaks and tabs allowed, other control characters not.
PurposeText = Annotated[
    str,
    Field(pattern=rf"^[^\x00-\x08\x0b-\x1f\x7f]{{1,{PURPOSE_TEXT_MAX}}}$"),
    AfterValidator(_unicode),
]
