"""``DataRequest``: what a recipient asks for, why, on what legal basis, and for how long.

A request is validated when it is made, before any consumer sees it: every attribute must be
in the catalogue (a misspelling gets the closest names), and a national identifier is refused
unless the legal basis is a legal obligation (art. 46 UAVG). The request names source kinds
(through its attributes), never instances: which banks the consumer logs in at is the
consumer's choice, made on the session.

A request may also carry what the first-time-right checks and the decisions need
(``brondata.dossier``): ``facts``, the application's own ``ApplicationFacts`` (the loan, the
price, the rate), which enter the notice the consumer consents to; ``rules_year``, the year
of the rule tables the decisions use (the newest installed unless named; fixed when the
request is made, so the notice names the rule versions the decisions will use); ``dossier``,
the purpose preset whose checks run on the collected data; ``dossier_record``, whether the
report is also delivered as a signed record. A decision attribute asked without the facts it
needs, for a year without its rule table, or an unknown preset is a typed error here, before
any login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from brondata import sources as source_kinds
from brondata._inputs import TypedModel
from brondata._limits import (
    PURPOSE_TERM_PATTERN,
    RETENTION_DAYS_MAX,
    OrganisationName,
    PurposeText,
)
from brondata.attributes import CATALOGUE, Sensitivity
from brondata.dossier._checks import preset
from brondata.dossier._decisions import DECISIONS, check_decisions, latest_year
from brondata.dossier._facts import ApplicationFacts
from brondata.dossier._partner import PARTNER_ATTRIBUTES
from brondata.errors import LegalBasisError, NoSourceError, RequestError

__all__ = ["DataRequest", "LegalBasis", "Purpose"]

_DPV_TERM = re.compile(r"^dpv:[A-Z][A-Za-z]+$")


class LegalBasis(StrEnum):
    """GDPR art. 6(1) legal bases, as DPV terms."""

    CONSENT = "dpv:Consent"
    CONTRACT = "dpv:Contract"
    LEGAL_OBLIGATION = "dpv:LegalObligation"
    VITAL_INTEREST = "dpv:VitalInterest"
    PUBLIC_INTEREST = "dpv:PublicInterest"
    LEGITIMATE_INTEREST = "dpv:LegitimateInterest"


class Purpose(TypedModel):
    """Why the data is asked: a DPV purpose term and a sentence the consumer reads."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    input_error = RequestError

    term: Annotated[str, Field(pattern=PURPOSE_TERM_PATTERN)]
    text: PurposeText

    @field_validator("term", mode="before")
    @classmethod
    def _dpv_term(cls, value: Any) -> Any:
        if not isinstance(value, str) or not _DPV_TERM.match(value):
            raise RequestError("the purpose term must be a DPV term such as 'dpv:CreditChecking'")
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _readable(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        if value == "":
            raise RequestError("the purpose needs a text the consumer can read")
        return value


class DataRequest(TypedModel):
    """An immutable, validated request for catalogue attributes.

    Its text and figures keep the limits the consent ledger keeps (``brondata._limits``): a
    request that validates is one the ledger accepts.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    input_error = RequestError

    purpose: Purpose
    legal_basis: LegalBasis
    attributes: tuple[str, ...]
    retention_days: StrictInt
    recipient: OrganisationName
    #: The application's own facts, for the decisions that need them.
    facts: ApplicationFacts | None = None
    #: The year of the decisions' rule tables; the newest installed unless given.
    rules_year: StrictInt = Field(default_factory=latest_year)
    #: The purpose preset whose dossier checks run on the collected data (``mortgage``).
    dossier: str | None = None
    #: Deliver the dossier report as a signed record of its own, too.
    dossier_record: StrictBool = False
    #: Set on a fiscal partner's request by ``Gateway.start_partner`` (never started with
    #: ``Gateway.start``): the applicant's decisions the partner's data feed (empty when only
    #: the applicant's checks count them). The partner's attributes they need
    #: (``PARTNER_ATTRIBUTES``) are read and kept for the applicant's session, never
    #: released; ``attributes`` (what the partner's session releases) may then be empty.
    feeds: tuple[str, ...] | None = None

    if TYPE_CHECKING:
        # The signature a caller's type checker sees, with or without pydantic's mypy plugin:
        # ``attributes`` takes any sequence or set of names (a list, as people write it), which
        # the validator below turns into the sorted tuple the field holds.
        def __init__(
            self,
            *,
            purpose: Purpose,
            legal_basis: LegalBasis,
            attributes: Sequence[str] | Set[str],
            retention_days: int,
            recipient: str,
            facts: ApplicationFacts | Mapping[str, Any] | None = None,
            rules_year: int = ...,
            dossier: str | None = None,
            dossier_record: bool = False,
            feeds: Sequence[str] | None = None,
        ) -> None: ...

    @field_validator("attributes", mode="before")
    @classmethod
    def _known_attributes(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(v, str) for v in value
        ):
            raise RequestError("attributes must be a list of attribute names (or 'a,b,c')")
        names = [v.strip() for v in value]
        for name in names:
            CATALOGUE.require(name)
        return tuple(sorted(set(names)))

    @field_validator("feeds", mode="before")
    @classmethod
    def _fed_decisions(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise RequestError("feeds must be a list of decision attributes")
        for name in value:
            if not CATALOGUE.require(name).decision:
                raise RequestError(f"feeds names decisions only, not {name!r}")
        return tuple(sorted(set(value)))

    @field_validator("facts", mode="before")
    @classmethod
    def _facts(cls, value: Any) -> Any:
        # A JSON object (a form, a file) is parsed strictly: numbers or decimal strings.
        if isinstance(value, Mapping):
            return ApplicationFacts.parse(value)
        if value is not None and not isinstance(value, ApplicationFacts):
            raise RequestError("facts must be ApplicationFacts or a JSON object of them")
        return value

    @field_validator("dossier")
    @classmethod
    def _preset(cls, value: str | None) -> str | None:
        if value is not None:
            preset(value)  # UnknownPresetError naming the presets there are
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if not 1 <= value <= RETENTION_DAYS_MAX:
            raise RequestError(
                f"retention_days must lie between 1 and {RETENTION_DAYS_MAX}, not {value}"
            )
        return value

    @field_validator("recipient", mode="before")
    @classmethod
    def _recipient(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
        if value == "":
            raise RequestError("a data request needs a recipient")
        return value

    @model_validator(mode="after")
    def _national_identifier_needs_a_law(self) -> DataRequest:
        for name in self.attributes:
            attribute = CATALOGUE[name]
            if (
                attribute.sensitivity is Sensitivity.NATIONAL_IDENTIFIER
                and self.legal_basis is not LegalBasis.LEGAL_OBLIGATION
            ):
                raise LegalBasisError(
                    f"{name} may only be processed where a law requires it (art. 46 UAVG); "
                    f"the legal basis must be {LegalBasis.LEGAL_OBLIGATION.value}, "
                    f"not {self.legal_basis.value}"
                )
        return self

    @model_validator(mode="after")
    def _decisions_can_be_made(self) -> DataRequest:
        # Before any login: the rule tables exist for the year, the facts needed are there.
        check_decisions(self.decisions, year=self.rules_year, facts=self.facts)
        if not self.attributes and self.feeds is None:
            raise RequestError("a data request must ask for at least one attribute")
        if self.facts is not None and not any(DECISIONS[d].facts for d in self.decisions):
            # They would be in the notice, consented to, and used by nothing.
            raise RequestError("facts are given but no decision asked needs them; leave them out")
        if self.dossier_record and self.dossier is None:
            raise RequestError("dossier_record needs a dossier preset (dossier='mortgage')")
        return self

    @property
    def decisions(self) -> tuple[str, ...]:
        """The decision attributes asked (``decision.*``), computed in the gateway."""
        return tuple(a for a in self.attributes if CATALOGUE[a].decision)

    def rule_versions(self) -> dict[str, str]:
        """Per decision asked, the version of the rule table it uses."""
        versions = check_decisions(self.decisions, year=self.rules_year, facts=self.facts)
        return dict(zip(self.decisions, versions, strict=True))

    def decision_inputs(self, available: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Per source kind, the attributes the decisions are computed from: collected and
        mapped for them, never released (``sources`` lists the kinds, not these)."""
        kinds = self._kinds(available)
        plan: dict[str, list[str]] = {}
        for decision in self.decisions:
            for name in CATALOGUE[decision].inputs:
                provider = next((k for k in CATALOGUE[name].sources if k in kinds), None)
                if provider is not None and name not in plan.get(provider, []):
                    plan.setdefault(provider, []).append(name)
        # A partner's session: what the applicant's checks and decisions read of the partner.
        for kind, names in PARTNER_ATTRIBUTES.items() if self.feeds is not None else ():
            if kind in kinds:
                plan.setdefault(kind, []).extend(n for n in names if n not in plan.get(kind, []))
        return {k: sorted(plan[k]) for k in source_kinds.names() if k in plan}

    @staticmethod
    def _kinds(available: Iterable[str] | None) -> set[str]:
        if available is None:
            return set(source_kinds.names())
        return {source_kinds.kind_of(a) for a in available}

    def sources(self, available: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Which source kinds to log in at, and the attributes each provides.

        ``available`` names the kinds (or instance ids, ``bank.noordbank``) the application
        has configured; by default every registered kind. Each attribute goes to the first
        available kind (in login order) that provides it; an attribute none of them provides
        is a ``NoSourceError``. A decision is computed, not provided: the kinds its inputs
        come from are in the plan (with no attribute of their own, if nothing else is asked
        of them), and an input none of them provides is a ``NoSourceError`` too.
        """
        order = source_kinds.names()
        kinds = self._kinds(available)
        plan: dict[str, list[str]] = {}
        missing: list[str] = []
        inputs = self.decision_inputs(available)
        for kind in inputs:
            plan.setdefault(kind, [])
        needed = {i for d in self.decisions for i in CATALOGUE[d].inputs}
        if self.feeds is not None:
            needed |= {a for names in PARTNER_ATTRIBUTES.values() for a in names}
        missing += sorted(needed - {a for names in inputs.values() for a in names})
        for name in self.attributes:
            if CATALOGUE[name].decision:
                continue
            providers = [k for k in CATALOGUE[name].sources if k in kinds]
            if not providers:
                missing.append(name)
                continue
            plan.setdefault(providers[0], []).append(name)
        if missing:
            raise NoSourceError(
                f"no configured source provides {', '.join(missing)} "
                f"(configured: {', '.join(sorted(kinds)) or 'none'})"
            )
        return {kind: plan[kind] for kind in order if kind in plan}
