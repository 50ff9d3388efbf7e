"""The ``Gateway``: one consent session from request to signed records, with its evidence.

    app                        Gateway                                     source
     | start(request, subject,  -> session; ledger: consent.requested
     |       sources=[...])        (the consumer's choice of instances: two banks)
     | consent_view(id)         -> what is asked, why, from which kinds, for how long
     | give_consent(id)         -> ledger: consent.given          (deny_consent: consent.denied)
     | add_source(id, instance) -> another instance of a kind asked (a second bank)
     | login_url(id, instance)  -> authorization URL (PKCE S256, state)   --> consumer logs in
     | callback(id, instance, u)-> state/iss checked, code exchanged; ledger: login.completed
     | collect(id)              -> instances fetched concurrently (data.retrieved each); per
     |                             kind: map all its instances as one, minimise, sign,
     |                             data.delivered                         (or data.failed)
     | <- CollectionResult(records per kind, errors per instance)

Connectors are configured per source *instance*, by id: ``<kind>`` for a kind's only
instance, ``<kind>.<name>`` for one of several (``bank.mockbank``, ``bank.noordbank``); the
kind comes from the registry (``brondata.sources``). The consent names kinds, never
instances, so adding a bank does not change what the consumer agreed to.

The gateway is a driver around the pure core (``brondata.flow``): every call loads the
session, does the I/O its step needs (a connector's login, fetch or revocation; signing),
calls the step, a function of (session, input, now) returning the new session and the ledger
events to append, and commits those. A step the core refuses changes nothing.

How a step commits (the session change with its ledger events), and what holds if it is cut
short, is ``brondata._commit``'s: every consent step is idempotent, and called again after it
succeeded returns the session as it is and appends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel

from brondata import _partner as partners
from brondata import flow
from brondata._clock import Clock, SystemClock
from brondata._collector import Collector
from brondata._commit import Committer
from brondata._embedded import check_urls, embedded
from brondata._inputs import require_text
from brondata._logging import get_logger
from brondata._secrets import GatewaySecrets
from brondata._session_store import PartnerLink, SecretBox, SessionRecord, SessionStore
from brondata.connectors._base import (
    SourceConnector,
)
from brondata.consent import (
    ConsentLedger,
    ConsentLog,
    ConsentRecord,
    Controller,
    MemorySubjectKeyring,
    SubjectKeyring,
    SubjectReport,
    consent_record_from_ledger,
    kantara_receipt,
    subject_report,
)
from brondata.dossier import DossierReport
from brondata.dossier import _run as dossier_run
from brondata.errors import (
    AuthorizationDeniedError,
    BrondataError,
    ConcurrentUpdateError,
    ConfigurationError,
    LoginNotRecordedError,
    RequestError,
    SessionError,
    SessionNotFoundError,
    SessionStateError,
    SourceKindError,
    StateMismatchError,
    StoreError,
    UnknownSourceError,
)
from brondata.flow import ConsentView, NoticeSettings
from brondata.flow._codec import (
    bind_state,
    callback_digest,
    session_of_state,
    state_matches,
)
from brondata.flow._codec import holder_jwk as _holder
from brondata.flow._result import Admission, CollectionResult, result_of
from brondata.records import KeySet, KeyStore, SigningKey
from brondata.request import DataRequest
from brondata.session import SessionState
from brondata.sources import get as source_kind
from brondata.sources import kind_of
from brondata.sources._kind import valid_instance_id
from brondata.stores import off_loop

__all__ = ["Admission", "CollectionResult", "ConsentView", "Gateway"]

#: Collections running at once unless the gateway is told otherwise (``max_collections``).
DEFAULT_MAX_COLLECTIONS = 64

_log = get_logger("brondata.gateway")

#: How often a callback waits to see the outcome of the same callback handled elsewhere.
_POLL = 0.05


class Gateway:
    """Consent sessions over a set of source connectors, a ledger and a session store.

    A gateway built directly owns nothing: the caller closes its stores and connectors. One
    from ``Gateway.embedded`` owns its stores and the connectors handed to it, and ``aclose``
    (or ``async with``) closes them.

    After a collection, a source can be added (``add_source``: a second bank) for
    ``late_source_window`` (default: ``consent_ttl``, the login window); the raw answers kept
    to merge it with are dropped when that window closes (``expire_due``).

    At most ``max_collections`` collections run at once; the others wait their turn in the
    order they came (``admission`` says how many run and wait). A source's
    ``source_timeout`` starts with its fetch, after admission, and counts the source's own
    time: for a connector that measures it (``measures_source_time``, as every
    ``OAuthSourceConnector`` does) only the time its requests are in flight, not the
    gateway's work in between; for any other connector, the wall time of its fetch.
    """

    def __init__(
        self,
        *,
        issuer: str,
        connectors: Mapping[str, SourceConnector],
        redirect_uri: str,
        ledger: ConsentLedger,
        sessions: SessionStore,
        signing_key: SigningKey | KeyStore,
        store_key: bytes,
        pseudonym_key: bytes,
        clock: Clock | None = None,
        consent_ttl: timedelta = timedelta(hours=1),
        late_source_window: timedelta | None = None,
        source_timeout: float | Mapping[str, float] = 30.0,
        max_collections: int = DEFAULT_MAX_COLLECTIONS,
        keyring: SubjectKeyring | None = None,
        controller: Controller | None = None,
        storage_location: str = "EU",
        notice_language: str = "en",
        withdrawal_method: str | None = None,
        owned: Sequence[Any] = (),
    ) -> None:
        check_urls(issuer, redirect_uri)
        if not isinstance(pseudonym_key, bytes) or len(pseudonym_key) < 32:
            raise ConfigurationError("the pseudonym key must be at least 32 bytes")
        if max_collections < 1:
            raise ConfigurationError("max_collections must be at least 1")
        late_source_window = consent_ttl if late_source_window is None else late_source_window
        if not isinstance(late_source_window, timedelta) or late_source_window < timedelta(0):
            raise ConfigurationError("late_source_window must be a timedelta of 0 or more")
        self.issuer = issuer
        self.connectors = dict(connectors)
        #: Per source kind, the ids of its configured instances, in configuration order.
        self.instances: dict[str, list[str]] = {}
        for instance in self.connectors:
            if not valid_instance_id(instance):
                raise UnknownSourceError(instance, [], what="source instance id (kind[.name])")
            self.instances.setdefault(source_kind(instance).name, []).append(instance)
        for kind, ids in self.instances.items():
            if len(ids) > 1 and source_kind(kind).combine is None:
                raise SourceKindError(
                    f"source kind {kind!r} cannot combine several instances ({', '.join(ids)})"
                )
        self.ledger = ledger
        #: The ledger with subjects sealed under per-subject keys (erasable, art. 17). Many
        #: instances sharing a ledger must share the keyring too (SQLite file, PostgreSQL).
        self.log = ConsentLog(ledger, keyring if keyring is not None else MemorySubjectKeyring())
        self.sessions = sessions
        self.controller = controller or Controller(name=urlsplit(issuer).hostname or issuer)
        self._notice = NoticeSettings(
            controller=self.controller.name,
            controller_contact=self.controller.contact or issuer,
            storage_location=storage_location,
            notice_language=notice_language,
            withdrawal_method=withdrawal_method or f"{issuer.rstrip('/')}/consent/withdraw",
        )
        # A key store rotates and keeps retired public keys in the JWKS; a single key is fixed.
        self._keys: KeyStore | None = signing_key if isinstance(signing_key, KeyStore) else None
        self._fixed_key = signing_key if isinstance(signing_key, SigningKey) else None
        self._redirect_uri = redirect_uri
        self._box = SecretBox(store_key)
        self._secrets = GatewaySecrets(store_key=store_key, pseudonym_key=pseudonym_key)
        # Its own key for the MAC in an OAuth ``state``, derived so that it says nothing
        # about the store key.
        self._state_key = hmac.new(store_key, b"brondata oauth state v1", hashlib.sha256).digest()
        self._clock = clock or SystemClock()
        self._consent_ttl = consent_ttl
        # One figure for all, or per instance or kind ({"bank": 20.0, "tax": 5.0}); unnamed
        # ones get 30 s.
        self._timeouts: dict[str, float] = (
            dict.fromkeys(self.connectors, float(source_timeout))
            if isinstance(source_timeout, int | float)
            else {
                s: float(source_timeout.get(s, source_timeout.get(kind_of(s), 30.0)))
                for s in self.connectors
            }
        )
        self._owned = list(owned)
        # What else ``erase_subject`` erases (``on_erase``): each returns how much it removed.
        self._erasers: list[Callable[[str], Awaitable[int]]] = []
        # Loads sessions and commits steps; its store calls run in worker threads.
        self._steps = Committer(sessions, self.log, self._clock)
        # The collection's I/O (fetch, map, sign, revoke), step by step.
        self._collector = Collector(
            steps=self._steps,
            box=self._box,
            connectors=self.connectors,
            clock=self._clock,
            timeouts=self._timeouts,
            issuer=issuer,
            signing_key=lambda: self.signing_key,
            keyring=self.log.keyring,
            late_source_window=late_source_window,
        )
        # anyio's semaphore queues its waiters first come, first served (a deque), and with
        # fast_acquire off a newcomer never overtakes one already waiting.
        self._max_collections = max_collections
        self._admission = anyio.Semaphore(max_collections)

    @classmethod
    def embedded(
        cls,
        connectors: Mapping[str, SourceConnector],
        *,
        path: str | Path = ":memory:",
        keys: str | Path | None = None,
        issuer: str = "https://lender.example",
        redirect_uri: str = "https://lender.example/callback/{source}",
        signing_key: SigningKey | KeyStore | None = None,
        clock: Clock | None = None,
        source_timeout: float | Mapping[str, float] = 30.0,
        max_collections: int = DEFAULT_MAX_COLLECTIONS,
        controller: Controller | None = None,
        late_source_window: timedelta | None = None,
    ) -> Gateway:
        """A gateway on the embedded defaults: one SQLite file for ledger and sessions.

        Keys live in the directory ``keys`` (default: ``<path>.keys`` beside the database):
        ``secrets.json`` (store and pseudonym keys, 0600) and ``signing/`` (a
        ``FileKeyStore``, ES256), created on first use and reused after, so that a restarted
        application opens its sessions and keeps its pseudonyms. An in-memory database gets
        in-memory keys.
        """
        parts = embedded(
            path=path,
            keys=keys,
            issuer=issuer,
            redirect_uri=redirect_uri,
            signing_key=signing_key,
            clock=clock,
        )
        return cls(
            issuer=issuer,
            connectors=connectors,
            redirect_uri=redirect_uri,
            ledger=parts.stores.ledger,
            sessions=parts.stores.sessions,
            signing_key=parts.signing_key,
            store_key=parts.secrets.store_key,
            pseudonym_key=parts.secrets.pseudonym_key,
            clock=clock,
            source_timeout=source_timeout,
            max_collections=max_collections,
            keyring=parts.stores.keyring,
            controller=controller,
            late_source_window=late_source_window,
            owned=[parts.stores, *connectors.values()],
        )

    async def aclose(self) -> None:
        """Close what the gateway owns; every resource is closed even if one fails."""
        failures: list[BaseException] = []
        owned, self._owned = self._owned, []
        for resource in reversed(owned):
            try:
                closer = getattr(resource, "aclose", None)
                if closer is not None:
                    await closer()
                else:
                    resource.close()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise StoreError(f"closing the gateway failed: {failures[0]}") from failures[0]

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def signing_key(self) -> SigningKey:
        """The key that signs records now.

        From a key store this may read its files (a ``FileKeyStore`` checks them for a
        rotation): called from async code, run it off the event loop (``to_thread``), as
        the gateway does where it signs."""
        if self._keys is not None:
            return self._keys.active()
        assert self._fixed_key is not None  # one of the two is always set
        return self._fixed_key

    def jwks(self) -> KeySet:
        """The public keys a recipient needs: the active one and retired ones still kept.

        Reads the key store, like ``signing_key``: from async code, off the event loop."""
        if self._keys is not None:
            return self._keys.jwks(self._clock.now())
        return KeySet([self.signing_key.public_jwk()])

    @property
    def admission(self) -> Admission:
        """The collections running now and those waiting to start."""
        waiting = self._admission.statistics().tasks_waiting
        running = self._max_collections - self._admission.value
        return Admission(limit=self._max_collections, running=running, waiting=waiting)

    def redirect_uri(self, source: str) -> str:
        return self._redirect_uri.format(source=source)

    def pseudonym(self, subject: str) -> str:
        """The keyed pseudonym of a subject reference: stable per gateway key, not reversible."""
        require_text(subject, "subject", RequestError, max_length=1000)
        return self._secrets.pseudonym(subject)

    def _load_now(self, session_id: str) -> SessionRecord:
        """``_load`` on the caller's thread, for the synchronous read methods."""
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        return self.sessions.get(session_id)

    # --- the flow ---------------------------------------------------------------------------

    async def start(
        self,
        request: DataRequest,
        subject: str,
        *,
        sources: Sequence[str] | None = None,
        holder_jwk: Mapping[str, Any] | None = None,
    ) -> SessionRecord:
        """Open a session for ``subject`` (the application's own reference for the consumer).

        ``sources`` is the consumer's (or the application's) choice of instances: ids
        (``bank.noordbank``) or kinds (``bank``: all its configured instances). A kind the
        request needs and ``sources`` does not name uses its first configured instance; more
        can be added before collection with ``add_source``.

        With ``holder_jwk`` (the holder's public JWK, EC P-256 or Ed25519) every record of the
        session carries it as ``cnf.jwk``: only that key's holder can present it key-bound.
        """
        if not isinstance(request, DataRequest):
            raise RequestError("request must be a DataRequest")
        if request.feeds is not None:
            raise RequestError("a fiscal partner's session is started with start_partner")
        require_text(subject, "subject", RequestError, max_length=1000)
        holder = _holder(holder_jwk) if holder_jwk is not None else None
        needed = request.sources(tuple(self.connectors))  # NoSourceError before any login
        chosen = flow.choose_instances(needed, sources, self.instances)
        plan = {instance: needed[kind_of(instance)] for instance in chosen}
        step = flow.start(
            session_id=str(uuid.uuid4()),
            consent_id=str(uuid.uuid4()),
            subject=self.pseudonym(subject),
            request=request,
            plan=plan,
            holder_jwk=holder,
            now=self._clock.now(),
            consent_ttl=self._consent_ttl,
            settings=self._notice,
        )
        record = await self._steps.create(step)
        _log.info("session.started", session=record.id, sources=list(plan))
        return record

    async def start_partner(
        self,
        session_id: str,
        subject: str,
        *,
        attributes: Sequence[str] = (),
        sources: Sequence[str] | None = None,
    ) -> SessionRecord:
        """Open the own session of the fiscal partner the collected data of ``session_id``
        name, for ``subject`` (the application's reference for the partner), when its
        request needs the partner's data (a decision counting both incomes, a preset whose
        checks require them). The application sends the partner through it like any
        session: their own notice (what of theirs is read, for whose application, for which
        lender), consent, logins and withdrawal. ``attributes``: what the partner's session
        releases itself (none by default: their data feed the applicant's decisions only).

        Once collected, the applicant's checks run again and their decisions are computed
        with the partner's income (``brondata._partner``); only the fiscal partner the
        applicant's data name can join (``PartnerMismatchError`` for anyone else, and
        nothing of theirs is used). Called again (a retry, another instance), it returns
        the same partner's session. ``NoFiscalPartnerError`` when the data name no partner
        or the request needs none; ``RequestError`` for the applicant's own ``subject``;
        ``PartnerSessionEndedError`` once the partner's session has ended (withdrawn,
        denied, erased, its consent's term over): the couple starts a new application
        session."""
        require_text(subject, "subject", RequestError, max_length=1000)
        applicant = await self._steps.current(session_id)
        if self.pseudonym(subject) == applicant.subject:
            raise RequestError(
                "the fiscal partner's session is opened under the partner's own subject, "
                "not the applicant's"
            )
        if applicant.partner is not None:
            return await self._standing_partner(applicant, applicant.partner.session_id)
        flow.check_result(applicant)
        request = partners.partner_request(applicant.request, attributes)
        expected = partners.expected_identity(applicant, self._box)
        needed = request.sources(tuple(self.connectors))
        chosen = flow.choose_instances(needed, sources, self.instances)
        partner_id, consent_id = partners.session_ids(self._secrets.store_key, applicant.id)
        step = flow.start(
            session_id=partner_id,
            consent_id=consent_id,
            subject=self.pseudonym(subject),
            request=request,
            plan={instance: needed[kind_of(instance)] for instance in chosen},
            holder_jwk=None,
            now=self._clock.now(),
            consent_ttl=self._consent_ttl,
            settings=self._notice,
        )
        joins = PartnerLink(
            session_id=applicant.id, expected=self._box.seal(expected, f"{partner_id}/joins")
        )
        try:
            record = await self._steps.create(
                flow.Step(step.record.model_copy(update={"joins": joins}), step.events)
            )
        except StoreError as exc:
            # Made already by a call cut short before it linked it: linked now.
            try:
                record = await self._steps.current(partner_id)
            except SessionNotFoundError:
                raise exc from None
        applicant = await self._steps.update(
            applicant.id, lambda r: partners.link(r, partner_id, self._clock.now())
        )
        _log.info("session.started", session=record.id, joins=applicant.id)
        return await self._standing_partner(applicant, partner_id)

    async def _standing_partner(self, applicant: SessionRecord, partner_id: str) -> SessionRecord:
        """The partner's session of ``applicant``, unless it has ended (``partners.standing``)."""
        try:
            partner: SessionRecord | None = await self._steps.current(partner_id)
        except SessionNotFoundError:
            partner = None  # erased
        return partners.standing(applicant, partner, self._clock.now())

    async def add_source(self, session_id: str, instance: str) -> SessionRecord:
        """Add an instance of a kind the session already uses (a second bank), before the
        collection or after it (the next ``collect`` merges it into the kind's record). The
        consent stays as given: it names kinds, not instances.

        After the collection, only within the gateway's ``late_source_window`` from its end:
        then ``SessionStateError``, and nothing changes. A source added in time is merged
        only if it is collected before ``expire_due`` drops the answers kept for it, once the
        window closed; after that it fails by itself and the kind's record stands."""
        return await self._steps.update(
            session_id,
            lambda record: flow.add_source(
                record, instance, self._clock.now(), configured=self.connectors
            ),
        )

    def addable_sources(self, record: SessionRecord) -> list[str]:
        """The instances ``add_source`` would take now for the session ``record`` (read by
        the caller): what a journey offers as "another bank of yours", nothing it would
        refuse (a kind the request does not ask, or after the late-source window)."""
        return flow.addable_sources(record, self._clock.now(), configured=self.connectors)

    def session(self, session_id: str) -> SessionRecord:
        return self._load_now(session_id)

    def consent_view(self, session_id: str) -> ConsentView:
        record = self._load_now(session_id)
        return flow.consent_view(record, flow.terms_of(record, self._notice))

    async def give_consent(
        self, session_id: str, *, notice_hash: str | None = None
    ) -> SessionRecord:
        """The consumer agrees to exactly what ``consent_view`` showed.

        Pass the ``notice_hash`` the consumer saw to bind the consent to that text: a
        request changed in between is refused rather than consented. Called again once the
        consent is given (a double submit, another instance), it returns the session as it
        is and appends nothing.
        """
        return await self._steps.update(
            session_id,
            lambda record: flow.give_consent(
                record, self._clock.now(), settings=self._notice, notice_hash=notice_hash
            ),
        )

    async def deny_consent(self, session_id: str) -> SessionRecord:
        """The consumer says no; called again, it returns the denied session unchanged."""
        return await self._steps.update(
            session_id, lambda record: flow.deny_consent(record, self._clock.now())
        )

    async def login_url(self, session_id: str, source: str) -> str:
        """Where to send the consumer to log in at ``source`` (an instance id, or a kind the
        session uses one instance of). A login can be started again: after a refusal, or
        when the grant died at the source; the new grant replaces the old one."""

        async def once() -> str:
            record = await self._steps.current(session_id)
            instance = flow.check_login(record, source, self._clock.now())
            progress = record.sources[instance]
            start = await self.connectors[instance].begin_login(
                attributes=dossier_run.fetched(record.request, instance, progress.attributes),
                redirect_uri=self.redirect_uri(instance),
                valid_until=record.consent_expires_at.date() + timedelta(days=1),
            )
            authorization_url, pending = bind_state(self._state_key, record.id, instance, start)
            sealed = self._box.seal(pending, f"{record.id}/{instance}/pending")
            step = flow.login_started(record, instance, sealed, self._clock.now())
            await self._steps.store.replace(step.record)
            # A grant this login replaces is given up (it may still be alive).
            await self._collector.revoke(record, instance)
            return authorization_url

        return await self._steps.retrying(once)

    def session_for_state(self, source: str, state: str) -> str:
        """The session a callback from ``source`` belongs to, read from its ``state``.

        ``StateMismatchError`` if the ``state`` was not made by this gateway for a login at
        ``source`` (forged, truncated, another source's). The full ``state`` is still checked
        against the session's own by ``callback``."""
        return session_of_state(self._state_key, source, state)

    async def callback(self, session_id: str, source: str, callback_url: str) -> SessionRecord:
        """The consumer is back from ``source``: check the redirect and exchange the code.

        A callback that is not ours (wrong ``state`` or ``iss``) and a refused code leave the
        session as it was, so the real consumer can still finish or start the login again.
        A refusal by the consumer or the source fails that source, and the ledger says so.

        The same callback URL handled twice (a double submit, a retried request, two
        instances at once) exchanges its code once: the call that claims it in the session
        store exchanges, the others wait for its outcome and return (or raise) the same.
        """
        require_text(callback_url, "callback_url", StateMismatchError, max_length=8192)
        deadline: float | None = None
        while True:
            record = await self._steps.current(session_id)
            instance = flow.instance_of(record, source)
            digest = callback_digest(self._secrets.store_key, record.id, instance, callback_url)
            seen = flow.callback_seen(record, instance, digest)
            if seen == "authorised":
                return record
            if seen == "refused":
                raise flow.refusal(record, instance)
            # The session can take no callback (withdrawn, expired, moved on): said at once,
            # also while a claim made before is still being handled.
            flow.check_callback(record, instance, self._clock.now())
            if seen == "in_flight":
                # Being exchanged by another call: wait for its outcome, as long as an
                # exchange may take.
                now = anyio.current_time()
                deadline = deadline or now + self._timeouts[instance] + 1
                if now > deadline:
                    raise SessionStateError(
                        f"the callback of {instance} is still being handled by another call"
                    )
                await anyio.sleep(_POLL)
                continue
            sealed = record.sources[instance].sealed
            if sealed is None:  # LOGIN_STARTED always carries its secrets
                raise SessionStateError(f"{instance}: no login was started")
            pending = self._box.open(sealed, f"{record.id}/{instance}/pending")
            if not state_matches(callback_url, pending):
                # Not this login's callback: the connector says why; nothing is claimed.
                await self.connectors[instance].complete_login(
                    callback_url=callback_url,
                    pending=pending,
                    redirect_uri=self.redirect_uri(instance),
                )
                raise StateMismatchError(f"{instance}: the callback is not this login's")
            try:
                claimed = await self._steps.store.replace(
                    flow.claim_callback(record, instance, digest).record
                )
            except ConcurrentUpdateError:
                continue
            return await self._exchange(claimed, instance, callback_url, pending, digest)

    async def _exchange(
        self,
        record: SessionRecord,
        source: str,
        callback_url: str,
        pending: dict[str, Any],
        digest: str,
    ) -> SessionRecord:
        """Exchange the claimed callback's code; commit the grant or the refusal.

        The commit is retried on a benign concurrent write. A grant the session can no
        longer take (withdrawn, expired, another login started meanwhile) or could not keep
        (the store failed, the call was cancelled) is revoked, and the claim ends: a grant
        not kept is recorded as a failed login (``LoginNotRecordedError``), so the same
        callback again is answered without its code being exchanged twice."""
        try:
            grant = await self.connectors[source].complete_login(
                callback_url=callback_url, pending=pending, redirect_uri=self.redirect_uri(source)
            )
        except AuthorizationDeniedError as exc:
            error = exc
            await self._steps.update(
                record.id,
                lambda current: flow.login_refused(
                    current, source, error, self._clock.now(), callback=digest
                ),
                known=record,
            )
            raise
        except BaseException:
            # Not exchanged (a bad code, the source unreachable, cancelled): the claim is
            # released so that the real consumer can still finish or start again.
            with anyio.CancelScope(shield=True):
                await self._release_callback(record.id, source)
            raise
        sealed = self._box.seal(grant, f"{record.id}/{source}/grant")
        try:
            completed = await self._steps.update(
                record.id,
                lambda current: flow.login_completed(
                    current, source, sealed, self._clock.now(), callback=digest
                ),
                known=record,
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._grant_not_kept(record.id, source, digest, sealed, grant)
            raise
        _log.info("source.authorised", session=record.id, source=source)
        return completed

    async def _grant_not_kept(
        self, session_id: str, source: str, digest: str, sealed: str, grant: dict[str, Any]
    ) -> None:
        """After the commit of an exchanged grant failed: unless the session holds it after
        all (written, its events pending), revoke it, and end the claim with the failure."""
        try:
            current: SessionRecord | None = await self._steps.store.get(session_id)
        except BrondataError:
            current = None  # unknown: given up rather than left alive unrecorded
        progress = current.sources.get(source) if current is not None else None
        if progress is not None and progress.sealed == sealed:
            return
        await self._collector.revoke_grant(session_id, source, grant)
        lost = LoginNotRecordedError(f"{source}: the login could not be recorded; log in again")
        with suppress(BrondataError):
            await self._steps.update(
                session_id,
                lambda r: flow.login_refused(r, source, lost, self._clock.now(), callback=digest),
            )

    async def _release_callback(self, session_id: str, source: str) -> None:
        with suppress(ConcurrentUpdateError):
            await self._steps.update(session_id, lambda r: flow.release_callback(r, source))

    async def collect(self, session_id: str) -> CollectionResult:
        """Fetch every authorised source at once, and deliver one signed record per kind.

        Sources fail one by one: a timeout, a 5xx or malformed data at one source becomes a
        typed error for that source (and a ``data.failed`` entry) while the others deliver.
        The session is claimed (``collecting``, under a lease this collector renews) before
        any source is called, so a second collect, here or on another instance, is refused
        while the first runs; a withdrawal during the collection stops every delivery not
        yet made.

        Each step is committed as it is done: a source's answer with its ``data.retrieved``
        (sealed in the session), a kind's signed record with its ``data.delivered``. A
        collect cut short (cancelled; the process killed) is resumed by the next call, on
        any instance, once its lease is free (at once after a cancellation, within seconds
        after a crash): nothing retrieved is fetched again, nothing delivered is signed
        again. Called after the collection finished, it returns the same result
        (``result``) and appends nothing.

        When ``max_collections`` run already, the call waits its turn (first come, first
        served) before anything happens; no source's time runs meanwhile.
        """
        claimed: list[SessionRecord] = []

        def claim(record: SessionRecord, me: str, now: datetime, *, lease: timedelta) -> flow.Step:
            claimed.append(record)  # read anyway: whether the session is a partner's
            return flow.claim_collection(record, me, now, lease=lease)

        async with self._admission:
            result = await self._collector.collect(session_id, claim=claim)
            joins = claimed[-1].joins if claimed else None
            if joins is not None:
                await self._partner_collected(joins.session_id, session_id)
            return result

    async def _partner_collected(self, session_id: str, partner_id: str) -> None:
        """After a partner's session is collected (or again, for a call cut short): the
        session it joins redoes its checks and decisions over the partner's data, once."""
        try:
            partner = await self._steps.current(partner_id)
            applicant = await self._steps.current(session_id)
        except SessionNotFoundError:
            return  # erased meanwhile
        if applicant.state not in (SessionState.COLLECTED, SessionState.COLLECTING):
            return  # its own next collection reads the partner's data
        now = self._clock.now()
        covered = partners.covered(partners.parts(applicant, partner, self._box, now))
        claim = partial(partners.claim_refresh, covered=covered)
        try:
            await self._collector.collect(applicant.id, claim=claim)
        except SessionStateError:
            # Being collected elsewhere right now, or ended: that collection reads the
            # partner's data itself, or nothing is covered any more.
            _log.info("session.partner_not_counted", session=applicant.id)

    async def retry(self, session_id: str, source: str) -> SessionRecord:
        """Try a failed ``source`` again within the consent given: the same attributes, before
        the consent ends. Its grant died with the failure (a fetched grant is revoked, a failed
        login left none), so the source waits for a login again (``login_url``), and the next
        ``collect`` fetches it alone; sources already delivered keep their records."""
        record = await self._steps.update(
            session_id, lambda current: flow.retry(current, source, self._clock.now())
        )
        _log.info("source.retry", session=record.id, source=flow.instance_of(record, source))
        return record

    def result(self, session_id: str) -> CollectionResult:
        """The outcome of the session's collection, as ``collect`` returned it: kept (sealed
        in the session store) until the retention ends, the consent is withdrawn or the
        subject erased. ``SessionNotFoundError`` for an unknown or erased session,
        ``SessionStateError`` before the collection finished, ``ConsentDeniedError`` once
        the consent no longer covers the records."""
        record = self._load_now(session_id)
        flow.check_result(record)
        return result_of(record, self._box)

    def dossier(self, session_id: str) -> DossierReport:
        """The first-time-right report of the session's collection, while the consumer is
        still there: what the collected data cannot show and what the consumer can do about
        it (the request's ``dossier`` preset; ``brondata.dossier``). Available once the
        collection finished; after ``add_source`` and a collection of the new source it
        covers that source too. It speaks of the collection's day, whenever asked: the same
        report as the ledger's ``dossier.checked`` and the signed report record, the fiscal
        partner's data counted while their consent stands (``brondata._partner``).
        ``RequestError`` when the request asks for no checks."""
        record = self._load_now(session_id)
        flow.check_result(record)
        now = self._clock.now()
        kept = self._collector.kept(record, partners.partner_of(self.sessions, record, now), now)
        as_of = dossier_run.collection_day(kept, dossier_run.decision_day(now))
        report = dossier_run.run_checks(record.request, as_of, kept)
        if report is None:
            raise RequestError(f"session {record.id} asks for no dossier checks (dossier=)")
        return report

    # --- the data subject's rights and the consent's evidence ------------------------------

    def consent_record(self, session_id: str) -> ConsentRecord:
        """The session's consent as the ledger holds it (the DPV / ISO 27560 fields)."""
        return consent_record_from_ledger(self.log, self._load_now(session_id).consent_id)

    def consent_receipt(self, session_id: str) -> dict[str, Any]:
        """A Kantara Consent Receipt v1.1 for the consumer to keep."""
        return kantara_receipt(self.consent_record(session_id), controller=self.controller)

    def subject_report(self, subject: str) -> SubjectReport:
        """The GDPR art. 15 report for ``subject`` (the application's reference)."""
        return subject_report(self.log, self.pseudonym(subject), now=self._clock.now())

    async def erase_subject(self, subject: str) -> bool:
        """GDPR art. 17: erase ``subject`` (the application's reference) by crypto-shredding.

        The subject's key is destroyed (their ledger entries stay, verifiable but no longer
        readable as theirs), ``data.erased`` is appended, access still held at a source is
        revoked, their sessions are removed from the session store, and so is what each
        ``on_erase`` callback keeps (the journey's bindings). Returns whether there was
        anything to erase. Records already delivered are the recipient's to erase.
        """
        pseudonym = self.pseudonym(subject)
        for record in await self._steps.store.of_subject(pseudonym):
            await self._collector.revoke_all(record)
        removed = await self._steps.store.forget_subject(pseudonym)
        for eraser in list(self._erasers):
            removed += await eraser(subject)
        erased = await off_loop(self.log.erase, pseudonym, at=self._clock.now())
        return erased is not None or removed > 0

    def on_erase(self, eraser: Callable[[str], Awaitable[int]]) -> Callable[[], None]:
        """``erase_subject`` also awaits ``eraser(subject)`` (what a component built on the
        gateway keeps of the subject: the journey's bindings), which returns how much it
        removed; the returned callable unregisters it."""
        self._erasers.append(eraser)
        return lambda: self._erasers.remove(eraser)

    async def withdraw(self, session_id: str) -> SessionRecord:
        """The consumer withdraws consent (art. 7(3) GDPR): as easy as giving it.

        The ledger records it, access still held at a source is revoked, and the session
        is closed for good; records already delivered are not recalled (the recipient's
        retention rules apply), but no further delivery is covered. Called again, it returns
        the withdrawn session unchanged.
        """

        async def once() -> SessionRecord:
            record = await self._steps.current(session_id)
            step = flow.withdraw(record, self._clock.now())
            if step.record is record:
                return record
            # Revoked first: the grants leave the session with this write, and a withdrawal
            # that then loses its race is retried (and revokes nothing twice: none is left).
            await self._collector.revoke_all(record)
            return await self._steps.commit(step)

        return await self._steps.retrying(once)

    async def renew(self, session_id: str, *, notice_hash: str | None = None) -> SessionRecord:
        """The consumer agrees again: a new login window, or a new retention period.

        Pass the ``notice_hash`` the consumer saw (a renewal form carries it). A renewal
        within ``flow.RENEWAL_WINDOW`` (60 s) of the last one is that renewal again (the
        form submitted twice, a retried request): the session is returned as it is and
        nothing is appended. A consent whose term has ended cannot be renewed
        (``SessionStateError``, before ``expire_due`` ran too): start a new session."""
        return await self._steps.update(
            session_id,
            lambda record: flow.renew(
                record, self._clock.now(), consent_ttl=self._consent_ttl, notice_hash=notice_hash
            ),
        )

    async def expire_due(self) -> list[str]:
        """Expire every live session whose consent term has ended; returns their ids.

        Run it periodically (a scheduler, a cron job); each expiry is a ledger entry, and
        access still held at a source is revoked. A session whose window for late sources
        (``late_source_window``) has closed has the raw answers kept for a late source
        dropped, in one write of its own and without a ledger entry (the answers were never
        released; ``flow.close_late_window``); its records, dossier and decisions stay. The
        session store finds both kinds of session from its index of due times.
        """
        expired = []
        for session_id in await self._steps.store.due(self._clock.now()):
            try:
                record = await self._steps.current(session_id)
                if self._clock.now() < record.consent_expires_at:
                    # Not its consent's end, so its late-source window's.
                    await self._collector.drop_answers(record.id, known=record)
                    _log.info("session.late_window_closed", session=record.id)
                    continue
                step = flow.expire(record, self._clock.now())
                await self._collector.revoke_all(record)
                await self._steps.commit(step)
            except (SessionError, StoreError) as exc:
                # Erased, withdrawn or changed meanwhile by another instance: the next run
                # sees it as it is then; the others still expire now.
                _log.warning("session.expiry_skipped", session=session_id, error=exc.code)
                continue
            expired.append(session_id)
        return expired
