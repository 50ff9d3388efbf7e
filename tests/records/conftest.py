"""Fixtures shared by the records tests: a fixed time, profile claims, and a forger that
signs any payload with a real key (for the verification failure cases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from brondata.records import SigningKey
from brondata.records._encoding import json_bytes
from brondata.records._jws import sign_compact

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

Forge = Callable[..., str]


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def claims() -> dict[str, Any]:
    iat = int(NOW.timestamp()) - 60
    return {
        "iss": "https://gateway.example",
        "iat": iat,
        "exp": iat + 3600,
        "vct": "urn:brondata:bank:1",
        "sub": "pseudonym-7f3a",
        "source": "bank",
        "consent_id": "c-123",
        "purpose": "mortgage-application",
    }


def _forge(
    key: SigningKey,
    payload: dict[str, Any],
    disclosures: list[str],
    header: dict[str, Any] | None = None,
) -> str:
    head = header if header is not None else {"alg": key.alg, "typ": "dc+sd-jwt", "kid": key.kid}
    jws = sign_compact(head, json_bytes(payload), key.jose_key)
    return jws + "~" + "".join(d + "~" for d in disclosures)


@pytest.fixture
def forge() -> Forge:
    """``forge(key, payload, disclosures, header=None)``: a validly signed SD-JWT."""
    return _forge
