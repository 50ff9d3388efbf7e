"""``Journey``: the consumer's pages and the callback routes, as one Starlette app.

Routes (relative to where the lender mounts it, ``JourneyConfig.mount_path``)::

    GET  /start?t=LINK           bind this browser to the session; on to /consent
    GET  /consent  POST /consent give or decline (Give consent / Decline)
    GET  /sources                the sources in order, one "Log in at ..." each
    POST /sources/add            add another bank (an instance of a kind already asked)
    POST /login/{instance}       hand-off: 303 to the source's authorization URL
    GET  /callback/{instance}    back from the source; the session comes from ``state``
    POST /collect                start fetching; on to /progress
    GET  /progress  GET /events  progress page; server-sent events for it
    GET  /result  GET /done      what was shared; back to the lender's return URL
    GET  /consents               my consents: withdraw (POST /consents/withdraw), report
    GET  /consents/renew/{id}    renew a consent before it ends: the notice again, one button

Every state-changing request is a POST with the CSRF token; every request but ``/start``
needs the signed cookie ``/start`` set, and a callback is refused unless its ``state`` names
the cookie's session. An error is a page in the consumer's language with nothing changed,
never a stack trace.

Which browser is bound to which session lives in a ``BindingStore`` the app's instances
share (``web/_bindings.py``), the session in the gateway's store, the records in
``Gateway.result``: any instance serves any step. Only a running collection's task is this
process's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import httpx2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from brondata._logging import get_logger
from brondata._session_store import SessionRecord
from brondata.dossier import DossierReport
from brondata.dossier._run import DECISION_SOURCE
from brondata.errors import (
    AuthorizationDeniedError,
    AuthorizationError,
    BrondataError,
    ConfigurationError,
    CsrfError,
    IdentityMismatchError,
    JourneyLinkError,
    SessionError,
    SessionNotFoundError,
    StateMismatchError,
)
from brondata.gateway import CollectionResult, ConsentView, Gateway
from brondata.session import SessionState, SourceState
from brondata.sources import get as source_kind
from brondata.sources import instance_id
from brondata.stores import off_loop
from brondata.web._bindings import BindingStore, JourneyBinding, MemoryBindingStore
from brondata.web._config import JourneyConfig
from brondata.web._pages import Html, e, form, join, layout
from brondata.web._security import BrowserCookie, Signer
from brondata.web._text import text
from brondata.web._webhook import SIGNATURE_HEADER, sign_webhook

__all__ = ["Journey"]

_log = get_logger("brondata.web")
_STATIC = Path(__file__).parent / "static"
_FINAL = (SessionState.DENIED, SessionState.WITHDRAWN, SessionState.EXPIRED)
#: A consent in these states can be renewed (``Gateway.renew``): given, not yet ended.
_RENEWABLE = (SessionState.CONSENTED, SessionState.COLLECTED)
#: How long one server-sent events stream stays open; the browser reconnects after.
_STREAM_SECONDS = 120.0
#: How long a collection asked for but not yet begun (waiting for a free slot, on any
#: instance) counts as under way; after that the sources page offers to fetch again.
_PENDING_SECONDS = 120.0


#: The seam for dossier findings: the session id to its ``DossierReport`` (what the consumer
#: can still fix), awaited or called in a worker thread; ``findings=gateway.dossier`` once the
#: gateway runs the checks itself.
Findings = Callable[[str], DossierReport | Awaitable[DossierReport]]

#: Hosts a webhook may be sent to over plain HTTP (a developer's machine, tests).
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _check_webhook_url(url: str) -> None:
    """``https://host/...``; ``http://`` only to this machine."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # an unclosed [IPv6] or a bad port
        scheme, host = "", None
    if not host or not (scheme == "https" or (scheme == "http" and host in _LOCAL_HOSTS)):
        raise ConfigurationError(
            "webhook_url must be an https:// URL (plain http only to localhost)"
        )


class Journey:
    """The consumer's journey over ``gateway``, to mount in the lender's app::

        journey = Journey(gateway, JourneyConfig(lender_name=..., secret=..., return_url=...))
        app = Starlette(routes=[..., Mount("/journey", app=journey)])

    The gateway's ``redirect_uri`` must be this app's callback route:
    ``https://lender.example/journey/callback/{source}``.

    Several instances of the app serve one journey when they share the gateway's stores
    and keys, the journey ``secret``, and ``bindings`` (``open_binding_store(url)``: the
    same SQLite file or PostgreSQL database); without ``bindings`` they are kept in this
    process (one instance). A ``bindings`` store passed in is the caller's to close.
    ``Gateway.erase_subject`` erases the subject's bindings too.
    """

    def __init__(
        self,
        gateway: Gateway,
        config: JourneyConfig,
        *,
        bindings: BindingStore | None = None,
        findings: Findings | None = None,
        webhook_url: str | None = None,
        webhook_transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        if webhook_url is not None:
            _check_webhook_url(webhook_url)
        self.gateway = gateway
        self.config = config
        self._signer = Signer(config.secret)
        self._bindings: BindingStore = bindings if bindings is not None else MemoryBindingStore()
        self._owns_bindings = bindings is None
        #: The collections this process runs, by session: the one thing not shared.
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._starting: set[str] = set()
        self._findings = findings
        # Erasing a subject at the gateway erases their journeys' bindings: one place.
        self._unregister = gateway.on_erase(self._forget_subject)
        self._webhook_url = webhook_url
        self._webhook_transport = webhook_transport
        routes = [
            Route("/start", self._start),
            Route("/consent", self._consent, methods=["GET", "POST"]),
            Route("/sources", self._sources),
            Route("/sources/add", self._add_source, methods=["POST"]),
            Route("/login/{instance}", self._login, methods=["POST"]),
            Route("/callback/{instance}", self._callback),
            Route("/collect", self._collect, methods=["POST"]),
            Route("/progress", self._progress),
            Route("/events", self._events),
            Route("/result", self._result),
            Route("/done", self._done),
            Route("/consents", self._consents),
            Route("/consents/withdraw", self._withdraw, methods=["POST"]),
            Route("/consents/renew/{session}", self._renew, methods=["GET", "POST"]),
            Route("/consents/report", self._report),
            Route("/theme.css", self._theme),
            Mount("/static", app=StaticFiles(directory=_STATIC)),
        ]
        self._app = Starlette(
            routes=routes,
            middleware=[Middleware(_Contained, error_page=self._error)],
            exception_handlers={BrondataError: self._error, HTTPException: self._error},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, secured if scope["type"] == "http" else send)

    # --- the lender's side -----------------------------------------------------------------

    async def link(self, session_id: str, subject: str) -> str:
        """Where the lender sends the consumer for ``session_id``: a signed link, valid for
        ``link_ttl_seconds``, that binds the first browser to open it. ``subject`` is the
        application's reference the session was started with (for "my consents");
        ``JourneyLinkError`` if the session was started for another one."""
        record = await self._record(session_id)
        if record.subject != self.gateway.pseudonym(subject):
            raise JourneyLinkError("the session was not started for that subject")
        await off_loop(self._bindings.add, session_id, subject)
        token = self._signer.link(session_id, self.config.link_ttl_seconds)
        return f"{self.config.mount_path}/start?{urlencode({'t': token})}"

    async def finished(self, session_id: str) -> None:
        """Wait for a collection this instance is running for ``session_id`` to end (its
        webhook sent); at once if none runs here. The records: ``Gateway.result``."""
        task = self._tasks.get(session_id)
        if task is not None:
            await asyncio.wait([task])

    async def aclose(self) -> None:
        """Stop collections still running here (their sessions resume on the next collect,
        on any instance, or expire as the gateway says); leave ``Gateway.erase_subject``;
        close the bindings it made."""
        for task in self._tasks.values():
            if not task.done():
                task.cancel()
        self._unregister()
        self._unregister = lambda: None  # closed twice: once is enough
        if self._owns_bindings:
            await off_loop(self._bindings.close)

    # --- cookies, languages, CSRF ------------------------------------------------------------

    def _language(self, request: Request, cookie: BrowserCookie | None = None) -> str:
        asked = request.query_params.get("lang")
        if asked in self.config.languages:
            return str(asked)
        if cookie is not None and cookie.language in self.config.languages:
            return cookie.language
        return self.config.languages[0]

    def _read_cookie(self, request: Request) -> BrowserCookie | None:
        token = request.cookies.get(self.config.cookie_name)
        if not token:
            return None
        try:
            return self._signer.open_cookie(token)
        except JourneyLinkError:
            return None

    async def _bound(self, request: Request) -> tuple[BrowserCookie, JourneyBinding]:
        """The cookie and its journey; ``JourneyLinkError`` if this browser has none."""
        cookie = self._read_cookie(request)
        if cookie is None:
            raise JourneyLinkError("this browser has no journey (no or a forged cookie)")
        binding = await off_loop(self._bindings.get, cookie.session_id)
        if binding is None or binding.browser_hash != cookie.browser_hash:
            raise JourneyLinkError("this browser is not the one bound to the journey")
        return cookie, binding

    def _set_cookie(self, response: Response, cookie: BrowserCookie) -> None:
        response.set_cookie(
            self.config.cookie_name,
            self._signer.cookie(cookie),
            path=self.config.mount_path,
            httponly=True,
            secure=self.config.cookie_secure,
            samesite="lax",  # sent on the top-level return from a source's login
        )

    def _page(
        self,
        request: Request,
        cookie: BrowserCookie,
        title_key: str,
        body: str,
        *,
        status: int = 200,
        head: str = "",
        script: str | None = None,
        **values: object,
    ) -> Response:
        language = self._language(request, cookie)
        page = layout(
            self.config,
            language,
            text(language, title_key, **values),
            body,
            path=request.url.path,
            head=head,
            script=script,
        )
        response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
        if language != cookie.language:
            self._set_cookie(
                response,
                BrowserCookie(cookie.browser, cookie.session_id, language),
            )
        return response

    async def _form(self, request: Request, cookie: BrowserCookie) -> dict[str, str]:
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        self._signer.check_csrf(cookie, fields.get("csrf", ""))
        return fields

    def _redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(f"{self.config.mount_path}{path}", status_code=303)

    def _title(self, instance: str) -> str:
        if instance in self.config.source_names:
            return self.config.source_names[instance]
        kind = source_kind(instance)
        for mock in kind.mock.instances if kind.mock is not None else ():
            if instance_id(kind.name, mock.name) == instance:
                return mock.title
        return self.config.source_names.get(kind.name, kind.title)

    # --- pages ------------------------------------------------------------------------------

    async def _start(self, request: Request) -> Response:
        session_id = self._signer.open_link(request.query_params.get("t", ""))
        binding = await off_loop(self._bindings.get, session_id)
        if binding is None:
            raise JourneyLinkError("the link names no journey of this application")
        cookie = self._read_cookie(request)
        if binding.browser_hash is None:
            # The first browser to open the link is the consumer's, from now on; of two at
            # once (here or on another instance) the store binds one, the other is refused.
            cookie = BrowserCookie(Signer.new_browser(), session_id, self._language(request))
            bound = await off_loop(self._bindings.bind, session_id, cookie.browser_hash)
            if bound is None or bound.browser_hash != cookie.browser_hash:
                raise JourneyLinkError("the link was opened in another browser before")
        elif (
            cookie is None
            or cookie.session_id != session_id
            or cookie.browser_hash != binding.browser_hash
        ):
            raise JourneyLinkError("the link was opened in another browser before")
        record = await self._record(session_id)
        target = "/consent" if record.state is SessionState.CREATED else "/sources"
        response = self._redirect(target)
        self._set_cookie(response, cookie)
        return response

    async def _consent(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        session_id = cookie.session_id
        record = await self._record(session_id)
        if request.method == "POST":
            fields = await self._form(request, cookie)
            if record.state is not SessionState.CREATED:
                return self._redirect("/sources")
            if fields.get("decision") == "give":
                await self.gateway.give_consent(session_id, notice_hash=fields.get("notice", ""))
                return self._redirect("/sources")
            await self.gateway.deny_consent(session_id)
            return self._redirect("/consent")
        language = self._language(request, cookie)
        lender = self.config.lender_name
        if record.state is SessionState.DENIED:
            body = (
                f"<p>{e(text(language, 'declined', lender=lender))}</p>"
                f'<p><a class="button" href="{e(self.config.mount_path)}/done">'
                f"{e(text(language, 'return', lender=lender))}</a></p>"
            )
            return self._page(request, cookie, "declined_title", body)
        if record.state is not SessionState.CREATED:
            return self._redirect("/sources")
        view = await off_loop(self.gateway.consent_view, session_id)
        buttons = Html(
            f'<div class="actions"><button type="submit" name="decision" value="give">'
            f"{e(text(language, 'give'))}</button>"
            f'<button type="submit" name="decision" value="decline" class="secondary">'
            f"{e(text(language, 'decline'))}</button></div>"
        )
        body = _notice_html(view, language) + form(
            f"{self.config.mount_path}/consent",
            self._signer.csrf(cookie),
            {"notice": view.notice_hash},
            buttons,
        )
        return self._page(request, cookie, "consent_title", body)

    # The gateway's reads are blocking store calls: off the event loop, in a worker thread.

    async def _record(self, session_id: str) -> SessionRecord:
        try:
            return await off_loop(self.gateway.session, session_id)
        except SessionNotFoundError:
            # Gone (erased, or removed by the store): its binding goes too, lazily, here.
            await off_loop(self._bindings.remove, session_id)
            raise

    async def _forget_subject(self, subject: str) -> int:
        return await off_loop(self._bindings.forget_subject, subject)

    async def _of_subject(self, pseudonym: str) -> list[SessionRecord]:
        return list(await off_loop(self.gateway.sessions.of_subject, pseudonym))

    async def _own(self, binding: JourneyBinding, session_id: str) -> SessionRecord:
        """``session_id``'s record if it is a session of this consumer (the binding's
        subject); ``SessionNotFoundError`` otherwise."""
        pseudonym = self.gateway.pseudonym(binding.subject)
        for record in await self._of_subject(pseudonym):
            if record.id == session_id:
                return record
        raise SessionNotFoundError("no consent of yours with that reference")

    def _state_label(self, language: str, state: SourceState) -> str:
        return text(language, f"state_{state.value}")

    async def _sources(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        record = await self._record(cookie.session_id)
        if record.state is SessionState.CREATED:
            return self._redirect("/consent")
        if record.state is SessionState.COLLECTED or await self._collecting(record):
            return self._redirect("/progress")
        if record.state in _FINAL:
            return self._redirect("/consents")
        language = self._language(request, cookie)
        csrf = self._signer.csrf(cookie)
        base = self.config.mount_path
        items = []
        for instance, progress in record.sources.items():
            title = self._title(instance)
            state = progress.state
            row = (
                f'<li data-source="{e(instance)}"><h2>{e(title)}</h2>'
                f"<p>{e(self._state_label(language, state))}</p>"
            )
            if state in (SourceState.WAITING, SourceState.LOGIN_STARTED):
                button = (
                    f'<button type="submit">{e(text(language, "log_in_at", source=title))}</button>'
                )
                row += form(f"{base}/login/{instance}", csrf, {}, button)
            elif state is SourceState.FAILED:
                help_text = text(language, "failed_help", lender=self.config.lender_name)
                row += f'<p class="error">{e(help_text)}</p>'
            items.append(row + "</li>")
        body = f'<p>{e(text(language, "sources_intro"))}</p><ul class="sources">{join(items)}</ul>'
        body += self._add_bank_form(self.gateway.addable_sources(record), language, csrf)
        ready = any(p.state is SourceState.AUTHORISED for p in record.sources.values())
        if ready:
            button = f'<button type="submit">{e(text(language, "collect"))}</button>'
            body += form(f"{base}/collect", csrf, {}, Html(f'<div class="actions">{button}</div>'))
        else:
            body += f"<p>{e(text(language, 'collect_wait'))}</p>"
        return self._page(request, cookie, "sources_title", body)

    def _add_bank_form(self, others: list[str], language: str, csrf: str) -> str:
        """Offer the instances the session can take now (``Gateway.addable_sources``)."""
        if not others:
            return ""
        options = join(f'<option value="{e(i)}">{e(self._title(i))}</option>' for i in others)
        body = (
            f'<label for="add-instance">{e(text(language, "choose_bank"))}</label>'
            f'<select id="add-instance" name="instance">{options}</select> '
            f'<button type="submit" class="secondary">{e(text(language, "add_bank_button"))}</button>'  # noqa: E501
        )
        heading = f"<h2>{e(text(language, 'add_bank'))}</h2>"
        return heading + form(f"{self.config.mount_path}/sources/add", csrf, {}, Html(body))

    async def _add_source(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        fields = await self._form(request, cookie)
        await self.gateway.add_source(cookie.session_id, fields.get("instance", ""))
        return self._redirect("/sources")

    async def _login(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        await self._form(request, cookie)
        instance = request.path_params["instance"]
        url = await self.gateway.login_url(cookie.session_id, instance)
        return RedirectResponse(url, status_code=303)

    async def _callback(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        instance = request.path_params["instance"]
        state = request.query_params.get("state", "")
        if instance not in self.gateway.connectors:
            raise HTTPException(404)
        session_id = self.gateway.session_for_state(instance, state)
        if session_id != cookie.session_id:
            raise StateMismatchError(f"{instance}: the callback is for another session")
        # The source's refusal is recorded on the session; the sources page shows it.
        with contextlib.suppress(AuthorizationDeniedError):
            await self.gateway.callback(session_id, instance, str(request.url))
        return self._redirect("/sources")

    def _running(self, session_id: str) -> bool:
        task = self._tasks.get(session_id)
        return task is not None and not task.done()

    async def _collecting(self, record: SessionRecord) -> bool:
        """Whether a collection of the session runs or waits its turn, here or on another
        instance (one asked for, not ended, and not older than ``_PENDING_SECONDS``)."""
        if record.state is SessionState.COLLECTING or self._running(record.id):
            return True
        if record.state is not SessionState.CONSENTED:
            return False
        binding = await off_loop(self._bindings.get, record.id)
        asked = binding.collect_requested if binding is not None else None
        return asked is not None and time.time() - asked < _PENDING_SECONDS

    async def _collect(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        await self._form(request, cookie)
        session_id = cookie.session_id
        # Taken before the first await: of two posts at once (a double click) one starts it.
        # On another instance a second collect is refused by the gateway's claim.
        if self._running(session_id) or session_id in self._starting:
            return self._redirect("/progress")
        self._starting.add(session_id)
        try:
            record = await self._record(session_id)
            # Not if one was asked for on another instance and waits its turn there.
            if record.state is SessionState.CONSENTED and not await self._collecting(record):
                # Noted first, so that every instance shows progress from the next request.
                await off_loop(self._bindings.mark_collection, session_id, time.time())
                # Not tied to this request: closing the tab does not stop the collection.
                task = asyncio.get_running_loop().create_task(self._run_collection(session_id))
                self._tasks[session_id] = task
                task.add_done_callback(lambda done: self._forget_task(session_id, done))
        finally:
            self._starting.discard(session_id)
        return self._redirect("/progress")

    def _forget_task(self, session_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(session_id) is task:
            del self._tasks[session_id]

    async def _run_collection(self, session_id: str) -> None:
        try:
            result = await self.gateway.collect(session_id)
        except BrondataError as exc:
            _log.warning("journey.collect_failed", session=session_id, error=exc.code)
            return
        except Exception as exc:  # a task's failure would otherwise go unseen
            _log.error("journey.collect_failed", session=session_id, error=type(exc).__name__)
            return
        finally:
            # Ended (the session says how); a mark left by a crash lapses by itself.
            try:
                await off_loop(self._bindings.mark_collection, session_id, None)
            except BrondataError as exc:
                _log.warning("journey.mark_failed", session=session_id, error=exc.code)
        if self._webhook_url is not None:
            await self._send_webhook(self._webhook_url, result)

    async def _send_webhook(self, url: str, result: CollectionResult) -> None:
        body = json.dumps(
            {
                "session_id": result.session_id,
                "complete": result.complete,
                "records": {kind: r.compact for kind, r in result.records.items()},
                "errors": {s: err.to_dict() for s, err in result.errors.items()},
            },
            sort_keys=True,
        ).encode()
        # Off the loop: a key store may read its files to find the active key.
        signature = await off_loop(
            lambda: sign_webhook(body, self.gateway.signing_key, jti=uuid.uuid4().hex)
        )
        try:
            async with httpx2.AsyncClient(transport=self._webhook_transport) as client:
                response = await client.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
                )
        except httpx2.HTTPError as exc:
            # The type only: an exception's text may hold the URL (and what is in it).
            _log.warning(
                "journey.webhook_failed", session=result.session_id, error=type(exc).__name__
            )
            return
        if response.status_code >= 300:
            _log.warning(
                "journey.webhook_refused", session=result.session_id, status=response.status_code
            )

    async def _snapshot(self, session_id: str, language: str) -> tuple[dict[str, Any], bool]:
        record = await self._record(session_id)
        states = {
            instance: {
                "state": progress.state.value,
                "label": self._state_label(language, progress.state),
            }
            for instance, progress in record.sources.items()
        }
        return states, not await self._collecting(record)

    async def _progress(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        language = self._language(request, cookie)
        states, done = await self._snapshot(cookie.session_id, language)
        if done:
            return self._redirect("/result")
        base = self.config.mount_path
        items = join(
            f'<li data-source="{e(i)}">{e(self._title(i))}: '
            f'<span class="state state-{e(s["state"])}">{e(s["label"])}</span></li>'
            for i, s in states.items()
        )
        body = (
            f"<p>{e(text(language, 'progress_intro'))}</p>"
            f'<ul id="progress" class="sources" data-events="{e(base)}/events" '
            f'aria-live="polite">{items}</ul>'
            f'<p><a href="{e(base)}/progress">{e(text(language, "refresh"))}</a></p>'
        )
        # Without JavaScript the page reloads itself; with it, progress.js follows the events.
        head = f'<noscript><meta http-equiv="refresh" content="{self.config.refresh_seconds}"></noscript>'  # noqa: E501
        return self._page(request, cookie, "progress_title", body, head=head, script="progress.js")

    async def _events(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        language = self._language(request, cookie)
        session_id = cookie.session_id
        done_url = f"{self.config.mount_path}/result"

        async def stream() -> AsyncIterator[str]:
            last: dict[str, Any] | None = None
            with anyio.move_on_after(_STREAM_SECONDS):
                while True:
                    states, done = await self._snapshot(session_id, language)
                    if states != last:
                        yield f"event: state\ndata: {json.dumps(states)}\n\n"
                        last = states
                    if done:
                        yield f"event: done\ndata: {json.dumps({'url': done_url})}\n\n"
                        return
                    await anyio.sleep(0.25)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _result(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        record = await self._record(cookie.session_id)
        if await self._collecting(record):
            return self._redirect("/progress")
        if record.state in (SessionState.CREATED, SessionState.CONSENTED):
            return self._redirect("/sources")
        language = self._language(request, cookie)
        dutch = language == "nl"
        from brondata.attributes import CATALOGUE

        items = []
        for instance, progress in record.sources.items():
            title = self._title(instance)
            if progress.state is SourceState.COLLECTED:
                names = join(
                    f"<li>{e(CATALOGUE[a].description_nl if dutch else CATALOGUE[a].description_en)}</li>"  # noqa: E501
                    for a in progress.attributes
                )
                items.append(f"<li><h2>{e(title)}</h2><ul>{names}</ul></li>")
            else:
                items.append(
                    f'<li><h2>{e(title)}</h2><p class="error">'
                    f"{e(text(language, 'not_shared'))}: {e(self._state_label(language, progress.state))}</p></li>"  # noqa: E501
                )
        lender = record.request.recipient
        stopped = any(
            p.error is not None and p.error.get("code") == IdentityMismatchError.code
            for p in record.sources.values()
        )
        alert = text(language, "error_identity", lender=self.config.lender_name)
        body = (
            (f'<p class="error" role="alert">{e(alert)}</p>' if stopped else "")
            + f"<p>{e(text(language, 'shared_with', lender=lender))}</p>"
            f'<ul class="sources">{join(items)}</ul>'
            + await self._findings_html(record.id, language)
            # The remedy for a salary the banks consulted do not show: another bank, while
            # the session can take one (its late-source window); added, it is logged in to
            # and collected from the sources page like the others.
            + self._add_bank_form(
                self.gateway.addable_sources(record), language, self._signer.csrf(cookie)
            )
            + f'<div class="actions"><a class="button" href="{e(self.config.mount_path)}/done">'
            f"{e(text(language, 'return', lender=self.config.lender_name))}</a>"
            f'<a href="{e(self.config.mount_path)}/consents">{e(text(language, "my_consents"))}</a></div>'  # noqa: E501
        )
        return self._page(request, cookie, "result_title", body)

    async def _dossier(self, session_id: str) -> DossierReport | None:
        """The dossier report from ``findings=``; ``None`` without one, or when the check
        failed (logged: the result page is still shown)."""
        findings = self._findings
        if findings is None:
            return None
        try:
            if inspect.iscoroutinefunction(findings):
                value = await findings(session_id)
            else:  # a blocking call (it reads the store): in a worker thread
                value = await off_loop(findings, session_id)
            if inspect.isawaitable(value):
                value = await value
        except BrondataError as exc:
            _log.warning("journey.findings_failed", session=session_id, error=exc.code)
            return None
        report: DossierReport = value
        return report

    async def _findings_html(self, session_id: str, language: str) -> str:
        # Without a report no section: "nothing is missing" would claim a check never run.
        report = await self._dossier(session_id)
        if report is None:
            return ""
        heading = f"<h2>{e(text(language, 'findings'))}</h2>"
        if not report.findings:
            return f"{heading}<p>{e(text(language, 'no_findings'))}</p>"
        dutch = language == "nl"
        rows = join(
            f"<li><strong>{e(f.message.nl if dutch else f.message.en)}</strong> "
            f"{e(f.remedy.nl if dutch else f.remedy.en)}</li>"
            for f in report.findings
        )
        return f"{heading}<ul>{rows}</ul>"

    async def _done(self, request: Request) -> Response:
        cookie, _ = await self._bound(request)
        url = self.config.return_url.replace("{session_id}", cookie.session_id)
        return RedirectResponse(url, status_code=303)

    async def _consents(self, request: Request) -> Response:
        cookie, binding = await self._bound(request)
        language = self._language(request, cookie)
        csrf = self._signer.csrf(cookie)
        pseudonym = self.gateway.pseudonym(binding.subject)
        items = []
        base = self.config.mount_path
        for record in await self._of_subject(pseudonym):
            row = (
                f"<li><h2>{e(record.request.purpose.text)}</h2>"
                f"<p>{e(record.request.recipient)} · {e(text(language, 'consent_state'))}: "
                f"{e(record.state.value)}</p>"
            )
            if record.state not in _FINAL:
                until = record.consent_expires_at.strftime("%Y-%m-%d %H:%M UTC")
                row += f"<p>{e(text(language, 'valid_until', until=until))}</p>"
                button = f'<button type="submit">{e(text(language, "withdraw"))}</button>'
                if record.state in _RENEWABLE:
                    button += (
                        f'<a class="button secondary" href="{e(base)}/consents/renew/'
                        f'{e(record.id)}">{e(text(language, "renew"))}</a>'
                    )
                row += form(
                    f"{base}/consents/withdraw",
                    csrf,
                    {"session": record.id},
                    Html(f'<div class="actions">{button}</div>'),
                )
            elif record.state is SessionState.WITHDRAWN:
                row += f"<p>{e(text(language, 'withdrawn'))}</p>"
            items.append(row + "</li>")
        body = (
            f"<p>{e(text(language, 'consents_intro', lender=self.config.lender_name))}</p>"
            f'<ul class="sources">{join(items)}</ul>'
            f'<p><a href="{e(base)}/consents/report">{e(text(language, "report"))}</a></p>'
        )
        return self._page(request, cookie, "my_consents", body)

    async def _withdraw(self, request: Request) -> Response:
        cookie, binding = await self._bound(request)
        fields = await self._form(request, cookie)
        target = fields.get("session", "")
        record = await self._own(binding, target)
        if record.state not in _FINAL:
            await self.gateway.withdraw(target)
        return self._redirect("/consents")

    async def _renew(self, request: Request) -> Response:
        """Renew a consent before it ends: the notice it was given on, and one button."""
        cookie, binding = await self._bound(request)
        target = request.path_params["session"]
        record = await self._own(binding, target)
        if request.method == "POST":
            fields = await self._form(request, cookie)
            # The gateway refuses a consent that ended meanwhile, or a notice that changed.
            await self.gateway.renew(target, notice_hash=fields.get("notice", ""))
            return self._redirect("/consents")
        if record.state not in _RENEWABLE:
            return self._redirect("/consents")
        language = self._language(request, cookie)
        view = await off_loop(self.gateway.consent_view, target)
        until = record.consent_expires_at.strftime("%Y-%m-%d %H:%M UTC")
        button = Html(
            f'<div class="actions"><button type="submit">{e(text(language, "renew"))}</button>'
            f'<a class="button secondary" href="{e(self.config.mount_path)}/consents">'
            f"{e(text(language, 'cancel'))}</a></div>"
        )
        body = (
            f"<p>{e(text(language, 'renew_intro', until=until))}</p>"
            + _notice_html(view, language)
            + form(
                f"{self.config.mount_path}/consents/renew/{target}",
                self._signer.csrf(cookie),
                {"notice": view.notice_hash},
                button,
            )
        )
        return self._page(request, cookie, "renew_title", body)

    async def _report(self, request: Request) -> Response:
        cookie, binding = await self._bound(request)
        report = await off_loop(self.gateway.subject_report, binding.subject)
        body = f"<pre>{e(report.to_text())}</pre>"
        return self._page(request, cookie, "report_title", body)

    async def _theme(self, request: Request) -> Response:
        css = f":root {{ --primary: {self.config.primary}; --primary-text: {self.config.primary_text}; }}\n"  # noqa: E501
        return Response(css, media_type="text/css", headers={"Cache-Control": "no-cache"})

    # --- errors -----------------------------------------------------------------------------

    async def _error(self, request: Request, exc: Exception) -> Response:
        """A page in the consumer's language; the code for support, never a trace."""
        cookie = self._read_cookie(request)
        language = self._language(request, cookie)
        key, status = _error_page(exc)
        if key == "error_other":
            _log.error("journey.unexpected", error=type(exc).__name__)
        code = exc.code if isinstance(exc, BrondataError) else f"http_{status}"
        lender = self.config.lender_name
        body = f"<p>{e(text(language, key, lender=lender))}</p><p><small>{e(code)}</small></p>"
        if cookie is not None and key not in ("error_link", "error_not_found"):
            body += (
                f'<p><a href="{e(self.config.mount_path)}/sources">'
                f"{e(text(language, 'continue'))}</a></p>"
            )
        page = layout(
            self.config, language, text(language, "error_title"), body, path=request.url.path
        )
        return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


class _Contained:
    """Any other exception becomes the journey's error page, logged by its type only.

    Inside Starlette's ``ServerErrorMiddleware``, which would send its own page and then
    re-raise, so that the server logs the exception's text (it may hold a value) and trace.
    """

    def __init__(
        self, app: ASGIApp, error_page: Callable[[Request, Exception], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:  # a response under way (a stream) cannot become a page any more
                _log.error("journey.unexpected", error=type(exc).__name__)
                return
            response = await self.error_page(Request(scope, receive), exc)
            await response(scope, receive, send)


def _kind_title(kind: str, language: str) -> str:
    """A source kind's name on the notice; the decisions are the gateway's, no source's."""
    return text(language, "decision_source") if kind == DECISION_SOURCE else source_kind(kind).title


def _notice_html(view: ConsentView, language: str) -> Html:
    """The consent notice as the consent and the renewal pages show it."""
    dutch = language == "nl"
    rows = join(
        f"<li><strong>{e(_kind_title(kind, language))}</strong>"
        + (
            "<ul>"
            + join(f"<li>{e(nl if dutch else en)}</li>" for _, en, nl in attributes)
            + "</ul>"
            if attributes
            else f"<p>{e(text(language, 'read_only'))}</p>"
        )
        + "</li>"
        for kind, attributes in view.sources.items()
    )
    # The application's facts, the decisions with their rule versions, the checks: a line
    # each, an indented line an item under the one before.
    dossier: list[tuple[str, list[str]]] = []
    for line in view.dossier_lines.get(language, []):
        if line.startswith("  - ") and dossier:
            dossier[-1][1].append(line.removeprefix("  - "))
        else:
            dossier.append((line, []))
    facts = join(
        f"<p>{e(line)}</p>"
        + (f"<ul>{join(f'<li>{e(i)}</li>' for i in items)}</ul>" if items else "")
        for line, items in dossier
    )
    kept = text(language, "kept", days=view.retention_days, where=view.storage_location)
    who = text(language, "controller", controller=view.controller, basis=view.legal_basis)
    return join(
        [
            f"<p>{e(text(language, 'asks', lender=view.recipient))}</p>",
            f"<h2>{e(text(language, 'why'))}</h2><p>{e(view.purpose_text)}</p>",
            f"<h2>{e(text(language, 'what_from'))}</h2><ul>{rows}</ul>{facts}",
            f"<h2>{e(text(language, 'how_long'))}</h2><p>{e(kept)}</p>",
            f"<h2>{e(text(language, 'who'))}</h2><p>{e(who)}</p>",
            f"<p>{e(text(language, 'withdraw_note'))}</p>",
        ]
    )


def _error_page(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, HTTPException):
        return ("error_not_found", 404) if exc.status_code == 404 else ("error_other", 400)
    if isinstance(exc, JourneyLinkError):
        return "error_link", 403
    if isinstance(exc, CsrfError):
        return "error_csrf", 403
    if isinstance(exc, IdentityMismatchError):
        return "error_identity", 409
    if isinstance(exc, StateMismatchError):
        return "error_callback", 403
    if isinstance(exc, AuthorizationError):
        return "error_denied", 400
    if isinstance(exc, SessionError):
        return "error_state", 409
    return "error_other", 500


_SECURITY_HEADERS = {
    # No inline script or style anywhere; forms may post only here, and a hand-off's 303 to
    # a source is a navigation, which form-action would block in Chromium, so it is unset.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
