"""``TypedModel``: validation errors become the model's own error, and each input is
validated once."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import field_validator

from brondata._inputs import TypedModel
from brondata.errors import InvalidEventError


class Counted(TypedModel):
    input_error = InvalidEventError
    calls: ClassVar[list[str]] = []

    x: int

    @field_validator("x")
    @classmethod
    def _count(cls, value: int) -> int:
        cls.calls.append("validated")
        return value


def test_model_validate_does_not_validate_again_through_init(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pydantic runs a model's own __init__ inside model_validate unless told it is its own
    # (custom initialisation), and that validated every ledger event and session record
    # twice. The constructor is counted; model_validate must not go through it.
    through_init: list[dict[str, Any]] = []
    original = TypedModel.__init__

    def counting(self: TypedModel, /, **data: Any) -> None:
        through_init.append(data)
        original(self, **data)

    monkeypatch.setattr(TypedModel, "__init__", counting)
    assert Counted.model_validate({"x": 1}).x == 1
    assert Counted.model_validate_json('{"x": 2}').x == 2
    assert through_init == []
    assert Counted(x=3).x == 3
    assert through_init == [{"x": 3}]
    assert Counted.calls.count("validated") >= 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: Counted.model_validate({"x": "one"}),
        lambda: Counted(x="one"),
        lambda: Counted.model_validate_json('{"x": "one"}'),
    ],
)
def test_errors_are_the_models_own(make: Any) -> None:
    with pytest.raises(InvalidEventError) as info:
        make()
    assert "one" not in info.value.message  # the kind of problem, never the value
