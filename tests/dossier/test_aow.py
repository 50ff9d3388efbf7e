"""The AOW age by date of birth (the ``aow_age`` rule table), pinned by the law.

AOW art. 7a lid 1 sets the age per calendar year up to 2025; 2026 to 2031 as announced (see
the file's sources). Whoever reaches the age in a year keeps that year's age, which gives the
birth-date bounds below (the SVB table by birth date has the same bounds).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from brondata.dossier import decision_inputs
from brondata.dossier._aow import aow_age, aow_age_reached, years_until_aow_age
from brondata.errors import InvalidDecisionInputError, RuleNotApplicableError

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("born", "years", "months"),
    [
        ("1947-12-31", 65, 0),  # 65 on 2012-12-31: before 2013
        ("1948-01-01", 65, 1),  # 2013
        ("1948-11-30", 65, 1),
        ("1948-12-01", 65, 2),  # 2014
        ("1949-11-01", 65, 3),  # 2015
        ("1950-10-01", 65, 6),  # 2016
        ("1951-07-01", 65, 9),  # 2017
        ("1952-04-01", 66, 0),  # 2018
        ("1953-01-01", 66, 4),  # 2019-2021
        ("1955-08-31", 66, 4),
        ("1955-09-01", 66, 7),  # 2022
        ("1956-06-01", 66, 10),  # 2023
        ("1957-02-28", 66, 10),
        ("1957-03-01", 67, 0),  # 2024-2027
        ("1960-12-31", 67, 0),
        ("1961-01-01", 67, 3),  # 2028-2031
        ("1964-09-30", 67, 3),
    ],
)
def test_the_aow_age_by_date_of_birth(born: str, years: int, months: int) -> None:
    age = aow_age(date.fromisoformat(born))
    assert (age.years, age.months, age.set) == (years, months, True)
    assert age.rule_version == "aow_age@2026.1"


def test_an_aow_age_not_yet_set_is_its_legal_minimum_marked_as_such() -> None:
    # Born from 1 October 1964: the AOW age of 2032 and later is not set; art. 7a lid 2 only
    # raises it, so 67 and 3 months is the floor, and the table says it is no more than that.
    age = aow_age(date(1964, 10, 1))
    assert (age.years, age.months, age.set) == (67, 3, False)
    assert aow_age_reached(date(1990, 4, 1), TODAY) is False
    with pytest.raises(RuleNotApplicableError, match=r"aow_age@2026\.1"):
        aow_age_reached(date(1964, 10, 1), date(2040, 1, 1))  # a table long out of date


def test_the_day_it_is_reached_and_the_years_until_it() -> None:
    born = date(1957, 8, 31)  # 67: 2024-08-31
    assert aow_age(born).reached_on(born) == date(2024, 8, 31)
    leap = date(1960, 2, 29)  # 67 years on: 2027 has no 29 February
    assert aow_age(leap).reached_on(leap) == date(2027, 2, 28)
    assert aow_age_reached(leap, date(2027, 2, 27)) is False
    assert aow_age_reached(leap, date(2027, 2, 28)) is True
    assert years_until_aow_age(date(1961, 1, 1), TODAY) == Decimal("1.33")


def test_decision_inputs_take_the_aow_criterion_from_the_birth_date_alone() -> None:
    # No ``pension.aow_age``: the law's table and the BRP birth date decide.
    given = decision_inputs(
        {
            "person.birth_date": "1959-11-30",
            "household.partner": {"name": "A. Jansen", "birth_date": "1962-05-01"},
        },
        TODAY,
    )
    assert given["aow_age_reached"] is True
    assert given["household"] == "couple"
    assert given["as_of"] == "2026-12-02"
    # No age bands: no decision reads one (the beslagvrije voet is the same at every age).
    assert not {"age_band", "partner_age_band"} & set(given)


def test_a_malformed_birth_date_is_a_typed_error_without_the_value() -> None:
    with pytest.raises(InvalidDecisionInputError, match=r"person\.birth_date") as caught:
        decision_inputs({"person.birth_date": "1 April 1990"}, TODAY)
    assert "April" not in caught.value.message
