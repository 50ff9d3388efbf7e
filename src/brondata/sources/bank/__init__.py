"""A bank: Berlin Group NextGenPSD2 account information (AIS 1.3.x) over OAuth 2.0 SCA.

A consumer may bank at several banks: each is an instance of this kind (``bank.mockbank``,
``bank.noordbank``) with its own endpoint and authorization server, and ``combine`` puts their
accounts side by side before the mapping, so balances are summed and a salary credit is found
at whichever bank it arrives.
"""

from __future__ import annotations

from brondata.sources._kind import MockInstance, MockSpec, SourceKind
from brondata.sources.bank.attributes import ATTRIBUTES
from brondata.sources.bank.connector import Psd2Connector
from brondata.sources.bank.mapping import MAPPING
from brondata.sources.bank.models import BankAccount, BankData, BankTransaction, combine

__all__ = ["KIND"]

KIND = SourceKind(
    name="bank",
    title="Bank",
    attributes=ATTRIBUTES,
    connector=Psd2Connector,
    mapping=MAPPING,
    models=(BankData, BankAccount, BankTransaction),
    combine=combine,
    mock=MockSpec(
        app="brondata.mock.bank:create_bank_app",
        api="/v1/accounts",
        samples="brondata.mock.bank:sample_requests",
        instances=(
            MockInstance(
                "mockbank",
                "Mockbank",
                "bank.mock.brondata.test",
                {"bank_id": "mockbank", "title": "Mockbank", "accent": "#e8590c"},
            ),
            MockInstance(
                "noordbank",
                "Noordbank",
                "noordbank.mock.brondata.test",
                {"bank_id": "noordbank", "title": "Noordbank", "accent": "#0b7285"},
            ),
        ),
    ),
    order=60,
)
