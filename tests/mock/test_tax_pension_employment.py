"""The mock tax authority, pension registry and UWV: every scenario, end to end, agreeing."""

from __future__ import annotations

from decimal import Decimal

import httpx2
import pytest

from brondata.mock import employment, pension, tax
from brondata.mock.bank import sample_requests as bank_sample_requests
from brondata.mock.population import SCENARIOS, Person, Population

from ._government import World
from .conftest import AS_OF, Tpp

pytestmark = pytest.mark.anyio


async def _fetch(
    world: World, browser: httpx2.AsyncClient, source: str, person: Person, token: str
) -> dict[str, dict[str, object]]:
    modules = {"tax": tax, "pension": pension, "employment": employment}
    out = {}
    for method, path, body in modules[source].sample_requests(person):
        response = await world.api(browser, source, method, path, token, body)
        assert response.status_code == 200, (path, response.text)
        out[path] = response.json()
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_every_scenario_logs_in_once_and_the_sources_agree(
    world: World, browser: httpx2.AsyncClient, population: Population, scenario: str
) -> None:
    person = population.scenario(scenario, 0)
    # DigiD asks for the password at the first source only.
    tokens = {"tax": await world.connect(browser, "tax", person)}
    for source in ("pension", "employment"):
        tokens[source] = await world.connect(browser, source, person, password="unused")

    via = await _fetch(world, browser, "tax", person, tokens["tax"])
    years = via[tax.AANGIFTEN_PATH]["belastingjaren"]
    assert [y["belastingjaar"] for y in years] == [y.year for y in reversed(person.tax_years)]
    for year in person.tax_years:
        body = via[f"{tax.AANGIFTEN_PATH}/{year.year}"]
        assert body["belastingplichtige"]["burgerservicenummer"] == person.bsn
        lines = body["inkomsten"]["loonEnUitkeringen"]
        assert [line["loon"] for line in lines] == [w.wage for w in year.wages]
        assert all(isinstance(line["loon"], int) for line in lines)
        assert body["belastbaarInkomenWerkEnWoning"] == year.taxable_income_box1
        if person.partner is not None:
            assert body["fiscaalPartner"]["burgerservicenummer"] == person.partner.bsn
        else:
            assert body["fiscaalPartner"] is None

    mpo = (await _fetch(world, browser, "pension", person, tokens["pension"]))[
        pension.AANSPRAKEN_PATH
    ]["Pensioenaanspraken"]
    (old_age,) = mpo["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"]
    assert {p["PensioenUitvoerder"] for p in old_age["Pensioen"]} == {
        p.provider for p in person.pensions
    }
    assert person.aow is not None
    assert old_age["AOW"]["AOWDetailsOpbouw"]["TeBereikenAlleenstaand"] == (
        person.aow.reachable_single
    )
    assert mpo["AOWLeeftijd"] == {"Jaren": person.aow.age_years, "Maanden": person.aow.age_months}

    report = (await _fetch(world, browser, "employment", person, tokens["employment"]))[
        employment.VERZEKERINGSBERICHT_PATH
    ]
    assert report["burgerservicenummer"] == person.bsn
    relations = report["inkomstenverhoudingen"]
    if scenario in ("self_employed", "retired"):
        assert relations == []
    else:
        assert relations
    for relation in relations:
        slips = person.payslips_of(relation["werkgever"]["loonheffingennummer"])
        fiscal = {s.period_start.isoformat(): s.fiscal_wage for s in slips}
        for period in relation["perioden"]:
            assert Decimal(period["svLoon"]).as_tuple().exponent == -2
            # The polis holds the fiscal wage (loon voor de loonheffing) beside the SV-loon:
            # the payslip's, gross less the employee's pension premium.
            assert Decimal(period["fiscaalLoon"]) == fiscal[period["datumAanvang"]]
            assert Decimal(period["fiscaalLoon"]) <= Decimal(period["svLoon"])
        # SV-loon per year in the UWV report = gross; the tax wage is gross less premium.
        for year in person.tax_years:
            line = next(
                (
                    w
                    for w in year.wages
                    if w.payroll_tax_number == relation["werkgever"]["loonheffingennummer"]
                ),
                None,
            )
            months = [
                p for p in relation["perioden"] if p["datumAanvang"].startswith(str(year.year))
            ]
            if line is not None and len(months) == 12:
                sv = sum(Decimal(p["svLoon"]) for p in months)
                assert line.wage <= sv <= line.wage * Decimal("1.12") + 1


async def test_employed_persons_have_twelve_months_of_sv_wage(
    world: World, browser: httpx2.AsyncClient, population: Population
) -> None:
    person = population.scenario("salaried", 3)
    token = await world.connect(browser, "employment", person)
    report = (await _fetch(world, browser, "employment", person, token))[
        employment.VERZEKERINGSBERICHT_PATH
    ]
    (relation,) = [r for r in report["inkomstenverhoudingen"] if r["datumEinde"] is None]
    assert len(relation["perioden"]) >= 12
    assert relation["soortContract"] == "onbepaald"
    first = relation["perioden"][0]["datumAanvang"]
    assert first >= f"{AS_OF.year - 5}-{AS_OF.month:02d}-01"
    net = [t.amount for t in person.transactions if t.category == "salary"]
    assert abs(net[-1] - person.payslips[-1].net) <= 3


async def test_unknown_year_and_missing_token(
    world: World, browser: httpx2.AsyncClient, population: Population
) -> None:
    person = population.scenario("recent_arrival", 0)
    token = await world.connect(browser, "tax", person)
    response = await world.api(browser, "tax", "GET", f"{tax.AANGIFTEN_PATH}/1999", token)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    response = await world.api(browser, "tax", "GET", f"{tax.AANGIFTEN_PATH}/19x9", token)
    assert response.status_code == 400
    for source, path in (
        ("tax", tax.AANGIFTEN_PATH),
        ("pension", pension.AANSPRAKEN_PATH),
        ("employment", employment.VERZEKERINGSBERICHT_PATH),
    ):
        response = await world.api(browser, source, "GET", path, None)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"
        response = await world.api(browser, source, "GET", path, token if source != "tax" else "x")
        assert response.status_code == 401


async def test_a_retired_persons_bank_shows_pension_and_aow(
    tpp: Tpp, population: Population
) -> None:
    person = population.scenario("retired", 0)
    consent_id, tokens = await tpp.connect(person)
    seen = []
    for method, path, _ in bank_sample_requests(person):
        response = await tpp.client.request(
            method, path, headers=tpp.headers(consent_id, tokens["access_token"])
        )
        assert response.status_code == 200, response.text
        seen.append(response.json())
    current = seen[2]["transactions"]["booked"]
    payers = {t.get("debtorName") for t in current if float(t["transactionAmount"]["amount"]) > 0}
    assert "Sociale Verzekeringsbank" in payers
    assert any(name and name.startswith("Stichting") for name in payers)
