"""Shared fixtures: the anyio backend, the reference material, a PostgreSQL database, and
``brondata mock serve`` in a child process (``mock_server``).

Hypothesis: derandomized in CI (``CI=true``), random locally.

PostgreSQL: the DSN comes from ``BRONDATA_TEST_DSN`` (default: the local test database). Each
test gets its own schema, dropped afterwards. Without a server the tests skip, with the reason
shown; in CI (``CI=true``) a missing server is a failure, so that the PostgreSQL stores are
never silently untested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import structlog
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# CI runs Hypothesis derandomized: a submission's gate is the same run each time (a random
# example that fails there, as one did in a helper's run, would fail a landing by chance).
# Locally every run draws new examples, and a failure found is kept as an ``@example``.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
REFERENCE = ROOT / "tests" / "vectors"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """The CLI configures structlog for its process; in tests, each starts unconfigured."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def reference() -> Path:
    """tests/vectors: the specifications and test vectors brondata conforms to (see its README)."""
    if not REFERENCE.is_dir():
        pytest.fail(f"test vectors missing: {REFERENCE.relative_to(ROOT)}")
    return REFERENCE


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


@pytest.fixture
def mock_server() -> Iterator[Callable[..., dict[str, str]]]:
    """Start ``brondata mock serve`` on free loopback ports with the CLI options given
    (``mock_server("--seed", "42")``) and get its URL map; stopped after the test
    (``brondata.testing.serve_mock_sources``, which the benchmarks use too)."""
    from brondata.testing import serve_mock_sources

    with ExitStack() as stack:
        yield lambda *options: stack.enter_context(serve_mock_sources(*options)).urls
