"""Pensions and the AOW: the providers, the build-up per job, and the benefits in retirement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from brondata.mock.population._common import _add_months, _add_years, _digits, _years_between

if TYPE_CHECKING:
    from brondata.mock.population._work import _Life

# Pension providers: the name Mijnpensioenoverzicht shows, the legal name that pays (bank and
# tax data), and the employee's share of the premium as a fraction of the pension base.
_PENSION_PROVIDERS: dict[str, tuple[str, float]] = {
    "ABP": ("Stichting Pensioenfonds ABP", 0.0874),
    "PFZW": ("Stichting Pensioenfonds Zorg en Welzijn", 0.0860),
    "PMT": ("Stichting Pensioenfonds Metaal en Techniek", 0.0830),
    "bpfBOUW": ("Stichting Bedrijfstakpensioenfonds voor de Bouwnijverheid", 0.0760),
    "Pensioenfonds Vervoer": ("Stichting Pensioenfonds Vervoer", 0.0790),
    "Pensioenfonds Detailhandel": ("Stichting Pensioenfonds voor de Detailhandel", 0.0550),
    "Bakkersfonds": ("Stichting Bedrijfspensioenfonds voor het Bakkersbedrijf", 0.0650),
    "Nationale-Nederlanden": ("Nationale-Nederlanden Levensverzekering Maatschappij N.V.", 0.05),
    "a.s.r.": ("ASR Levensverzekering N.V.", 0.0500),
    "Aegon": ("Aegon Levensverzekering N.V.", 0.0450),
}
# Which provider each invented employer's staff build up pension with (industry funds where
# the sector has one, an insurer otherwise).
_EMPLOYER_PENSION: dict[str, str] = {
    "Polderwerk Techniek B.V.": "PMT",
    "Noorderlicht Zorggroep": "PFZW",
    "Van Aalst Logistiek B.V.": "Pensioenfonds Vervoer",
    "Stichting Onderwijs Rijnstreek": "ABP",
    "Deltabouw Infra B.V.": "bpfBOUW",
    "Gemeente Zuiderhaven": "ABP",
    "Hoogland Software B.V.": "Nationale-Nederlanden",
    "Bakkerij Ten Velde B.V.": "Bakkersfonds",
    "Kustlicht Energie N.V.": "Aegon",
    "Zorgcentrum De Wilgen": "PFZW",
    "Vrieling Accountants": "a.s.r.",
    "Maasdal Transport B.V.": "Pensioenfonds Vervoer",
    "Hollands Glorie Retail B.V.": "Pensioenfonds Detailhandel",
    "Stichting Jeugdzorg Middenland": "PFZW",
    "Brinkman Installatietechniek B.V.": "PMT",
    "Oostwaard Verzekeringen N.V.": "Nationale-Nederlanden",
}

_PENSION_FRANCHISE = 18_475.0  # part of the wage no pension is built up (or paid) over
_ACCRUAL_RATE = 0.0175  # pension built up per year of service, of the pension base
_AOW_FULL_SINGLE = 20_100  # gross a year, holiday allowance included
_AOW_FULL_COHABITING = 13_800
_SVB = "Sociale Verzekeringsbank"


@dataclass(frozen=True, slots=True)
class PensionEntitlement:
    """One provider's line on Mijnpensioenoverzicht: gross euros a year from the AOW age."""

    provider: str
    reference_number: str  # HerkenningsNummer
    accrued: int  # Opgebouwd
    reachable: int  # TeBereiken (continuing the current job until the AOW age)
    partner_pension: int  # nabestaandenpensioen (TeBereiken)
    stand_per: date
    in_payment: bool


@dataclass(frozen=True, slots=True)
class AowEntitlement:
    """AOW build-up: 2 % of the full AOW for every insured year between 15 and the AOW age."""

    age_years: int
    age_months: int
    starts: date
    accrued_single: int
    accrued_cohabiting: int
    reachable_single: int
    reachable_cohabiting: int


def _aow_age(birth_date: date) -> tuple[int, int]:
    """The AOW age by year of birth: as set by law up to 2030 (67 and 3 months from then on),
    with the earlier steps rounded to the years that matter for the synthetic population."""
    if birth_date < date(1950, 1, 1):
        return 65, 0
    if birth_date < date(1955, 1, 1):
        return 66, 0
    if birth_date < date(1957, 1, 1):
        return 66, 4
    if birth_date < date(1961, 1, 1):
        return 67, 0
    return 67, 3


def _aow_start(birth_date: date) -> date:
    """The first day of the month the AOW is paid from: the month after the AOW age."""
    aow_years, aow_months = _aow_age(birth_date)
    aow_start = _add_months(birth_date, 12 * aow_years + aow_months).replace(day=1)
    return _add_months(aow_start, 1)  # the AOW starts in the month after the birthday


def _draw_pensions(
    life: _Life, *, aow_start: date, arrival: date | None
) -> tuple[AowEntitlement, tuple[PensionEntitlement, ...]]:
    """The AOW build-up and each provider's entitlement from the jobs in ``life``; in
    retirement, the AOW and the pensions are added to ``life`` as paid benefits."""
    seed, index, as_of, scenario, birth_date = (
        life.seed,
        life.index,
        life.as_of,
        life.scenario,
        life.birth_date,
    )
    aow_years, aow_months = _aow_age(birth_date)
    insured_from = _add_years(birth_date, 15) if arrival is None else arrival
    insured_total = min(50, int(_years_between(insured_from, aow_start)))
    insured_now = min(insured_total, int(_years_between(insured_from, min(as_of, aow_start))))
    aow = AowEntitlement(
        age_years=aow_years,
        age_months=aow_months,
        starts=aow_start,
        accrued_single=_AOW_FULL_SINGLE * insured_now // 50,
        accrued_cohabiting=_AOW_FULL_COHABITING * insured_now // 50,
        reachable_single=_AOW_FULL_SINGLE * insured_total // 50,
        reachable_cohabiting=_AOW_FULL_COHABITING * insured_total // 50,
    )
    stand_per = date(as_of.year, 1, 1)
    if scenario == "stale_pension_overview":  # the providers have not reported for two years
        stand_per = date(as_of.year - 2, 1, 1)
    accrued: dict[str, float] = {}
    reachable: dict[str, float] = {}
    for job in list(life.relations):
        if job.pension_provider is None:
            continue
        base = max(0.0, float(job.gross_annual) - _PENSION_FRANCHISE) * _ACCRUAL_RATE
        until = min(as_of, job.end or as_of)
        done = base * _years_between(job.start, until)
        to_go = base * _years_between(as_of, aow_start) if job.end is None else 0.0
        accrued[job.pension_provider] = accrued.get(job.pension_provider, 0.0) + done
        reachable[job.pension_provider] = reachable.get(job.pension_provider, 0.0) + done + to_go
    retired = scenario == "retired"
    pensions = tuple(
        PensionEntitlement(
            provider=provider,
            reference_number=_digits(seed, index, "pensioen", provider, length=9),
            accrued=int(accrued[provider]) if not retired else int(reachable[provider]),
            reachable=int(reachable[provider]),
            partner_pension=int(reachable[provider] * 0.7),
            stand_per=stand_per,
            in_payment=retired,
        )
        for provider in sorted(accrued)
    )
    if retired:
        # In retirement the SVB pays the AOW and applies the tax credits; each fund pays its
        # pension without them.
        life.benefit("aow", _SVB, aow_start, Decimal(aow.reachable_single))
        for entitlement in pensions:
            legal_name = _PENSION_PROVIDERS[entitlement.provider][0]
            life.benefit("pension", legal_name, aow_start, Decimal(entitlement.reachable))
    return aow, pensions
