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
"""

from __future__ import annotations

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
from brondata.dossier._collected import Collected, dossier_input
from brondata.dossier._decisions import (
    DECISIONS,
    INPUTS,
    Decision,
    DecisionResult,
    RuleTable,
    check_decisions,
    decide,
    rule_table,
)
from brondata.dossier._facts import ENERGY_LABELS, ApplicationFacts, EnergyLabel

__all__ = [
    "DECISIONS",
    "ENERGY_LABELS",
    "FINDINGS",
    "INPUTS",
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
    "dossier_input",
    "preset",
    "rule_table",
]
