"""The synthetic population: deterministic Dutch persons whose data agree across every source.

``Population(seed, as_of).person(n)`` is a pure function of ``(seed, as_of, n)``: each person
draws from their own ``random.Random`` so that person 7 is the same whether or not persons 0..6
were generated first. A person's identity (name, BSN, address, IBAN, employer, salary) depends on
``(seed, n)`` only; dates (birth, jobs, purchases) are drawn as offsets from ``as_of``.

Named scenarios (``SCENARIOS``; ``population.scenario("retired", 3)``) cover the situations a
lender meets: two incomes with a fiscal partner, self-employed, retired, a temporary contract,
student debt (repaying, or paused), a tenant, several properties, three pension providers, a
recent arrival, a salary paid into an account at the other bank; and for the first-time-right
checks, a bank account opened ten weeks ago, a pension overview two years old, a newly built
flat without a WOZ value, a better-paid new job begun this year (the UWV wage and the last tax
return's disagree); and for the beslagvrije voet a single parent with children in the BRP.

One model feeds every source, so the sources agree the way real ones do: a single payroll model
(``Payslip``: gross → SV-loon, fiscal wage, withheld tax, net) gives the bank's salary credits,
the UWV SV-loon and the tax return's wages; one ``Property`` with its ``Mortgage`` and WOZ
values gives the BRK, the WOZ register, the tax return's own-home lines and the bank's monthly
mortgage debit; one ``StudentLoan`` schedule gives DUO's debt, the tax return's studieschuld
and the bank's DUO debits. Accounts are held at one of two mock banks (``BANK_IDS``), and the
tax return lists the balances of all of them. Amounts are 2026-like approximations, not tax
advice.

What lives here, one private module per life domain, each with its part of the data model and
of the generator: ``_identity`` (names, BSN, address, origin, partner), ``_work`` (jobs,
benefits, the payroll model, the self-employed), ``_housing`` (property, mortgages, WOZ),
``_pensions`` (providers, build-up, the AOW), ``_banking`` (IBANs, accounts, the bank
history), ``_study_debt`` and ``_tax_return``; ``_person`` draws one person by calling them in
their draw order, ``_population`` is the cache and the look-ups, ``_scenarios`` names the
scenarios, ``_common`` holds the calendar and money helpers. What does not: any HTTP; the mock
sources read this data and render it in their own API shapes. A transaction's ``category`` is
the generator's ground truth for tests; no mock API exposes it.
"""

from __future__ import annotations

from brondata.mock.population._banking import (
    BANK_IDS,
    BANKS,
    Account,
    Category,
    Transaction,
    iban_valid,
    make_iban,
)
from brondata.mock.population._housing import Housing, Mortgage, Property, WozValue
from brondata.mock.population._identity import (
    Address,
    Child,
    Gender,
    Partner,
    country_code,
    elfproef,
    municipality,
    nationality_code,
    split_surname,
)
from brondata.mock.population._pensions import AowEntitlement, PensionEntitlement
from brondata.mock.population._person import Person
from brondata.mock.population._population import Population
from brondata.mock.population._scenarios import SCENARIO_BASE, SCENARIOS, Scenario
from brondata.mock.population._study_debt import StudentLoan, StudentLoanRegime
from brondata.mock.population._tax_return import Debt, OwnHome, TaxYear, WageLine
from brondata.mock.population._work import (
    INCOME_CODE_AOW,
    INCOME_CODE_CIVIL_SERVANT,
    INCOME_CODE_EMPLOYMENT,
    INCOME_CODE_PENSION,
    Business,
    Contract,
    IncomeKind,
    IncomeRelation,
    Payslip,
    payroll_tax_number,
)

__all__ = [
    "BANKS",
    "BANK_IDS",
    "INCOME_CODE_AOW",
    "INCOME_CODE_CIVIL_SERVANT",
    "INCOME_CODE_EMPLOYMENT",
    "INCOME_CODE_PENSION",
    "SCENARIOS",
    "SCENARIO_BASE",
    "Account",
    "Address",
    "AowEntitlement",
    "Business",
    "Category",
    "Child",
    "Contract",
    "Debt",
    "Gender",
    "Housing",
    "IncomeKind",
    "IncomeRelation",
    "Mortgage",
    "OwnHome",
    "Partner",
    "Payslip",
    "PensionEntitlement",
    "Person",
    "Population",
    "Property",
    "Scenario",
    "StudentLoan",
    "StudentLoanRegime",
    "TaxYear",
    "Transaction",
    "WageLine",
    "WozValue",
    "country_code",
    "elfproef",
    "iban_valid",
    "make_iban",
    "municipality",
    "nationality_code",
    "payroll_tax_number",
    "split_surname",
]
