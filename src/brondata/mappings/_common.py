"""What every mapping shares: money in catalogue shape, and picking the requested attributes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar

from brondata.errors import MappingError

__all__ = ["money", "select"]

_CENT = Decimal("0.01")
T = TypeVar("T")


def money(amount: Decimal | int, currency: str = "EUR") -> dict[str, str]:
    """The catalogue's MONEY value: ``{"amount": "1234.56", "currency": "EUR"}``."""
    value = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    return {"amount": str(value), "currency": currency}


def select(
    source: str,
    mappers: Mapping[str, Callable[[T], Any]],
    data: T,
    attributes: Iterable[str],
) -> dict[str, Any]:
    """Exactly the requested attributes, each computed by its mapper from ``data``."""
    out: dict[str, Any] = {}
    for name in attributes:
        mapper = mappers.get(name)
        if mapper is None:
            raise MappingError(f"the {source} mapping does not provide {name!r}")
        out[name] = mapper(data)
    return out
