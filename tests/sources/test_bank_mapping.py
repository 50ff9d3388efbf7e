"""The bank mapping on hand-built Berlin Group data: the derivation rules, one by one."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brondata import sources as source_kinds
from brondata.errors import MappingError, SourceProtocolError
from brondata.sources._kind import MapFunction
from brondata.sources._mapping import minimise
from brondata.sources.bank.connector import transaction_period
from brondata.sources.bank.mapping import map_bank
from brondata.sources.bank.models import BankData


def mapping(kind: str) -> MapFunction:
    """The registered mapping function of ``kind``."""
    return source_kinds.get(kind).mapping.map


TODAY = date(2026, 11, 2)


def tx(day: date, amount: str, party: str, *, tid: str = "") -> dict[str, Any]:
    side = "debtorName" if Decimal(amount) > 0 else "creditorName"
    return {
        "transactionId": tid or f"{day}-{party}-{amount}",
        "bookingDate": day.isoformat(),
        "transactionAmount": {"currency": "EUR", "amount": amount},
        side: party,
        "remittanceInformationUnstructured": f"{party} {day:%m-%Y}",
    }


def raw(
    transactions: list[dict[str, Any]], balances: dict[str, str] | None = None
) -> dict[str, Any]:
    start, end = transaction_period(TODAY)
    accounts = [
        {
            "resourceId": "acc-1",
            "iban": "NL76RABO0359400371",
            "currency": "EUR",
            "ownerName": "J. Jansen",
        },
        {
            "resourceId": "acc-2",
            "iban": "NL02ABNA0123456789",
            "currency": "EUR",
            "ownerName": "J. Jansen",
        },
        {
            "resourceId": "acc-usd",
            "iban": "NL91ABNA0417164300",
            "currency": "USD",
            "ownerName": "J. Jansen",
        },
    ]
    amounts = balances or {"acc-1": "1500.10", "acc-2": "20000.00", "acc-usd": "999.99"}
    return {
        "accounts": {"accounts": accounts},
        "balances": {
            rid: {
                "balances": [
                    {
                        "balanceType": "closingBooked",
                        "balanceAmount": {"currency": "EUR", "amount": a},
                    }
                ]
            }
            for rid, a in amounts.items()
        },
        "transactions": {"acc-1": [{"transactions": {"booked": transactions}}]},
        "period": {"dateFrom": start.isoformat(), "dateTo": end.isoformat()},
    }


MONTHS = [date(2026, m, 25) for m in range(5, 11)]  # May..October: the 6 complete months


def salaried() -> list[dict[str, Any]]:
    out = []
    for d in MONTHS:
        out.append(tx(d, "3100.00", "Bakkerij de Korenbloem B.V."))
        out.append(tx(d.replace(day=1), "-1250.00", "Woonstichting Eigen Haard"))
        out.append(tx(d.replace(day=3), "-134.50", "Vattenfall"))
        for k, amount in enumerate(("-23.10", "-87.45", "-54.00", "-12.99")):
            out.append(tx(d.replace(day=5 + 5 * k), amount, "Albert Heijn"))
    out.append(tx(date(2026, 7, 14), "250.00", "Marktplaats koper"))  # one-off credit
    out.append(tx(date(2026, 11, 1), "-1250.00", "Woonstichting Eigen Haard"))  # current month
    return out


def test_period_is_six_complete_months() -> None:
    assert transaction_period(TODAY) == (date(2026, 5, 1), TODAY)
    assert transaction_period(date(2026, 3, 31)) == (date(2025, 9, 1), date(2026, 3, 31))


def test_salary_average_over_six_months() -> None:
    values = map_bank(BankData.from_raw(raw(salaried())), ["bank.salary_monthly_average"])
    assert values == {"bank.salary_monthly_average": {"amount": "3100.00", "currency": "EUR"}}


def test_a_missed_salary_month_counts_as_zero() -> None:
    txs = [t for t in salaried() if not (t["bookingDate"] == "2026-08-25" and "Bakkerij" in str(t))]
    values = map_bank(BankData.from_raw(raw(txs)), ["bank.salary_monthly_average"])
    assert values["bank.salary_monthly_average"]["amount"] == "2583.33"  # 5 x 3100 / 6


def test_fixed_costs_leave_groceries_and_the_current_month_out() -> None:
    values = map_bank(BankData.from_raw(raw(salaried())), ["bank.fixed_costs_monthly_average"])
    assert values["bank.fixed_costs_monthly_average"] == {"amount": "1384.50", "currency": "EUR"}


def test_balance_total_sums_eur_accounts_only() -> None:
    values = map_bank(BankData.from_raw(raw([])), ["bank.balance_total"])
    assert values["bank.balance_total"] == {"amount": "21500.10", "currency": "EUR"}


def test_accounts_and_transactions_in_catalogue_shape() -> None:
    values = map_bank(BankData.from_raw(raw(salaried())), ["bank.accounts", "bank.transactions"])
    assert values["bank.accounts"][0] == {
        "iban": "NL76RABO0359400371",
        "currency": "EUR",
        "owner_name": "J. Jansen",
    }
    dates = [t["booking_date"] for t in values["bank.transactions"]]
    assert dates == sorted(dates)
    assert len(dates) == len(salaried())


def test_output_holds_exactly_the_requested_attributes() -> None:
    data = raw(salaried())
    for asked in (["bank.accounts"], ["bank.balance_total", "bank.salary_monthly_average"]):
        assert set(mapping("bank")(data, asked, TODAY)) == set(asked)


def test_minimise_drops_extras_and_refuses_gaps() -> None:
    assert minimise({"a.b": 1, "a.c": 2}, ["a.b"]) == {"a.b": 1}
    with pytest.raises(MappingError):
        minimise({"a.b": 1}, ["a.b", "a.c"])


def test_missing_booked_balance_is_a_mapping_error() -> None:
    data = raw([])
    data["balances"]["acc-1"]["balances"][0]["balanceType"] = "forwardAvailable"
    with pytest.raises(MappingError, match="no booked balance") as caught:
        map_bank(BankData.from_raw(data), ["bank.balance_total"])
    assert "acc-1" not in str(caught.value)  # an account id is personal data


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: d.pop("accounts"),
        lambda d: d["accounts"]["accounts"][0].pop("iban"),
        lambda d: d["accounts"]["accounts"][0].update(currency="euro"),
        lambda d: d["transactions"]["acc-1"][0]["transactions"]["booked"].append(
            {"bookingDate": "x"}
        ),
        lambda d: d["balances"]["acc-1"]["balances"][0]["balanceAmount"].update(amount="lots"),
    ],
)
def test_schema_violations_are_protocol_errors(corrupt: Any) -> None:
    data = raw(salaried())
    corrupt(data)
    with pytest.raises(SourceProtocolError):
        BankData.from_raw(data)


@given(
    salary=st.decimals(min_value=500, max_value=20000, places=2),
    rent=st.decimals(min_value=200, max_value=3000, places=2),
)
def test_salary_and_rent_are_recovered_for_any_amounts(salary: Decimal, rent: Decimal) -> None:
    txs = []
    for d in MONTHS:
        txs.append(tx(d, str(salary), "Werkgever B.V."))
        txs.append(tx(d.replace(day=1), str(-rent), "Verhuurder"))
    values = map_bank(
        BankData.from_raw(raw(txs)),
        ["bank.salary_monthly_average", "bank.fixed_costs_monthly_average"],
    )
    assert Decimal(values["bank.salary_monthly_average"]["amount"]) == salary
    assert Decimal(values["bank.fixed_costs_monthly_average"]["amount"]) == rent


def test_two_banks_combine_into_one_bank_balances_summed_salary_found_in_either() -> None:
    """The same resource ids at two banks stay apart; the salary arrives at the second."""
    groceries = [t for t in salaried() if "Bakkerij" not in str(t)]
    pay = [t for t in salaried() if "Bakkerij" in str(t)]
    first = raw(groceries)
    second = raw(pay, balances={"acc-1": "100.00", "acc-2": "0.90", "acc-usd": "1.00"})
    combined = source_kinds.get("bank").combine
    assert combined is not None
    both = combined({"bank.mockbank": first, "bank.noordbank": second})
    data = BankData.from_raw(both)
    assert len(data.accounts) == 6  # no account lost to a colliding resource id
    values = mapping("bank")(both, ["bank.balance_total", "bank.salary_monthly_average"], TODAY)
    assert values == {
        "bank.balance_total": {"amount": "21601.00", "currency": "EUR"},  # 21500.10 + 100.90
        "bank.salary_monthly_average": {"amount": "3100.00", "currency": "EUR"},
    }
    alone = mapping("bank")(first, ["bank.salary_monthly_average"], TODAY)
    assert alone["bank.salary_monthly_average"]["amount"] == "0.00"


def test_a_malformed_bank_among_several_is_a_protocol_error_naming_it() -> None:
    combined = source_kinds.get("bank").combine
    assert combined is not None
    with pytest.raises(SourceProtocolError, match=r"bank\.noordbank"):
        combined({"bank.mockbank": raw([]), "bank.noordbank": {"accounts": []}})


def test_dossier_facts_covered_months_and_salary_payers() -> None:
    facts = source_kinds.get("bank").mapping.facts
    assert facts is not None
    assert facts(raw(salaried()), TODAY) == {
        "history_months": 6,
        "salary_payers": ["Bakkerij de Korenbloem B.V."],
    }


def test_dossier_facts_an_account_opened_lately_covers_less() -> None:
    facts = source_kinds.get("bank").mapping.facts
    assert facts is not None
    recent = [t for t in salaried() if t["bookingDate"] >= "2026-09-01"]
    balance = str(sum(Decimal(t["transactionAmount"]["amount"]) for t in recent))
    # Nothing before the first booking: the account was opened in September.
    opened = raw(recent, {"acc-1": balance, "acc-2": "0.00"})
    got = facts(opened, TODAY)
    assert got["history_months"] == 2  # September and October
    assert got["salary_payers"] == []  # two months are no regular salary
    # The same bookings on an account that held money before: a quiet account, not a new one.
    assert facts(raw(recent), TODAY)["history_months"] == 6


def test_the_same_answer_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The connector validates what it returns; the identity check and the mapping read the
    # same object again, and pydantic parsing of a bank's transactions is the costly part.
    parses: list[object] = []
    original = BankData.from_raw.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BankData], data: Any, source: str = "bank") -> BankData:
        parses.append(data)
        return original(cls, data, source)  # type: ignore[no-any-return]

    monkeypatch.setattr(BankData, "from_raw", classmethod(counting))
    answer = raw(salaried())
    first = mapping("bank")(answer, ["bank.balance_total"], TODAY)
    again = mapping("bank")(answer, ["bank.balance_total"], TODAY)
    assert first == again
    assert len(parses) == 1
    # Another object is parsed anew.
    other = raw(salaried(), {"acc-1": "1.00", "acc-2": "2.00", "acc-usd": "3.00"})
    assert mapping("bank")(other, ["bank.balance_total"], TODAY) != first
    assert len(parses) == 2


def periodic_income(transactions: list[dict[str, Any]]) -> Decimal | None:
    """Rv art. 475dc lid 1's monthly income as the bank's decision input gives it."""
    from brondata.sources.bank.mapping import decision_inputs

    value = decision_inputs(raw(transactions), TODAY).get("net_income_monthly")
    return None if value is None else Decimal(value)


def test_no_regular_income_seen_is_unknown_not_zero() -> None:
    # The salary goes to another bank: nothing regular is credited here. The net income is
    # unknown (the decision names it missing), never 0 (a beslagvrije voet of EUR 0.00).
    only_costs = [t for t in salaried() if Decimal(t["transactionAmount"]["amount"]) < 0]
    assert periodic_income(only_costs) is None


def test_the_periodic_income_counts_every_regular_payer() -> None:
    # Art. 475dc lid 1: the income of all periodic payments of art. 475c lid 1 a-i (wages,
    # benefits, pensions, alimony), not the largest payer's only.
    txs = []
    for d in MONTHS:
        txs.append(tx(d, "1500.00", "Bakkerij de Korenbloem B.V."))
        txs.append(tx(d.replace(day=20), "1200.00", "Schoonmaak Noord B.V."))
        txs.append(tx(d.replace(day=2), "150.00", "J. de Vries"))  # alimony
    txs.append(tx(date(2026, 7, 14), "250.00", "Marktplaats koper"))  # one-off: not periodic
    assert periodic_income(txs) == Decimal("2850.00")
    # The released attribute keeps its meaning: the largest payer's salary.
    values = map_bank(BankData.from_raw(raw(txs)), ["bank.salary_monthly_average"])
    assert values["bank.salary_monthly_average"]["amount"] == "1500.00"


def test_no_zero_months_before_the_first_pay() -> None:
    # A job that began in July: its pay counts over the months it was paid, not as 2 months
    # of 0 (which would lower the cap and so the beslagvrije voet).
    txs = [tx(d, "2000.00", "Nieuw Werk B.V.") for d in MONTHS[2:]]
    assert periodic_income(txs) == Decimal("2000.00")


def test_a_payer_that_stopped_paying_is_not_income_now() -> None:
    txs = [tx(d, "2000.00", "Oud Werk B.V.") for d in MONTHS[:3]]
    txs += [tx(d, "1000.00", "UWV") for d in MONTHS[3:]]
    assert periodic_income(txs) == Decimal("1000.00")


def test_holiday_allowance_counts_as_a_twelfth_of_the_year() -> None:
    # Paid once, in May (in the salary credit or beside it): 1/12 of it a month, whatever
    # month the window holds it in. 2,000 a month and 1,920 in May: 2,000 + 160.
    together = [tx(d, "2000.00", "Werk B.V.") for d in MONTHS]
    together[0] = tx(MONTHS[0], "3920.00", "Werk B.V.")
    assert periodic_income(together) == Decimal("2160.00")
    beside = [tx(d, "2000.00", "Werk B.V.") for d in MONTHS]
    beside.append(tx(MONTHS[0].replace(day=26), "1920.00", "Werk B.V."))
    assert periodic_income(beside) == Decimal("2160.00")


def test_holiday_allowance_outside_the_window_gives_a_lower_bound() -> None:
    # On 10 January the six complete months are July..December: a holiday allowance paid in
    # May or June is not in them, so the income seen is a lower bound, and said to be one
    # (the decision can still use it where the cap of art. 475dc does not bind).
    from brondata.sources.bank.mapping import decision_inputs

    data = raw([])
    data["period"] = {"dateFrom": "2025-07-01", "dateTo": "2026-01-10"}
    months = [date(2025, m, 25) for m in range(7, 13)]
    data["transactions"]["acc-1"][0]["transactions"]["booked"] = [
        tx(d, "2000.00", "Werk B.V.") for d in months
    ]
    assert decision_inputs(data, date(2026, 1, 10)) == {
        "net_income_monthly": "2000.00",
        "net_income_complete": False,
    }


def income_at(transactions: list[dict[str, Any]], start: date, today: date) -> dict[str, Any]:
    """The bank's decision inputs on ``today``, of data fetched from ``start``."""
    from brondata.sources.bank.mapping import decision_inputs

    data = raw(transactions)
    data["period"] = {"dateFrom": start.isoformat(), "dateTo": today.isoformat()}
    return decision_inputs(data, today)


def every(days: int, first: date, last: date, amount: str, party: str) -> list[dict[str, Any]]:
    """A credit of ``amount`` every ``days`` days from ``first`` until before ``last``."""
    out, day = [], first
    while day < last:
        out.append(tx(day, amount, party, tid=f"{party}-{day}"))
        day += timedelta(days=days)
    return out


def test_a_weekly_wage_counts_at_its_yearly_rate() -> None:
    # Art. 475dc lid 1: every periodic payment of art. 475c lid 1 a-i. A weekly wage (four or
    # five credits a month, the uitzendbureau's rhythm) counts as 52/12 of the week's pay a
    # month: 500 x 52 / 12 + the benefit's 800. Its monthly sums (2,000 or 2,500) differ 25 %,
    # so the rhythm is read from the days between the credits, not from the months.
    txs = every(7, date(2026, 5, 1), date(2026, 11, 1), "500.00", "Uitzendbureau B.V.")
    txs += [tx(d, "800.00", "UWV") for d in MONTHS]
    assert income_at(txs, date(2026, 5, 1), TODAY) == {
        "net_income_monthly": "2966.67",
        "net_income_complete": True,
    }


def test_a_two_weekly_wage_counts_at_its_yearly_rate() -> None:
    txs = every(14, date(2026, 5, 8), date(2026, 11, 1), "900.00", "Horeca B.V.")
    assert income_at(txs, date(2026, 5, 1), TODAY)["net_income_monthly"] == "1950.00"  # x 26/12


def test_a_weekly_wage_is_a_salary_credit_for_the_checks() -> None:
    # salary_not_in_bank compares the polis's employers with these payers: a weekly wage is
    # in the bank (and the net income not a lower bound for it, see brondata.dossier._run).
    facts = source_kinds.get("bank").mapping.facts
    assert facts is not None
    txs = every(7, date(2026, 5, 1), date(2026, 11, 1), "500.00", "Uitzendbureau B.V.")
    assert facts(raw(txs), TODAY)["salary_payers"] == ["Uitzendbureau B.V."]


def test_pay_twice_a_month_is_not_two_weekly() -> None:
    # On the 1st and the 15th: 24 credits a year, summed per month, not 26.
    txs = [tx(d.replace(day=day), "1000.00", "Werk B.V.") for d in MONTHS for day in (1, 15)]
    assert income_at(txs, date(2026, 5, 1), TODAY)["net_income_monthly"] == "2000.00"


def test_a_four_weekly_pay_counts_thirteen_times_a_year() -> None:
    # Thirteen periods a year: 13/12 of the period's pay a month, whether or not the window
    # holds a month with two pay dates (here it does not: one credit a month).
    txs = every(28, date(2026, 5, 20), date(2026, 11, 1), "2400.00", "Gemeente Noord")
    assert len(txs) == 6
    assert income_at(txs, date(2026, 5, 1), TODAY) == {
        "net_income_monthly": "2600.00",
        "net_income_complete": True,
    }


def working_day(day: date) -> date:
    """``day``, or the Friday before it when it falls in a weekend (as payrolls pay)."""
    return day - timedelta(days=max(0, day.weekday() - 4))


@pytest.mark.parametrize("first", [date(2025 + m // 12, m % 12 + 1, 1) for m in range(12)])
def test_a_monthly_pay_is_never_read_as_four_weekly(first: date) -> None:
    # On the last working day, any six months: the mean gap stays above 29 days (read as
    # four-weekly, 13/12 of the pay, the income would be 8 % too high).
    months = [
        date(first.year + (first.month + k - 1) // 12, (first.month + k - 1) % 12 + 1, 1)
        for k in range(7)
    ]
    txs = [tx(working_day(m - timedelta(days=1)), "2000.00", "Werk B.V.") for m in months[1:]]
    today = months[-1] + timedelta(days=1)
    assert income_at(txs, first, today)["net_income_monthly"] == "2000.00"


@pytest.mark.parametrize("offset", range(0, 28, 3))
def test_a_four_weekly_pay_is_read_from_any_first_day(offset: int) -> None:
    first = date(2026, 5, 1) + timedelta(days=offset)
    txs = every(28, first, date(2026, 11, 1), "1200.00", "Gemeente Noord")
    assert income_at(txs, date(2026, 5, 1), TODAY)["net_income_monthly"] == "1300.00"


def test_a_four_weekly_double_month_is_no_holiday_allowance() -> None:
    # July..December, two pay dates in July: the second is the thirteenth period, not a
    # holiday allowance; none was seen (paid in May), so the figure is a lower bound.
    txs = every(28, date(2025, 7, 3), date(2026, 1, 1), "2400.00", "Gemeente Noord")
    assert income_at(txs, date(2025, 7, 1), date(2026, 1, 10)) == {
        "net_income_monthly": "2600.00",
        "net_income_complete": False,
    }


def test_a_weekly_wage_with_its_holiday_allowance_beside() -> None:
    # The holiday allowance paid beside a week's pay, in May: 1/12 of it a month on top.
    txs = every(7, date(2026, 5, 1), date(2026, 11, 1), "500.00", "Uitzendbureau B.V.")
    txs.append(tx(date(2026, 5, 22), "1800.00", "Uitzendbureau B.V.", tid="va"))
    assert income_at(txs, date(2026, 5, 1), TODAY) == {
        "net_income_monthly": "2316.67",  # 500 x 52 / 12 + 1,800 / 12
        "net_income_complete": True,
    }


def test_a_one_off_extra_is_not_a_seen_holiday_allowance() -> None:
    # On 10 January the window is July..December: no May or June. A thirteenth month in
    # December is an extra (1/12 of it a month), not the holiday allowance (paid in May):
    # the figure stays a lower bound.
    txs = [tx(date(2025, m, 25), "2000.00", "Werk B.V.") for m in range(7, 13)]
    txs.append(tx(date(2025, 12, 20), "2000.00", "Werk B.V.", tid="bonus"))
    assert income_at(txs, date(2025, 7, 1), date(2026, 1, 10)) == {
        "net_income_monthly": "2166.67",
        "net_income_complete": False,
    }


def test_a_payer_whose_rhythm_cannot_be_read_gives_a_lower_bound() -> None:
    # Paid every month, per job done: at no rhythm, of no steady amount. Not dropped
    # silently: the figure without it is a lower bound.
    txs = [tx(d, "1000.00", "UWV") for d in MONTHS]
    jobs = {5: [(2, 100), (3, 200)], 6: [(4, 300), (12, 250), (27, 350)], 7: [(9, 500)]}
    jobs |= {8: [(1, 400), (14, 600), (28, 400)], 9: [(19, 200)], 10: [(6, 300), (7, 500)]}
    for month, paid in jobs.items():
        for day, amount in paid:
            txs.append(tx(date(2026, month, day), f"{amount}.00", "Klusbedrijf"))
    assert income_at(txs, date(2026, 5, 1), TODAY) == {
        "net_income_monthly": "1000.00",
        "net_income_complete": False,
    }


def test_transfers_between_own_accounts_are_not_income() -> None:
    txs = [tx(d, "2000.00", "Werk B.V.") for d in MONTHS]
    for d in MONTHS:
        own = tx(d.replace(day=26), "500.00", "J. Jansen")
        txs.append(own)
        other = tx(d.replace(day=27), "300.00", "Spaarrekening")
        other["debtorAccount"] = {"iban": "NL02ABNA0123456789"}  # the consumer's acc-2
        txs.append(other)
    assert periodic_income(txs) == Decimal("2000.00")


def test_allowances_of_art_475c_j_are_not_counted() -> None:
    # Rent and care allowances (toeslagen, art. 475c lid 1 j) are outside a-i.
    txs = [tx(d, "2000.00", "Werk B.V.") for d in MONTHS]
    txs += [tx(d.replace(day=20), "123.00", "Belastingdienst/Toeslagen") for d in MONTHS]
    assert periodic_income(txs) == Decimal("2000.00")


def test_the_95_percent_cap_reads_every_periodic_income() -> None:
    # Two jobs paid into this account, 1,500 and 1,200 net a month; C (the polis, both
    # relations) 34,800 a year; single, on 2 November 2026. Art. 475dc lid 1 caps at 95% of
    # 2,700 (2,565.00), above the formula's 1,662.37 (art. 475da lid 2 a, the July figures:
    # 0.95 x 1,419.46 + the health-insurance term 57.94 + the rent term 255.94): the formula
    # stands. With the largest payer only (1,500) the cap, 1,425.00, would have cut it.
    from brondata.dossier import decide, decision_inputs

    txs = []
    for d in MONTHS:
        txs.append(tx(d, "1500.00", "Bakkerij de Korenbloem B.V."))
        txs.append(tx(d.replace(day=20), "1200.00", "Schoonmaak Noord B.V."))
    values = {
        "household.partner": None,
        "household.children_under_18": False,
        "employment.taxable_income_annual": {"amount": "34800.00", "currency": "EUR"},
    }
    inputs = {**decision_inputs(values, TODAY), **mapping_inputs(raw(txs))}
    got = decide("decision.protected_earnings_monthly", year=2026, inputs=inputs).value
    assert got == Decimal("1662.37")


def mapping_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The bank kind's decision inputs, as the gateway keeps them (``SourceMapping.inputs``)."""
    inputs = source_kinds.get("bank").mapping.inputs
    assert inputs is not None
    return inputs(data, TODAY)
