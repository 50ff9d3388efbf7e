"""Decisions from the 2026 rule tables, pinned by the regulation's own figures.

Sources of the expected figures (see also each rule file's ``brondata.sources``):

* Financing-cost percentages: Wijzigingsregeling hypothecair krediet 2026 (Staatscourant 2025,
  36471), Bijlage 1 tabel 1 and 2; the cells below are read from that publication.
* Student loan: Nibud's 2026 worked example, a DUO repayment of EUR 72.21 at a 3.75% mortgage
  rate, grossed up by 1.20, lowers the maximum mortgage by EUR 18,711.
* The annuity: EUR 100,000 over 360 months at 6% costs EUR 599.55 a month (by hand:
  i = 0.005, 100000 * i / (1 - 1.005^-360)).
* NHG 2026 cost limit EUR 470,000, raised by the cost of energy-saving measures up to 6%
  (EUR 28,200, so at most EUR 498,200; NHG's Energiebespaarbudget); LTV 100% / 106% (Trhk
  art. 5).
* Beslagvrije voet: the formula of Rv art. 475da lid 2 with the 2026 figures of the rule file
  (the Participatiewet norms of 1 January and 1 July 2026, the zorg, rent and child terms),
  within the maxima of lid 1, lowered by the spouse's income up to half (art. 475db lid 1 a:
  refused where the spouse's net income decides), or 95% of the income when lower (art. 475dc
  lid 1). No published
  worked example of a 2026 amount was found (rechtspraak, the Rijksoverheid rekenhulp and the
  MvT of Kamerstuk 34628 were not reachable here); the cases are hand-worked from the law
  texts, and the eight published maxima of lid 1 pin the figures (seven to the cent, one a
  cent short: see test_the_formula_reproduces_the_maxima_of_lid_1).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from decimal import ROUND_FLOOR, Decimal, getcontext
from importlib import resources
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from brondata.dossier import (
    DECISIONS,
    ApplicationFacts,
    DecisionResult,
    _decisions,
    check_decisions,
    decide,
    decision_inputs,
    input_attributes,
    rule_table,
)
from brondata.errors import (
    DecisionsUnavailableError,
    InvalidDecisionInputError,
    MissingDecisionInputError,
    RuleNotApplicableError,
    RuleTableNotFoundError,
    UnknownDecisionError,
)

YEAR = 2026


def facts(**change: Any) -> ApplicationFacts:
    data: dict[str, Any] = {
        "purchase_price": 400000,
        "loan_amount": 250000,
        "interest_rate": "0.036",
        "fixed_period_years": 10,
        "energy_label": "E",  # no label amount, so the income part shows alone
        "energy_saving_measures": 0,
    }
    return ApplicationFacts.parse({**data, **change})


def inputs(**change: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "applicant_income_annual": Decimal(65000),
        "has_partner": True,
        "partner_income_annual": Decimal(0),
        "student_loan_monthly": Decimal(0),
        "aow_age_reached": False,
        "ibl_applicable": True,
        "partner_ibl_applicable": True,
    }
    return {**base, **change}


def max_mortgage(f: ApplicationFacts | None = None, **change: Any) -> Decimal:
    result = decide("decision.max_mortgage", year=YEAR, facts=f or facts(), inputs=inputs(**change))
    assert isinstance(result.value, Decimal)
    return result.value


def annuity_principal(monthly: Decimal, rate: Decimal) -> Decimal:
    """Present value of 360 monthly payments, by hand, to check the table's arithmetic."""
    getcontext().prec = 40
    i = rate / 12
    return (monthly * (1 - (1 + i) ** -360) / i).quantize(Decimal(1), rounding=ROUND_FLOOR)


# --- the table data, cell by cell ---------------------------------------------------------------


def flp_rows(aow: bool) -> dict[str, list[float]]:
    text = (resources.files("brondata.dossier") / "rules/2026/income_norm.json").read_text()
    node = next(n for n in json.loads(text)["nodes"] if n["id"] == "flp")
    return {
        r["income"]: json.loads(r["percentages"])
        for r in node["content"]["rules"]
        if r["aow"] == ("true" if aow else "false")
    }


@pytest.mark.parametrize(
    ("aow", "row", "column", "percentage"),
    [
        (False, "< 30000", 0, 15.5),  # tabel 1, row "-", column <= 1,500%
        (False, "[30000..31000)", 0, 15.5),
        (False, "[31000..32000)", 11, 25.1),
        (False, "[65000..66000)", 5, 22.9),  # 3,501-4,000%
        (False, "[100000..101000)", 7, 28.0),
        (False, ">= 125000", 10, 31.5),  # 6,001-6,500%
        (True, "< 29000", 0, 18.5),  # tabel 2, row "-"
        (True, "[50000..51000)", 7, 30.2),
        (True, ">= 110000", 11, 41.7),
    ],
)
def test_financing_cost_percentages_are_the_regulations(
    aow: bool, row: str, column: int, percentage: float
) -> None:
    assert flp_rows(aow)[row][column] == percentage


def test_tables_have_every_row_and_column() -> None:
    # Tabel 1: the "-" row and 30,000 ... 125,000; tabel 2: "-" and 29,000 ... 110,000.
    assert len(flp_rows(False)) == 97
    assert len(flp_rows(True)) == 83
    assert all(len(v) == 12 for v in [*flp_rows(False).values(), *flp_rows(True).values()])


# --- decision.max_mortgage ----------------------------------------------------------------------


def test_max_mortgage_is_the_annuity_of_the_allowed_cost() -> None:
    # 65,000 at 3.6% (10 years fixed): 22.9% -> EUR 1,240.42 a month over 30 years.
    expected = annuity_principal(Decimal(65000) * Decimal("0.229") / 12, Decimal("0.036"))
    assert abs(max_mortgage() - expected) <= 1
    assert max_mortgage() == Decimal(272831)


def test_the_annuity_matches_the_hand_calculation() -> None:
    # EUR 599.55 a month at 6% over 360 months repays EUR 100,000 (by hand: i = 0.005,
    # 100000 * i / (1 - 1.005^-360)): the maximum at 6% is the monthly room in that ratio.
    pct = Decimal(str(flp_rows(False)["[65000..66000)"][9]))  # the 5,501-6,000% column
    room = Decimal(65000) * pct / 100 / 12
    expected = room * 100000 / Decimal("599.55")  # 599.55 is to the cent: within EUR 3
    assert abs(max_mortgage(facts(interest_rate="0.06")) - expected) <= 3


def test_short_fixed_period_is_tested_at_five_percent() -> None:
    short = max_mortgage(facts(fixed_period_years=5))
    at_five = max_mortgage(facts(interest_rate="0.05"))
    assert short == at_five
    assert short < max_mortgage()
    # Above 5% the offered rate counts, fixed or not.
    assert max_mortgage(facts(fixed_period_years=5, interest_rate="0.055")) == max_mortgage(
        facts(interest_rate="0.055")
    )


def test_partner_income_counts_in_full() -> None:
    together = max_mortgage(
        applicant_income_annual=Decimal(40000), partner_income_annual=Decimal(25000)
    )
    assert together == max_mortgage()


def test_single_person_amount() -> None:
    single = max_mortgage(has_partner=False, partner_income_annual=None)
    assert single - max_mortgage() == 17000
    # Not at or below EUR 30,000 of test income.
    low = inputs(applicant_income_annual=Decimal(30000))
    as_couple = max_mortgage(**{**low, "has_partner": True})
    as_single = max_mortgage(**{**low, "has_partner": False})
    assert as_single == as_couple


def test_student_loan_nibud_2026_example() -> None:
    f = facts(interest_rate="0.0375")
    without = max_mortgage(f)
    with_debt = max_mortgage(f, student_loan_monthly=Decimal("72.21"))
    assert abs((without - with_debt) - 18711) <= 2


@pytest.mark.parametrize("name", ["decision.max_mortgage", "decision.loan_within_income_norm"])
def test_no_income_norm_when_the_uwv_record_cannot_give_the_income(name: str) -> None:
    """The check ibl_not_applicable's criteria (no current employment, under a year, within
    ten years of the AOW age: Trhk art. 2 lid 4 wants the income after it): no figure."""
    with pytest.raises(RuleNotApplicableError, match="ibl_not_applicable") as caught:
        decide(name, year=YEAR, facts=facts(), inputs=inputs(ibl_applicable=False))
    assert not any(ch.isdigit() for ch in caught.value.message)
    # The decisions that read no income are not concerned.
    assert decide("decision.nhg_eligible", year=YEAR, facts=facts()).value is True


@pytest.mark.parametrize("name", ["decision.max_mortgage", "decision.loan_within_income_norm"])
def test_no_income_norm_when_the_partners_uwv_record_cannot_give_their_income(name: str) -> None:
    """The same criteria for the partner's UWV record (their job ended months ago, yet their
    12-month SV wage is still positive; within ten years of their AOW age): no figure, and the
    reason named for the partner."""
    with pytest.raises(RuleNotApplicableError, match="partner_ibl_not_applicable") as caught:
        decide(
            name,
            year=YEAR,
            facts=facts(),
            inputs=inputs(partner_ibl_applicable=False, partner_income_annual=Decimal(30000)),
        )
    assert "(ibl_not_applicable" not in caught.value.message  # the applicant's is fine
    assert not any(ch.isdigit() for ch in caught.value.message)
    both = inputs(
        ibl_applicable=False, partner_ibl_applicable=False, partner_income_annual=Decimal(30000)
    )
    with pytest.raises(RuleNotApplicableError, match="ibl_not_applicable, partner_ibl_not"):
        decide(name, year=YEAR, facts=facts(), inputs=both)


def test_a_partner_whose_uwv_record_shows_no_income_counts_nothing() -> None:
    """No SV wage in 12 months (no job): there is no partner's income to determine, and
    counting none never raises the figure; the couple's maximum is decided."""
    counted = max_mortgage(partner_ibl_applicable=False, partner_income_annual=Decimal(0))
    assert counted == max_mortgage(partner_income_annual=Decimal(0))


def test_the_partners_ibl_is_needed_with_a_partner_only() -> None:
    with pytest.raises(MissingDecisionInputError, match="partner_ibl_applicable"):
        max_mortgage(partner_ibl_applicable=None)
    single = decide(
        "decision.max_mortgage",
        year=YEAR,
        facts=facts(),
        inputs=inputs(has_partner=False, partner_income_annual=None, partner_ibl_applicable=None),
    )
    assert "partner_ibl_applicable" not in single.inputs


def test_student_loan_input_is_duos_statutory_amount() -> None:
    """Trhk art. 3a: the amount before any reduction for income, not what DUO collects now."""
    collected = {"amount": "0.00", "currency": "EUR"}  # reduced to nothing for income
    statutory = {"amount": "120.00", "currency": "EUR"}
    given = decision_inputs(
        {
            "student_debt.monthly_repayment": collected,
            "student_debt.statutory_monthly_repayment": statutory,
        },
        date(2026, 11, 2),
    )
    assert given["student_loan_monthly"] == "120.00"
    assert input_attributes("decision.max_mortgage").count("student_debt.monthly_repayment") == 0


def test_an_unknown_statutory_amount_is_a_missing_input_never_zero() -> None:
    given = decision_inputs({"student_debt.statutory_monthly_repayment": None}, date(2026, 11, 2))
    assert "student_loan_monthly" not in given
    with pytest.raises(MissingDecisionInputError) as caught:
        max_mortgage(student_loan_monthly=given.get("student_loan_monthly"))
    assert "student_loan_monthly" in caught.value.message


@pytest.mark.parametrize(
    ("label", "amount"),
    [("E", 0), ("C", 5000), ("A", 10000), ("A++", 20000), ("A+++", 25000), ("A++++ EPG", 40000)],
)
def test_energy_label_amounts(label: str, amount: int) -> None:
    assert max_mortgage(facts(energy_label=label)) - max_mortgage() == amount


def test_energy_saving_measures_up_to_their_cost_and_the_labels_cap() -> None:
    base = max_mortgage()
    assert max_mortgage(facts(energy_saving_measures=5000)) - base == 5000
    assert max_mortgage(facts(energy_saving_measures=50000)) - base == 20000  # E, F, G cap
    assert max_mortgage(facts(energy_label="A+++", energy_saving_measures=50000)) == max_mortgage(
        facts(energy_label="A+++")
    )


def test_aow_table_is_used_from_the_aow_age() -> None:
    # 29,000 at 1.2% from the AOW age: tabel 2 gives 18.5% (tabel 1: 15.5%).
    f = facts(interest_rate="0.012")
    low = {"applicant_income_annual": Decimal(29000)}
    aow = max_mortgage(f, aow_age_reached=True, **low)
    assert (
        abs(aow - annuity_principal(Decimal(29000) * Decimal("0.185") / 12, Decimal("0.012"))) <= 1
    )


def test_debt_beyond_the_room_gives_zero_income_part() -> None:
    assert max_mortgage(student_loan_monthly=Decimal(5000)) == 0


# --- the other decisions ------------------------------------------------------------------------


def test_loan_within_income_norm() -> None:
    limit = int(max_mortgage())
    for loan, expected in ((limit, True), (limit + 1, False)):
        result = decide(
            "decision.loan_within_income_norm",
            year=YEAR,
            facts=facts(loan_amount=loan),
            inputs=inputs(),
        )
        assert result.value is expected


@pytest.mark.parametrize(
    ("loan", "measures", "expected"),
    [
        (400000, 0, True),
        (400001, 0, False),
        (424000, 30000, True),  # 106% with measures
        (424001, 30000, False),
        (410000, 10000, True),  # the measures' cost, not a flat 6%
        (410001, 10000, False),
    ],
)
def test_loan_to_value(loan: int, measures: int, expected: bool) -> None:
    result = decide(
        "decision.loan_to_value_within_norm",
        year=YEAR,
        facts=facts(loan_amount=loan, energy_saving_measures=measures),
    )
    assert result.value is expected
    assert result.rule_version == "loan_to_value@2026.1"


@pytest.mark.parametrize(
    ("loan", "measures", "expected"),
    [
        (470000, 0, True),
        (470001, 0, False),
        # EUR 1 of measures buys EUR 1 of room, not EUR 28,200.
        (470001, 1, True),
        (498200, 1, False),
        (475000, 5000, True),
        (480000, 5000, False),
        (498200, 28200, True),
        (498201, 40000, False),  # the room stops at 6% of EUR 470,000
    ],
)
def test_nhg_cost_limit_2026(loan: int, measures: int, expected: bool) -> None:
    result = decide(
        "decision.nhg_eligible",
        year=YEAR,
        facts=facts(loan_amount=loan, purchase_price=600000, energy_saving_measures=measures),
    )
    assert result.value is expected
    assert result.rule_version == "nhg@2026.2"


def protected(**given: Any) -> Decimal | bool:
    base: dict[str, Any] = {
        "as_of": "2026-03-01",
        "household": "single",
        "children_under_18": False,
        "taxable_income_annual": "18000.00",
        "net_income_monthly": "5000.00",
        "net_income_complete": True,
    }
    return decide("decision.protected_earnings_monthly", year=YEAR, inputs={**base, **given}).value


#: The inputs of a single without children, as the decision names them (sorted).
PROTECTED_INPUTS = (
    "as_of",
    "children_under_18",
    "household",
    "net_income_complete",
    "net_income_monthly",
    "taxable_income_annual",
)


@pytest.mark.parametrize(
    ("as_of", "household", "expected"),
    [
        # At a taxable income below every threshold (C under D and under the reference income
        # of WHT art. 17) only 95% of the norm is left (Rv art. 475da lid 2): A (single,
        # single parent) is the norm of Participatiewet art. 21 a, B (married or cohabiting)
        # that of art. 21 b, at every age; times 0.95. Hand-worked from the law texts.
        # From 1 January 2026 (Pw art. 21 in force from 2026-01-01):
        ("2026-01-01", "single", "1331.43"),  # 1,401.50 x 0.95 = 1,331.425
        ("2026-03-01", "couple", "1902.02"),  # 2,002.13 x 0.95 = 1,902.0235
        ("2026-06-30", "single", "1331.43"),
        # From 1 July 2026 (in force from 2026-07-01):
        ("2026-07-01", "single", "1348.49"),  # 1,419.46 x 0.95 = 1,348.487
        ("2026-12-02", "couple", "1926.40"),  # 2,027.79 x 0.95 = 1,926.4005
    ],
)
def test_protected_earnings_at_the_minimum_by_household_and_period(
    as_of: str, household: str, expected: str
) -> None:
    given = {
        "as_of": as_of,
        "household": household,
        "children_under_18": False,
        "taxable_income_annual": "18000.00",
        # A spouse without income: art. 475db lid 1 a lowers nothing (see below).
        "partner_taxable_income_annual": "0.00",
        "net_income_monthly": "5000.00",
        "net_income_complete": True,
    }
    result = decide("decision.protected_earnings_monthly", year=YEAR, inputs=given)
    assert result.value == Decimal(expected)
    assert result.claim() == {"amount": expected, "currency": "EUR"}
    assert result.rule_version == "protected_earnings@2026.6"
    # The partner's income is an input of a couple's decision only.
    partner = ("partner_taxable_income_annual",) if household == "couple" else ()
    assert result.inputs == tuple(sorted(PROTECTED_INPUTS + partner))


@pytest.mark.parametrize(
    ("taxable", "net", "expected"),
    [
        # A single without children, 1 January 2026, hand-worked from Rv art. 475da lid 1-3
        # with the figures of the rule file (A 1,401.50; D 29,736; E 13.730%; F 27%;
        # H 932.93; J 202.52; reference income 23,425; standard premium 2,119; Pw art. 23
        # lid 2 EUR 47).
        # Low: C 20,000 is under D (zorg term 0) and under the reference (I = -3,425: the
        # rent term counts as 0, WHT art. 21 lid 2 tapers only above it; read literally it
        # would take 77.06 off): 1,331.425.
        ("20000.00", "1500.00", "1331.43"),
        # Low, and 95% of a lower income is less (art. 475dc lid 1): 0.95 x 1,300.
        ("20000.00", "1300.00", "1235.00"),
        # Middle: C 30,000: zorg (30,000 - 29,736) / 12 x 13.73% = 3.0206; rent
        # (30,000 - 23,425) x 27% / 12 = 147.9375 (under H - J = 730.41):
        # 1,331.425 + 3.0206 + 147.9375 = 1,482.3831.
        ("30000.00", "2100.00", "1482.38"),
        # High: C 48,000: zorg 1,522 x 13.73% = 208.97, at most 2,119 / 12 - 47 = 129.5833
        # (lid 3); rent 24,575 x 27% / 12 = 552.9375: 1,331.425 + 129.5833 + 552.9375 =
        # 2,013.9458.
        ("48000.00", "3000.00", "2013.95"),
        # Higher still: every term at its cap, 1,331.425 + 129.5833 + 730.41 = 2,191.4183,
        # the maximum of lid 1 a (EUR 2,191.42).
        ("90000.00", "4500.00", "2191.42"),
    ],
)
def test_protected_earnings_of_a_single_by_taxable_income(
    taxable: str, net: str, expected: str
) -> None:
    given = {"as_of": "2026-01-01", "taxable_income_annual": taxable, "net_income_monthly": net}
    assert protected(**given) == Decimal(expected)


def test_an_income_without_its_holiday_allowance_decides_where_the_cap_does_not_bind() -> None:
    # The months read hold no holiday allowance (paid in May or June, outside them): the
    # income seen is a lower bound. 95 % of it above the art. 475da amount: the cap of art.
    # 475dc lid 1 does not bind for the true income either, so the amount stands.
    high = {"as_of": "2026-03-01", "net_income_monthly": "5000.00"}
    assert protected(**high, net_income_complete=False) == protected(**high)
    # Below it the cap would bind on a figure known to be too low: refused, never a guess.
    with pytest.raises(RuleNotApplicableError, match="475dc"):
        protected(as_of="2026-03-01", net_income_monthly="1000.00", net_income_complete=False)
    assert protected(as_of="2026-03-01", net_income_monthly="1000.00") == Decimal("950.00")


def test_protected_earnings_of_a_single_parent() -> None:
    # 1 July 2026, C 40,000: A 1,419.46 x 0.95 = 1,348.487; zorg (40,000 - 29,736) / 12 x
    # 13.73% = 117.4373 (under the cap 129.5833); rent (40,000 - 31,500) x 22% / 12 = 155.8333
    # (G and the reference of more than one person); child (40,000 - 29,736) / 12 x 7.60% =
    # 65.0053: 1,686.7629.
    value = protected(as_of="2026-07-01", children_under_18=True, taxable_income_annual="40000")
    assert value == Decimal("1686.76")
    # The same income without children: F 27%, reference 23,425, no child term:
    # 1,348.487 + 117.4373 + (40,000 - 23,425) x 27% / 12 = 1,838.8618.
    assert protected(as_of="2026-07-01", taxable_income_annual="40000") == Decimal("1838.86")


#: A couple with children on 1 January 2026 whose C is 50,000: B 2,002.13 x 0.95 = 1,902.0235;
#: zorg (50,000 - 29,736) / 12 x 13.73% = 231.8540 (cap 2 x 2,119 / 12 - 106 = 247.1667);
#: rent (50,000 - 31,500) x 22% / 12 = 339.1667; child (50,000 - (29,736 + 9,405)) / 12 x
#: 7.60% = 68.7737: art. 475da gives 2,541.8179 (under the maximum of lid 1 d, 3,155.31).
COUPLE_WITH_CHILDREN = {"as_of": "2026-01-01", "household": "couple", "children_under_18": True}


def test_protected_earnings_of_a_couple_whose_spouse_has_no_income() -> None:
    # C is the debtor's 50,000 and the spouse's 0. Rv art. 475db lid 1 a lowers the amount of
    # art. 475da by the spouse's periodic income: none, so nothing (the debtor's own income
    # is the whole income the amount is stated against: lid 1 b lowers nothing either).
    value = protected(
        **COUPLE_WITH_CHILDREN,
        taxable_income_annual="50000.00",
        partner_taxable_income_annual="0.00",
    )
    assert value == Decimal("2541.82")


def test_a_couple_whose_spouse_has_income_is_refused_by_art_475db() -> None:
    # C = 30,000 + 20,000 = 50,000: art. 475da gives 2,541.82 as above. Rv art. 475db lid 1 a
    # (consolidated texts in force from 2026-01-01 and 2026-07-01) lowers it by the spouse's
    # periodic income not under attachment, holiday allowance included, up to half of it
    # (1,270.91): the amount paid out, net of what the law withholds (art. 475a lid 2). The
    # polis gives the spouse's gross fiscal wage only, so the amount lies anywhere between
    # 1,270.91 and 2,541.82, and 95% of the debtor's income (5,000: 4,750) does not bound it:
    # refused, naming why, never 2,541.82 (revision 4 gave that: too much protected, so the
    # creditor was told too little can be paid).
    with pytest.raises(RuleNotApplicableError) as caught:
        protected(
            **COUPLE_WITH_CHILDREN,
            taxable_income_annual="30000.00",
            partner_taxable_income_annual="20000.00",
        )
    assert caught.value.code == "rule_not_applicable"
    assert "475db" in caught.value.message
    assert "protected_earnings@2026.6" in caught.value.message
    for value in ("30000", "30,000", "20000", "20,000", "5000", "2541", "1270"):
        assert value not in caught.value.message


def test_a_spouses_income_does_not_matter_when_95_percent_of_the_debtors_is_less() -> None:
    # Art. 475dc lid 1: 95% of the debtor's monthly income when art. 475da and 475db give
    # more. Whatever the spouse's net income, 475db leaves at least half of 2,541.82
    # (1,270.91); 95% of 1,300 is 1,235 below that, so the amount is 1,235 either way.
    spouse = {"partner_taxable_income_annual": "20000.00", "taxable_income_annual": "30000.00"}
    assert protected(**COUPLE_WITH_CHILDREN, **spouse, net_income_monthly="1300.00") == Decimal(
        "1235.00"
    )
    # At 95% of 1,338 (1,271.10), just above the half, the spouse's income decides: refused.
    with pytest.raises(RuleNotApplicableError, match="475db"):
        protected(**COUPLE_WITH_CHILDREN, **spouse, net_income_monthly="1338.00")


def test_a_couple_without_the_partner_income_is_a_typed_error() -> None:
    # No source of this consumer's session gives the spouse's taxable income: never 0.
    with pytest.raises(MissingDecisionInputError) as caught:
        protected(household="couple")
    assert caught.value.missing == ["partner_taxable_income_annual"]


_AMOUNTS = st.integers(min_value=0, max_value=15_000_000).map(lambda c: Decimal(c) / 100)


@settings(max_examples=200, deadline=None)
@given(
    as_of=st.sampled_from(["2026-01-01", "2026-06-30", "2026-07-01", "2026-12-31"]),
    children=st.booleans(),
    taxable=_AMOUNTS,
    spouse=_AMOUNTS | st.just(Decimal(0)),
    net=st.integers(min_value=0, max_value=1_000_000).map(lambda c: Decimal(c) / 100),
)
def test_a_couples_amount_follows_art_475db_or_is_refused(
    as_of: str, children: bool, taxable: Decimal, spouse: Decimal, net: Decimal
) -> None:
    # Against the table's own art. 475da amount (within the maximum) for the same C: a spouse
    # without income lowers nothing; a spouse with income leaves at least half, so a figure
    # exists only where 95% of the debtor's income is at most that half (art. 475dc lid 1),
    # and it is then that 95%. Never a figure above what art. 475da and 475dc allow.
    given_ = {
        "as_of": as_of,
        "household": "couple",
        "children_under_18": children,
        "taxable_income_annual": taxable,
        "partner_taxable_income_annual": spouse,
        "net_income_monthly": net,
        "net_income_complete": True,
    }
    raw = _decisions._evaluate(rule_table("protected_earnings", YEAR), given_)
    within = Decimal(str(raw["within_maximum"]))
    share = net * Decimal("0.95")
    # Within half a cent of the half the engine's float (not its decimal) could go either way.
    assume(spouse == 0 or abs(share - within / 2) > Decimal("0.005"))
    if spouse > 0 and share > within / 2:
        with pytest.raises(RuleNotApplicableError, match="475db"):
            decide("decision.protected_earnings_monthly", year=YEAR, inputs=given_)
        return
    value = decide("decision.protected_earnings_monthly", year=YEAR, inputs=given_).value
    assert isinstance(value, Decimal)
    expected = min(within, share) if spouse == 0 else share
    assert abs(value - expected) <= Decimal("0.005")
    assert value <= min(within, share) + Decimal("0.005")


@pytest.mark.parametrize(
    "name", ["taxable_income_annual", "children_under_18", "household", "as_of"]
)
def test_protected_earnings_without_an_input_is_a_typed_error(name: str) -> None:
    base: dict[str, Any] = {
        "as_of": "2026-03-01",
        "household": "single",
        "children_under_18": False,
        "taxable_income_annual": "18000.00",
        "net_income_monthly": "1000.00",
        "net_income_complete": True,
    }
    del base[name]
    with pytest.raises(MissingDecisionInputError) as caught:
        decide("decision.protected_earnings_monthly", year=YEAR, inputs=base)
    assert caught.value.missing == [name]


#: The maxima of Rv art. 475da lid 1 (primary: the consolidated texts in force from 1 January
#: and 1 July 2026), per period and situation.
MAXIMA = {
    ("2026-01-01", "single", False): "2191.42",
    ("2026-01-01", "single", True): "2526.69",
    ("2026-01-01", "couple", False): "2881.41",
    ("2026-01-01", "couple", True): "3155.31",
    ("2026-07-01", "single", False): "2208.48",
    ("2026-07-01", "single", True): "2543.75",
    ("2026-07-01", "couple", False): "2905.79",
    ("2026-07-01", "couple", True): "3179.68",
}


@pytest.mark.parametrize(("as_of", "household", "children"), sorted(MAXIMA))
def test_the_formula_reproduces_the_maxima_of_lid_1(
    as_of: str, household: str, children: bool
) -> None:
    # Lid 8: each maximum is the amount of the formula where I x (F / 12) (one person) or
    # I x (G / 12) (more) equals H, the maximum rent of WHT art. 13 lid 1 a. The formula, not
    # capped, at that taxable income (in cents) must give the published maximum to the cent:
    # this is what pins the figures only seen in secondary sources (standard premium, D, J,
    # the reference incomes). One of the eight misses by a cent: couple with children from 1
    # January, 3,155.30 (with D 29,736; D 29,735.42 would give 3,155.31, see the rule file).
    one_person = household == "single" and not children
    taper, reference = (Decimal("0.27"), 23425) if one_person else (Decimal("0.22"), 31500)
    binding = (reference + Decimal("932.93") * 12 / taper).quantize(Decimal("0.01"))
    table = rule_table("protected_earnings", YEAR)
    context = {
        "as_of": as_of,
        "household": household,
        "children_under_18": children,
        "taxable_income_annual": binding,
        "partner_taxable_income_annual": Decimal(0),
        "net_income_monthly": Decimal(10000),
        "net_income_complete": True,
    }
    raw = _decisions._evaluate(table, context)
    formula = Decimal(str(raw["formula_monthly"])).quantize(Decimal("0.01"))
    expected = Decimal(MAXIMA[(as_of, household, children)])
    if (as_of, household, children) == ("2026-01-01", "couple", True):
        assert formula == expected - Decimal("0.01")
    else:
        assert formula == expected
    # And the decision at that income (and above) is the maximum itself.
    result = _decisions.decide(
        "decision.protected_earnings_monthly",
        year=YEAR,
        inputs={**context, "taxable_income_annual": binding + 20000},
    )
    assert result.value == expected


@pytest.mark.parametrize("household", ["single", "couple"])
def test_protected_earnings_do_not_depend_on_age(household: str) -> None:
    # Revision 2 took the debtor's own social-assistance norm (Pw art. 20 under 21, art. 22
    # from the AOW age); the legend of art. 475da lid 2 names art. 21 a and b for everyone
    # (the Wet vereenvoudiging beslagvrije voet dropped the age categories). Ages given are
    # not inputs of the decision.
    partner = {"partner_taxable_income_annual": "0.00"}
    plain = protected(household=household, **partner)
    for band in ("under_21", "adult", "aow"):
        again = protected(household=household, age_band=band, partner_age_band=band, **partner)
        assert again == plain


def test_protected_earnings_below_the_norm_is_95_percent_of_the_income() -> None:
    # Rv art. 475dc lid 1: never more than 95% of the income itself.
    assert protected(net_income_monthly="1000.00") == Decimal("950.00")
    assert protected(net_income_monthly="1401.50") == Decimal("1331.43")
    couple = {"household": "couple", "partner_taxable_income_annual": "0.00"}
    assert protected(net_income_monthly="2000.00", **couple) == Decimal("1900.00")


def test_protected_earnings_bad_day_is_typed() -> None:
    with pytest.raises(InvalidDecisionInputError, match="as_of") as caught:
        protected(as_of="1st of July")
    assert "July" not in caught.value.message


# --- provenance and bad input -------------------------------------------------------------------


def test_result_names_inputs_and_version_never_values() -> None:
    result = decide("decision.max_mortgage", year=YEAR, facts=facts(), inputs=inputs())
    assert isinstance(result, DecisionResult)
    assert re.fullmatch(r"[a-z_]+@\d{4}\.\d+", result.rule_version)
    assert result.rule_version == "income_norm@2026.1"
    assert result.inputs == (
        "aow_age_reached",
        "applicant_income_annual",
        "facts.energy_label",
        "facts.energy_saving_measures",
        "facts.fixed_period_years",
        "facts.interest_rate",
        "has_partner",
        "ibl_applicable",
        "partner_ibl_applicable",
        "partner_income_annual",
        "student_loan_monthly",
    )
    assert "65000" not in result.model_dump_json().replace(str(result.value), "")


def test_without_partner_the_partner_income_is_not_an_input() -> None:
    result = decide(
        "decision.max_mortgage",
        year=YEAR,
        facts=facts(),
        inputs=inputs(has_partner=False, partner_income_annual=None),
    )
    assert "partner_income_annual" not in result.inputs


def test_unknown_decision() -> None:
    with pytest.raises(UnknownDecisionError, match=r"decision\.max_morgage"):
        decide("decision.max_morgage", year=YEAR, facts=facts(), inputs=inputs())


def test_missing_facts_are_named() -> None:
    with pytest.raises(MissingDecisionInputError) as caught:
        decide("decision.loan_to_value_within_norm", year=YEAR)
    assert caught.value.missing == [
        "facts.purchase_price",
        "facts.loan_amount",
        "facts.energy_saving_measures",
    ]


@pytest.mark.parametrize(
    "leave_out",
    ["applicant_income_annual", "student_loan_monthly", "aow_age_reached", "ibl_applicable"],
)
def test_no_default_for_a_missing_input(leave_out: str) -> None:
    with pytest.raises(MissingDecisionInputError, match=leave_out):
        decide(
            "decision.max_mortgage", year=YEAR, facts=facts(), inputs=inputs(**{leave_out: None})
        )


def test_partner_income_is_needed_with_a_partner() -> None:
    with pytest.raises(MissingDecisionInputError, match="partner_income_annual"):
        decide(
            "decision.max_mortgage",
            year=YEAR,
            facts=facts(),
            inputs=inputs(partner_income_annual=None),
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("applicant_income_annual", True),
        ("applicant_income_annual", -1),
        ("applicant_income_annual", "lots"),
        ("applicant_income_annual", 65000.5),  # floats are not amounts: pass Decimal or text
        ("has_partner", "yes"),
        ("student_loan_monthly", Decimal("Infinity")),
        # Finite, but no float holds it: it would reach the engine as infinity.
        ("applicant_income_annual", Decimal("1E+400")),
        ("applicant_income_annual", "100000000.01"),  # beyond any amount a source gives
        ("student_loan_monthly", "72.215"),  # not whole cents
    ],
)
def test_invalid_input(name: str, value: object) -> None:
    with pytest.raises(InvalidDecisionInputError, match=name) as caught:
        decide("decision.max_mortgage", year=YEAR, facts=facts(), inputs=inputs(**{name: value}))
    assert str(value) not in caught.value.message


def test_household_must_be_known() -> None:
    with pytest.raises(InvalidDecisionInputError, match="household"):
        decide(
            "decision.protected_earnings_monthly",
            year=YEAR,
            inputs={
                "as_of": "2026-03-01",
                "household": "commune",
                "children_under_18": False,
                "taxable_income_annual": "1",
                "net_income_monthly": "1",
                "net_income_complete": True,
            },
        )


def test_no_rule_table_for_the_year() -> None:
    with pytest.raises(RuleTableNotFoundError, match="2031") as caught:
        decide("decision.nhg_eligible", year=2031, facts=facts())
    assert "2026" in caught.value.message  # says which years there are


@pytest.mark.parametrize("day", ["2025-12-31", "2027-01-01", "2027-03-01"])
@pytest.mark.parametrize("name", sorted(DECISIONS))
def test_a_day_outside_the_tables_year_is_refused(name: str, day: str) -> None:
    """A table speaks of its own year: a collection on another year's day never gets 2026's
    figures (the beslagvrije voet of 1 July 2026 in March 2027, an income norm of 2026)."""
    given = {**inputs(), "as_of": day, "household": "single", "age_band": "adult"}
    given["net_income_monthly"] = "5000.00"
    given["net_income_complete"] = True
    with pytest.raises(RuleTableNotFoundError, match="2026") as caught:
        decide(name, year=YEAR, facts=facts(), inputs=given)
    assert day not in caught.value.message


def test_every_decision_has_its_table_for_2026() -> None:
    for decision in DECISIONS.values():
        table = rule_table(decision.table, YEAR)
        assert table.version.startswith(f"{decision.table}@2026.")


def test_every_rule_file_cites_its_sources() -> None:
    root = resources.files("brondata.dossier") / "rules" / "2026"
    for path in root.iterdir():
        data = json.loads(path.read_text())
        meta = data["brondata"]
        assert meta["sources"], path.name
        for source in meta["sources"]:
            assert source["figures"], path.name
            assert source["source"], path.name
        for node in data["nodes"]:
            assert node.get("description"), f"{path.name}: node {node['id']} has no description"


def test_without_the_engine_deciding_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zen", None)  # what an uninstalled extra looks like
    _decisions._engine.cache_clear()
    rule_table.cache_clear()
    try:
        with pytest.raises(DecisionsUnavailableError, match="brondata\\[decisions\\]"):
            decide("decision.nhg_eligible", year=YEAR, facts=facts())
    finally:
        _decisions._engine.cache_clear()
        rule_table.cache_clear()


# --- before any login ---------------------------------------------------------------------------


def test_check_decisions_gives_the_rule_versions() -> None:
    names = ["decision.nhg_eligible", "decision.protected_earnings_monthly"]
    assert check_decisions(names, year=YEAR, facts=facts()) == [
        "nhg@2026.2",
        "protected_earnings@2026.6",
    ]
    # The beslagvrije voet needs no application facts.
    assert check_decisions(["decision.protected_earnings_monthly"], year=YEAR, facts=None)


@pytest.mark.parametrize(
    ("names", "year", "with_facts", "error"),
    [
        (["decision.max_morgage"], YEAR, True, UnknownDecisionError),
        (["decision.max_mortgage"], YEAR, False, MissingDecisionInputError),
        (["decision.max_mortgage"], 2019, True, RuleTableNotFoundError),
    ],
)
def test_check_decisions_refuses_before_any_login(
    names: list[str], year: int, with_facts: bool, error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_decisions(names, year=year, facts=facts() if with_facts else None)


def test_amounts_reach_the_engine_exactly() -> None:
    # Twelve digits with cents survive the engine's float input unchanged.
    result = decide(
        "decision.protected_earnings_monthly",
        year=YEAR,
        inputs={
            "as_of": "2026-03-01",
            "household": "single",
            "children_under_18": False,
            "taxable_income_annual": "1.05",
            "net_income_monthly": "1.05",
            "net_income_complete": True,
        },
    )
    assert result.value == Decimal("1.00")  # 0.9975 rounds half up to cents: 1.00


def test_the_maximum_mortgage_is_never_rounded_up() -> None:
    # The table floors the income part to whole euros; the result keeps that (no cents).
    assert max_mortgage() == max_mortgage().to_integral_value(rounding=ROUND_FLOOR)


def test_unknown_polis_income_or_children_are_left_out_so_the_decision_names_them() -> None:
    # The mappings give None when UWV shows no current month or the BRP cannot tell a child's
    # age: the inputs are left out, and the decision fails typed instead of assuming 0.
    values = {
        "household.partner": None,
        "household.children_under_18": None,
        "employment.taxable_income_annual": None,
    }
    # The net income is the bank's own decision input (``brondata.sources.bank.mapping``).
    given = {
        **decision_inputs(values, date(2026, 12, 2)),
        "net_income_monthly": "2000.00",
        "net_income_complete": True,
    }
    assert "children_under_18" not in given
    assert "taxable_income_annual" not in given
    with pytest.raises(MissingDecisionInputError) as caught:
        decide("decision.protected_earnings_monthly", year=YEAR, inputs=given)
    assert caught.value.missing == ["children_under_18", "taxable_income_annual"]
    known = {
        **values,
        "household.children_under_18": True,
        "employment.taxable_income_annual": {"amount": "40000.00", "currency": "EUR"},
    }
    given = {
        **decision_inputs(known, date(2026, 12, 2)),
        "net_income_monthly": "2000.00",
        "net_income_complete": True,
    }
    assert given["children_under_18"] is True
    assert given["taxable_income_annual"] == "40000.00"
    # The single parent of test_protected_earnings_of_a_single_parent, on 2 December 2026.
    result = decide("decision.protected_earnings_monthly", year=YEAR, inputs=given)
    assert result.value == Decimal("1686.76")
    with pytest.raises(InvalidDecisionInputError, match="children_under_18"):
        decision_inputs({"household.children_under_18": "yes"}, date(2026, 12, 2))


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # 00:30 on 1 July in the Netherlands (summer time, UTC+2): the July figures apply.
        ("2026-06-30T22:30:00+00:00", "2026-07-01"),
        ("2026-06-30T21:59:59+00:00", "2026-06-30"),
        # 00:30 on 1 January (winter time, UTC+1): another year's tables.
        ("2026-12-31T23:30:00+00:00", "2027-01-01"),
        ("2026-12-31T22:59:59+00:00", "2026-12-31"),
    ],
)
def test_the_decision_day_is_the_dutch_calendar_date(moment: str, day: str) -> None:
    # The figures of Rv art. 475da change on 1 January and 1 July, Dutch dates: a decision
    # made between midnight and 02:00 Dutch time speaks of the Dutch day, not the UTC one.
    from datetime import datetime

    from brondata.dossier._run import decision_day

    assert decision_day(datetime.fromisoformat(moment)) == date.fromisoformat(day)


def test_the_taxable_income_text_says_how_a_period_is_made_a_year() -> None:
    # The consent notice shows this text: a four-weekly payroll counts 13 periods, a weekly
    # one 52, not "times 12".
    from brondata.attributes import CATALOGUE

    attribute = CATALOGUE["employment.taxable_income_annual"]
    for text in (attribute.description_en, attribute.description_nl):
        assert all(n in text for n in ("12", "13", "52"))
