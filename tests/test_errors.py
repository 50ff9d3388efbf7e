from __future__ import annotations

import inspect
import re

from brondata import errors


def test_every_error_has_a_unique_snake_case_code() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.BrondataError)
    ]
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), "two errors share a code"
    for code in codes:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code


def test_every_error_is_exported_and_drawn_in_the_tree() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.BrondataError)
        assert name in doc, f"{name} is missing from the tree in errors.py"


def test_str_carries_the_code() -> None:
    err = errors.UnknownAttributeError("bank.balanse", ["bank.balance_total"])
    assert str(err).startswith("[unknown_attribute]")
    assert "bank.balance_total" in err.message
    assert err.to_dict()["code"] == "unknown_attribute"
