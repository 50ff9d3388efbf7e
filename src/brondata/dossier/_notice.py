"""What the consumer reads about the facts, the decisions and the checks before consenting.

``notice_terms(request)`` is what the notice (and so its hash) must cover: the application's
facts, each decision asked with its rule version and the attributes it is computed from, and
the dossier preset. ``notice_lines(request, language)`` renders them in English or Dutch for
the notice text; both are empty for a request without facts, decisions or checks, so such a
notice (and its hash) stays as it was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from brondata.attributes import CATALOGUE
from brondata.dossier._partner import PARTNER_ATTRIBUTES

if TYPE_CHECKING:
    from brondata.request import DataRequest

__all__ = ["notice_lines", "notice_terms"]


def notice_terms(request: DataRequest) -> dict[str, Any]:
    """The notice's part for facts, decisions and checks (JSON-ready; empty if none)."""
    terms: dict[str, Any] = {}
    if request.facts is not None:
        terms["facts"] = request.facts.model_dump(mode="json")
    if request.decisions:
        terms["decisions"] = {
            name: {"rule_version": version, "inputs": list(CATALOGUE[name].inputs)}
            for name, version in request.rule_versions().items()
        }
    if request.dossier is not None:
        terms["dossier"] = {"preset": request.dossier, "record": request.dossier_record}
    if request.feeds is not None:
        terms["partner"] = {
            "feeds": list(request.feeds),
            "reads": {kind: list(names) for kind, names in PARTNER_ATTRIBUTES.items()},
        }
    return terms


def _euros(amount: Decimal, dutch: bool) -> str:
    text = f"{amount:,.2f}"
    if dutch:
        return "€ " + text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"EUR {text}"


def _percent(rate: Decimal, dutch: bool) -> str:
    text = f"{(rate * 100).normalize():f}%"
    return text.replace(".", ",") if dutch else text


_LABELS = {
    False: {
        "facts": "Facts of your application, used for the decisions:",
        "price": "purchase price",
        "loan": "loan",
        "rate": "interest rate {rate}, fixed for {years} years",
        "label": "energy label",
        "measures": "energy-saving measures",
        "decisions": "Decisions computed from your data (only the outcome is shared):",
        "from": "from",
        "rule": "rule",
        "checks": "Your data are checked for completeness for this application ({preset}); "
        "only the finding codes are recorded.",
        "record": "The result of the check is shared as a record too.",
        "partner": "Your data are used for the application of your partner, whose tax return "
        "or register entry names you as fiscal partner, with {recipient}:",
        "feeds": "they count in these decisions of your partner's application (only the "
        "outcome is shared, in your partner's decision record):",
        "checks only": "they complete the checks of your partner's application.",
        "reads": "Read for it and never shared: {reads}.",
        "identity": "You log in yourself; your citizen service number is compared (as a "
        "digest) with the one your partner's data name, and your data are used only if they "
        "match. Your consent is your own: you can withdraw it without your partner.",
    },
    True: {
        "facts": "Gegevens van uw aanvraag, gebruikt voor de beslissingen:",
        "price": "koopsom",
        "loan": "lening",
        "rate": "rente {rate}, vast voor {years} jaar",
        "label": "energielabel",
        "measures": "energiebesparende voorzieningen",
        "decisions": "Beslissingen berekend uit uw gegevens (alleen de uitkomst wordt gedeeld):",
        "from": "uit",
        "rule": "regel",
        "checks": "Uw gegevens worden gecontroleerd op volledigheid voor deze aanvraag "
        "({preset}); alleen de codes van de bevindingen worden vastgelegd.",
        "record": "De uitkomst van de controle wordt ook als record gedeeld.",
        "partner": "Uw gegevens worden gebruikt voor de aanvraag van uw partner bij "
        "{recipient}; de belastingaangifte of de BRP van uw partner noemt u als fiscale "
        "partner:",
        "feeds": "ze tellen mee in deze beslissingen over de aanvraag van uw partner (alleen de "
        "uitkomst wordt gedeeld, in het beslissingsrecord van uw partner):",
        "checks only": "ze maken de controle van de aanvraag van uw partner compleet.",
        "reads": "Daarvoor gelezen en nooit gedeeld: {reads}.",
        "identity": "U logt zelf in; uw burgerservicenummer wordt (als hash) vergeleken met "
        "het nummer dat de gegevens van uw partner noemen, en uw gegevens worden alleen "
        "gebruikt als die overeenkomen. Uw toestemming is van uzelf: u kunt die intrekken "
        "zonder uw partner.",
    },
}


def notice_lines(request: DataRequest, language: str = "en") -> list[str]:
    """The notice's lines for facts, decisions and checks, in English or Dutch (``"nl"``)."""
    dutch = language.startswith("nl")
    label = _LABELS[dutch]
    lines: list[str] = []
    facts = request.facts
    if facts is not None:
        lines += [
            label["facts"],
            f"  - {label['price']}: {_euros(facts.purchase_price, dutch)}",
            f"  - {label['loan']}: {_euros(facts.loan_amount, dutch)}",
            "  - "
            + label["rate"].format(
                rate=_percent(facts.interest_rate, dutch), years=facts.fixed_period_years
            ),
            f"  - {label['label']}: {facts.energy_label}",
            f"  - {label['measures']}: {_euros(facts.energy_saving_measures, dutch)}",
        ]
    if request.decisions:
        lines.append(label["decisions"])
        for name, version in request.rule_versions().items():
            attribute = CATALOGUE[name]
            text = attribute.description_nl if dutch else attribute.description_en
            inputs = ", ".join(attribute.inputs)
            source = f"; {label['from']} {inputs}" if inputs else ""
            lines.append(f"  - {text} ({name}; {label['rule']} {version}{source})")
    if request.dossier is not None:
        lines.append(label["checks"].format(preset=request.dossier))
        if request.dossier_record:
            lines.append(label["record"])
    if request.feeds is not None:
        lines += _partner_lines(request, label, dutch)
    return lines


def _partner_lines(request: DataRequest, label: dict[str, str], dutch: bool) -> list[str]:
    """A partner's notice: whose application their data feed, how, and what is read."""
    lines = [label["partner"].format(recipient=request.recipient)]
    if request.feeds:
        lines.append("  " + label["feeds"])
        for name in request.feeds:
            attribute = CATALOGUE[name]
            text = attribute.description_nl if dutch else attribute.description_en
            lines.append(f"    - {text} ({name})")
    else:
        lines.append("  " + label["checks only"])
    reads = ", ".join(f"{n} ({kind})" for kind, names in PARTNER_ATTRIBUTES.items() for n in names)
    lines += [label["reads"].format(reads=reads), label["identity"]]
    return lines
