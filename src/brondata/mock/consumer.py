"""A scripted consumer: logs in at a mock source's HTML pages the way a person in a browser would.

``Consumer(client).authorize(url, username=..., password=...)`` opens the authorization URL,
reads the page with the stdlib HTML parser, fills in the login form, submits it, presses
Approve (or Deny) and returns the URL the source finally redirects to, which lies at the
lender's ``redirect_uri`` and is not fetched. It only uses what a browser would see (forms,
their hidden inputs, submit buttons, redirects), so it works against any source whose pages
follow the same shape, in-process (ASGI) or over a real port.

A login may take the browser to another site (the government sources send it to DigiD and
back), so redirects are followed wherever they go until one reaches the ``redirect_uri`` named
in the authorization URL. With single sign-on there may be no password form at all. Give it
one client that reaches every site involved and keeps cookies, as a browser does.

It lives in the library, not in the tests, because integration tests, the demo and the CLI
all need a person to click through the login.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2

from brondata.errors import ConsumerLoginError

__all__ = ["Consumer", "Form", "parse_forms"]

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})
_MAX_STEPS = 10  # more hops than a login, an approval and a few redirects means a loop


@dataclass(slots=True)
class Form:
    """One ``<form>`` as a browser would submit it."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # named inputs with their values
    input_types: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of submits

    def has_password(self) -> bool:
        return "password" in self.input_types.values()


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.alerts: list[str] = []
        self._current: Form | None = None
        self._in_alert = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self._current.buttons.append((a["name"], a.get("value", "")))
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self._current.fields[a["name"]] = a.get("value", "")
                self._current.input_types[a["name"]] = kind
        elif (
            tag == "button"
            and self._current is not None
            and a.get("type", "submit").lower() == "submit"
        ):
            self._current.buttons.append((a.get("name", ""), a.get("value", "")))
        if tag in _VOID:
            return  # no end tag follows, so it must not open an alert nesting level
        if "error" in a.get("class", "").split() or a.get("role") == "alert":
            self._in_alert += 1
            self.alerts.append("")
        elif self._in_alert:
            self._in_alert += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        if self._in_alert:
            self._in_alert -= 1

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alerts[-1] += data


def parse_forms(page: str) -> tuple[list[Form], list[str]]:
    """The forms of an HTML page and the texts of its error/alert elements."""
    parser = _FormParser()
    parser.feed(page)
    parser.close()
    return parser.forms, [" ".join(text.split()) for text in parser.alerts if text.strip()]


class Consumer:
    """A person at a browser, scripted. ``client`` must not follow redirects by itself."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self._client = client

    async def authorize(
        self, authorization_url: str, *, username: str, password: str, approve: bool = True
    ) -> str:
        """Log in and approve (or deny); the final redirect ``Location`` off the source."""
        is_callback = _callback_matcher(authorization_url)
        response = await self._client.get(authorization_url)
        logged_in = False
        for _ in range(_MAX_STEPS):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if is_callback(location):
                    return location  # the lender's redirect_uri: not ours to fetch
                response = await self._client.get(location)
                continue
            forms, alerts = parse_forms(response.text)
            problem = "; ".join(alerts) or f"HTTP {response.status_code}"
            if not forms:
                raise ConsumerLoginError(
                    f"the page at {response.url.copy_with(query=None)} has no form: {problem}"
                )
            login = next((f for f in forms if f.has_password()), None)
            if login is not None:
                if logged_in:
                    raise ConsumerLoginError(f"login refused: {problem}")
                response = await self._submit(
                    response, login, self._credentials(login, username, password)
                )
                logged_in = True
                continue
            form, button = _decision(forms, approve)
            response = await self._submit(response, form, {**form.fields, button[0]: button[1]})
        raise ConsumerLoginError(f"no redirect off the source after {_MAX_STEPS} pages")

    @staticmethod
    def _credentials(form: Form, username: str, password: str) -> dict[str, str]:
        data = dict(form.fields)
        user_field = next(
            (n for n, t in form.input_types.items() if t in ("text", "email") and n != ""), None
        )
        password_field = next(n for n, t in form.input_types.items() if t == "password")
        if user_field is None:
            raise ConsumerLoginError("the login form has no username field")
        data[user_field] = username
        data[password_field] = password
        return data

    async def _submit(
        self, page: httpx2.Response, form: Form, data: dict[str, str]
    ) -> httpx2.Response:
        target = urljoin(str(page.url), form.action or str(page.url))
        if form.method == "post":
            return await self._client.post(target, data=data)
        return await self._client.get(target, params=data)


def _callback_matcher(authorization_url: str) -> Callable[[str], bool]:
    """Whether a redirect target is the lender's callback: the ``redirect_uri`` of the request
    (scheme, host and path), or, if the URL names none, any other host than the source's."""
    parts = urlsplit(authorization_url)
    named = parse_qs(parts.query).get("redirect_uri")
    if not named:
        return lambda location: urlsplit(location).netloc != parts.netloc
    target = urlsplit(named[0])

    def matches(location: str) -> bool:
        found = urlsplit(location)
        return (found.scheme, found.netloc, found.path) == (
            target.scheme,
            target.netloc,
            target.path,
        )

    return matches


def _decision(forms: list[Form], approve: bool) -> tuple[Form, tuple[str, str]]:
    """The form and submit button that approve (or deny) the request."""
    wanted = (
        ("approve", "allow", "accept", "toestaan") if approve else ("deny", "reject", "weigeren")
    )
    for form in forms:
        for name, value in form.buttons:
            if value.lower() in wanted:
                return form, (name, value)
    raise ConsumerLoginError(
        f"no {'approve' if approve else 'deny'} button on the page "
        f"(buttons: {[b for f in forms for b in f.buttons]})"
    )
