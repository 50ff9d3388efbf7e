"""Time as a dependency: every component that reads the time takes a ``Clock``.

Tests and the demo pass a fixed or stepping clock so that records, ledger entries and
derived attributes ("the last 6 months") are reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is now (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: brondata only handles timezone-aware times")
    return moment.astimezone(UTC)
