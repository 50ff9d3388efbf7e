"""What every mapping shares: money in catalogue shape, picking the requested attributes,
and ``minimise``, the last gate before signing (exactly the requested names, nothing else)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from brondata._money import Rounding, cents
from brondata.errors import MappingError

__all__ = ["minimise", "money", "select"]

T = TypeVar("T")


def money(amount: Decimal | int, currency: str = "EUR") -> dict[str, str]:
    """The catalogue's MONEY value: ``{"amount": "1234.56", "currency": "EUR"}``; a figure
    the mapping derived (an average) is rounded as a statistic (``brondata._money``)."""
    value = cents(amount, Rounding.STATISTIC)
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


def minimise(values: Mapping[str, Any], attributes: Iterable[str]) -> dict[str, Any]:
    """Exactly ``attributes`` out of ``values``: a missing one is an error, extras are dropped.

    Mappings already compute only what is asked; this gate makes minimisation hold even for
    a mapping that computes more (a future one, or a bug).
    """
    wanted = sorted(set(attributes))
    missing = [name for name in wanted if name not in values]
    if missing:
        raise MappingError(f"the mapping did not produce {', '.join(missing)}")
    return {name: values[name] for name in wanted}
