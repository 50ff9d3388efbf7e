"""The lender's own pages, and the journey mounted beside them.

Underwriting here is a toy: the decision shown is an indicative figure from the verified
income (4.5 times the taxable annual income), labelled as such. A real lender computes its
decisions with ``brondata.dossier`` rules or its own.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata.errors import ConsentDeniedError, SessionStateError
from brondata.gateway import CollectionResult
from brondata.stores import off_loop
from brondata.web import BindingStore, Journey, JourneyConfig

LENDER = "Voorbeeld Hypotheken B.V."

MORTGAGE = DataRequest(
    purpose=Purpose(
        term="dpv:CreditChecking",
        text="Assess your mortgage application: who you are, your household, income, work "
        "and bank balance.",
    ),
    legal_basis=LegalBasis.CONTRACT,
    attributes=[
        "person.given_names",
        "person.surname",
        "household.partner",
        "income.taxable_annual",
        "employment.current",
        "bank.balance_total",
        "bank.salary_monthly_average",
    ],
    retention_days=365,
    recipient=LENDER,
)

_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class Application:
    reference: str
    session_id: str
    amount: int


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
    )
    lender = Lender(gateway, journey)

    async def home(request: Request) -> Response:
        browser = request.cookies.get(_CSRF_COOKIE) or secrets.token_urlsafe(32)
        token = _csrf_token(secret, browser)
        body = f"""<p>Apply for a mortgage. You log in at your bank and the government sources
yourself; we receive only what you consent to.</p>
<form method="post" action="/apply">
<input type="hidden" name="csrf" value="{token}">
<label for="amount">Loan amount (euro)</label>
<input id="amount" name="amount" inputmode="numeric" pattern="[0-9]+" required value="300000">
<div class="actions"><button type="submit">Apply</button></div>
</form>"""
        response = _page("Mortgage application", body)
        response.set_cookie(
            _CSRF_COOKIE, browser, httponly=True, secure=cookie_secure, samesite="strict"
        )
        return response

    async def apply(request: Request) -> Response:
        form = await request.form()
        browser = request.cookies.get(_CSRF_COOKIE, "")
        sent = str(form.get("csrf", ""))
        if not browser or not hmac.compare_digest(sent, _csrf_token(secret, browser)):
            body = '<p class="error">The form came from an old or another page.</p>'
            body += '<p><a href="/">Start again</a></p>'
            return _page("Mortgage application", body, status=403)
        raw = str(form.get("amount", ""))
        if not raw.isdigit() or not 10_000 <= int(raw) <= 5_000_000:
            body = '<p class="error">Enter an amount between 10000 and 5000000.</p>'
            body += '<p><a href="/">Back</a></p>'
            return _page("Mortgage application", body, status=400)
        reference = f"application-{next(lender._numbers):05d}"
        session = await gateway.start(MORTGAGE, reference)
        lender.applications[session.id] = Application(reference, session.id, int(raw))
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
        except SessionStateError:
            return _page("Underwriting", "<p>No records yet.</p>")
        except ConsentDeniedError:
            return _page("Underwriting", "<p>No records: the consent has ended.</p>")
        return _page(f"Underwriting {application.reference}", _underwriting(gateway, result))

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


def _underwriting(gateway: Gateway, result: CollectionResult) -> str:
    """Verified records, what is missing, and the toy decision."""
    jwks = gateway.jwks()
    values: dict[str, Any] = {}
    rows = []
    for kind, record in sorted(result.records.items()):
        verified = verify_record(record.compact, jwks)
        values.update(verified.attributes)
        for name, value in verified.attributes.items():
            cells = (escape(kind), escape(name), escape(_show(value)))
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = (
        '<h2>Verified records</h2><table><thead><tr><th scope="col">Source</th>'
        '<th scope="col">Attribute</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    missing = [
        f"<li>{escape(source)}: {escape(error.code)}</li>"
        for source, error in result.errors.items()
    ]
    findings = "<h2>Findings</h2>" + (
        f"<ul>{''.join(missing)}</ul>" if missing else "<p>No source missing.</p>"
    )
    income = _euros(values.get("income.taxable_annual"))
    decision = "<h2>Decisions</h2>"
    if income is not None:
        decision += (
            f"<p>Indicative maximum loan (toy rule, 4.5 × taxable income): "
            f"€ {int(income * Decimal('4.5')):,}</p>"
        )
    else:
        decision += "<p>No decision: the income was not delivered.</p>"
    return table + findings + decision


def _euros(value: Any) -> Decimal | None:
    """A catalogue money value (``{"amount": "123.45", "currency": "EUR"}``) in euros."""
    if isinstance(value, dict) and value.get("currency") == "EUR":
        return Decimal(str(value.get("amount")))
    return None


def _show(value: Any) -> str:
    euros = _euros(value)
    if euros is not None:
        return f"€ {euros:,.2f}"
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False)
