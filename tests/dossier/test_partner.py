"""The partner's decision inputs (``brondata.dossier._partner``): the partner's UWV income
counts only where the IBL criteria the applicant's is held to (``ibl_applicable``) hold for
the partner's own record, with the birth date the applicant's data name for the partner."""

from __future__ import annotations

from typing import Any

import pytest

from brondata.dossier._catalogue import INPUT_ATTRIBUTES
from brondata.dossier._partner import PARTNER_ATTRIBUTES, PARTNER_INPUTS, partner_parts

AS_OF = "2026-06-15"
_JOB = {"employer": "Acme Logistics B.V.", "start": "2019-03-01", "end": None}
_ENDED = {**_JOB, "end": "2026-02-28"}


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def partner_kept(**change: Any) -> dict[str, dict[str, Any]]:
    """What a partner's session keeps of its UWV record (the kind's kept part)."""
    values: dict[str, Any] = {
        "employment.current": [_JOB],
        "employment.history": [_JOB],
        "employment.sv_wage_12m": money("41000.00"),
        "employment.taxable_income_annual": money("39000.00"),
    }
    part = {"digest": "sha-256:partner", "instances": {}, "values": {**values, **change}}
    return {"employment": {**part, "as_of": AS_OF}}


def applicant_kept(partner: object) -> dict[str, dict[str, Any]]:
    """The applicant's kept parts: the register entry naming the partner (or none)."""
    values = {"household.partner": partner}
    return {"population": {"digest": "sha-256:brp", "instances": {}, "values": values}}


NAMED = {"name": "Sanne de Vries", "birth_date": "1988-09-30"}


def inputs(partner: dict[str, dict[str, Any]], named: object = NAMED) -> dict[str, Any]:
    parts = partner_parts(partner, applicant_kept(named))
    got: dict[str, Any] = parts["partner.employment"]["inputs"]
    return got


def test_a_working_partners_record_gives_their_income() -> None:
    got = inputs(partner_kept())
    assert got["partner_ibl_applicable"] is True
    assert got["partner_income_annual"] == "41000.00"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"employment.current": [], "employment.history": [_ENDED]}, NAMED),
        (
            {"employment.current": [{**_JOB, "start": "2026-01-01"}]} | {"employment.history": []},
            NAMED,
        ),
        ({}, {**NAMED, "birth_date": "1962-01-15"}),  # within ten years of the AOW age
    ],
    ids=["employment ended", "under a year", "near the AOW age"],
)
def test_the_ibl_criteria_hold_for_the_partners_record(
    change: dict[str, Any], named: dict[str, str]
) -> None:
    """A partner whose job ended months ago still has a positive 12-month SV wage: it is
    given, but marked as an income the record cannot give (the decisions refuse it)."""
    got = inputs(partner_kept(**change), named)
    assert got["partner_ibl_applicable"] is False
    assert got["partner_income_annual"] == "41000.00"


@pytest.mark.parametrize(
    "named",
    [None, {"name": "Sanne de Vries", "birth_date": "1988-09"}, "not an entry"],
    ids=["no partner named", "a partial birth date", "a shape not ours"],
)
def test_without_a_readable_birth_date_the_partners_ibl_is_not_judged(named: object) -> None:
    """The AOW criterion needs the partner's birth date: without one the input is left out,
    so a decision that needs it names it missing (never a default)."""
    got = inputs(partner_kept(), named)
    assert "partner_ibl_applicable" not in got
    assert "partner_income_annual" in got


def test_the_partner_is_read_what_the_criteria_read_and_no_more() -> None:
    """``PARTNER_ATTRIBUTES`` stays minimal: per partner input the attributes it reads; the
    IBL criteria read the applicant's (``ibl_applicable``) attributes of the UWV record."""
    read = {a for names in PARTNER_ATTRIBUTES.values() for a in names}
    wanted = {a for names in PARTNER_INPUTS.values() for a in names} | {"household.partner"}
    assert read == wanted
    uwv = {a for a in INPUT_ATTRIBUTES["ibl_applicable"] if a.startswith("employment.")}
    assert set(PARTNER_INPUTS["partner_ibl_applicable"]) == uwv
