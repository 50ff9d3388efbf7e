"""Work and payroll: jobs, benefits, the self-employed, and the one payroll model.

A ``Payslip`` (gross → SV-loon, fiscal wage, withheld tax, net) is what the bank's salary
credits, the UWV SV-loon and the tax return's wages all derive from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from brondata.mock.population._banking import _TRANSFER, Category, _Planned, _stable_iban
from brondata.mock.population._common import (
    _MONTHS_NL,
    _add_months,
    _add_years,
    _day_in_month,
    _digits,
    _money,
    _month_end,
    _month_index,
    _month_starts,
    _shift_to_weekday,
    _with_check_digit,
)
from brondata.mock.population._pensions import (
    _EMPLOYER_PENSION,
    _PENSION_FRANCHISE,
    _PENSION_PROVIDERS,
    _aow_age,
)
from brondata.mock.population._scenarios import Scenario

Contract = Literal["onbepaald", "bepaald"]
IncomeKind = Literal["employment", "aow", "pension"]

# Invented employers; none is meant to be a real company.
_EMPLOYERS = (
    "Polderwerk Techniek B.V.",
    "Noorderlicht Zorggroep",
    "Van Aalst Logistiek B.V.",
    "Stichting Onderwijs Rijnstreek",
    "Deltabouw Infra B.V.",
    "Gemeente Zuiderhaven",
    "Hoogland Software B.V.",
    "Bakkerij Ten Velde B.V.",
    "Kustlicht Energie N.V.",
    "Zorgcentrum De Wilgen",
    "Vrieling Accountants",
    "Maasdal Transport B.V.",
    "Hollands Glorie Retail B.V.",
    "Stichting Jeugdzorg Middenland",
    "Brinkman Installatietechniek B.V.",
    "Oostwaard Verzekeringen N.V.",
)

# Invented business clients who pay a self-employed person's invoices.
_CLIENTS = (
    "Rijnmond Projecten B.V.",
    "Hofstad Media B.V.",
    "Veluwe Vastgoed Beheer",
    "Stichting Cultuurhuis De Kade",
    "Van Leeuwen & Zn. B.V.",
    "Polderzicht Architecten",
    "Groenrijk Hoveniers B.V.",
    "Brabantse Zorgcoöperatie U.A.",
)
_TRADES = ("Advies", "Bouwbegeleiding", "Ontwerp", "IT Consultancy", "Klussenbedrijf", "Fotografie")

# Payroll and income tax parameters, 2026-like. One set for every year keeps the model
# simple; the point is that every source derives its figures from the same numbers.
_BRACKET_1 = 38_441.0
_BRACKET_2 = 76_817.0
_RATE_1, _RATE_1_AOW, _RATE_2, _RATE_3 = 0.3582, 0.1785, 0.3748, 0.4950
_TAX_AUTHORITY = "Belastingdienst"
# Income-relation codes of the payroll tax return (code soort inkomstenverhouding).
INCOME_CODE_CIVIL_SERVANT = "11"
INCOME_CODE_EMPLOYMENT = "15"
INCOME_CODE_AOW = "31"
INCOME_CODE_PENSION = "32"


@dataclass(frozen=True, slots=True)
class IncomeRelation:
    """One income relation of the payroll tax system: a job, an AOW benefit or a pension.

    ``gross_annual`` is the level of the last 12 months paid (or, for a relation that ended,
    of its last 12 months); each earlier block of 12 months is 3 % lower (annual raises).
    """

    kind: IncomeKind
    payer: str  # employer, SVB or pension fund, as the bank and the tax data name it
    payer_iban: str
    payroll_tax_number: str  # loonheffingennummer, "123456789L01"
    number: str  # nummer inkomstenverhouding, unique per payer for this person
    income_code: str  # code soort inkomstenverhouding: 11, 15, 31, 32
    start: date  # first day of a month
    end: date | None  # last day of a month, or None while it runs
    contract: Contract | None  # employments only
    hours_per_week: int  # 0 for benefits
    gross_annual: Decimal
    premium_rate: float  # employee pension premium, fraction of wage above the franchise
    applies_credits: bool  # whether this payer applies the tax credits (one payer does)
    pension_provider: str | None  # where an employment builds up pension
    pay_day: int  # day of the month the money arrives (moved back to a weekday)

    def runs_in(self, month: date) -> bool:
        return self.start <= _month_end(month) and (self.end is None or self.end >= month)


@dataclass(frozen=True, slots=True)
class Payslip:
    """One month of one income relation: the single payroll model every source reads.

    gross → SV-loon (= gross for a job, 0 for a benefit); fiscal wage = gross − employee
    pension premium; withheld tax = bracket tax − the credits the payer applies; net = fiscal
    wage − withheld tax. All per month, in cents.
    """

    payroll_tax_number: str
    relation_number: str
    period_start: date
    period_end: date
    pay_date: date
    hours: int
    gross: Decimal
    sv_wage: Decimal
    pension_premium: Decimal
    fiscal_wage: Decimal
    withheld_tax: Decimal
    labour_credit: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class Business:
    """A sole proprietorship (eenmanszaak) of a self-employed person."""

    trade_name: str
    kvk_number: str
    started: date
    iban: str  # the person's current account doubles as business account


def _rsin(name: str) -> str:
    """A fixed RSIN-like fiscal number for an organisation (nine digits, eleven-test)."""
    for attempt in range(100):
        found = _with_check_digit(_digits("rsin", name, attempt, length=8))
        if found is not None and found[0] != "0":
            return found
    raise AssertionError("unreachable: one in eleven heads fails the check")


def payroll_tax_number(name: str) -> str:
    """The loonheffingennummer of a payer: its fiscal number, "L", and a two-digit suffix."""
    return f"{_rsin(name)}L01"


def _bracket_tax(income: float, *, aow: bool) -> float:
    first = _RATE_1_AOW if aow else _RATE_1
    tax = first * min(income, _BRACKET_1)
    tax += _RATE_2 * max(0.0, min(income, _BRACKET_2) - _BRACKET_1)
    return tax + _RATE_3 * max(0.0, income - _BRACKET_2)


def _general_credit(income: float, *, aow: bool) -> float:
    full, taper = (1_575.0, 0.03171) if aow else (3_068.0, 0.06337)
    return max(0.0, full - taper * max(0.0, income - 28_406))


def _labour_credit(income: float) -> float:
    return max(0.0, min(5_599.0, 0.30 * income) - 0.0651 * max(0.0, income - 43_071))


@dataclass(frozen=True, slots=True)
class _MonthlyPay:
    gross: Decimal
    sv_wage: Decimal
    pension_premium: Decimal
    fiscal_wage: Decimal
    withheld_tax: Decimal
    labour_credit: Decimal
    net: Decimal


def _monthly_pay(
    gross_annual: Decimal, *, premium_rate: float, work: bool, credits: bool, aow: bool
) -> _MonthlyPay:
    """One month of pay at a yearly level: the payroll model every source shares."""
    g = float(gross_annual)
    premium = premium_rate * max(0.0, g - _PENSION_FRANCHISE)
    fiscal = g - premium
    labour = _labour_credit(fiscal) if work and credits else 0.0
    general = _general_credit(fiscal, aow=aow) if credits else 0.0
    tax = _bracket_tax(fiscal, aow=aow)
    # A credit can only reduce the tax to zero; what is left of it is not paid out.
    labour = min(labour, tax)
    withheld = max(0.0, tax - labour - general)
    gross_m, premium_m = _money(g / 12), _money(premium / 12)
    fiscal_m = gross_m - premium_m
    withheld_m = _money(withheld / 12)
    return _MonthlyPay(
        gross=gross_m,
        sv_wage=gross_m if work else Decimal("0.00"),
        pension_premium=premium_m,
        fiscal_wage=fiscal_m,
        withheld_tax=withheld_m,
        labour_credit=_money(labour / 12),
        net=fiscal_m - withheld_m,
    )


def _net_annual(gross: Decimal) -> Decimal:
    """Net income of a job without pension premium: twelve months of the payroll model."""
    pay = _monthly_pay(gross, premium_rate=0.0, work=True, credits=True, aow=False)
    return pay.net * 12


def _last_pay_month(as_of: date) -> date:
    """The latest month whose salary (the 25th, or the weekday before) was paid before as_of."""
    month = as_of.replace(day=1)
    while _shift_to_weekday(_day_in_month(month, 25), backwards=True) >= as_of:
        month = _add_months(month, -1)
    return month


@dataclass
class _Life:
    """Everything of a person that is drawn after the identity: the as_of-relative story."""

    seed: int
    index: int
    as_of: date
    scenario: Scenario
    rng: random.Random
    birth_date: date
    relations: list[IncomeRelation] = field(default_factory=list)

    @property
    def last_pay_month(self) -> date:
        return _last_pay_month(self.as_of)

    def month_start_before(self, months: int) -> date:
        return _add_months(self.as_of.replace(day=1), -months)

    def job(
        self,
        employer: str,
        start: date,
        end: date | None,
        gross: Decimal,
        *,
        contract: Contract = "onbepaald",
        hours: int | None = None,
    ) -> IncomeRelation:
        rng = self.rng
        provider = _EMPLOYER_PENSION.get(employer)
        relation = IncomeRelation(
            kind="employment",
            payer=employer,
            payer_iban=_stable_iban(employer),
            payroll_tax_number=payroll_tax_number(employer),
            number=str(rng.randint(1, 99_999)),
            income_code=(
                INCOME_CODE_CIVIL_SERVANT
                if employer.startswith("Gemeente")
                else INCOME_CODE_EMPLOYMENT
            ),
            start=start.replace(day=1),
            end=None if end is None else _month_end(end),
            contract=contract,
            hours_per_week=hours if hours is not None else rng.choice((24, 32, 36, 36, 38, 40, 40)),
            gross_annual=gross,
            premium_rate=_PENSION_PROVIDERS[provider][1] if provider else 0.0,
            applies_credits=True,
            pension_provider=provider,
            pay_day=25,
        )
        self.relations.append(relation)
        return relation

    def benefit(self, kind: IncomeKind, payer: str, start: date, gross: Decimal) -> None:
        """An AOW (from the SVB, which applies the tax credits) or a pension paid from ``start``."""
        aow = kind == "aow"
        self.relations.append(
            IncomeRelation(
                kind=kind,
                payer=payer,
                payer_iban=_stable_iban(payer),
                payroll_tax_number=payroll_tax_number(payer),
                number=str(self.rng.randint(1, 9_999)),
                income_code=INCOME_CODE_AOW if aow else INCOME_CODE_PENSION,
                start=start,
                end=None,
                contract=None,
                hours_per_week=0,
                gross_annual=gross,
                premium_rate=0.0,
                applies_credits=aow,
                pension_provider=None,
                pay_day=23 if aow else 24,
            )
        )

    def payslips(self) -> list[Payslip]:
        last = self.last_pay_month
        first = date(self.as_of.year - 5, 1, 1)
        years, months = _aow_age(self.birth_date)
        aow_start = _add_months(self.birth_date, 12 * years + months)
        out: list[Payslip] = []
        for relation in self.relations:
            reference = last if relation.end is None else min(last, relation.end.replace(day=1))
            month = max(relation.start, first)
            while month <= last and (relation.end is None or month <= relation.end):
                # A raise every 12 months, the latest at the start of the last 12 paid months.
                steps = max(0, (_month_index(reference) - _month_index(month)) // 12)
                gross = (relation.gross_annual / Decimal("1.03") ** steps).quantize(Decimal(1))
                pay = _monthly_pay(
                    gross,
                    premium_rate=relation.premium_rate,
                    work=relation.kind == "employment",
                    credits=relation.applies_credits,
                    aow=month >= aow_start,
                )
                hours = round(relation.hours_per_week * 52 / 12)
                out.append(
                    Payslip(
                        payroll_tax_number=relation.payroll_tax_number,
                        relation_number=relation.number,
                        period_start=month,
                        period_end=_month_end(month),
                        pay_date=_shift_to_weekday(
                            _day_in_month(month, relation.pay_day), backwards=True
                        ),
                        hours=hours,
                        gross=pay.gross,
                        sv_wage=pay.sv_wage,
                        pension_premium=pay.pension_premium,
                        fiscal_wage=pay.fiscal_wage,
                        withheld_tax=pay.withheld_tax,
                        labour_credit=pay.labour_credit,
                        net=pay.net,
                    )
                )
                month = _add_months(month, 1)
        return sorted(out, key=lambda p: (p.pay_date, p.payroll_tax_number))


def _other_employer(rng: random.Random, taken: set[str], providers_taken: set[str]) -> str:
    choices = [
        e for e in _EMPLOYERS if e not in taken and _EMPLOYER_PENSION[e] not in providers_taken
    ]
    return rng.choice(choices or [e for e in _EMPLOYERS if e not in taken])


def _business_income(
    planned: list[_Planned],
    rng: random.Random,
    profit: Decimal,
    start: date,
    as_of: date,
    seed: int,
    index: int,
) -> Decimal:
    """Irregular client payments for a self-employed person, and the quarterly VAT.

    Invoices include 21 % VAT; revenue covers the profit plus about a quarter in costs.
    Returns the average monthly amount left after VAT, the budget the person lives on.
    """
    monthly_revenue = float(profit) * 1.25 / 12
    clients = rng.sample(_CLIENTS, 4)
    quarter_vat = Decimal("0.00")
    received = Decimal("0.00")
    months = 0
    for month in _month_starts(start, as_of):
        months += 1
        invoices = rng.randint(1, 4)
        # Some months bring far more than others: the point of this scenario.
        month_total = monthly_revenue * rng.uniform(0.3, 1.8)
        for _ in range(invoices):
            amount = _money(month_total / invoices * rng.uniform(0.6, 1.4) * 1.21)
            client = rng.choice(clients)
            number = _digits(seed, index, "factuur", month, amount, length=3)
            planned.append(
                _Planned(
                    _shift_to_weekday(_day_in_month(month, rng.randint(1, 28)), backwards=False),
                    amount,
                    client,
                    _stable_iban(client),
                    f"Factuur {month.year}-{number}",
                    "business_income",
                )
            )
            received += amount
            quarter_vat += amount * Decimal(21) / Decimal(121)
        if month.month in (1, 4, 7, 10):
            if quarter_vat > 0:
                planned.append(
                    _Planned(
                        _shift_to_weekday(_day_in_month(month, 28), backwards=False),
                        -_money(quarter_vat * Decimal("0.8")),
                        _TAX_AUTHORITY,
                        _stable_iban(_TAX_AUTHORITY),
                        f"Omzetbelasting kwartaal {(month.month - 2) % 12 // 3 + 1}",
                        "tax",
                        _TRANSFER,
                    )
                )
            quarter_vat = Decimal("0.00")
    return _money(received / Decimal(121) * Decimal(100) / max(1, months) * Decimal("0.7"))


def _draw_main_job(rng: random.Random) -> tuple[str, Decimal]:
    """The employer and yearly gross of the person's first stream (the main job's level)."""
    employer = rng.choice(_EMPLOYERS)
    gross = _money(rng.randrange(2_600_000, 9_500_000, 5_000) / 100)
    return employer, gross


@dataclass
class _Career:
    """What the working life decided that later domains read: the main payer and level, the
    employers already taken (a partner works elsewhere), the start of the career, and for a
    self-employed person the business and its yearly profit."""

    employer: str
    gross: Decimal
    career_start: date
    taken: set[str]
    business: Business | None
    profit_level: Decimal | None
    main_relation: IncomeRelation | None


def _draw_career(
    life: _Life,
    *,
    employer: str,
    gross: Decimal,
    surname: str,
    iban: str,
    aow_start: date,
    arrival: date | None,
) -> _Career:
    """The jobs of a working life, by scenario, each added to ``life.relations``."""
    seed, index, scenario, life_rng, birth_date = (
        life.seed,
        life.index,
        life.scenario,
        life.rng,
        life.birth_date,
    )
    taken = {employer}
    providers = {_EMPLOYER_PENSION[employer]}
    career_start = _add_years(birth_date, life_rng.randint(21, 25)).replace(day=1)
    latest_start = life.month_start_before(14)
    career_start = max(min(career_start, latest_start), _add_years(birth_date, 18))
    business: Business | None = None
    profit_level: Decimal | None = None
    main_relation: IncomeRelation | None = None
    if scenario == "self_employed":
        started = life.month_start_before(life_rng.randint(6 * 12, 15 * 12))
        career_start = min(career_start, _add_years(started, -3))
        earlier = _other_employer(life_rng, taken, set())
        life.job(earlier, career_start, started - timedelta(days=1), _money(float(gross) * 0.8))
        business = Business(
            trade_name=f"{surname[0].upper()}{surname[1:]} {life_rng.choice(_TRADES)}",
            kvk_number=_digits(seed, index, "kvk", length=8).replace("0", "6", 1),
            started=started,
            iban=iban,
        )
        profit_level = _money(life_rng.randrange(3_200_000, 9_000_000, 10_000) / 100)
        employer, gross = business.trade_name, profit_level
    elif scenario == "retired":
        retired_on = aow_start - timedelta(days=1)
        last_start = _add_years(retired_on, -life_rng.randint(8, 25)).replace(day=1)
        career_start = min(career_start, last_start)
        if last_start > _add_years(career_start, 3):
            earlier = _other_employer(life_rng, taken, providers)
            taken.add(earlier)
            life.job(
                earlier, career_start, last_start - timedelta(days=1), _money(float(gross) * 0.7)
            )
        life.job(employer, last_start, retired_on, gross)
    elif scenario == "temporary_contract":
        start = life.month_start_before(life_rng.randint(3, 10))
        previous = _other_employer(life_rng, taken, set())
        taken.add(previous)
        previous_start = max(_add_months(start, -life_rng.randint(18, 60)), career_start)
        life.job(
            previous,
            previous_start,
            start - timedelta(days=1),
            _money(float(gross) * life_rng.uniform(0.85, 1.0)),
            contract=life_rng.choice(("onbepaald", "bepaald")),
        )
        main_relation = life.job(
            employer,
            start,
            _add_months(start, 12) - timedelta(days=1),
            gross,
            contract="bepaald",
        )
    elif scenario == "new_job_pay_rise":
        # A better-paid job, begun four to nine months ago this year: the UWV's last twelve
        # months and the last tax return's wages (the old job's alone) differ well beyond a
        # lender's tolerance (income_sources_disagree).
        start = max(life.month_start_before(life_rng.randint(4, 9)), date(life.as_of.year, 1, 1))
        previous = _other_employer(life_rng, taken, set())
        taken.add(previous)
        life.job(previous, career_start, start - timedelta(days=1), gross)
        gross = _money(float(gross) * life_rng.uniform(1.7, 2.0))
        main_relation = life.job(employer, start, None, gross)
    elif scenario == "recent_arrival":
        assert arrival is not None
        start = _add_months(arrival.replace(day=1), 1 + life_rng.randint(0, 1))
        start = min(start, life.month_start_before(1))
        main_relation = life.job(
            employer, start, None, gross, contract=life_rng.choice(("onbepaald", "bepaald"))
        )
        career_start = start
    else:
        current_start = career_start + timedelta(
            days=life_rng.randint(0, max(0, (latest_start - career_start).days))
        )
        current_start = current_start.replace(day=1)
        earlier_jobs = 0
        if scenario == "three_pension_providers":
            earlier_jobs = 2
            current_start = min(current_start, _add_years(career_start, 12).replace(day=1))
            current_start = max(current_start, _add_years(career_start, 4).replace(day=1))
            current_start = min(current_start, latest_start)
        elif (current_start - career_start).days > 3 * 365 and life_rng.random() < 0.45:
            earlier_jobs = 1
        if earlier_jobs:
            span = (current_start - career_start).days
            bounds = [
                career_start + timedelta(days=span * k // earlier_jobs)
                for k in range(earlier_jobs + 1)
            ]
            for k in range(earlier_jobs):
                other = _other_employer(life_rng, taken, providers)
                taken.add(other)
                providers.add(_EMPLOYER_PENSION[other])
                life.job(
                    other,
                    bounds[k].replace(day=1),
                    bounds[k + 1].replace(day=1) - timedelta(days=1),
                    _money(max(28_000.0, float(gross) * life_rng.uniform(0.6, 0.9))),
                )
        main_relation = life.job(employer, current_start, None, gross)
    return _Career(employer, gross, career_start, taken, business, profit_level, main_relation)


def _main_income(
    life: _Life, career: _Career, payslips: list[Payslip]
) -> tuple[str, Decimal, Decimal]:
    """(payer, gross a year, net a month) of the main regular income: the main job, or for a
    retired person the larger of the AOW and the pensions."""
    employer, gross, main_relation = career.employer, career.gross, career.main_relation
    current = [r for r in life.relations if r.end is None]
    if main_relation is None and current:
        main_relation = max(current, key=lambda r: r.gross_annual)
    net_monthly: Decimal
    if main_relation is not None:
        employer, gross = main_relation.payer, main_relation.gross_annual
        paid = [
            p
            for p in payslips
            if p.payroll_tax_number == main_relation.payroll_tax_number
            and p.relation_number == main_relation.number
        ]
        net_monthly = (
            paid[-1].net
            if paid
            else _monthly_pay(
                gross, premium_rate=main_relation.premium_rate, work=True, credits=True, aow=False
            ).net
        )
    else:
        net_monthly = _money(_net_annual(gross) / 12)
    return employer, gross, net_monthly


def _income_credits(life: _Life, payslips: list[Payslip]) -> list[_Planned]:
    """Every payslip's net pay as a credit from its payer, on its pay date."""
    planned: list[_Planned] = []
    for slip in payslips:
        relation = next(
            r
            for r in life.relations
            if r.payroll_tax_number == slip.payroll_tax_number and r.number == slip.relation_number
        )
        period = f"{slip.period_start.month:02d}-{slip.period_start.year}"
        label = f"{_MONTHS_NL[slip.period_start.month - 1]} {slip.period_start.year}"
        category: Category
        if relation.kind == "employment":
            text, category = f"SALARIS {period} PERSNR {relation.number}", "salary"
        elif relation.kind == "aow":
            text, category = f"AOW {label} KLANTNR {relation.number}", "pension"
        else:
            text, category = f"PENSIOEN {label} DEELNEMER {relation.number}", "pension"
        planned.append(
            _Planned(slip.pay_date, slip.net, relation.payer, relation.payer_iban, text, category)
        )
    return planned
