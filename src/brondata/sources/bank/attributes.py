"""What a bank provides through PSD2 account information: its catalogue attributes."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "BANK_ACCOUNTS",
    "BANK_BALANCE_TOTAL",
    "BANK_FIXED_COSTS_MONTHLY_AVERAGE",
    "BANK_SALARY_MONTHLY_AVERAGE",
    "BANK_TRANSACTIONS",
]

BANK_ACCOUNTS = Attribute(
    "bank.accounts",
    ValueType.ARRAY,
    "Payment accounts: IBAN, currency, owner name per account",
    "Betaalrekeningen: IBAN, valuta, naam rekeninghouder per rekening",
    Sensitivity.FINANCIAL,
    category="dpv-pd:BankAccount",
)

BANK_BALANCE_TOTAL = Attribute(
    "bank.balance_total",
    ValueType.MONEY,
    "Sum of the booked balances of all EUR accounts",
    "Som van de geboekte saldi van alle rekeningen in euro",
    Sensitivity.FINANCIAL,
    category="dpv-pd:FinancialStatus",
    derived=True,
)

BANK_FIXED_COSTS_MONTHLY_AVERAGE = Attribute(
    "bank.fixed_costs_monthly_average",
    ValueType.MONEY,
    "Average monthly recurring debits (rent, mortgage, utilities, insurance)",
    "Gemiddelde maandelijkse vaste lasten (huur, hypotheek, nutsvoorzieningen, verzekeringen)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:FinancialStatus",
    derived=True,
)

BANK_SALARY_MONTHLY_AVERAGE = Attribute(
    "bank.salary_monthly_average",
    ValueType.MONEY,
    "Average monthly salary credit over the last 6 complete months",
    "Gemiddelde maandelijkse salarisbijschrijving over de laatste 6 volle maanden",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Salary",
    derived=True,
)

BANK_TRANSACTIONS = Attribute(
    "bank.transactions",
    ValueType.ARRAY,
    "Booked transactions of the last 6 months (raw; only when asked)",
    "Geboekte transacties van de laatste 6 maanden (ruw; alleen op verzoek)",
    Sensitivity.FINANCIAL,
    category="dpv-pd:Transaction",
    raw=True,
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    BANK_ACCOUNTS,
    BANK_BALANCE_TOTAL,
    BANK_FIXED_COSTS_MONTHLY_AVERAGE,
    BANK_SALARY_MONTHLY_AVERAGE,
    BANK_TRANSACTIONS,
)
