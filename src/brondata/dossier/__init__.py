"""First time right: dossier checks per purpose preset, and decisions from rules as data.

Pure functions only: the gateway (not this package) gathers the inputs from the mapped source
data, runs ``check_dossier`` and ``decide``, writes the ledger and signs the results.

* ``dossier_input(as_of, collected, extra)``: the checks' input from the mapped catalogue
  values per source instance, plus the few facts no attribute carries.
* ``check_dossier(preset, DossierInput) -> DossierReport``: what the collected data cannot
  show (codes, severity, sources, English and Dutch text, remedy), never a personal value.
* ``decide(name, year=..., facts=ApplicationFacts, inputs={...}) -> DecisionResult``: a decision
  attribute (``decision.max_mortgage`` ...) computed by ``zen-engine`` from the JDM rule tables
  in ``rules/<year>/``, with its rule version and the names of its inputs.
* ``decision_inputs(values, today)``: a decision's inputs from mapped catalogue values
  (``INPUT_ATTRIBUTES`` says which); the decisions are catalogue attributes
  (``decision_attributes``) a ``DataRequest`` asks for like any other.
* ``notice_lines(request, language)`` and ``notice_terms(request)``: the facts, decisions and
  checks of a request as the consent notice shows them and its hash covers them.
"""

from __future__ import annotations

from brondata.dossier._catalogue import (
    INPUT_ATTRIBUTES,
    decision_attributes,
    decision_inputs,
    input_attributes,
)
from brondata.dossier._checks import (
    FINDINGS,
    BankFacts,
    DossierInput,
    DossierReport,
    DuoFacts,
    EmploymentFacts,
    Finding,
    FindingText,
    PensionFacts,
    Preset,
    PropertyFacts,
    Severity,
    TaxFacts,
    check_dossier,
    preset,
)
from brondata.dossier._collected import CHECKED, Collected, dossier_input
from brondata.dossier._decisions import (
    DECISIONS,
    INPUTS,
    Decision,
    DecisionResult,
    RuleTable,
    check_decisions,
    decide,
    latest_year,
    rule_table,
    rule_versions,
)
from brondata.dossier._facts import ENERGY_LABELS, ApplicationFacts, EnergyLabel
from brondata.dossier._notice import notice_lines, notice_terms

__all__ = [
    "CHECKED",
    "DECISIONS",
    "ENERGY_LABELS",
    "FINDINGS",
    "INPUTS",
    "INPUT_ATTRIBUTES",
    "ApplicationFacts",
    "BankFacts",
    "Collected",
    "Decision",
    "DecisionResult",
    "DossierInput",
    "DossierReport",
    "DuoFacts",
    "EmploymentFacts",
    "EnergyLabel",
    "Finding",
    "FindingText",
    "PensionFacts",
    "Preset",
    "PropertyFacts",
    "RuleTable",
    "Severity",
    "TaxFacts",
    "check_decisions",
    "check_dossier",
    "decide",
    "decision_attributes",
    "decision_inputs",
    "dossier_input",
    "input_attributes",
    "latest_year",
    "notice_lines",
    "notice_terms",
    "preset",
    "rule_table",
    "rule_versions",
]
