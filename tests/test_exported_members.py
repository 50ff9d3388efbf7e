"""The public surface is listed once, sorted, and every listed name exists."""

from __future__ import annotations

import importlib

import pytest

import brondata

PACKAGES = ["brondata", "brondata.consent", "brondata.records", "brondata.errors"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert exported == sorted(
        exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert len(set(exported)) == len(exported)
    for member in exported:
        assert hasattr(module, member), f"{name}.{member} is listed but missing"


def test_top_level_names_come_from_their_modules() -> None:
    assert brondata.Gateway.__module__ == "brondata.gateway"
    assert brondata.DataRequest.__module__ == "brondata.request"
    assert issubclass(brondata.errors.UnknownAttributeError, brondata.BrondataError)
