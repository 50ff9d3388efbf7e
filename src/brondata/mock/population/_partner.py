"""The fiscal partner as a person of their own: who logs in, at DigiD, as themselves.

A ``two_incomes`` person has a ``Partner`` (the BRP's and the tax return's entry). The
partner's own session (``Gateway.start_partner``) needs that partner to log in at their own
sources, so ``partner_person`` draws them as a ``Person``: the same BSN, name and birth date
the applicant's sources name, the applicant's address and own home (a half share each), one
job at the partner's employer paid by the one payroll model (so the UWV SV-loon and the tax
return's wages agree), and a tax return naming the applicant as fiscal partner. The partner
keeps no bank account in the mock. Their draws come from a stream of their own, so adding
them moved no draw of anyone else.

One partner in eight is between jobs (``_job_ended``, a stream of its own again, so every
other partner stayed as they were): their one job ended two to eight months ago, so their
12-month SV wage is still positive but there is no current employment, which the income
norm's IBL criteria do not accept as the partner's income.

The partner's login name ends in the applicant's index, like every login name here, so the
population finds them by name (``Population.by_username``) and by BSN (the partner's BSN
shares the applicant's seven-digit head: ``Population.by_bsn``).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta

from brondata.mock.population._common import _add_years
from brondata.mock.population._identity import Partner, _slug
from brondata.mock.population._person import Person
from brondata.mock.population._tax_return import _tax_years
from brondata.mock.population._work import _Career, _Life, _main_income, payroll_tax_number

__all__ = ["partner_person"]


def _login(seed: int, index: int, partner: Partner) -> tuple[str, str]:
    first = partner.given_names.split(" ")[0]
    username = f"{_slug(first)}.{_slug(partner.surname)}.partner.{index}"
    digest = hashlib.sha256(f"brondata:{seed}:partner-password:{index}".encode()).hexdigest()
    return username, "mock-" + digest[:12]


def _applicant_as_partner(person: Person, partner: Partner) -> Partner:
    """The applicant as the partner's tax return and register entry name them."""
    return Partner(
        bsn=person.bsn,
        given_names=person.given_names,
        surname=person.surname,
        gender=person.gender,
        birth_date=person.birth_date,
        birth_place=person.birth_place,
        nationality=person.nationality,
        union=partner.union,
        union_date=partner.union_date,
        union_place=partner.union_place,
        employer=person.employer,
        payroll_tax_number=payroll_tax_number(person.employer),
        gross_annual_salary=person.gross_annual_salary,
    )


def _job_ended(seed: int, as_of: date, index: int) -> date | None:
    """The day the partner's job ended, for one partner in eight (``None``: it goes on)."""
    rng = random.Random(f"brondata:{seed}:partner-between-jobs:{index}")
    if rng.random() >= 0.125:
        return None
    return as_of - timedelta(days=rng.randint(2 * 31, 8 * 30))


def partner_person(seed: int, as_of: date, person: Person) -> Person | None:
    """``person``'s fiscal partner as a person who logs in, or ``None`` without one."""
    partner = person.partner
    if partner is None:
        return None
    rng = random.Random(f"brondata:{seed}:partner:{person.index}")
    life = _Life(seed, person.index, as_of, person.scenario, rng, partner.birth_date)
    # Working at their employer for two to ten years, from 21 at the earliest.
    start = as_of - timedelta(days=rng.randint(2 * 365, 10 * 365))
    start = max(start, _add_years(partner.birth_date, 21)).replace(day=1)
    ended = _job_ended(seed, as_of, person.index)
    relation = life.job(partner.employer, start, ended, partner.gross_annual_salary)
    payslips = life.payslips()
    career = _Career(
        partner.employer,
        partner.gross_annual_salary,
        start,
        {partner.employer},
        None,
        None,
        relation,
    )
    employer, gross, net_monthly = _main_income(life, career, payslips)
    home = [p for p in person.properties if p.own_home and p.share != (1, 1)]
    username, password = _login(seed, person.index, partner)
    return Person(
        index=person.index,
        scenario=person.scenario,
        bsn=partner.bsn,
        given_names=partner.given_names,
        surname=partner.surname,
        birth_date=partner.birth_date,
        address=person.address,
        iban="",
        bank_code="",
        username=username,
        password=password,
        employer=employer,
        employer_iban=relation.payer_iban,
        gross_annual_salary=gross,
        net_monthly_salary=net_monthly,
        housing=person.housing,
        accounts=(),
        transactions=(),
        gender=partner.gender,
        birth_place=partner.birth_place,
        nationality=partner.nationality,
        address_since=person.address_since,
        partner=_applicant_as_partner(person, partner),
        income_relations=tuple(life.relations),
        payslips=tuple(payslips),
        properties=tuple(home),
        tax_years=tuple(
            _tax_years(
                life,
                arrival=None,
                business=None,
                profit_level=None,
                payslips=payslips,
                accounts=[],
                opened=None,
                properties=home,
                student_loan=None,
            )
        ),
    )
