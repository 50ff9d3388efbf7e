"""The lender's own pages, and the journey mounted beside them.

The application form asks the facts the decisions need (the home, the loan, the rate and its
fixed period, the energy label, energy-saving measures); brondata checks them
(``ApplicationFacts``: a wrong value is a form error) and they travel with the request, which
asks the mortgage dossier checks (``dossier="mortgage"``) and the decisions. The journey shows
the consumer the findings they can still fix (``findings=gateway.dossier``); the underwriter's
page shows the verified records, the dossier findings and the decisions from the signed
``decision`` record, each with its rule version. No underwriting rule lives here.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata.dossier import ENERGY_LABELS, ApplicationFacts, DossierReport
from brondata.errors import (
    ConsentDeniedError,
    FactsError,
    RequestError,
    SessionStateError,
)
from brondata.gateway import CollectionResult
from brondata.stores import off_loop
from brondata.web import BindingStore, Journey, JourneyConfig

LENDER = "Voorbeeld Hypotheken B.V."

#: What the underwriter reads besides the decisions.
ATTRIBUTES = [
    "person.given_names",
    "person.surname",
    "household.partner",
    "income.taxable_annual",
    "employment.current",
    "bank.balance_total",
    "bank.salary_monthly_average",
]

#: The decisions brondata computes from the collected data and the application's facts.
DECISIONS = [
    "decision.max_mortgage",
    "decision.loan_within_income_norm",
    "decision.loan_to_value_within_norm",
    "decision.nhg_eligible",
]

#: The form's fields: the fact each one gives, its label, and the value it starts with.
FIELDS: dict[str, tuple[str, str]] = {
    "purchase_price": ("Purchase price of the home (euro)", "400000"),
    "loan_amount": ("Loan amount (euro)", "300000"),
    "interest_rate": ("Interest rate (% a year)", "4.1"),
    "fixed_period_years": ("Fixed-rate period (years)", "10"),
    "energy_label": ("Energy label of the home", "A"),
    "energy_saving_measures": ("Energy-saving measures financed with the loan (euro)", "0"),
}


def mortgage_request(facts: ApplicationFacts) -> DataRequest:
    """The request for one application: its facts, the decisions, the mortgage checks."""
    return DataRequest(
        purpose=Purpose(
            term="dpv:CreditChecking",
            text="Assess your mortgage application: who you are, your household, income, "
            "work and bank balance, and whether the loan fits the lending norms.",
        ),
        legal_basis=LegalBasis.CONTRACT,
        attributes=[*ATTRIBUTES, *DECISIONS],
        retention_days=365,
        recipient=LENDER,
        facts=facts,
        dossier="mortgage",
    )


def application_facts(form: Mapping[str, str]) -> ApplicationFacts:
    """The form's fields as ``ApplicationFacts``; ``FactsError`` naming the field if one is
    wrong. The rate is asked as a percentage and passed on as a fraction."""
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in FIELDS}
    try:
        percent = Decimal(data["interest_rate"].replace(",", "."))
    except InvalidOperation:
        raise FactsError("interest_rate: not a number") from None
    if not Decimal(0) < percent <= Decimal(25):
        raise FactsError("interest_rate: enter a percentage above 0 and at most 25")
    data["interest_rate"] = str(percent / 100)
    years = data["fixed_period_years"]
    data["fixed_period_years"] = int(years) if years.isdigit() else years
    data["energy_saving_measures"] = data["energy_saving_measures"] or "0"
    return ApplicationFacts.parse(data)


def _labelled(message: str) -> str:
    """A ``FactsError`` message with the form's labels for the fact names."""
    for name, (label, _) in FIELDS.items():
        message = message.replace(f"{name}:", f"{label}:")
    return message.removeprefix("invalid application facts: ")


_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class Application:
    reference: str
    session_id: str
    facts: ApplicationFacts


@dataclass
class Lender:
    """The lender's state: its applications by session id."""

    gateway: Gateway
    journey: Journey
    applications: dict[str, Application] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · {escape(LENDER)}</title>
<link rel="stylesheet" href="/journey/static/journey.css">
<link rel="stylesheet" href="/journey/theme.css"></head>
<body><header><p class="lender">{escape(LENDER)}</p></header>
<main id="main"><h1>{escape(title)}</h1>
{body}
</main></body></html>
"""
    return HTMLResponse(
        html,
        status_code=status,
        headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"},
    )


_CSRF_COOKIE = "lender_csrf"


def _csrf_token(secret: bytes, browser: str) -> str:
    """The application form's CSRF token: a MAC of the browser's own random cookie."""
    return hmac.new(secret, f"apply\x00{browser}".encode(), hashlib.sha256).hexdigest()


def _form(token: str, values: Mapping[str, str], error: str | None = None) -> str:
    """The application form, with ``values`` filled in and ``error`` above it."""
    fields = []
    for name, (label, _) in FIELDS.items():
        value = escape(values.get(name, ""))
        if name == "energy_label":
            options = "".join(
                f'<option value="{escape(x)}"{" selected" if x == values.get(name) else ""}>'
                f"{escape(x)}</option>"
                for x in ENERGY_LABELS
            )
            control = f'<select id="{name}" name="{name}">{options}</select>'
        else:
            mode = "decimal" if name == "interest_rate" else "numeric"
            control = (
                f'<input id="{name}" name="{name}" inputmode="{mode}" required value="{value}">'
            )
        fields.append(f'<label for="{name}">{escape(label)}</label>\n{control}')
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""{shown}<p>Apply for a mortgage. You log in at your bank and the government
sources yourself; we receive only what you consent to.</p>
<form method="post" action="/apply">
<input type="hidden" name="csrf" value="{token}">
{chr(10).join(fields)}
<div class="actions"><button type="submit">Apply</button></div>
</form>"""


def build_app(
    gateway: Gateway,
    *,
    secret: bytes,
    cookie_secure: bool = True,
    bindings: BindingStore | None = None,
) -> Starlette:
    """The lender's application over ``gateway`` (whose redirect URI is this app's
    ``/journey/callback/{source}``); ``bindings`` where the journey keeps which browser
    is bound to which session (shared by the app's instances; the caller closes it)."""
    journey = Journey(
        gateway,
        JourneyConfig(
            lender_name=LENDER,
            secret=secret,
            return_url="/applications/{session_id}",
            primary="#00524c",
            cookie_secure=cookie_secure,
        ),
        bindings=bindings,
        findings=gateway.dossier,
    )
    lender = Lender(gateway, journey)
    defaults = {name: value for name, (_, value) in FIELDS.items()}

    async def home(request: Request) -> Response:
        browser = request.cookies.get(_CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = _page("Mortgage application", _form(_csrf_token(secret, browser), defaults))
        response.set_cookie(
            _CSRF_COOKIE, browser, httponly=True, secure=cookie_secure, samesite="strict"
        )
        return response

    async def apply(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        browser = request.cookies.get(_CSRF_COOKIE, "")
        token = _csrf_token(secret, browser)
        if not browser or not hmac.compare_digest(form.get("csrf", ""), token):
            body = '<p class="error">The form came from an old or another page.</p>'
            body += '<p><a href="/">Start again</a></p>'
            return _page("Mortgage application", body, status=403)
        try:
            facts = application_facts(form)
        except FactsError as exc:
            return _page("Mortgage application", _form(token, form, _labelled(str(exc))), 400)
        reference = f"application-{next(lender._numbers):05d}"
        session = await gateway.start(mortgage_request(facts), reference)
        lender.applications[session.id] = Application(reference, session.id, facts)
        return RedirectResponse(await journey.link(session.id, reference), status_code=303)

    async def thanks(request: Request) -> Response:
        application = lender.applications.get(request.path_params["session_id"])
        if application is None:
            return _page("Not found", "<p>No such application.</p>", status=404)
        body = (
            f"<p>Thank you. We received your application {escape(application.reference)}.</p>"
            f'<p><a href="/underwriter/{escape(application.session_id)}">Underwriter view</a>'
            " (in this example, anyone may look)</p>"
        )
        return _page("Application received", body)

    async def underwriter(request: Request) -> Response:
        application = lender.applications.get(request.path_params["session_id"])
        if application is None:
            return _page("Not found", "<p>No such application.</p>", status=404)
        try:
            result = await off_loop(gateway.result, application.session_id)
            report = await off_loop(gateway.dossier, application.session_id)
        except SessionStateError:
            return _page("Underwriting", "<p>No records yet.</p>")
        except ConsentDeniedError:
            return _page("Underwriting", "<p>No records: the consent has ended.</p>")
        except RequestError:  # pragma: no cover - every request here asks the checks
            report = None
        body = _underwriting(gateway, result, report)
        return _page(f"Underwriting {application.reference}", body)

    routes = [
        Route("/", home),
        Route("/apply", apply, methods=["POST"]),
        Route("/applications/{session_id}", thanks),
        Route("/underwriter/{session_id}", underwriter),
        Mount("/journey", app=journey),
    ]
    app = Starlette(routes=routes)
    app.state.lender = lender
    return app


def _table(caption: str, headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f"<h2>{escape(caption)}</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{cells}</tbody></table>"
    )


def _underwriting(gateway: Gateway, result: CollectionResult, report: DossierReport | None) -> str:
    """The verified records, the dossier findings, and the verified decisions."""
    jwks = gateway.jwks()
    rows = []
    decisions = ""
    for kind, record in sorted(result.records.items()):
        verified = verify_record(record.compact, jwks)
        if kind == "decision":
            versions = verified.claims.get("decisions", {})
            decided = [
                (name, _show(value), str(versions.get(name, {}).get("rule_version", "—")))
                for name, value in sorted(verified.attributes.items())
            ]
            decisions = _table("Decisions", ("Decision", "Outcome", "Rule version"), decided)
            continue
        rows += [(kind, name, _show(value)) for name, value in verified.attributes.items()]
    body = _table("Verified records", ("Source", "Attribute", "Value"), rows)
    if report is None:
        body += "<h2>Dossier findings</h2><p>No dossier checks were asked.</p>"
    elif report.findings:
        found = [
            (f.code, f.severity.value, ", ".join(f.sources), f.message.en) for f in report.findings
        ]
        body += _table("Dossier findings", ("Code", "Severity", "Sources", "Finding"), found)
    else:
        body += "<h2>Dossier findings</h2><p>No findings: the dossier is complete.</p>"
    if not decisions:
        error = result.errors.get("decision")
        why = f" ({escape(error.code)})" if error is not None else ""
        decisions = f"<h2>Decisions</h2><p>No decision was delivered{why}.</p>"
    body += decisions
    failed = [
        f"<li>{escape(source)}: {escape(error.code)}</li>"
        for source, error in sorted(result.errors.items())
        if source != "decision"
    ]
    if failed:
        body += f"<h2>Sources that failed</h2><ul>{''.join(failed)}</ul>"
    return body


def _euros(value: Any) -> Decimal | None:
    """A catalogue money value (``{"amount": "123.45", "currency": "EUR"}``) in euros."""
    if isinstance(value, dict) and value.get("currency") == "EUR":
        return Decimal(str(value.get("amount")))
    return None


def _show(value: Any) -> str:
    euros = _euros(value)
    if euros is not None:
        return f"€ {euros:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False)
