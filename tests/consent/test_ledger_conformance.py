"""One conformance suite for every ``ConsentLedger`` backend (the ``ledger`` fixture)."""

from __future__ import annotations

import threading

import pytest

from brondata.consent import (
    EMPTY_ROOT,
    ConsentLedger,
    consistency_proof,
    entry_bytes,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    parse_entry,
    verify_consistency,
    verify_inclusion,
)
from brondata.errors import LedgerError

from .factories import make_event

KINDS = ["consent.requested", "consent.given", "login.completed", "data.retrieved"]


def _fill(ledger: ConsentLedger, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        entry = ledger.append(make_event(KINDS[i % len(KINDS)], session_id=f"ses_{i}"))
        out.append(entry.canonical)
    return out


def test_it_is_a_consent_ledger(ledger: ConsentLedger) -> None:
    assert isinstance(ledger, ConsentLedger)


def test_an_empty_ledger(ledger: ConsentLedger) -> None:
    assert ledger.size() == 0
    assert ledger.root() == EMPTY_ROOT
    assert list(ledger.entries()) == []


def test_append_returns_the_stored_entry(ledger: ConsentLedger) -> None:
    event = make_event("consent.given")
    first = ledger.append(make_event())
    entry = ledger.append(event)
    assert (first.index, entry.index) == (0, 1)
    assert entry.canonical == entry_bytes(event, 1)
    assert entry.leaf_hash == leaf_hash(entry.canonical)
    assert entry.at == event.at
    assert entry.event == event
    assert ledger.entry(1) == entry
    assert parse_entry(ledger.entry(0).canonical)[0] == 0


def test_roots_and_proofs_at_every_size_equal_recomputation(ledger: ConsentLedger) -> None:
    data = _fill(ledger, 21)
    assert ledger.size() == 21
    for size in range(22):
        assert ledger.root(size) == merkle_root(data[:size])
    for size in (1, 2, 7, 8, 13, 21):
        root = ledger.root(size)
        for index in range(size):
            proof = ledger.inclusion_proof(index, size)
            assert proof == inclusion_proof(data[:size], index)
            verify_inclusion(leaf_hash(data[index]), index, size, proof, root)
        for size1 in range(1, size + 1):
            proof = ledger.consistency_proof(size1, size)
            assert proof == consistency_proof(data[:size], size1)
            verify_consistency(size1, size, proof, ledger.root(size1), root)
    assert ledger.inclusion_proof(20) == inclusion_proof(data, 20)


def test_entries_stream_in_order(ledger: ConsentLedger) -> None:
    data = _fill(ledger, 10)
    assert [e.canonical for e in ledger.entries()] == data
    assert [e.index for e in ledger.entries(3, 6)] == [3, 4, 5]
    assert [e.index for e in ledger.entries(8)] == [8, 9]
    assert list(ledger.entries(5, 5)) == []
    # Stopping early and appending in between is fine: the stream was a snapshot of its range.
    stream = ledger.entries()
    assert next(stream).index == 0
    ledger.append(make_event())
    assert [e.index for e in stream] == list(range(1, 10))


def test_out_of_range_is_refused(ledger: ConsentLedger) -> None:
    _fill(ledger, 3)
    with pytest.raises(LedgerError):
        ledger.root(4)
    with pytest.raises(LedgerError):
        ledger.inclusion_proof(3)
    with pytest.raises(LedgerError):
        ledger.inclusion_proof(2, 2)
    with pytest.raises(LedgerError):
        ledger.consistency_proof(0, 3)
    with pytest.raises(LedgerError):
        ledger.consistency_proof(3, 2)
    with pytest.raises(LedgerError):
        ledger.entry(3)
    with pytest.raises(LedgerError):
        list(ledger.entries(0, 4))


def test_concurrent_appends_from_threads_are_contiguous(ledger: ConsentLedger) -> None:
    def work(t: int) -> None:
        for i in range(25):
            ledger.append(make_event(session_id=f"ses_{t}_{i}"))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = list(ledger.entries())
    assert [e.index for e in entries] == list(range(100))
    assert ledger.root() == merkle_root([e.canonical for e in entries])
