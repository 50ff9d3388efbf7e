"""The one canonical JSON encoder equals ``rfc8785`` on every input, and is fast on plain JSON.

Plain JSON (strings, integers within +-(2**53 - 1), booleans, null, lists and objects with
names below U+D800) is encoded without ``rfc8785``; everything else (floats, larger
integers, names where code-point and UTF-16 order differ, subclasses, lone surrogates) is
left to it, which encodes it or refuses it the same way.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from brondata import _canonical
from brondata._canonical import canonical_json

#: Every character, lone surrogates and those beyond the BMP included.
_ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=8)
#: Text JSON usually holds, with the escapes and the orders that differ close at hand.
_TEXT = _ANY_TEXT | st.text(
    st.sampled_from(["a", "B", "é", '"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u2028",
                     "\ud7ff", "\ue000", "\uffff", "\U0001f600", "\U00010000"]),
    max_size=6,
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**53) - 2, max_value=2**53 + 2)
    | st.floats()
    | _TEXT
)


def _json(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(_TEXT, inner, max_size=4)
        ),
        max_leaves=20,
    )


def _outcome(encode: Any, value: Any) -> tuple[str, bytes | None]:
    try:
        return "ok", encode(value)
    except Exception as exc:
        return type(exc).__name__, None


@settings(max_examples=600)
@given(_json(_SCALARS))
def test_equals_rfc8785_on_every_input(value: Any) -> None:
    assert _outcome(canonical_json, value) == _outcome(rfc8785.dumps, value)


_PLAIN_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)


@settings(max_examples=300)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
        | _PLAIN_TEXT,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.text(st.characters(codec="utf-8", max_codepoint=0xD7FF), max_size=8),
                inner,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_plain_json_is_encoded_without_rfc8785(value: Any) -> None:
    expected = rfc8785.dumps(value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_canonical.rfc8785, "dumps", _never)
        assert canonical_json(value) == expected


def _never(value: Any) -> bytes:
    raise AssertionError("plain JSON went to rfc8785")


class _Level(enum.IntEnum):
    HIGH = 2


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        {"a": [1, 2.0]},
        2**53,
        -(2**53),
        {"\ue000": 1, "\U00010000": 2},  # UTF-16 puts the astral name first
        _Level.HIGH,
        {1: "a"},
        "\ud800",
        float("nan"),
    ],
)
def test_what_is_not_plain_goes_to_rfc8785(value: Any) -> None:
    assert _outcome(canonical_json, value) == _outcome(rfc8785.dumps, value)
    assert not _canonical._plain(value) or value == "\ud800"
