"""What the gateway does for the checks and the decisions, as pure functions it calls.

The gateway (its driver) calls, per source kind it delivers, ``kept_for_checks`` on the raw
data of each instance: the attributes the checks and the decisions read (``CHECKED``, the
decisions' inputs) mapped beside the requested ones, with the kind's dossier facts. That is
kept sealed with the kind's outcome (personal values: they never leave the gateway, and go
with the subject's key). From what is kept for every kind delivered so far:

* ``collection_day(kept, today)`` is the day both speak of: the collection's, whenever asked.
* ``run_checks(request, as_of, kept)`` gives the ``DossierReport`` of the request's preset
  (``None`` when the request asks for no checks); ``report_claims`` its record's attributes.
* ``run_decisions(request, as_of, kept)`` computes each decision asked, and
  ``decision_claims`` gives the decision record's claims: each decision's rule version, and
  the provenance digests (``source_response_digest`` of each kind's record) of the kinds its
  inputs came from; never an input value.

A kind whose extra attributes cannot be mapped (a mapping error) keeps what it could: the
check or decision that needs the rest then sees it missing, named, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from brondata.attributes import CATALOGUE
from brondata.consent._events import EventType
from brondata.dossier._aow import AOW_INPUTS, aow_rule_version
from brondata.dossier._catalogue import INPUT_ATTRIBUTES, decision_inputs
from brondata.dossier._checks import DossierReport, check_dossier
from brondata.dossier._collected import CHECKED, dossier_input
from brondata.dossier._decisions import DECISIONS, DecisionResult, decide
from brondata.dossier._partner import partner_present
from brondata.errors import BrondataError
from brondata.sources._kind import kind_of

if TYPE_CHECKING:
    from brondata.request import DataRequest
    from brondata.sources import SourceKind

__all__ = [
    "DECISION_SOURCE",
    "DOSSIER_SOURCE",
    "Computed",
    "Kept",
    "Sign",
    "after_collection",
    "collection_day",
    "decision_claims",
    "decision_day",
    "extra_attributes",
    "fetched",
    "kept_for_checks",
    "kept_of",
    "report_claims",
    "run_checks",
    "run_decisions",
]

#: The ``source`` of the two records the gateway signs itself (they have no instance).
DECISION_SOURCE = "decision"
DOSSIER_SOURCE = "dossier"

#: Per kind: ``{"digest": the kind record's response digest, "instances": {instance:
#: {"values": {...}, "facts": {...}}}, "values": {...}, "inputs": {...}, "as_of": "YYYY-MM-DD"}``
#: (``values`` at the top: mapped from the instances combined, what the decisions read;
#: ``inputs``: decision inputs given directly, by the kind's ``SourceMapping.inputs`` or a
#: partner's session; ``as_of``: the day the kind was fetched).
Kept = Mapping[str, Mapping[str, Any]]


def extra_attributes(request: DataRequest, kind: str) -> tuple[str, ...]:
    """The attributes of ``kind`` mapped for the checks and decisions besides those asked."""
    wanted = set(CHECKED.get(kind, ())) if request.dossier is not None else set()
    wanted |= set(request.decision_inputs().get(kind, ()))
    provided = {a.name for a in CATALOGUE.provided_by(kind)}
    return tuple(sorted(wanted & provided))


def fetched(request: DataRequest, instance: str, asked: Sequence[str]) -> tuple[str, ...]:
    """What a login asks access to and a fetch reads at ``instance``: the attributes asked of
    it, and those its checks and decisions read (released: only those asked)."""
    return tuple(sorted({*asked, *extra_attributes(request, kind_of(instance))}))


def _mapped(
    kind: SourceKind, raws: Mapping[str, Mapping[str, Any]], names: Sequence[str], today: date
) -> dict[str, Any]:
    """``names`` mapped from ``raws`` (several instances combined, as the kind's record is)."""
    from brondata.flow._codec import mapped_values

    out: dict[str, Any] = {}
    for name in names:  # one by one: one attribute that cannot be mapped costs only itself
        try:
            out.update(mapped_values(kind.name, raws, (name,), today))
        except BrondataError:
            continue
    return out


def kept_for_checks(
    request: DataRequest,
    kind: SourceKind,
    raws: Mapping[str, Mapping[str, Any]],
    digest: str,
    today: date,
) -> dict[str, Any] | None:
    """What to keep of one kind's delivery for the checks and decisions (``None``: nothing,
    the request asks for neither). ``raws`` per instance, ``digest`` the record's
    ``source_response_digest``."""
    if request.dossier is None and not request.decisions and request.feeds is None:
        return None
    names = extra_attributes(request, kind.name)
    checked = [n for n in names if n in CHECKED.get(kind.name, ())]
    instances: dict[str, Any] = {}
    for instance, raw in raws.items():
        facts: dict[str, Any] = {}
        if request.dossier is not None and kind.mapping.facts is not None:
            try:
                facts = kind.mapping.facts(raw, today)
            except BrondataError:
                facts = {}
        values = _mapped(kind, {instance: raw}, checked, today)
        instances[instance] = {"values": values, "facts": facts}
    inputs = [n for n in names if n in request.decision_inputs().get(kind.name, ())]
    # A raw attribute a decision reads (the bank's transactions) is read through the kind's
    # ``inputs``: kept as the inputs it gives, never as itself.
    values = _mapped(kind, raws, [n for n in inputs if not CATALOGUE[n].raw], today)
    kept: dict[str, Any] = {
        "digest": digest,
        "instances": instances,
        "values": values,
        "as_of": today.isoformat(),
    }
    if inputs and kind.mapping.inputs is not None:
        kept["inputs"] = _decision_inputs(request, kind, raws, today)
    return kept


def _decision_inputs(
    request: DataRequest, kind: SourceKind, raws: Mapping[str, Mapping[str, Any]], today: date
) -> dict[str, Any]:
    """The decision inputs the kind's ``inputs`` gives that the request's decisions read; an
    answer that cannot be read gives none (each is then named missing, never guessed)."""
    from brondata.flow._codec import combined_raw

    assert kind.mapping.inputs is not None
    read = {i for d in request.decisions for i in DECISIONS[d].inputs}
    try:
        given = kind.mapping.inputs(combined_raw(kind.name, raws), today)
    except BrondataError:
        return {}
    return {name: value for name, value in given.items() if name in read}


def decision_day(moment: datetime) -> date:
    """The Dutch calendar date of ``moment`` (an aware datetime): the day a kind fetched at
    that moment speaks of for the checks and decisions. The figures of Rv art. 475da change
    on 1 January and 1 July, and the rule years begin on 1 January: Dutch dates."""
    return moment.astimezone(_dutch_time()).date()


@cache
def _dutch_time() -> ZoneInfo:
    # Read on first use: the time zone database comes from the system (or the ``tzdata``
    # package where the system has none), not at import.
    return ZoneInfo("Europe/Amsterdam")


def collection_day(kept: Kept, today: date) -> date:
    """The day the checks and decisions speak of: the collection's, the day the newest kind
    kept was fetched, so the report is the same whenever it is asked (and equals the ledger's
    ``dossier.checked`` and the signed report). ``today`` only for what a session of an older
    release kept without its day."""
    days = [date.fromisoformat(part["as_of"]) for part in kept.values() if "as_of" in part]
    return max(days, default=today)


def run_checks(request: DataRequest, as_of: date, kept: Kept) -> DossierReport | None:
    """The report of the request's preset over every kind kept (``None`` without a preset)."""
    if request.dossier is None:
        return None
    collected: dict[str, tuple[str, Mapping[str, Any]]] = {}
    extra: dict[str, Mapping[str, Any]] = {}
    for key, part in kept.items():  # a kind (or, in a session of an older release, an instance)
        for instance, held in part["instances"].items():
            collected[instance] = (kind_of(key), held["values"])
            extra[instance] = held["facts"]
    present = partner_present(kept)
    return check_dossier(
        request.dossier, dossier_input(as_of, collected, extra, partner_data_present=present)
    )


def report_claims(report: DossierReport) -> dict[str, Any]:
    """The attributes of the dossier record: the preset and the findings (codes, severity,
    sources, texts); no personal value is in a report."""
    return {"dossier.report": report.to_dict()}


#: The finding that says a payer's salary reaches none of the banks consulted.
_SALARY_ELSEWHERE = "salary_not_in_bank"


def run_decisions(
    request: DataRequest, as_of: date, kept: Kept, report: DossierReport | None = None
) -> list[DecisionResult]:
    """Each decision the request asks, from the kept values and the request's facts; a
    missing input is ``MissingDecisionInputError`` (never a default). Where the request's
    checks find a salary outside the banks consulted, the banks' net income is a lower bound
    (``net_income_complete`` false); ``report``: those checks, when the caller ran them."""
    values: dict[str, Any] = {}
    for part in kept.values():
        values.update(part["values"])
    inputs = decision_inputs(values, as_of)
    for part in kept.values():  # a kind's own, or a partner's (``brondata.dossier._partner``)
        inputs.update(part.get("inputs", {}))
    if inputs.get("net_income_complete") is True:
        # The banks' income of art. 475dc leaves out a salary the checks find paid into an
        # account not consulted: a lower bound, however whole at those banks.
        report = report if report is not None else run_checks(request, as_of, kept)
        if report is not None and _SALARY_ELSEWHERE in report.codes():
            inputs["net_income_complete"] = False
    return [
        decide(name, year=request.rules_year, facts=request.facts, inputs=inputs)
        for name in request.decisions
    ]


def decision_claims(results: Sequence[DecisionResult], kept: Kept) -> dict[str, Any]:
    """The decision record's provenance claims: per decision its rule version, its inputs'
    names and the response digests of the kinds they came from, and the versions of the
    tables its inputs went through (``input_rules``: the AOW age's), if any."""
    out: dict[str, Any] = {}
    for result in results:
        attributes = {a for i in result.inputs for a in INPUT_ATTRIBUTES.get(i, ())}
        digests = {
            kind: part["digest"]
            for kind, part in sorted(kept.items())
            if attributes & set(part["values"]) or set(result.inputs) & set(part.get("inputs", ()))
        }
        out[result.name] = {
            "rule_version": result.rule_version,
            "inputs": list(result.inputs),
            "input_digests": digests,
        }
        if AOW_INPUTS & set(result.inputs):
            out[result.name]["input_rules"] = [aow_rule_version()]
    assert set(out) <= set(DECISIONS)
    return {"decisions": out}


#: ``sign(source, claims, attributes) -> (compact, digest)``: the driver's signature.
Sign = Callable[[str, Mapping[str, Any], Mapping[str, Any]], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Computed:
    """What the gateway adds after the kinds are delivered: per pseudo-source (``decision``,
    ``dossier``) its plain outcome (``{"record": compact}`` or ``{"error": ...}``) and the
    ledger events (as ``(event type, fields)``) that go with it; ``checked``, the
    ``dossier.checked`` fields (codes only) when the request asks for checks."""

    outcomes: dict[str, tuple[dict[str, Any], tuple[tuple[EventType, dict[str, Any]], ...]]]
    checked: dict[str, Any] | None


def kept_of(outcomes: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """What each delivered kind kept for the checks, from the kinds' opened outcomes."""
    return {kind: o["kept"] for kind, o in outcomes.items() if o.get("kept") is not None}


def after_collection(
    request: DataRequest, as_of: date, kept: Kept, *, done: Collection[str], sign: Sign
) -> Computed:
    """The decision record and the dossier report (record) over ``kept``; a pseudo-source in
    ``done`` (already delivered) is not computed again. Errors are typed and per source."""
    outcomes: dict[str, tuple[dict[str, Any], tuple[tuple[EventType, dict[str, Any]], ...]]] = {}
    as_of = collection_day(kept, as_of)
    report = run_checks(request, as_of, kept)  # once: the decisions read it too
    if request.decisions and DECISION_SOURCE not in done:
        try:
            results = run_decisions(request, as_of, kept, report)
            compact, digest = sign(
                DECISION_SOURCE,
                decision_claims(results, kept),
                {r.name: r.claim() for r in results},
            )
        except BrondataError as exc:
            failed: tuple[EventType, dict[str, Any]] = (
                "data.failed",
                {"source": DECISION_SOURCE, "error_code": exc.code},
            )
            outcomes[DECISION_SOURCE] = ({"error": exc.to_dict()}, (failed,))
        else:
            delivered = {
                "source": DECISION_SOURCE,
                "attributes": tuple(request.decisions),
                "record_digest": digest,
                "recipient": request.recipient,
            }
            outcomes[DECISION_SOURCE] = (
                {"record": compact, "evidence": {}},
                (("data.delivered", delivered),),
            )
    if report is None:
        return Computed(outcomes, None)
    checked: dict[str, Any] = {"preset": report.preset, "codes": report.codes()}
    if request.dossier_record and DOSSIER_SOURCE not in done:
        compact, digest = sign(DOSSIER_SOURCE, {"preset": report.preset}, report_claims(report))
        checked["record_digest"] = digest
        outcomes[DOSSIER_SOURCE] = ({"record": compact, "evidence": {}}, ())
    return Computed(outcomes, checked)
