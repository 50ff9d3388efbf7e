"""Every sentence the journey shows, in Dutch and English, in one table.

Keys are stable; a page asks ``text(lang, key, **values)``. Values are escaped by the page
that inserts the result, never here.
"""

from __future__ import annotations

__all__ = ["TEXT", "text"]

TEXT: dict[str, dict[str, str]] = {
    "skip": {"en": "Skip to the content", "nl": "Naar de inhoud"},
    "menu": {"en": "Language and your consents", "nl": "Taal en uw toestemmingen"},
    "consent_title": {"en": "Your consent", "nl": "Uw toestemming"},
    "asks": {
        "en": "{lender} asks for the following data, with your consent.",
        "nl": "{lender} vraagt met uw toestemming de volgende gegevens.",
    },
    "why": {"en": "Why", "nl": "Waarom"},
    "what_from": {"en": "What, and from which source", "nl": "Wat, en van welke bron"},
    "how_long": {"en": "For how long", "nl": "Hoe lang"},
    "kept": {
        "en": "Kept for {days} days, stored in {where}.",
        "nl": "Bewaard gedurende {days} dagen, opgeslagen in {where}.",
    },
    "who": {"en": "Who", "nl": "Wie"},
    "controller": {
        "en": "{controller} is responsible for this processing ({basis}).",
        "nl": "{controller} is verantwoordelijk voor deze verwerking ({basis}).",
    },
    "withdraw_note": {
        "en": "You can withdraw your consent at any time under “My consents”, in one step.",
        "nl": "U kunt uw toestemming altijd in één stap intrekken onder “Mijn toestemmingen”.",
    },
    "decision_source": {
        "en": "Decisions computed from these data",
        "nl": "Besluiten, berekend uit deze gegevens",
    },
    "read_only": {
        "en": "Read for the decisions and checks only; nothing from it is shared.",
        "nl": "Alleen gelezen voor de besluiten en controles; niets ervan wordt gedeeld.",
    },
    "give": {"en": "Give consent", "nl": "Toestemming geven"},
    "decline": {"en": "Decline", "nl": "Weigeren"},
    "declined_title": {"en": "You declined", "nl": "U heeft geweigerd"},
    "declined": {
        "en": "Nothing was fetched. You can return to {lender}.",
        "nl": "Er is niets opgehaald. U kunt terug naar {lender}.",
    },
    "sources_title": {"en": "Log in at your sources", "nl": "Inloggen bij uw bronnen"},
    "sources_intro": {
        "en": "Log in at each source in turn. Government sources use DigiD: "
        "you log in once and the others follow.",
        "nl": "Log bij elke bron om de beurt in. Overheidsbronnen gebruiken DigiD: "
        "u logt één keer in en de andere volgen.",
    },
    "log_in_at": {"en": "Log in at {source}", "nl": "Inloggen bij {source}"},
    "state_waiting": {"en": "waiting for your login", "nl": "wacht op uw inlog"},
    "state_login_started": {"en": "login started", "nl": "inloggen gestart"},
    "state_authorised": {"en": "logged in", "nl": "ingelogd"},
    "state_collected": {"en": "collected", "nl": "opgehaald"},
    "state_failed": {"en": "failed", "nl": "mislukt"},
    "failed_help": {
        "en": "This source did not give access. You can fetch the rest without it, "
        "or ask {lender} to start again.",
        "nl": "Deze bron gaf geen toegang. U kunt de rest zonder deze bron ophalen, "
        "of {lender} vragen opnieuw te beginnen.",
    },
    "add_bank": {"en": "Another bank of yours", "nl": "Nog een bank van u"},
    "add_bank_button": {"en": "Add this bank", "nl": "Deze bank toevoegen"},
    "choose_bank": {"en": "Bank", "nl": "Bank"},
    "collect": {"en": "Fetch my data", "nl": "Mijn gegevens ophalen"},
    "collect_wait": {
        "en": "Log in at every source first, or fetch what you have logged in to.",
        "nl": "Log eerst bij elke bron in, of haal op waarvoor u bent ingelogd.",
    },
    "progress_title": {"en": "Fetching your data", "nl": "Uw gegevens worden opgehaald"},
    "progress_intro": {
        "en": "This takes a few seconds. You may close this page and come back.",
        "nl": "Dit duurt een paar seconden. U mag deze pagina sluiten en terugkomen.",
    },
    "refresh": {"en": "Check again", "nl": "Opnieuw kijken"},
    "result_title": {"en": "What was shared", "nl": "Wat is gedeeld"},
    "shared_with": {"en": "Shared with {lender}:", "nl": "Gedeeld met {lender}:"},
    "not_shared": {"en": "Not shared", "nl": "Niet gedeeld"},
    "findings": {"en": "What you can still fix", "nl": "Wat u nog kunt aanvullen"},
    "no_findings": {
        "en": "Nothing is missing.",
        "nl": "Er ontbreekt niets.",
    },
    "return": {"en": "Return to {lender}", "nl": "Terug naar {lender}"},
    "my_consents": {"en": "My consents", "nl": "Mijn toestemmingen"},
    "consents_intro": {
        "en": "Your consents with {lender}. Withdrawing takes one step, as giving did.",
        "nl": "Uw toestemmingen bij {lender}. Intrekken kost één stap, net als geven.",
    },
    "consent_state": {"en": "State", "nl": "Status"},
    "withdraw": {"en": "Withdraw consent", "nl": "Toestemming intrekken"},
    "withdrawn": {
        "en": "Your consent is withdrawn. Nothing more will be fetched or shared.",
        "nl": "Uw toestemming is ingetrokken. Er wordt niets meer opgehaald of gedeeld.",
    },
    "valid_until": {"en": "Valid until {until}", "nl": "Geldig tot {until}"},
    "renew": {"en": "Renew consent", "nl": "Toestemming verlengen"},
    "renew_title": {"en": "Renew your consent", "nl": "Uw toestemming verlengen"},
    "renew_intro": {
        "en": "Your consent is valid until {until}. Renewing it gives the same consent, "
        "below, for a new term from today.",
        "nl": "Uw toestemming is geldig tot {until}. Verlengen geeft dezelfde toestemming, "
        "hieronder, voor een nieuwe termijn vanaf vandaag.",
    },
    "cancel": {"en": "Cancel", "nl": "Annuleren"},
    "report": {"en": "What is recorded about you", "nl": "Wat er over u is vastgelegd"},
    "report_title": {"en": "Access report (GDPR art. 15)", "nl": "Inzage (AVG art. 15)"},
    "error_title": {"en": "This did not work", "nl": "Dit lukte niet"},
    "error_link": {
        "en": "This link cannot be used in this browser. Open the link {lender} gave you "
        "in the browser where you started, or ask {lender} for a new one.",
        "nl": "Deze link werkt niet in deze browser. Open de link van {lender} in de browser "
        "waarin u begon, of vraag {lender} om een nieuwe.",
    },
    "error_csrf": {
        "en": "The form came from an old or another page. Go back, reload the page and "
        "try again. Nothing was changed.",
        "nl": "Het formulier kwam van een oude of andere pagina. Ga terug, laad de pagina "
        "opnieuw en probeer het nog eens. Er is niets gewijzigd.",
    },
    "error_callback": {
        "en": "This login does not belong to your session. Nothing was changed; "
        "continue on the sources page.",
        "nl": "Deze inlog hoort niet bij uw sessie. Er is niets gewijzigd; "
        "ga verder op de bronnenpagina.",
    },
    "error_identity": {
        "en": "You logged in as another person at one of the sources. For your safety this "
        "session has stopped and nothing was shared. Ask {lender} to start again.",
        "nl": "U logde bij een van de bronnen in als een ander persoon. Voor uw veiligheid is "
        "deze sessie gestopt en is er niets gedeeld. Vraag {lender} opnieuw te beginnen.",
    },
    "error_denied": {
        "en": "The source did not give access. Continue with the other sources.",
        "nl": "De bron gaf geen toegang. Ga verder met de andere bronnen.",
    },
    "error_state": {
        "en": "That step is not possible now. Continue where you are.",
        "nl": "Die stap kan nu niet. Ga verder waar u bent.",
    },
    "error_other": {
        "en": "Something went wrong on our side. Your session is intact; try again in a moment.",
        "nl": "Er ging bij ons iets mis. Uw sessie is intact; probeer het zo nog eens.",
    },
    "error_not_found": {"en": "This page does not exist.", "nl": "Deze pagina bestaat niet."},
    "continue": {"en": "Continue", "nl": "Verder"},
}


def text(language: str, key: str, **values: object) -> str:
    entry = TEXT[key]
    template = entry.get(language, entry["en"])
    return template.format(**values) if values else template
