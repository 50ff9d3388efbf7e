"""The tax return: what the pre-filled income tax return (VIA) holds for a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from brondata.mock.population._banking import Account
from brondata.mock.population._common import _digits, _whole
from brondata.mock.population._housing import Property
from brondata.mock.population._identity import Address
from brondata.mock.population._study_debt import StudentLoan
from brondata.mock.population._work import Business, Payslip, _Life

_OWN_HOME_FORFAIT = Decimal("0.0035")  # eigenwoningforfait: 0.35 % of the WOZ value


@dataclass(frozen=True, slots=True)
class WageLine:
    """One payer's line in the pre-filled tax return (whole euros, rounded down)."""

    payer: str
    payroll_tax_number: str
    income_code: str
    wage: int
    withheld_tax: int
    labour_credit: int


@dataclass(frozen=True, slots=True)
class OwnHome:
    address: Address
    woz_value: int
    woz_reference_date: date
    mortgage_interest: int  # paid in the year, the whole household
    share: tuple[int, int]  # the person's part of the eigen woning
    months_owned: int


@dataclass(frozen=True, slots=True)
class Debt:
    kind: str  # "studieschuld", "overige schuld"
    description: str
    amount: int  # on 1 January of the tax year


@dataclass(frozen=True, slots=True)
class TaxYear:
    """What the pre-filled income tax return (VIA) holds for one year."""

    year: int
    wages: tuple[WageLine, ...]
    profit: int | None  # winst uit onderneming
    bank_balances: tuple[tuple[str, int], ...]  # (IBAN, balance on 1 January)
    own_home: OwnHome | None
    debts: tuple[Debt, ...]
    other_properties: tuple[tuple[Address, int], ...]  # let property and its WOZ value (box 3)

    @property
    def own_home_forfait(self) -> int:
        home = self.own_home
        if home is None:
            return 0
        yearly = Decimal(home.woz_value) * _OWN_HOME_FORFAIT * home.months_owned / 12
        return int(yearly)

    @property
    def taxable_income_box1(self) -> int:
        """Belastbaar inkomen uit werk en woning: wages and profit plus the person's share of
        (eigenwoningforfait − mortgage interest), whole euros."""
        total = sum(w.wage for w in self.wages) + (self.profit or 0)
        home = self.own_home
        if home is not None:
            teller, noemer = home.share
            total += (self.own_home_forfait - home.mortgage_interest) * teller // noemer
        return total


def _last_tax_year(as_of: date) -> int:
    """The latest year with a pre-filled return: the VIA of year Y opens on 1 March of Y+1."""
    return as_of.year - 1 if as_of >= date(as_of.year, 3, 1) else as_of.year - 2


def _tax_years(
    life: _Life,
    *,
    arrival: date | None,
    business: Business | None,
    profit_level: Decimal | None,
    payslips: list[Payslip],
    accounts: list[Account],
    opened: date | None,
    properties: list[Property],
    student_loan: StudentLoan | None,
) -> list[TaxYear]:
    """The pre-filled returns of the last three years (fewer for a recent arrival), each
    from the same payroll, accounts, properties and debts the other sources show."""
    seed, index, as_of = life.seed, life.index, life.as_of
    last_year = _last_tax_year(as_of)
    years = list(range(last_year - 2, last_year + 1))
    if arrival is not None:
        years = [y for y in years if y >= arrival.year][-1:]
    profit_by_year: dict[int, int] = {}
    if business is not None and profit_level is not None:
        for y in years:
            if y >= business.started.year:
                factor = 0.85 + 0.3 * int(_digits(seed, index, "winst", y, length=4)) / 9999
                profit_by_year[y] = _whole(float(profit_level) * factor / 1.03 ** (last_year - y))
    tax_years: list[TaxYear] = []
    for y in years:
        lines = []
        for relation in life.relations:
            slips = [
                p
                for p in payslips
                if p.payroll_tax_number == relation.payroll_tax_number
                and p.relation_number == relation.number
                and p.period_start.year == y
            ]
            if slips:
                lines.append(
                    WageLine(
                        payer=relation.payer,
                        payroll_tax_number=relation.payroll_tax_number,
                        income_code=relation.income_code,
                        wage=_whole(sum((p.fiscal_wage for p in slips), Decimal(0))),
                        withheld_tax=_whole(sum((p.withheld_tax for p in slips), Decimal(0))),
                        labour_credit=_whole(sum((p.labour_credit for p in slips), Decimal(0))),
                    )
                )
        if arrival is not None and not lines:
            continue  # arrived at the very end of the year: nothing to declare yet
        jan1 = date(y, 1, 1)
        balances = tuple(
            (
                a.iban,
                _whole(
                    float(a.opening_balance)
                    * (0.6 + 0.8 * int(_digits(seed, index, a.iban, y, length=4)) / 9999)
                ),
            )
            for a in accounts
            if opened is None or opened <= jan1
        )
        own_home: OwnHome | None = None
        home = next((p for p in properties if p.own_home and p.acquired.year <= y), None)
        if home is not None:
            woz = home.woz_value(y)
            assert woz is not None
            own_home = OwnHome(
                address=home.address,
                woz_value=woz.value,
                woz_reference_date=woz.reference_date,
                mortgage_interest=_whole(
                    sum((m.interest_in(y) for m in home.mortgages), Decimal(0))
                ),
                share=home.share,
                months_owned=12 if home.acquired.year < y else 13 - home.acquired.month,
            )
        debts: list[Debt] = []
        owed = 0 if student_loan is None else _whole(student_loan.outstanding_on(jan1))
        if owed > 0:
            debts.append(Debt("studieschuld", "Studieschuld DUO", owed))
        let = [p for p in properties if not p.own_home and p.acquired < jan1]
        for prop in let:
            for mortgage in prop.mortgages:
                debts.append(
                    Debt(
                        "overige schuld",
                        f"Hypotheek {prop.address.line1} {prop.address.city}",
                        _whole(mortgage.outstanding_on(jan1)),
                    )
                )
        others = []
        for prop in let:
            woz = prop.woz_value(y)
            if woz is not None:
                others.append((prop.address, woz.value))
        tax_years.append(
            TaxYear(
                year=y,
                wages=tuple(lines),
                profit=profit_by_year.get(y),
                bank_balances=balances,
                own_home=own_home,
                debts=tuple(debts),
                other_properties=tuple(others),
            )
        )
    return tax_years
