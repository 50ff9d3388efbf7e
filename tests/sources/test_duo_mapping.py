"""The DUO mapping on hand-built "Mijn schulden" answers, and its raw models' strictness."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brondata import sources as source_kinds
from brondata.attributes import CATALOGUE
from brondata.errors import SourceProtocolError
from brondata.sources._kind import MapFunction
from brondata.sources.duo.mapping import MAPPING_VERSION


def mapping(kind: str) -> MapFunction:
    """The registered mapping function of ``kind``."""
    return source_kinds.get(kind).mapping.map


TODAY = date(2026, 11, 2)
ALL = [a.name for a in CATALOGUE.provided_by("duo")]


def debt(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "soortSchuld": "studieschuld",
        "terugbetalingsregels": "SF35",
        "fase": "aflosfase",
        "ingangsdatumAflosfase": "2022-01-01",
        "looptijdAflosfaseInMaanden": 420,
        "resterendeLooptijdInMaanden": 362,
        "hoofdsomBijAanvangAflosfase": "24000.00",
        "schuldsaldo": "20123.45",
        "wettelijkMaandbedrag": "57.14",
        "aflosvrijePeriode": False,
        "maandbedragVerlaagdOpBasisVanInkomen": False,
        "maandbedragOpBasisVanInkomen": None,
        "teBetalenMaandbedrag": "57.14",
    }
    body.update(changes)
    return body


def raw(*debts: dict[str, Any]) -> dict[str, Any]:
    return {"schulden": {"peildatum": TODAY.isoformat(), "schulden": list(debts)}}


def test_the_catalogue_and_the_mapping_agree() -> None:
    assert sorted(ALL) == [
        "student_debt.monthly_repayment",
        "student_debt.outstanding",
        "student_debt.repayment_regime",
        "student_debt.statutory_monthly_repayment",
    ]
    assert all(CATALOGUE[name].sources == ("duo",) for name in ALL)
    assert source_kinds.get("duo").mapping.version == MAPPING_VERSION == "duo.v1"


def test_one_student_debt() -> None:
    assert mapping("duo")(raw(debt()), ALL, TODAY) == {
        "student_debt.outstanding": {"amount": "20123.45", "currency": "EUR"},
        "student_debt.monthly_repayment": {"amount": "57.14", "currency": "EUR"},
        "student_debt.repayment_regime": "SF35",
        "student_debt.statutory_monthly_repayment": {"amount": "57.14", "currency": "EUR"},
    }


def test_no_student_debt_is_zero_and_no_rules() -> None:
    assert mapping("duo")(raw(), ALL, TODAY) == {
        "student_debt.outstanding": {"amount": "0.00", "currency": "EUR"},
        "student_debt.monthly_repayment": {"amount": "0.00", "currency": "EUR"},
        "student_debt.repayment_regime": None,
        "student_debt.statutory_monthly_repayment": {"amount": "0.00", "currency": "EUR"},
    }


@pytest.mark.parametrize(
    ("changes", "monthly"),
    [
        ({"aflosvrijePeriode": True, "teBetalenMaandbedrag": "0.00"}, "57.14"),
        (
            {
                "maandbedragVerlaagdOpBasisVanInkomen": True,
                "maandbedragOpBasisVanInkomen": "12.00",
                "teBetalenMaandbedrag": "12.00",
            },
            "12.00",
        ),
        (
            {
                "maandbedragVerlaagdOpBasisVanInkomen": True,
                "maandbedragOpBasisVanInkomen": "0.00",
                "teBetalenMaandbedrag": "0.00",
            },
            "0.00",
        ),
        (
            {
                "aflosvrijePeriode": True,
                "maandbedragVerlaagdOpBasisVanInkomen": True,
                "maandbedragOpBasisVanInkomen": "12.00",
                "teBetalenMaandbedrag": "0.00",
            },
            "12.00",
        ),
        ({"fase": "aanloopfase", "ingangsdatumAflosfase": "2027-01-01"}, "57.14"),
    ],
    ids=["paused", "reduced", "reduced to nothing", "reduced and paused", "not yet repaying"],
)
def test_the_term_collected_outside_a_pause_is_released(
    changes: dict[str, Any], monthly: str
) -> None:
    values = mapping("duo")(raw(debt(**changes)), ["student_debt.monthly_repayment"], TODAY)
    assert values == {"student_debt.monthly_repayment": {"amount": monthly, "currency": "EUR"}}


@pytest.mark.parametrize(
    ("changes", "statutory"),
    [
        ({"aflosvrijePeriode": True, "teBetalenMaandbedrag": "0.00"}, "57.14"),
        (
            {
                "maandbedragVerlaagdOpBasisVanInkomen": True,
                "maandbedragOpBasisVanInkomen": "0.00",
                "teBetalenMaandbedrag": "0.00",
            },
            "57.14",
        ),
        ({"fase": "aanloopfase", "ingangsdatumAflosfase": "2027-01-01"}, "57.14"),
        # No amount fixed yet: the annuity of the debt at its rate over the remaining term
        # (20,123.45 at 2.33% over 362 months, by hand: i = 0.0233 / 12).
        ({"wettelijkMaandbedrag": "0.00", "rentepercentage": "2.33"}, "77.45"),
        # ... and without the rate it cannot be known: no amount, never EUR 0.00.
        ({"wettelijkMaandbedrag": "0.00"}, None),
    ],
    ids=["paused", "reduced to nothing", "not yet repaying", "no amount fixed", "unknown"],
)
def test_the_income_norm_counts_the_statutory_amount(
    changes: dict[str, Any], statutory: str | None
) -> None:
    """Trhk art. 3a (income_norm.json's sources, Nibud 2026): DUO's statutory monthly amount,
    not the amount reduced for income or paused."""
    name = "student_debt.statutory_monthly_repayment"
    values = mapping("duo")(raw(debt(**changes)), [name], TODAY)
    expected = None if statutory is None else {"amount": statutory, "currency": "EUR"}
    assert values == {name: expected}


def test_only_student_debts_count_and_the_largest_names_the_rules() -> None:
    answer = raw(
        debt(terugbetalingsregels="SF15", schuldsaldo="3000.00", wettelijkMaandbedrag="20.00"),
        debt(),
        debt(soortSchuld="levenlanglerenkrediet", schuldsaldo="9999.00"),
    )
    assert mapping("duo")(answer, ALL, TODAY) == {
        "student_debt.outstanding": {"amount": "23123.45", "currency": "EUR"},
        "student_debt.monthly_repayment": {"amount": "77.14", "currency": "EUR"},
        "student_debt.repayment_regime": "SF35",
        "student_debt.statutory_monthly_repayment": {"amount": "77.14", "currency": "EUR"},
    }


def test_only_what_is_asked() -> None:
    values = mapping("duo")(raw(debt()), ["student_debt.repayment_regime"], TODAY)
    assert values == {"student_debt.repayment_regime": "SF35"}


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"schulden": None},
        {"schulden": {"peildatum": "2026-11-02"}},
        {"schulden": {"peildatum": "2026-11-02", "schulden": {"unexpected": []}}},
        raw(debt(schuldsaldo=20123.45)),  # a number where DUO writes a string
        raw(debt(schuldsaldo="20.123,45")),  # the screen's notation, not the API's
        raw(debt(schuldsaldo="-5.00")),
        raw(debt(wettelijkMaandbedrag=None)),
        raw(debt(terugbetalingsregels="SF15-oud")),
        raw(debt(terugbetalingsregels=12345)),
        raw(debt(fase="klaar")),
        raw(debt(ingangsdatumAflosfase="januari 2022")),
        raw(debt(aflosvrijePeriode="nee")),
        raw(debt(maandbedragVerlaagdOpBasisVanInkomen=True)),  # reduced, but to what?
        raw(debt(maandbedragOpBasisVanInkomen=12)),
    ],
)
def test_an_answer_of_another_shape_is_a_protocol_error(answer: dict[str, Any]) -> None:
    with pytest.raises(SourceProtocolError) as caught:
        mapping("duo")(answer, ALL, TODAY)
    assert caught.value.code == "source_protocol_error"
    assert "20123" not in str(caught.value)  # no personal value in the message


_amounts = st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2)


@given(
    st.lists(
        st.tuples(_amounts, _amounts, st.sampled_from(["SF15", "SF35"]), st.booleans()),
        max_size=4,
    )
)
def test_sums_over_student_debts_only(
    debts: list[tuple[Decimal, Decimal, str, bool]],
) -> None:
    answer = raw(
        *(
            debt(
                schuldsaldo=f"{balance:.2f}",
                wettelijkMaandbedrag=f"{monthly:.2f}",
                terugbetalingsregels=regime,
                soortSchuld="studieschuld" if student else "levenlanglerenkrediet",
            )
            for balance, monthly, regime, student in debts
        )
    )
    values = mapping("duo")(answer, ALL, TODAY)
    student = [d for d in debts if d[3]]
    assert Decimal(values["student_debt.outstanding"]["amount"]) == sum(
        (d[0] for d in student), Decimal(0)
    )
    assert Decimal(values["student_debt.monthly_repayment"]["amount"]) == sum(
        (d[1] for d in student), Decimal(0)
    )
    regime = values["student_debt.repayment_regime"]
    assert (regime is None) == (not student)
    if student:
        assert regime in {d[2] for d in student if d[0] == max(s[0] for s in student)}
