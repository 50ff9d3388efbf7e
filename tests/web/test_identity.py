"""``identity_conflict``: the same person at every source, or a reason naming no one."""

from __future__ import annotations

import hashlib

from brondata.connectors._base import Identity, identity_conflict


def _bsn(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def test_one_person_everywhere_is_no_conflict() -> None:
    assert (
        identity_conflict(
            {
                "population": Identity(bsn_digest=_bsn("111222333"), surname="Yılmaz"),
                "land_registry": Identity(bsn_digest=_bsn("111222333")),
                "bank.mockbank": Identity(holders=("E. Yilmaz",)),
                "bank.noordbank": Identity(holders=("P. Jansen", "Esther YILMAZ")),
                "tax": Identity(),
            }
        )
        is None
    )


def test_two_citizen_service_numbers_conflict() -> None:
    reason = identity_conflict(
        {
            "population": Identity(bsn_digest=_bsn("111222333")),
            "land_registry": Identity(bsn_digest=_bsn("999888777")),
        }
    )
    assert reason is not None
    assert "111222333" not in reason


def test_a_bank_holder_who_is_not_the_registered_person_conflicts() -> None:
    reason = identity_conflict(
        {
            "population": Identity(surname="de Vries"),
            "bank.mockbank": Identity(holders=("J. Bakker",)),
        }
    )
    assert reason is not None
    assert reason.startswith("bank.mockbank")
    assert "Bakker" not in reason


def test_without_the_register_bank_names_are_not_judged() -> None:
    assert identity_conflict({"bank.mockbank": Identity(holders=("J. Bakker",))}) is None
