"""Decisions: rules as data (GoRules JDM decision graphs), evaluated by ``zen-engine``.

A decision is the most minimal disclosure there is: "the loan fits the income norm" instead of
the income. Each decision names its rule table; the tables live as JDM JSON files under
``brondata/dossier/rules/<year>/<table>.json``, one folder per year, each carrying (in its
``brondata`` block and node descriptions) the public source of every figure and what could not
be confirmed. Python here only checks inputs, picks the table and reads the one output; the
figures and the arithmetic are in the data file, so a new year is a new folder.

The 2026 tables (sources in the files):

* ``income_norm``: Tijdelijke regeling hypothecair krediet, Wijzigingsregeling 2026
  (Staatscourant 2025, 36471): financing-cost percentages (Bijlage 1 tabel 1 and 2), test rate
  at least 5% for fixed periods under 10 years, 30-year annuity, both partners' income in
  full, EUR 17,000 for a single person, energy label amounts, the DUO repayment grossed up
  (art. 3a). Gives ``decision.max_mortgage`` and ``decision.loan_within_income_norm``.
* ``loan_to_value``: Trhk art. 5, 100% of the value plus energy-saving measures up to 106%.
* ``nhg``: NHG cost limit 2026, EUR 470,000, raised by the cost of energy-saving measures up
  to 6% (EUR 28,200).
* ``protected_earnings``: the beslagvrije voet (Rv art. 475da and 475dc, Wet vereenvoudiging
  beslagvrije voet): the formula of art. 475da lid 2 (95% of the social-assistance norm of
  Participatiewet art. 21 for the household, plus the terms for health insurance, rent and
  children that grow with the taxable income of debtor and spouse) within the maxima of lid 1,
  from 1 January and from 1 July 2026; lowered by the spouse's own income up to half
  (art. 475db lid 1 a); or 95% of the net income when that is lower. A couple needs the
  spouse's taxable income, from the spouse's own session; when the spouse has income and it
  decides the amount (the data give it gross, the law subtracts it net), no figure:
  ``RuleNotApplicableError`` naming art. 475db.
* ``aow_age``: the AOW age by date of birth (AOW art. 7a), the input of the others' AOW
  criteria (``brondata.dossier._aow``).

Rules: a decision never uses a default for a missing input (``MissingDecisionInputError``
names what is missing); the income norm gives no figure from an income the UWV record cannot
give (``ibl_applicable`` false: ``RuleNotApplicableError`` naming ``ibl_not_applicable``),
nor from a partner's income their own UWV record cannot give (``partner_ibl_applicable``
false: naming ``partner_ibl_not_applicable``); a table that cannot decide a case from the
data gives ``not_applicable``, a fixed text saying why, and ``decide`` raises
``RuleNotApplicableError`` with it; the result carries the rule version
``<table>@<year>.<revision>`` and the names of its inputs, never their values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from brondata._money import Rounding, cents
from brondata.dossier._facts import ApplicationFacts
from brondata.errors import (
    DecisionsUnavailableError,
    InvalidDecisionInputError,
    MissingDecisionInputError,
    RuleNotApplicableError,
    RuleTableNotFoundError,
    UnknownDecisionError,
)

if TYPE_CHECKING:
    import zen

__all__ = [
    "DECISIONS",
    "INPUTS",
    "Decision",
    "DecisionResult",
    "RuleTable",
    "check_decisions",
    "decide",
    "latest_year",
    "rule_table",
    "rule_versions",
]

ValueKind = Literal["money", "boolean"]
_CENT = Decimal("0.01")
#: No amount a source gives comes near this; beyond it a float (the engine's input) would
#: no longer hold the cents exactly.
_MAX_AMOUNT = Decimal("100000000")


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision attribute: its rule table, the output it reads, and what it needs."""

    name: str
    table: str
    output: str
    kind: ValueKind
    #: Fields of ``ApplicationFacts`` the decision reads.
    facts: tuple[str, ...]
    #: Inputs from the consumer's source data, by name (see ``INPUTS``).
    inputs: tuple[str, ...]
    description_en: str
    description_nl: str
    #: How a money result is rounded to cents (``brondata._money``; unused for a yes/no).
    rounding: Rounding = Rounding.COMMERCIAL


#: The inputs a decision can take from source data, with their type. The integration derives
#: them from catalogue attributes; a decision result names them, never their values.
INPUTS: dict[str, str] = {
    "applicant_income_annual": "money",  # test income (toetsinkomen), EUR a year
    "has_partner": "boolean",  # the loan is for the applicant and a partner
    "partner_income_annual": "money",  # needed only when has_partner
    # DUO's statutory monthly amount (``student_debt.statutory_monthly_repayment``), 0 when
    # DUO shows no debt; in the run-up phase, a repayment-free period or with a reduction for
    # ability to pay, the amount that repays the remaining debt at its rate over the remaining
    # term (Trhk art. 3a, Nibud 2026), not the reduced amount.
    "student_loan_monthly": "money",
    "aow_age_reached": "boolean",  # by the BRP birth date and the ``aow_age`` table
    # The UWV record can give the test income (``EmploymentFacts.ibl_applicable``, the check
    # ``ibl_not_applicable``'s criteria); when false the income norm gives no figure.
    "ibl_applicable": "boolean",
    # The same criteria over the partner's own UWV record (``brondata.dossier._partner``);
    # needed only when has_partner. False with a positive partner's income: no figure.
    "partner_ibl_applicable": "boolean",
    "household": "household",  # "single" (alone or single parent) or "couple"
    # Children under 18 in the household: single parent rather than single, and the child
    # terms of Rv art. 475da lid 2 b and d.
    "children_under_18": "boolean",
    # C of Rv art. 475da lid 2: the taxable income a year, annualised from the latest month in
    # the UWV polisadministratie (art. 475d lid 1); the spouse's is the spouse's own data.
    "taxable_income_annual": "money",
    "partner_taxable_income_annual": "money",  # needed only for a couple
    "net_income_monthly": "money",  # net income a month
    # Whether it holds the holiday allowance (else a lower bound: paid outside the months read).
    "net_income_complete": "boolean",
    "as_of": "date",  # the day the decision speaks of (a table may change within its year)
}

_MORTGAGE_INPUTS = (
    "applicant_income_annual",
    "has_partner",
    "student_loan_monthly",
    "aow_age_reached",
    "ibl_applicable",
)
_MORTGAGE_FACTS = ("interest_rate", "fixed_period_years", "energy_label", "energy_saving_measures")

DECISIONS: dict[str, Decision] = {
    d.name: d
    for d in (
        Decision(
            "decision.max_mortgage",
            "income_norm",
            "max_mortgage",
            "money",
            _MORTGAGE_FACTS,
            _MORTGAGE_INPUTS,
            "Maximum mortgage by the Dutch income norm (Tijdelijke regeling hypothecair krediet)",
            "Maximale hypotheek volgens de inkomensnorm (Tijdelijke regeling hypothecair krediet)",
            Rounding.MAXIMUM,
        ),
        Decision(
            "decision.loan_within_income_norm",
            "income_norm",
            "loan_within_income_norm",
            "boolean",
            (*_MORTGAGE_FACTS, "loan_amount"),
            _MORTGAGE_INPUTS,
            "Whether the loan fits the Dutch income norm",
            "Of de lening binnen de inkomensnorm past",
        ),
        Decision(
            "decision.loan_to_value_within_norm",
            "loan_to_value",
            "loan_to_value_within_norm",
            "boolean",
            ("purchase_price", "loan_amount", "energy_saving_measures"),
            (),
            "Whether the loan is within 100% of the home's value (106% with energy-saving "
            "measures)",
            "Of de lening binnen 100% van de woningwaarde blijft (106% met energiebesparende "
            "voorzieningen)",
        ),
        Decision(
            "decision.nhg_eligible",
            "nhg",
            "nhg_eligible",
            "boolean",
            ("loan_amount", "energy_saving_measures"),
            (),
            "Whether the loan is within the NHG cost limit",
            "Of de lening binnen de NHG-kostengrens blijft",
        ),
        Decision(
            "decision.protected_earnings_monthly",
            "protected_earnings",
            "protected_earnings_monthly",
            "money",
            (),
            (
                "as_of",
                "household",
                "children_under_18",
                "taxable_income_annual",
                "net_income_monthly",
                "net_income_complete",
            ),
            "Protected earnings a month (beslagvrije voet, Rv art. 475da): the social-assistance "
            "norm with the income-dependent terms for health insurance, rent and children",
            "Beslagvrije voet per maand (Rv art. 475da): de bijstandsnorm met de "
            "inkomensafhankelijke termen voor zorg, huur en kinderen",
        ),
    )
}

#: Inputs needed only in some cases: name -> (the input that decides, needed when true).
_CONDITIONAL: dict[str, tuple[str, Callable[[Mapping[str, Any]], bool]]] = {
    "partner_income_annual": ("has_partner", lambda given: given.get("has_partner") is True),
    "partner_ibl_applicable": ("has_partner", lambda given: given.get("has_partner") is True),
    "partner_taxable_income_annual": (
        "household",
        lambda given: given.get("household") == "couple",
    ),
}


def conditional_on(name: str) -> str:
    """The input that decides whether the conditional input ``name`` is needed."""
    return _CONDITIONAL[name][0]


class DecisionResult(BaseModel):
    """The outcome of one decision: the only thing that leaves, with its provenance."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: Decimal | bool
    #: ``<table>@<year>.<revision>``, e.g. ``income_norm@2026.1``.
    rule_version: str
    #: The names of the facts and inputs it was computed from, sorted (never their values).
    inputs: tuple[str, ...]

    def claim(self) -> dict[str, str] | bool:
        """The value in catalogue shape: MONEY as ``{"amount", "currency"}``, else a bool."""
        if isinstance(self.value, bool):
            return self.value
        return {"amount": str(self.value), "currency": "EUR"}


@dataclass(frozen=True, slots=True)
class RuleTable:
    """A loaded JDM decision graph and its identity."""

    table: str
    year: int
    revision: int
    title: str
    decision: zen.ZenDecision

    @property
    def version(self) -> str:
        return f"{self.table}@{self.year}.{self.revision}"


def _years() -> list[int]:
    root = resources.files("brondata.dossier") / "rules"
    return sorted(int(p.name) for p in root.iterdir() if p.name.isdigit())


@cache
def rule_versions(table: str) -> tuple[str, ...]:
    """Every version of ``table`` there is, oldest year first (read without the engine)."""
    root = resources.files("brondata.dossier") / "rules"
    versions = []
    for year in _years():
        path = root / str(year) / f"{table}.json"
        if path.is_file():
            revision = json.loads(path.read_text(encoding="utf-8"))["brondata"]["revision"]
            versions.append(f"{table}@{year}.{int(revision)}")
    return tuple(versions)


def latest_year() -> int:
    """The newest year with rule tables: a request's ``rules_year`` unless it names one."""
    years = _years()
    if not years:
        raise RuleTableNotFoundError("no rule tables are installed")
    return years[-1]


@cache
def rule_table(table: str, year: int) -> RuleTable:
    """The rule table ``table`` for ``year``, or ``RuleTableNotFoundError`` naming the years."""
    path = resources.files("brondata.dossier") / "rules" / str(year) / f"{table}.json"
    if not path.is_file():
        have = ", ".join(str(y) for y in _years()) or "none"
        raise RuleTableNotFoundError(f"no {table!r} rule table for {year} (years: {have})")
    text = path.read_text(encoding="utf-8")
    meta = json.loads(text)["brondata"]
    if meta["table"] != table or meta["year"] != year:
        raise RuleTableNotFoundError(f"the {table!r} file for {year} names another table")
    return RuleTable(
        table, year, int(meta["revision"]), meta["title"], _engine().create_decision(text)
    )


@cache
def _engine() -> zen.ZenEngine:
    # Imported here so that checks and facts work without the extra; only deciding needs it.
    try:
        import zen
    except ImportError:
        raise DecisionsUnavailableError(
            "decisions need the rules engine: pip install 'brondata[decisions]'"
        ) from None
    return zen.ZenEngine()


def _decision(name: str) -> Decision:
    decision = DECISIONS.get(name)
    if decision is None:
        raise UnknownDecisionError(f"no decision {name!r}; known: {', '.join(sorted(DECISIONS))}")
    return decision


def check_decisions(
    names: Iterable[str], *, year: int, facts: ApplicationFacts | None
) -> list[str]:
    """Before any login: every name is a decision, its table exists for ``year``, and the
    application facts it needs are given. Returns the rule versions, in the order asked.

    The source-data inputs are not known yet at that point; ``decide`` checks them.
    """
    versions = []
    for name in names:
        decision = _decision(name)
        if facts is None and decision.facts:
            raise MissingDecisionInputError(name, [f"facts.{f}" for f in decision.facts])
        versions.append(rule_table(decision.table, year).version)
    return versions


def decide(
    name: str,
    *,
    year: int,
    facts: ApplicationFacts | None = None,
    inputs: Mapping[str, object] | None = None,
) -> DecisionResult:
    """Compute decision ``name`` with the rule table of ``year``.

    Every fact and input the decision names must be given: a missing one is a
    ``MissingDecisionInputError`` (all of them named), never a default. Inputs it does not need
    are ignored and not named in the result, except ``as_of``: a day outside ``year`` is a
    ``RuleTableNotFoundError`` for every decision.
    """
    decision = _decision(name)
    given = dict(inputs or {})
    if given.get("as_of") is not None and _day("as_of", given["as_of"]).year != year:
        # A table speaks of its own year (a norm may change within it): another year's day
        # never gets its figures, whether or not the decision reads the day itself.
        raise RuleTableNotFoundError(
            f"{name}: the rule tables of {year} do not speak of a day in another year; "
            "a request for that day needs that year's tables"
        )
    needed = list(decision.inputs) + [
        k for k, (on, when) in _CONDITIONAL.items() if on in decision.inputs and when(given)
    ]
    missing = [f"facts.{f}" for f in decision.facts if facts is None]
    missing += [k for k in needed if given.get(k) is None]
    if missing:
        raise MissingDecisionInputError(name, missing)
    table = rule_table(decision.table, year)
    context: dict[str, Any] = {k: _checked(k, given[k]) for k in needed}
    reasons = _not_from_uwv(context)
    if reasons:
        raise RuleNotApplicableError(
            f"{name} needs an income the UWV record cannot give here ({', '.join(reasons)}); "
            "the lender determines the income another way"
        )
    context.update({f: getattr(facts, f) for f in decision.facts})
    # Inputs a table reads but this decision does not need (the loan for the maximum; the
    # partner's income when there is none) go in as explicit nulls or zeros the rules name.
    context.setdefault("loan_amount", None)
    if decision.table == "income_norm" and not context.get("has_partner"):
        context["partner_income_annual"] = Decimal(0)
    raw = _evaluate(table, context)
    reason = raw.get("not_applicable")
    if reason is not None:
        # A table that cannot decide a case from the data says why (a fixed text, no value).
        raise RuleNotApplicableError(f"{name}: {table.version} gives no figure here: {reason}")
    value = raw.get(decision.output)
    if value is None:
        raise RuleNotApplicableError(f"{table.version} gave no {decision.output}")
    return DecisionResult(
        name=name,
        value=_value(decision, value),
        rule_version=table.version,
        inputs=tuple(sorted([f"facts.{f}" for f in decision.facts] + needed)),
    )


def _not_from_uwv(context: Mapping[str, Any]) -> list[str]:
    """Why the incomes a decision counts cannot come from the UWV records (the IBL criteria,
    ``EmploymentFacts.ibl_applicable``): the applicant's, the partner's. A partner's record
    that shows no SV wage counts nothing (there is no income to determine; none is added)."""
    reasons = ["ibl_not_applicable"] if context.get("ibl_applicable") is False else []
    counted = context.get("partner_income_annual")
    if context.get("partner_ibl_applicable") is False and isinstance(counted, Decimal) and counted:
        reasons.append("partner_ibl_not_applicable")
    return reasons


def _checked(name: str, value: object) -> object:
    kind = INPUTS[name]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise InvalidDecisionInputError(f"{name} must be true or false")
        return value
    if kind == "household":
        if value not in ("single", "couple"):
            raise InvalidDecisionInputError(f"{name} must be 'single' or 'couple'")
        return value
    if kind == "date":
        return _day(name, value).isoformat()
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise InvalidDecisionInputError(f"{name} must be an amount in euros")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise InvalidDecisionInputError(f"{name} must be an amount in euros") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidDecisionInputError(f"{name} must be a finite amount of at least 0")
    if amount > _MAX_AMOUNT:
        raise InvalidDecisionInputError(f"{name} must be at most EUR {_MAX_AMOUNT:,}")
    if amount != amount.quantize(_CENT):
        raise InvalidDecisionInputError(f"{name} must be in whole cents")
    return amount


def _day(name: str, value: object) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidDecisionInputError(f"{name} must be an ISO 8601 date") from None


def _evaluate(table: RuleTable, context: Mapping[str, Any]) -> dict[str, Any]:
    # The engine reads JSON numbers as decimals, so amounts keep their exact value.
    body = json.dumps(context, default=_json_number)
    try:
        response = table.decision.evaluate(body)
    except RuntimeError:
        # The engine's error names the node, never the values; a table without a matching row
        # (a category the year's figures do not cover) ends up here.
        raise RuleNotApplicableError(
            f"{table.version} has no rule for these inputs (see the table's sources for what it "
            "covers)"
        ) from None
    result: dict[str, Any] = response["result"]
    return result


def _json_number(value: object) -> object:
    # A Decimal of at most 12 digits survives the float round trip: repr() gives the shortest
    # text that reads back the same, which is the decimal we started from. ``_checked`` and
    # ``ApplicationFacts`` bound every amount to that; this holds it for whatever comes next.
    if isinstance(value, Decimal):
        number = float(value)
        if Decimal(repr(number)) != value:
            raise InvalidDecisionInputError("an amount has more digits than a rule can take")
        return number
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _value(decision: Decision, value: object) -> Decimal | bool:
    if decision.kind == "boolean":
        if not isinstance(value, bool):
            raise RuleNotApplicableError("the rule table gave no yes/no answer")
        return value
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise RuleNotApplicableError("the rule table gave no amount")
    return cents(Decimal(str(value)), decision.rounding)
