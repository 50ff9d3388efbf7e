"""What every store shares, whatever the engine: ``with store:`` closing, and group commit.

``GroupCommit`` batches writes that arrive from several threads at once into one write (one
transaction, one fsync), in the manner of a database's group commit: the first caller to
find no write under way becomes the leader, takes every item queued so far, writes them, and
hands each waiting caller its own result; callers that arrive meanwhile queue for the next
batch. Nobody returns before the batch holding its item has been written, so a caller's
item is exactly as durable as the write function makes it. A caller alone writes a batch of
one at once: no timer, no added latency.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from brondata.errors import BrondataError, StoreError

__all__ = ["ClosingContext", "GroupCommit", "RowWrite", "split_script"]

T = TypeVar("T")
R = TypeVar("R")


class ClosingContext:
    """``with store:`` closes ``store`` when the block ends."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Waiter(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Concurrent ``submit(item)`` calls written in batches by ``write``.

    ``write(items)`` writes the batch in one transaction and returns, in order, each item's
    result or the exception that item alone failed with (the others are then written); an
    exception raised by ``write`` itself fails the whole batch, and every caller in it gets
    that exception, which is right for a transaction that wrote none of them.
    """

    __slots__ = ("_cond", "_max_batch", "_queue", "_write")

    def __init__(
        self, write: Callable[[list[T]], Sequence[R | BaseException]], *, max_batch: int = 512
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._queue: deque[_Waiter[T, R]] = deque()
        self._cond = threading.Condition()

    def submit(self, item: T) -> R:
        """Write ``item`` (in some batch) and return its result once the batch is written."""
        me: _Waiter[T, R] = _Waiter(item)
        with self._cond:
            self._queue.append(me)
            # The head of the queue leads; a leader pops its batch only when it is written,
            # so while a batch is being written its first waiter stays the head.
            while not me.done and self._queue[0] is not me:
                self._cond.wait()
            if me.done:
                return self._outcome(me)
            batch = [self._queue[i] for i in range(min(len(self._queue), self._max_batch))]
        try:
            outcomes: Sequence[R | BaseException] = self._write([w.item for w in batch])
            if len(outcomes) != len(batch):  # pragma: no cover - a write function's bug
                raise StoreError("the group write did not return a result per item")
        except BaseException as exc:
            outcomes = [exc] * len(batch)
        with self._cond:
            for waiter, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    waiter.error = outcome
                else:
                    waiter.result = outcome
                waiter.done = True
                self._queue.popleft()  # the batch is the queue's first len(batch) waiters
            self._cond.notify_all()
        return self._outcome(me)

    @staticmethod
    def _outcome(waiter: _Waiter[T, R]) -> R:
        if waiter.error is not None:
            raise waiter.error
        assert waiter.done
        return waiter.result  # type: ignore[return-value]  # done without error: set


@dataclass(frozen=True, slots=True)
class RowWrite:
    """One row a store writes inside another store's transaction on the same database: a
    session's compare-and-set (``UPDATE ... WHERE version``) or its creation (an insert that
    does nothing if the row exists). ``sql`` affects one row or none (PostgreSQL: with
    ``RETURNING``); none is ``lost``, raised to that write's caller alone."""

    sql: Any  # str (SQLite) or a psycopg ``Composed``
    params: tuple[Any, ...]
    lost: BrondataError


def split_script(script: str) -> list[str]:
    """A DDL script's statements: each ends with ';' at the end of a line; a function body
    (between ``$$``) ends with ``END $$;``, a SQLite trigger body with ``END;``."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.strip().splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and (
            not any("$$" in c for c in current) or line.strip().startswith("END $$")
        ):
            statements.append("\n".join(current))
            current = []
    return statements
