"""``GroupCommit``: concurrent submits meet in one write, each gets its own result."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from brondata.stores import GroupCommit


def _wait_for_queue(group: GroupCommit[int, int], length: int) -> None:
    # Waiting for the other threads to queue, not timing anything.
    with group._cond:
        while len(group._queue) < length:
            group._cond.wait(0.01)


def test_a_lone_caller_writes_a_batch_of_one() -> None:
    batches: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        return [i * 10 for i in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    assert [group.submit(i) for i in range(3)] == [0, 10, 20]
    assert batches == [[0], [1], [2]]


def test_callers_arriving_during_a_write_share_the_next_one() -> None:
    first_started = threading.Event()
    release = threading.Event()
    batches: list[list[int]] = []

    def write(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            first_started.set()
            assert release.wait(30)
        return [i * 10 for i in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    results: dict[int, int] = {}

    def call(i: int) -> None:
        results[i] = group.submit(i)

    leader = threading.Thread(target=call, args=(0,))
    leader.start()
    assert first_started.wait(30)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, 9)]
    for t in others:
        t.start()
    _wait_for_queue(group, 9)  # the leader's batch is still the head of the queue
    release.set()
    for t in [leader, *others]:
        t.join(30)
    assert results == {i: i * 10 for i in range(9)}
    assert batches[0] == [0]
    assert sorted(batches[1]) == list(range(1, 9))  # one write for the eight that waited
    assert len(batches) == 2


def test_an_item_that_fails_alone_fails_only_its_caller() -> None:
    def write(items: list[int]) -> Sequence[int | BaseException]:
        return [ValueError("odd") if i % 2 else i for i in items]

    group: GroupCommit[int, int] = GroupCommit(write)
    assert group.submit(2) == 2
    with pytest.raises(ValueError, match="odd"):
        group.submit(3)
    assert group.submit(4) == 4


def test_a_failed_write_fails_every_caller_in_it_and_the_next_batch_goes_on() -> None:
    calls = 0

    def write(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("disk full")
        return items

    group: GroupCommit[int, int] = GroupCommit(write)
    with pytest.raises(OSError, match="disk full"):
        group.submit(1)
    assert group.submit(2) == 2
