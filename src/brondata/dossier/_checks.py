"""First-time-right checks: what the collected data cannot show, while the consumer is there.

``check_dossier(preset, data)`` runs the checks a purpose preset lists over a neutral
``DossierInput`` (per source kind the few facts the checks need, derived from the mapped
catalogue values before minimisation) and returns a ``DossierReport``. Presets, their
thresholds and each finding's severity are data (``presets.json``); the texts are fixed
sentences in English and Dutch per code, with no placeholders, so a finding can never carry a
personal value (a test throws generated values at every check to hold this).

The checks, each with a stable code:

* ``bank_history_short``: a bank's data cover fewer months than the preset needs.
  A bank whose dossier facts could not be computed is left out of the bank checks (unknown,
  not zero months).
* ``salary_not_in_bank``: an employer or benefit agency pays the person (UWV, else the tax
  return) but no regular salary credit from it appears in any account consulted.
* ``income_sources_disagree``: UWV SV-wage and tax wages differ by more than the preset's
  tolerance, or the bank's (net) salary is outside the preset's net-to-gross range of them.
* ``ibl_not_applicable``: income cannot be determined from the UWV record: no current
  employment, under 12 months of history, or within 10 years of the AOW age.
* ``tax_year_stale``: the tax data are older than the preset allows (1: the last complete year).
* ``pension_overview_stale``: the pension overview's reference date is older than allowed.
* ``student_debt_unverified``: the tax return reports a student debt but DUO was not consulted.
* ``property_without_woz``: a registered property has no WOZ value.
* ``partner_data_missing``: the tax return names a fiscal partner, the preset needs the
  partner's data, and they are absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from brondata.errors import DossierInputError, UnknownPresetError

__all__ = [
    "FINDINGS",
    "BankFacts",
    "DossierInput",
    "DossierReport",
    "DuoFacts",
    "EmploymentFacts",
    "Finding",
    "FindingText",
    "PensionFacts",
    "Preset",
    "PropertyFacts",
    "Severity",
    "TaxFacts",
    "check_dossier",
    "preset",
]


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"
    INFO = "info"


_ORDER = {Severity.BLOCKING: 0, Severity.WARNING: 1, Severity.INFO: 2}

# --- the neutral input ------------------------------------------------------------------------


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Amount = Field(default=None, ge=0, le=Decimal("100000000"))


class BankFacts(_Facts):
    """One bank instance consulted (a session may have two banks)."""

    #: The instance's id in the session ("bank", "bank-2"); an id the application chose.
    instance: str = Field(pattern=r"^[a-z][a-z0-9_:.-]{0,63}$")
    #: Complete calendar months the fetched transactions cover; ``None`` when the bank's
    #: dossier facts could not be computed: then the bank checks leave this bank out.
    history_months: int | None = Field(ge=0, le=1200)
    #: Counterparties of the regular salary or benefit credits (as the bank mapping finds
    #: them); ``None`` when not computed (the salary check cannot judge then).
    salary_payers: tuple[str, ...] | None = ()
    #: ``bank.salary_monthly_average`` (net), if computed.
    salary_monthly_average: Decimal | None = _Amount


class EmploymentFacts(_Facts):
    """From the UWV verzekeringsbericht (``employment.*``)."""

    #: Employers (or benefit agencies) of the current relations.
    current_employers: tuple[str, ...] = ()
    #: Months of employment history the record shows.
    history_months: int = Field(ge=0, le=1200)
    #: ``employment.sv_wage_12m`` (gross).
    sv_wage_12m: Decimal | None = _Amount
    #: Years until the person reaches the AOW age (from BRP birth date and the AOW age);
    #: ``None`` when unknown, then that criterion is not judged.
    years_until_aow_age: Decimal | None = Field(default=None, ge=-100, le=100)

    @property
    def ibl_applicable(self) -> bool:
        """Whether the test income can be taken from this UWV record (the IBL criteria): a
        current employment, 12 months of history, and more than 10 years until the AOW age
        (Trhk art. 2 lid 4 wants the income after it). The check ``ibl_not_applicable`` and
        the income-norm decisions both read this, and only this."""
        near_aow = self.years_until_aow_age is not None and self.years_until_aow_age < 10
        return bool(self.current_employers) and self.history_months >= 12 and not near_aow


class TaxFacts(_Facts):
    """From the pre-filled tax return (``income.*``, ``tax.*``, ``household.partner``)."""

    #: ``income.tax_year``; ``None`` when there is no return.
    tax_year: int | None = Field(ge=1900, le=2200)
    #: Names on ``income.employers``.
    payers: tuple[str, ...] = ()
    #: Sum of the wages on ``income.employers`` (gross).
    wages_total: Decimal | None = _Amount
    #: ``tax.student_debt``.
    student_debt: bool
    #: Whether ``household.partner`` names a fiscal partner.
    fiscal_partner: bool


class PensionFacts(_Facts):
    #: The overview's reference date (``StandPer``); ``None`` when it gives none.
    reference_date: date | None


class PropertyFacts(_Facts):
    property_count: int = Field(ge=0, le=10000)
    #: How many of them have no WOZ value.
    without_woz: int = Field(ge=0, le=10000)

    @model_validator(mode="after")
    def _at_most_all(self) -> PropertyFacts:
        if self.without_woz > self.property_count:
            raise ValueError("without_woz cannot exceed property_count")
        return self


class DuoFacts(_Facts):
    """Mijn DUO was consulted (its presence is what the checks need)."""

    student_debt: bool | None = None
    monthly_repayment: Decimal | None = _Amount


class DossierInput(_Facts):
    """What the checks look at: per source kind consulted, the facts they need; ``None`` (or
    no bank) for a kind that was not consulted."""

    #: The day the checks speak of (the collection's date).
    as_of: date
    bank: tuple[BankFacts, ...] = ()
    employment: EmploymentFacts | None = None
    tax: TaxFacts | None = None
    pension: PensionFacts | None = None
    land_registry: PropertyFacts | None = None
    duo: DuoFacts | None = None
    #: Whether the partner's own data were collected too (a partner session, or the partner
    #: as a second subject).
    partner_data_present: bool = False

    @model_validator(mode="after")
    def _unique_banks(self) -> DossierInput:
        ids = [b.instance for b in self.bank]
        if len(ids) != len(set(ids)):
            raise ValueError("bank instances must have distinct ids")
        return self

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> DossierInput:
        """Validate ``data``; a wrong shape is a ``DossierInputError`` naming the fields only."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            parts = [
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            ]
            raise DossierInputError("invalid dossier input: " + "; ".join(parts)) from None


# --- findings and the report ------------------------------------------------------------------


class FindingText(BaseModel):
    model_config = ConfigDict(frozen=True)

    en: str
    nl: str


class Finding(BaseModel):
    """One thing the data cannot show: a stable code, how bad, where, and what to do."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    #: Source kinds or instance ids concerned ("bank-2", "employment", "tax").
    sources: tuple[str, ...]
    message: FindingText
    remedy: FindingText

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "sources": list(self.sources),
            "message": self.message.model_dump(),
            "remedy": self.remedy.model_dump(),
        }


class DossierReport(BaseModel):
    """The findings for one preset, most severe first."""

    model_config = ConfigDict(frozen=True)

    preset: str
    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> bool:
        return any(f.severity is Severity.BLOCKING for f in self.findings)

    def codes(self) -> tuple[str, ...]:
        """The finding codes, for the ledger's ``dossier.checked`` (codes only, no texts)."""
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "findings": [f.to_dict() for f in self.findings]}


def _text(en: str, nl: str) -> FindingText:
    return FindingText(en=en, nl=nl)


#: Per code: the message and the remedy. Fixed sentences: no placeholders, no digits.
FINDINGS: dict[str, tuple[FindingText, FindingText]] = {
    "bank_history_short": (
        _text(
            "The bank data cover fewer months than this application needs.",
            "De bankgegevens beslaan minder maanden dan deze aanvraag nodig heeft.",
        ),
        _text(
            "Log in at the bank again and give access to a longer period, or add an account "
            "that covers it.",
            "Log opnieuw in bij de bank en geef toegang tot een langere periode, of voeg een "
            "rekening toe die die periode beslaat.",
        ),
    ),
    "salary_not_in_bank": (
        _text(
            "An employer or benefit agency pays you, but its payments do not appear in the "
            "accounts you shared.",
            "Een werkgever of uitkeringsinstantie betaalt u, maar die betalingen staan niet op "
            "de rekeningen die u deelde.",
        ),
        _text(
            "Log in at the bank that receives this income (another bank?).",
            "Log in bij de bank waar dit inkomen binnenkomt (een andere bank?).",
        ),
    ),
    "income_sources_disagree": (
        _text(
            "Your income according to the bank, UWV and the tax return differs more than this "
            "application allows.",
            "Uw inkomen volgens de bank, UWV en de belastingaangifte verschilt meer dan deze "
            "aanvraag toestaat.",
        ),
        _text(
            "Check that every account and employer is included; the lender may ask for a "
            "recent payslip or an employer's statement.",
            "Controleer of alle rekeningen en werkgevers erbij zijn; de geldverstrekker kan om "
            "een recente loonstrook of werkgeversverklaring vragen.",
        ),
    ),
    "ibl_not_applicable": (
        _text(
            "Your income cannot be determined from the UWV record: no current employment, less "
            "than a year of history, or close to the state pension age.",
            "Uw inkomen kan niet uit het UWV-verzekeringsbericht worden bepaald: geen huidig "
            "dienstverband, minder dan een jaar historie, of dicht bij de AOW-leeftijd.",
        ),
        _text(
            "The lender will determine your income another way, for example with an employer's "
            "statement.",
            "De geldverstrekker bepaalt uw inkomen op een andere manier, bijvoorbeeld met een "
            "werkgeversverklaring.",
        ),
    ),
    "tax_year_stale": (
        _text(
            "The tax data are not of the last complete year.",
            "De belastinggegevens zijn niet van het laatste volledige jaar.",
        ),
        _text(
            "File the return for the last year, or share it again once the tax authority has "
            "processed it.",
            "Dien de aangifte over het laatste jaar in, of deel die opnieuw zodra de "
            "Belastingdienst haar heeft verwerkt.",
        ),
    ),
    "pension_overview_stale": (
        _text(
            "The pension overview is older than this application allows.",
            "Het pensioenoverzicht is ouder dan deze aanvraag toestaat.",
        ),
        _text(
            "Log in at Mijnpensioenoverzicht.nl again for a current overview.",
            "Log opnieuw in bij Mijnpensioenoverzicht.nl voor een actueel overzicht.",
        ),
    ),
    "student_debt_unverified": (
        _text(
            "Your tax return reports a student debt, but DUO was not consulted.",
            "Uw belastingaangifte vermeldt een studieschuld, maar DUO is niet geraadpleegd.",
        ),
        _text(
            "Log in at Mijn DUO so that the monthly repayment can be included.",
            "Log in bij Mijn DUO zodat het maandbedrag kan worden meegenomen.",
        ),
    ),
    "property_without_woz": (
        _text(
            "A registered property has no WOZ value.",
            "Een geregistreerde onroerende zaak heeft geen WOZ-waarde.",
        ),
        _text(
            "A new build gets its WOZ value only later: provide a valuation report or the "
            "purchase contract; for an existing home, ask the municipality for the WOZ decision.",
            "Een nieuwbouwwoning krijgt pas later een WOZ-waarde: lever een taxatierapport of de "
            "koop- en aanneemovereenkomst aan; vraag voor een bestaande woning de gemeente om "
            "de WOZ-beschikking.",
        ),
    ),
    "partner_data_missing": (
        _text(
            "Your tax return names a fiscal partner, but your partner's data are missing.",
            "Uw belastingaangifte noemt een fiscale partner, maar de gegevens van uw partner "
            "ontbreken.",
        ),
        _text(
            "Ask your partner to log in and share their data as well.",
            "Vraag uw partner om ook in te loggen en de eigen gegevens te delen.",
        ),
    ),
}


# --- presets ----------------------------------------------------------------------------------


class Preset(BaseModel):
    """A purpose's checks, their severity and thresholds (from ``presets.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    bank_history_months: int = Field(ge=0)
    gross_income_tolerance: Decimal = Field(ge=0, le=1)
    net_to_gross_ratio: tuple[Decimal, Decimal]
    tax_year_max_age: int = Field(ge=0)
    pension_max_age_days: int = Field(ge=0)
    partner_required: bool
    severity: dict[str, Severity]

    @model_validator(mode="after")
    def _known_codes(self) -> Preset:
        unknown = set(self.severity) - set(FINDINGS)
        if unknown:
            raise ValueError(f"preset {self.name!r} names unknown checks {sorted(unknown)}")
        return self


@cache
def _presets() -> dict[str, Preset]:
    path = resources.files("brondata.dossier") / "presets.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: Preset(name=k, **v) for k, v in raw.items() if not k.startswith("_")}


def preset(name: str) -> Preset:
    """The preset called ``name`` (``mortgage``, ``rental``, ``payment_plan``)."""
    presets = _presets()
    if name not in presets:
        raise UnknownPresetError(f"no preset {name!r}; known: {', '.join(sorted(presets))}")
    return presets[name]


# --- the checks -------------------------------------------------------------------------------

#: A check yields the sources concerned for each finding it raises.
_Check = Callable[[DossierInput, Preset], Iterable[tuple[str, ...]]]

_LEGAL_FORMS = frozenset({"bv", "nv", "vof", "cv", "holding", "bvba", "ltd", "gmbh"})


def _tokens(name: str) -> frozenset[str]:
    """A payer's name as a set of words, legal forms dropped: "Acme B.V." ~ "ACME"."""
    words = re.sub(r"[^\w\s]", "", name.casefold()).split()
    return frozenset(w for w in words if w not in _LEGAL_FORMS)


def _same_payer(a: str, b: str) -> bool:
    ta, tb = _tokens(a), _tokens(b)
    return bool(ta) and bool(tb) and (ta <= tb or tb <= ta)


def _bank_history_short(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    short = tuple(
        b.instance
        for b in d.bank
        if b.history_months is not None and b.history_months < p.bank_history_months
    )
    if short:
        yield short


def _salary_not_in_bank(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if not d.bank:
        return
    if d.employment is not None:
        payers, source = d.employment.current_employers, "employment"
    elif d.tax is not None:
        payers, source = d.tax.payers, "tax"
    else:
        return
    credited = [c for b in d.bank for c in b.salary_payers or ()]
    unknown = any(b.salary_payers is None for b in d.bank)  # it may be there: not judged
    if not unknown and any(not any(_same_payer(payer, c) for c in credited) for payer in payers):
        yield (*(b.instance for b in d.bank), source)


def _income_sources_disagree(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    gross: dict[str, Decimal] = {}
    if d.employment is not None and d.employment.sv_wage_12m:
        gross["employment"] = d.employment.sv_wage_12m
    if d.tax is not None and d.tax.wages_total:
        gross["tax"] = d.tax.wages_total
    concerned: set[str] = set()
    if len(gross) == 2:
        low, high = sorted(gross.values())
        if high - low > high * p.gross_income_tolerance:
            concerned |= set(gross)
    net_monthly = sum((b.salary_monthly_average or Decimal(0) for b in d.bank), Decimal(0))
    if gross and net_monthly > 0:
        reference = max(gross.values())
        ratio = net_monthly * 12 / reference
        lowest, highest = p.net_to_gross_ratio
        if not lowest <= ratio <= highest:
            concerned |= {b.instance for b in d.bank if b.salary_monthly_average} | set(gross)
    if concerned:
        yield tuple(sorted(concerned))


def _ibl_not_applicable(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if d.employment is not None and not d.employment.ibl_applicable:
        yield ("employment",)


def _tax_year_stale(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if d.tax is not None and (
        d.tax.tax_year is None or d.tax.tax_year < d.as_of.year - p.tax_year_max_age
    ):
        yield ("tax",)


def _pension_overview_stale(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if d.pension is None:
        return
    ref = d.pension.reference_date
    if ref is None or (d.as_of - ref).days > p.pension_max_age_days:
        yield ("pension",)


def _student_debt_unverified(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if d.tax is not None and d.tax.student_debt and d.duo is None:
        yield ("tax", "duo")


def _property_without_woz(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    if d.land_registry is not None and d.land_registry.without_woz > 0:
        yield ("land_registry",)


def _partner_data_missing(d: DossierInput, p: Preset) -> Iterable[tuple[str, ...]]:
    tax = d.tax
    if p.partner_required and tax is not None and tax.fiscal_partner and not d.partner_data_present:
        yield ("tax",)


_CHECKS: dict[str, _Check] = {
    "bank_history_short": _bank_history_short,
    "salary_not_in_bank": _salary_not_in_bank,
    "income_sources_disagree": _income_sources_disagree,
    "ibl_not_applicable": _ibl_not_applicable,
    "tax_year_stale": _tax_year_stale,
    "pension_overview_stale": _pension_overview_stale,
    "student_debt_unverified": _student_debt_unverified,
    "property_without_woz": _property_without_woz,
    "partner_data_missing": _partner_data_missing,
}
assert set(_CHECKS) == set(FINDINGS)  # a code without a check (or text) is a bug at import


def check_dossier(preset_name: str, data: DossierInput) -> DossierReport:
    """Run the checks of ``preset_name`` over ``data``: a pure function, no I/O."""
    p = preset(preset_name)
    findings = []
    for code, severity in p.severity.items():
        message, remedy = FINDINGS[code]
        for sources in _CHECKS[code](data, p):
            findings.append(
                Finding(
                    code=code, severity=severity, sources=sources, message=message, remedy=remedy
                )
            )
    findings.sort(key=lambda f: (_ORDER[f.severity], f.code))
    return DossierReport(preset=p.name, findings=tuple(findings))
