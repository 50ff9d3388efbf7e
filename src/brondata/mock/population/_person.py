"""``Person``, and ``_generate``: one person, drawn domain by domain in a fixed order.

Each person has three random streams, seeded by ``(seed, index)`` (and ``as_of`` for the
last): the first (identity, bank, main job, housing, account details), the life (age, origin,
career, pensions, partner, property, the study debt's amount) and the mockbank history.
``_generate`` calls the domains in the order they draw, which is what keeps every seed's
persons the same: moving a call changes every draw after it in its stream. Facts added later
draw from streams of their own (the noordbank account and its history, the DUO loan's terms),
so that adding them moved nothing that was there before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from brondata.mock.population._banking import (
    Account,
    Transaction,
    _draw_account_details,
    _draw_bank,
    _draw_noordbank_account,
    _History,
    _noordbank_history,
    _open_accounts,
    _paid_elsewhere,
    _stable_iban,
)
from brondata.mock.population._common import _money, _month_starts, _months_back
from brondata.mock.population._housing import (
    Housing,
    Property,
    _draw_housing,
    _draw_properties,
    _housing_of,
    _property_payments,
)
from brondata.mock.population._identity import (
    Address,
    Child,
    Gender,
    Partner,
    _children_of,
    _draw_age_days,
    _draw_identity,
    _draw_origin,
    _draw_partner,
    _login,
    split_surname,
)
from brondata.mock.population._pensions import (
    AowEntitlement,
    PensionEntitlement,
    _aow_start,
    _draw_pensions,
)
from brondata.mock.population._scenarios import Scenario, _age_in_days, _scenario_of
from brondata.mock.population._study_debt import StudentLoan, _draw_student_loan, _duo_debits
from brondata.mock.population._tax_return import TaxYear, _tax_years
from brondata.mock.population._work import (
    Business,
    IncomeRelation,
    Payslip,
    _business_income,
    _draw_career,
    _draw_main_job,
    _income_credits,
    _Life,
    _main_income,
    _net_annual,
)


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    scenario: Scenario
    bsn: str
    given_names: str
    surname: str
    birth_date: date
    address: Address
    iban: str  # the current account at mockbank
    bank_code: str
    username: str
    password: str
    # The payer of the person's main regular income: the employer; for a retired person the
    # larger of the AOW and pension payers; for a self-employed person the trade name.
    employer: str
    employer_iban: str
    gross_annual_salary: Decimal  # of that main income (a self-employed person's profit)
    net_monthly_salary: Decimal  # what that main income pays into the account each month
    housing: Housing
    accounts: tuple[Account, ...]  # at every bank: see Account.bank and accounts_at
    transactions: tuple[Transaction, ...] = field(repr=False)  # booked, oldest first
    pending_transactions: tuple[Transaction, ...] = field(repr=False, default=())
    gender: Gender = "V"
    birth_place: str = ""
    birth_country: str = "Nederland"
    nationality: tuple[str, ...] = ("Nederlandse",)
    arrival_date: date | None = None  # settled in the Netherlands (recent arrivals only)
    address_since: date | None = None
    partner: Partner | None = None
    income_relations: tuple[IncomeRelation, ...] = field(repr=False, default=())
    payslips: tuple[Payslip, ...] = field(repr=False, default=())  # oldest first
    business: Business | None = None
    properties: tuple[Property, ...] = field(repr=False, default=())
    pensions: tuple[PensionEntitlement, ...] = field(repr=False, default=())
    aow: AowEntitlement | None = field(repr=False, default=None)
    tax_years: tuple[TaxYear, ...] = field(repr=False, default=())  # oldest first
    student_loan: StudentLoan | None = field(repr=False, default=None)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    @property
    def children(self) -> tuple[Child, ...]:
        """The children in the person's BRP registration (``single_parent`` only; any age).
        Derived, not a field: drawn from a stream of their own, no other fact moved."""
        return _children_of(self.index, self.bsn, self.surname, self.birth_date, self.scenario)

    @property
    def surname_prefix(self) -> str | None:
        """The voorvoegsel of the surname ("van den" of "van den Berg"), if any."""
        return split_surname(self.surname)[0]

    @property
    def employments(self) -> tuple[IncomeRelation, ...]:
        """The income relations that are jobs, current and past, oldest first."""
        return tuple(r for r in self.income_relations if r.kind == "employment")

    @property
    def own_home(self) -> Property | None:
        return next((p for p in self.properties if p.own_home), None)

    def account(self, iban: str) -> Account | None:
        return next((a for a in self.accounts if a.iban == iban), None)

    def accounts_at(self, bank: str) -> tuple[Account, ...]:
        """The accounts the person holds at the mock bank ``bank`` (one of ``BANK_IDS``)."""
        return tuple(a for a in self.accounts if a.bank == bank)

    def transactions_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.transactions if t.account_iban == iban]

    def pending_of(self, iban: str) -> list[Transaction]:
        return [t for t in self.pending_transactions if t.account_iban == iban]

    def payslips_of(self, payroll_tax_number: str, number: str | None = None) -> list[Payslip]:
        """The payslips of one payer (and one relation number, if given), oldest first."""
        return [
            p
            for p in self.payslips
            if p.payroll_tax_number == payroll_tax_number
            and (number is None or p.relation_number == number)
        ]

    def tax_year(self, year: int) -> TaxYear | None:
        return next((t for t in self.tax_years if t.year == year), None)

    def closing_booked(self, iban: str) -> Decimal:
        """Opening balance plus every booked transaction: the balance at the end of the window."""
        account = self.account(iban)
        if account is None:
            raise KeyError(iban)
        return account.opening_balance + sum(
            (t.amount for t in self.transactions_of(iban)), Decimal("0.00")
        )


def _generate(seed: int, as_of: date, index: int) -> Person:
    scenario = _scenario_of(index)
    # str seeds are hashed with SHA-512 by random.Random: stable across runs and platforms.
    rng = random.Random(f"brondata:{seed}:person:{index}")
    who = _draw_identity(rng, seed, index)
    bank = _draw_bank(rng, seed, index)
    employer, gross = _draw_main_job(rng)
    housing = _draw_housing(rng)
    username, password = _login(seed, index, who)
    age_days = _draw_age_days(rng)
    account_draws = _draw_account_details(rng, who.first, who.surname)

    # Everything below draws from a second stream, so the identity above stays what it was
    # before scenarios existed. Dates are offsets from as_of; the draws do not depend on it.
    life_rng = random.Random(f"brondata:{seed}:life:{index}")
    age_days = _age_in_days(life_rng, scenario, index, age_days)
    housing = _housing_of(scenario, housing)
    birth_date = as_of - timedelta(days=age_days)
    life = _Life(seed, index, as_of, scenario, life_rng, birth_date)
    aow_start = _aow_start(birth_date)
    origin = _draw_origin(life_rng, scenario, as_of)
    arrival = origin.arrival
    career = _draw_career(
        life,
        employer=employer,
        gross=gross,
        surname=who.surname,
        iban=bank.iban,
        aow_start=aow_start,
        arrival=arrival,
    )
    aow, pensions = _draw_pensions(life, aow_start=aow_start, arrival=arrival)
    payslips = life.payslips()
    employer, gross, net_monthly = _main_income(life, career, payslips)
    partner = (
        _draw_partner(
            life_rng,
            who,
            birth_date=birth_date,
            age_days=age_days,
            as_of=as_of,
            taken=career.taken,
        )
        if scenario == "two_incomes"
        else None
    )
    properties, address_since = _draw_properties(
        life,
        housing=housing,
        address=who.address,
        age_days=age_days,
        partner=partner,
        arrival=arrival,
    )
    # A new_bank_account person moved to mockbank some ten weeks ago (the old bank's
    # account is closed): the history begins then, on an empty account.
    opened_on = (
        as_of - timedelta(days=life_rng.randint(65, 85)) if scenario == "new_bank_account" else None
    )
    accounts, opened = _open_accounts(
        life_rng, bank, account_draws, full_name=who.full_name, arrival=arrival, opened_on=opened_on
    )
    holder = account_draws.owner or who.full_name
    partner_name = None if partner is None else partner.full_name
    noordbank = _draw_noordbank_account(seed, index, scenario, holder=holder, partner=partner_name)
    if noordbank is not None:
        accounts.append(noordbank)
    student_loan = _draw_student_loan(life, career.career_start)
    business, profit_level = career.business, career.profit_level
    tax_years = _tax_years(
        life,
        arrival=arrival,
        business=business,
        profit_level=profit_level,
        payslips=payslips,
        accounts=accounts,
        opened=opened,
        properties=properties,
        student_loan=student_loan,
    )

    # The bank history: a third stream, which does depend on as_of.
    history_rng = random.Random(f"brondata:{seed}:history:{index}:{as_of.isoformat()}")
    window_start = _months_back(as_of, 12)
    if opened is not None:
        window_start = max(window_start, opened)
    planned = _income_credits(life, payslips)
    planned += _property_payments(
        properties, life_rng=life_rng, window_start=window_start, as_of=as_of
    )
    if student_loan is not None:
        planned += _duo_debits(student_loan, window_start, as_of)
    iban, savings_iban, address = bank.iban, bank.savings_iban, who.address
    if scenario == "salary_elsewhere" and noordbank is not None:
        planned = _paid_elsewhere(planned, into=noordbank.iban, home_iban=iban, holder=holder)
    monthly_income = sum((p.net for p in payslips if p.pay_date >= window_start), Decimal(0))
    months_in_window = max(1, len(list(_month_starts(window_start, as_of))))
    monthly_income = _money(monthly_income / months_in_window)
    if business is not None and profit_level is not None:
        monthly_income = _business_income(
            planned, life_rng, profit_level, window_start, as_of, seed, index
        )
        net_monthly = _money(_net_annual(profit_level) / 12)
    history = _History(
        rng=history_rng,
        as_of=as_of,
        start=window_start,
        iban=iban,
        savings_iban=savings_iban,
        monthly_income=monthly_income,
        housing=housing,
        address=address,
        holder=holder,
        planned=planned,
    )
    booked, pending = history.generate()
    if noordbank is not None:
        elsewhere = _noordbank_history(
            seed,
            index,
            noordbank,
            as_of=as_of,
            start=window_start,
            city=address.city,
            partner=partner_name,
        )
        booked = sorted(booked + elsewhere, key=lambda t: (t.booking_date, t.transaction_id))
    return Person(
        index=index,
        scenario=scenario,
        bsn=who.bsn,
        given_names=who.given_names,
        surname=who.surname,
        birth_date=birth_date,
        address=who.address,
        iban=bank.iban,
        bank_code=bank.bank_code,
        username=username,
        password=password,
        employer=employer,
        employer_iban=_stable_iban(employer),
        gross_annual_salary=gross,
        net_monthly_salary=net_monthly,
        housing=housing,
        accounts=tuple(accounts),
        transactions=tuple(booked),
        pending_transactions=tuple(pending),
        gender="V" if who.female else "M",
        birth_place=origin.birth_place,
        birth_country=origin.birth_country,
        nationality=origin.nationality,
        arrival_date=arrival,
        address_since=address_since,
        partner=partner,
        income_relations=tuple(life.relations),
        payslips=tuple(payslips),
        business=business,
        properties=tuple(properties),
        pensions=pensions,
        aow=aow,
        tax_years=tuple(tax_years),
        student_loan=student_loan,
    )
