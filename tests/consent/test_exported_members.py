"""The public surface of brondata.consent is its ``__all__``, and nothing private leaks."""

from __future__ import annotations

import brondata.consent as consent


def test_all_is_sorted_unique_and_importable() -> None:
    names = consent.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(consent, name) is not None
        assert not name.startswith("_")


def test_public_objects_say_where_they_live() -> None:
    for name in consent.__all__:
        module = getattr(getattr(consent, name), "__module__", "brondata.consent")
        assert module.startswith(("brondata.consent", "typing")), name
