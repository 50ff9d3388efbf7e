"""Shared fixtures: the anyio backend, the reference material beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference: the specifications and test vectors brondata conforms to."""
    if not REFERENCE.is_dir():
        pytest.fail(f"reference material not found beside the project: {REFERENCE.name}")
    return REFERENCE
