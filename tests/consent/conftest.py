"""Fixtures for the consent ledger: event factories and every ledger backend.

The PostgreSQL fixtures (``postgres_dsn``, ``pg_schema``) live in the top-level conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from brondata.consent import (
    ConsentLedger,
    ConsentLog,
    MemoryLedger,
    MemorySubjectKeyring,
    SqliteLedger,
    SqliteSubjectKeyring,
)

from .factories import EventFactory, make_event


@pytest.fixture
def event() -> EventFactory:
    return make_event


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConsentLedger]:
    """Every backend, fresh; the conformance suite runs once per backend."""
    store: ConsentLedger
    if request.param == "memory":
        store = MemoryLedger()
    elif request.param == "sqlite":
        store = SqliteLedger(tmp_path / "brondata.db")
    else:
        from brondata.consent import PostgresLedger

        dsn = request.getfixturevalue("postgres_dsn")
        store = PostgresLedger(dsn, schema=request.getfixturevalue("pg_schema"))
    try:
        yield store
    finally:
        store.close()


# For parametrising at collection time, where fixtures are not yet available.
REFERENCE_MERKLE = Path(__file__).resolve().parents[1] / "vectors" / "merkle"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def consent_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConsentLog]:
    """A ledger and its subject keyring, on every backend (the keyring beside the ledger)."""
    log: ConsentLog
    if request.param == "memory":
        log = ConsentLog(MemoryLedger(), MemorySubjectKeyring())
    elif request.param == "sqlite":
        path = tmp_path / "brondata.db"
        log = ConsentLog(SqliteLedger(path), SqliteSubjectKeyring(path))
    else:
        from brondata.consent import PostgresLedger, PostgresSubjectKeyring

        dsn = request.getfixturevalue("postgres_dsn")
        schema = request.getfixturevalue("pg_schema")
        ledger = PostgresLedger(dsn, schema=schema)
        log = ConsentLog(ledger, PostgresSubjectKeyring(dsn, schema=schema, ledger=ledger))
    try:
        yield log
    finally:
        log.close()
