"""Fixtures for the consent ledger: event factories and every ledger backend.

PostgreSQL: the DSN comes from ``BRONDATA_TEST_DSN`` (default: the local test database). Each
test gets its own schema, dropped afterwards. Without a server the tests skip, with the reason
shown; in CI (``CI=true``) a missing server is a failure, so that the PostgreSQL store is never
silently untested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from brondata.consent import ConsentLedger, MemoryLedger, SqliteLedger

from .factories import EventFactory, make_event


@pytest.fixture
def event() -> EventFactory:
    return make_event


DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A reachable PostgreSQL server, or a skip (a failure in CI)."""
    dsn = os.environ.get("BRONDATA_TEST_DSN", DEFAULT_DSN)
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=5):
            pass
    except Exception as exc:
        reason = f"PostgreSQL not reachable via BRONDATA_TEST_DSN: {type(exc).__name__}: {exc}"
        if in_ci():
            pytest.fail(f"CI=true: the PostgreSQL tests must run. {reason}")
        pytest.skip(reason)
    return dsn


@pytest.fixture
def pg_schema(postgres_dsn: str) -> Iterator[str]:
    """A schema of its own for one test; dropped with everything in it afterwards."""
    import psycopg
    from psycopg import sql

    name = f"brondata_test_{uuid.uuid4().hex[:16]}"
    try:
        yield name
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


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
REFERENCE_MERKLE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "merkle"
