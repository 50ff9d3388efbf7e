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

How a step commits, and what holds if it is cut short. The session store and the ledger are
separate stores (even in one SQLite file or PostgreSQL database they are written by separate
connections), so a step writes in this order:

1. the session change together with the step's ledger events as ``pending`` in the session
   record, in one compare-and-set: of two instances racing for a step exactly one gets here,
   and the loser, having appended nothing, retries the step on what the winner wrote (which
   for a step taken twice is the winner's own outcome);
2. the events to the ledger;
3. the session again, with ``pending`` cleared.

A step cut short after 1 leaves its events in ``pending``; the next call on the session (on
any instance) appends those the ledger does not already hold (found by consent, event and
time) and clears them. So every consent step is idempotent: called again after it
succeeded, it returns the session as it is and appends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel

from brondata import flow
from brondata._clock import Clock, SystemClock
from brondata._embedded import check_urls, embedded
from brondata._inputs import require_text
from brondata._logging import get_logger
from brondata._secrets import GatewaySecrets
from brondata._session_store import SecretBox, SessionRecord, SessionStore
from brondata.attributes import CATALOGUE, ValueType
from brondata.connectors._base import (
    Evidence,
    SourceConnector,
    SourceResponse,
    combined_digest,
    identity_conflict,
)
from brondata.connectors._http import source_deadline
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
from brondata.errors import (
    AuthorizationDeniedError,
    AuthorizationError,
    BrondataError,
    ConcurrentUpdateError,
    ConfigurationError,
    ConsentDeniedError,
    IdentityMismatchError,
    RequestError,
    SessionError,
    SessionNotFoundError,
    SessionStateError,
    SourceKindError,
    SourceTimeoutError,
    StateMismatchError,
    StoreError,
    UnknownSourceError,
)
from brondata.flow import ConsentView, NoticeSettings, Step
from brondata.flow._codec import (
    bind_state,
    callback_digest,
    error_from_dict,
    mapped_values,
    response_dict,
    response_of,
    result_parts,
    rfc3339,
    session_of_state,
    state_matches,
    unexpected,
)
from brondata.flow._codec import holder_jwk as _holder
from brondata.records import KeySet, KeyStore, SignedRecord, SigningKey, issue_record
from brondata.request import DataRequest
from brondata.session import SessionState, SourceState
from brondata.sources import get as source_kind
from brondata.sources import kind_of
from brondata.sources._kind import valid_instance_id
from brondata.sources._mapping import minimise
from brondata.stores import AsyncSessionStore, off_loop

__all__ = ["Admission", "CollectionResult", "ConsentView", "Gateway"]

#: Collections running at once unless the gateway is told otherwise (``max_collections``).
DEFAULT_MAX_COLLECTIONS = 64

_log = get_logger("brondata.gateway")

T = TypeVar("T")

#: How often a step lost to a concurrent write is tried again on the newer session.
_RETRIES = 8
#: A session's ``pending`` events older than this belong to a step that was cut short: the
#: next call appends them. Younger ones are the running step's own, appended by it.
_REPAIR_AFTER = timedelta(seconds=5)
#: How long a collector's claim holds without renewal (renewed every third of it).
_LEASE = timedelta(seconds=6)
#: How often a callback waits to see the outcome of the same callback handled elsewhere.
_POLL = 0.05

#: A change of the session made from the current one: what ``_update`` commits.
Change = Callable[[SessionRecord], Step]


@dataclass(frozen=True, slots=True)
class CollectionResult:
    """One signed record per source kind, and a typed error for each source instance (or
    kind, when its mapping failed) that did not deliver."""

    session_id: str
    #: By kind (``bank``): a kind's record combines every instance of it that answered.
    records: dict[str, SignedRecord] = field(default_factory=dict)
    #: By instance id (``bank.noordbank``), or by kind for a failure after the fetch.
    errors: dict[str, BrondataError] = field(default_factory=dict)
    #: Per instance that answered, what proves its part of the record's
    #: ``source_response_digest`` (salt and response hashes): keep it with the raw
    #: responses if you keep those.
    evidence: dict[str, Evidence] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.errors

    def delivered(self, instance: str) -> bool:
        """Whether ``instance``'s data is in its kind's record."""
        return instance in self.evidence and kind_of(instance) in self.records

    def error(self, instance: str) -> BrondataError:
        """Why ``instance`` did not deliver (its own error, else its kind's)."""
        found = self.errors.get(instance) or self.errors.get(kind_of(instance))
        if found is None:
            raise KeyError(instance)
        return found


@dataclass(frozen=True, slots=True)
class Admission:
    """How many collections run now (``running``, at most ``limit``) and wait their turn."""

    limit: int
    running: int
    waiting: int


class Gateway:
    """Consent sessions over a set of source connectors, a ledger and a session store.

    A gateway built directly owns nothing: the caller closes its stores and connectors. One
    from ``Gateway.embedded`` owns its stores and the connectors handed to it, and ``aclose``
    (or ``async with``) closes them.

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
        # The flow's store calls, awaited in worker threads: none blocks the event loop.
        self._sessions = AsyncSessionStore(sessions)
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
        #: Per session collected here, the lock its collection's own writes take turns on.
        self._collect_locks: dict[str, anyio.Lock] = {}
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
        """The key that signs records now."""
        if self._keys is not None:
            return self._keys.active()
        assert self._fixed_key is not None  # one of the two is always set
        return self._fixed_key

    def jwks(self) -> KeySet:
        """The public keys a recipient needs: the active one and retired ones still kept."""
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

    async def _load(self, session_id: str) -> SessionRecord:
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        return await self._sessions.get(session_id)

    def _load_now(self, session_id: str) -> SessionRecord:
        """``_load`` on the caller's thread, for the synchronous read methods."""
        require_text(session_id, "session_id", SessionNotFoundError, max_length=128)
        return self.sessions.get(session_id)

    # --- committing a step ------------------------------------------------------------------

    def _append(self, record: SessionRecord, *, repair: bool) -> None:
        """Append the session's pending events; on a repair, only those not in the ledger."""
        present: set[tuple[str, str]] = set()
        if repair:
            entries = self.log.entries_of_consent(record.consent_id)
            present = {(event.event, event.at) for _, event in entries}
        for pending in record.pending:
            if (pending.event, pending.at) in present:
                continue
            self.log.append(
                pending.event,  # type: ignore[arg-type]  # written from an EventType
                subject=record.subject,
                at=pending.at,
                session_id=record.id,
                consent_id=record.consent_id,
                **pending.fields,
            )

    async def _flush(self, record: SessionRecord, *, repair: bool = False) -> SessionRecord:
        """Append ``record``'s pending events and clear them from the session."""
        while record.pending:
            await off_loop(self._append, record, repair=repair)
            try:
                return await self._sessions.replace(record.model_copy(update={"pending": ()}))
            except ConcurrentUpdateError:
                # Another call moved the session on; what is pending there now is checked
                # against the ledger, so nothing is appended twice.
                record, repair = await self._sessions.get(record.id), True
        return record

    async def _commit(self, step: Step) -> SessionRecord:
        """Write the step's session (a compare-and-set on its version) with its events
        pending, then append them: a lost race raises ``ConcurrentUpdateError`` having
        appended nothing. A step that changed nothing writes nothing."""
        updated, events = step.record, step.events
        changes: dict[str, Any] = {"pending": (*updated.pending, *events)}
        if events:
            changes["updated_at"] = self._clock.now()  # when the events became pending
        stored = await self._sessions.replace(updated.model_copy(update=changes))
        return await self._flush(stored)

    async def _current(self, session_id: str) -> SessionRecord:
        """The session, with the events of a step cut short appended first."""
        record = await self._load(session_id)
        if record.pending and self._clock.now() - record.updated_at >= _REPAIR_AFTER:
            record = await self._flush(record, repair=True)
        return record

    async def _retrying(self, step: Callable[[], Awaitable[T]]) -> T:
        """``step`` again on the newer session each time it loses a compare-and-set."""
        for _ in range(_RETRIES - 1):
            try:
                return await step()
            except ConcurrentUpdateError:
                await anyio.lowlevel.checkpoint()
        return await step()

    async def _step(self, session_id: str, change: Change) -> SessionRecord:
        """Load the session, take ``change`` on it and commit it, again on a lost race; a
        step that changes nothing (taken already) returns the session as it is."""

        async def once() -> SessionRecord:
            record = await self._current(session_id)
            step = change(record)
            if step.record is record and not step.events:
                return record
            return await self._commit(step)

        return await self._retrying(once)

    async def _update(self, session_id: str, change: Change) -> SessionRecord:
        """Read, change, compare-and-set (with the change's events), again on a lost race.

        A collection's own writes (its sources answering at once, its lease) take turns on
        the session's lock, so that they race only with other callers."""
        lock = self._collect_locks.get(session_id)
        if lock is not None:
            async with lock:
                return await self._update_now(session_id, change)
        return await self._update_now(session_id, change)

    async def _update_now(self, session_id: str, change: Change) -> SessionRecord:
        for _ in range(_RETRIES):
            current = await self._sessions.get(session_id)
            step = change(current)
            if step.record is current and not step.events:
                return current
            try:
                return await self._commit(step)
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError(f"session {session_id} keeps changing; try again")

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
        require_text(subject, "subject", RequestError, max_length=1000)
        holder = _holder(holder_jwk) if holder_jwk is not None else None
        needed = request.sources(tuple(self.connectors))  # NoSourceError before any login
        plan = {instance: needed[kind_of(instance)] for instance in self._choose(needed, sources)}
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
        record = step.record.model_copy(update={"pending": step.events})
        await self._sessions.create(record)
        record = await self._flush(record)
        _log.info("session.started", session=record.id, sources=list(plan))
        return record

    def _choose(self, needed: Mapping[str, list[str]], chosen: Sequence[str] | None) -> list[str]:
        """The instances a new session uses: the chosen ones the request needs, and the first
        configured instance of each needed kind nobody chose."""
        picked: list[str] = []
        for name in chosen or ():
            if name in self.connectors:
                ids = [name]
            elif name in self.instances:
                ids = self.instances[name]
            else:
                raise UnknownSourceError(name, list(self.connectors), what="source instance")
            picked += [i for i in ids if kind_of(i) in needed and i not in picked]
        covered = {kind_of(i) for i in picked}
        picked += [self.instances[kind][0] for kind in needed if kind not in covered]
        order = list(needed)
        return sorted(
            picked, key=lambda i: (order.index(kind_of(i)), list(self.connectors).index(i))
        )

    async def add_source(self, session_id: str, instance: str) -> SessionRecord:
        """Add an instance of a kind the session already uses (a second bank), before the
        collection. The consent stays as given: it names kinds, not instances."""
        record = await self._load(session_id)
        step = flow.add_source(record, instance, self._clock.now(), configured=self.connectors)
        if step.record is record:
            return record
        return await self._sessions.replace(step.record)

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
        return await self._step(
            session_id,
            lambda record: flow.give_consent(
                record, self._clock.now(), settings=self._notice, notice_hash=notice_hash
            ),
        )

    async def deny_consent(self, session_id: str) -> SessionRecord:
        """The consumer says no; called again, it returns the denied session unchanged."""
        return await self._step(
            session_id, lambda record: flow.deny_consent(record, self._clock.now())
        )

    async def login_url(self, session_id: str, source: str) -> str:
        """Where to send the consumer to log in at ``source`` (an instance id, or a kind the
        session uses one instance of). A login can be started again: after a refusal, or
        when the grant died at the source; the new grant replaces the old one."""

        async def once() -> str:
            record = await self._current(session_id)
            instance = flow.check_login(record, source, self._clock.now())
            progress = record.sources[instance]
            start = await self.connectors[instance].begin_login(
                attributes=progress.attributes,
                redirect_uri=self.redirect_uri(instance),
                valid_until=record.consent_expires_at.date() + timedelta(days=1),
            )
            authorization_url, pending = bind_state(self._state_key, record.id, instance, start)
            sealed = self._box.seal(pending, f"{record.id}/{instance}/pending")
            step = flow.login_started(record, instance, sealed, self._clock.now())
            await self._sessions.replace(step.record)
            # A grant this login replaces is given up (it may still be alive).
            await self._revoke(record, instance)
            return authorization_url

        return await self._retrying(once)

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
            record = await self._current(session_id)
            instance = flow.instance_of(record, source)
            digest = callback_digest(self._secrets.store_key, record.id, instance, callback_url)
            seen = flow.callback_seen(record, instance, digest)
            if seen == "authorised":
                return record
            if seen == "refused":
                raise flow.refusal(record, instance)
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
            flow.check_callback(record, instance, self._clock.now())
            sealed = record.sources[instance].sealed
            assert sealed is not None  # LOGIN_STARTED always carries its secrets
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
                claimed = await self._sessions.replace(
                    flow.claim_callback(record, instance, digest).record
                )
            except ConcurrentUpdateError:
                continue
            return await self._exchange(claimed, instance, callback_url, pending)

    async def _exchange(
        self, record: SessionRecord, source: str, callback_url: str, pending: dict[str, Any]
    ) -> SessionRecord:
        """Exchange the claimed callback's code; commit the grant or the refusal."""
        try:
            grant = await self.connectors[source].complete_login(
                callback_url=callback_url, pending=pending, redirect_uri=self.redirect_uri(source)
            )
        except AuthorizationDeniedError as exc:
            await self._commit(flow.login_refused(record, source, exc, self._clock.now()))
            raise
        except BaseException:
            # Not exchanged (a bad code, the source unreachable, cancelled): the claim is
            # released so that the real consumer can still finish or start again.
            with anyio.CancelScope(shield=True):
                await self._release_callback(record.id, source)
            raise
        _log.info("source.authorised", session=record.id, source=source)
        sealed = self._box.seal(grant, f"{record.id}/{source}/grant")
        return await self._commit(flow.login_completed(record, source, sealed, self._clock.now()))

    async def _release_callback(self, session_id: str, source: str) -> None:
        for _ in range(_RETRIES):
            record = await self._sessions.get(session_id)
            step = flow.release_callback(record, source)
            if step.record is record:
                return
            try:
                await self._sessions.replace(step.record)
                return
            except ConcurrentUpdateError:
                continue

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
        async with self._admission:
            return await self._collect(session_id)

    async def _collect(self, session_id: str) -> CollectionResult:
        me = uuid.uuid4().hex

        async def claim() -> SessionRecord:
            record = await self._current(session_id)
            step = flow.claim_collection(record, me, self._clock.now(), lease=_LEASE)
            if step.record is record:
                return record
            return await self._sessions.replace(step.record)  # one collector wins

        record = await self._retrying(claim)
        if record.state is SessionState.COLLECTED:
            return self._result_of(record)
        self._collect_locks[record.id] = anyio.Lock()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew_lease, record.id, me)
                result = await self._collect_claimed(record.id, me)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._release_lease(record.id, me)
            self._collect_locks.pop(record.id, None)
        return result

    async def _renew_lease(self, session_id: str, me: str) -> None:
        while True:
            await anyio.sleep(_LEASE.total_seconds() / 3)
            try:
                await self._update(
                    session_id, lambda r: flow.renew_lease(r, me, self._clock.now(), lease=_LEASE)
                )
            except BrondataError:
                # Lost, or the store is down: the collection's own next write says which.
                return

    async def _release_lease(self, session_id: str, me: str) -> None:
        """Free the claim at once (a cancelled collect is resumed by the next call)."""
        try:
            await self._update(session_id, lambda r: flow.release_lease(r, me))
        except BrondataError:
            return  # finished, taken over or erased meanwhile: nothing of ours to free

    async def _collect_claimed(self, session_id: str, me: str) -> CollectionResult:
        record = await self._sessions.get(session_id)
        errors: dict[str, BrondataError] = {}
        for source, progress in record.sources.items():
            if progress.state is SourceState.FAILED and progress.error is not None:
                errors[source] = error_from_dict(progress.error)
            # A source delivered before a retry of another is not asked again.
            elif progress.state not in (SourceState.AUTHORISED, SourceState.COLLECTED):
                errors[source] = AuthorizationError(
                    f"{source}: no completed login ({progress.state.value})"
                )
        authorised = [s for s, p in record.sources.items() if p.state is SourceState.AUTHORISED]
        responses: dict[str, SourceResponse] = {
            s: self._open_response(record, s)
            for s in authorised
            if record.sources[s].fetched is not None
        }

        async def one(source: str) -> None:
            try:
                responses[source] = await self._fetch(record, source, me)
            except ConsentDeniedError as exc:
                # Withdrawn while this source answered: its kind delivers nothing, and the
                # answer is dropped unrecorded with the session closed.
                errors[kind_of(source)] = exc
            except Exception as exc:
                error = exc if isinstance(exc, BrondataError) else unexpected(source, exc)
                errors[source] = error
                # Asked once, for one purpose: the access is no longer needed either way.
                await self._revoke(record, source)
                await self._fail_source(session_id, source, error)

        async with anyio.create_task_group() as group:
            for source in authorised:
                if source not in responses:
                    group.start_soon(one, source)

        # The same person at every source (against consent phishing: a consumer tricked into
        # logging in to someone else's session): otherwise nothing is delivered at all.
        conflict = identity_conflict({s: r.identity for s, r in responses.items()})
        if conflict is not None:
            _log.warning("session.identity_mismatch", session=record.id)
            for source in list(responses):
                mismatch = IdentityMismatchError(conflict)
                errors[source] = mismatch
                await self._revoke(record, source)
                await self._fail_source(session_id, source, mismatch)
            responses.clear()

        # One record per kind, from every instance of it that answered (two banks: one
        # record with both banks' accounts); an instance that did not is an error of its own.
        kinds = dict(record.kinds)
        for kind in flow.plan_of(record):
            fetched = {i: responses[i] for i in authorised if kind_of(i) == kind and i in responses}
            if fetched and kind not in kinds:
                kinds.update((await self._deliver(session_id, me, kind, fetched)).kinds)
        return await self._finish_collection(session_id, me, responses, errors, kinds)

    async def _fail_source(self, session_id: str, source: str, error: BrondataError) -> None:
        _log.warning("source.failed", session=session_id, source=source, error=error.code)
        await self._update(
            session_id, lambda r: flow.source_failed(r, source, error, self._clock.now())
        )

    def _result_of(self, record: SessionRecord) -> CollectionResult:
        records, errors, evidence = result_parts(record, self._box)
        return CollectionResult(
            session_id=record.id, records=records, errors=errors, evidence=evidence
        )

    async def retry(self, session_id: str, source: str) -> SessionRecord:
        """Try a failed ``source`` again within the consent given: the same attributes, before
        the consent ends. Its grant died with the failure (a fetched grant is revoked, a failed
        login left none), so the source waits for a login again (``login_url``), and the next
        ``collect`` fetches it alone; sources already delivered keep their records."""
        record = await self._load(session_id)
        step = flow.retry(record, source, self._clock.now())
        _log.info("source.retry", session=record.id, source=flow.instance_of(record, source))
        return await self._sessions.replace(step.record)

    def result(self, session_id: str) -> CollectionResult:
        """The outcome of the session's collection, as ``collect`` returned it: kept (sealed
        in the session store) until the retention ends, the consent is withdrawn or the
        subject erased. ``SessionNotFoundError`` for an unknown or erased session,
        ``SessionStateError`` before the collection finished, ``ConsentDeniedError`` once
        the consent no longer covers the records."""
        record = self._load_now(session_id)
        flow.check_result(record)
        return self._result_of(record)

    async def _finish_collection(
        self,
        session_id: str,
        me: str,
        responses: Mapping[str, SourceResponse],
        errors: dict[str, BrondataError],
        kinds: Mapping[str, str],
    ) -> CollectionResult:
        """Write what became of each source; the session leaves ``collecting`` unless it was
        withdrawn or expired meanwhile."""

        def finish(current: SessionRecord) -> Step:
            with_record = {
                kind
                for kind, sealed in current.kinds.items()
                if "record" in self._box.open(sealed, f"{current.id}/{kind}/outcome")
            }
            delivered = {s for s in responses if kind_of(s) in with_record}
            return flow.finish_collection(
                current, me, self._clock.now(), delivered=delivered, errors=errors
            )

        record = await self._update(session_id, finish)
        if record.state is SessionState.COLLECTED:
            result = self._result_of(record)
        else:
            # Withdrawn or expired during the collection: what this call delivered before is
            # returned (not kept); no kind delivered after it.
            result = self._result_of(record.model_copy(update={"kinds": dict(kinds)}))
            for key, error in errors.items():
                result.errors.setdefault(key, error)
            for kind in flow.plan_of(record):
                if kind not in result.records and not any(
                    kind_of(s) == kind for s in result.errors
                ):
                    result.errors[kind] = ConsentDeniedError(
                        f"{kind}: not delivered, the consent was {record.state.value} during "
                        "the collection"
                    )
        _log.info(
            "session.collected",
            session=record.id,
            delivered=sorted(result.records),
            failed=sorted(result.errors),
        )
        return result

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
        revoked, and their sessions are removed from the session store. Returns whether there
        was anything to erase. Records already delivered are the recipient's to erase.
        """
        pseudonym = self.pseudonym(subject)
        for record in await self._sessions.of_subject(pseudonym):
            await self._revoke_all(record)
        removed = await self._sessions.forget_subject(pseudonym)
        erased = await off_loop(self.log.erase, pseudonym, at=self._clock.now())
        return erased is not None or removed > 0

    async def _revoke_all(self, record: SessionRecord) -> None:
        for source in flow.grants_held(record):
            await self._revoke(record, source)

    async def _revoke(self, record: SessionRecord, source: str) -> None:
        """Give up the access a source granted, if any is held. Best effort: the grant is
        dropped from the session whatever the source answers, and a failure is logged."""
        if source not in flow.grants_held(record):
            return
        sealed = record.sources[source].sealed
        assert sealed is not None
        grant = self._box.open(sealed, f"{record.id}/{source}/grant")
        await self._revoke_grant(record.id, source, grant)

    async def withdraw(self, session_id: str) -> SessionRecord:
        """The consumer withdraws consent (art. 7(3) GDPR): as easy as giving it.

        The ledger records it, access still held at a source is revoked, and the session
        is closed for good; records already delivered are not recalled (the recipient's
        retention rules apply), but no further delivery is covered. Called again, it returns
        the withdrawn session unchanged.
        """

        async def once() -> SessionRecord:
            record = await self._current(session_id)
            step = flow.withdraw(record, self._clock.now())
            if step.record is record:
                return record
            # Revoked first: the grants leave the session with this write, and a withdrawal
            # that then loses its race is retried (and revokes nothing twice: none is left).
            await self._revoke_all(record)
            return await self._commit(step)

        return await self._retrying(once)

    async def renew(self, session_id: str, *, notice_hash: str | None = None) -> SessionRecord:
        """The consumer agrees again: a new login window, or a new retention period."""
        return await self._step(
            session_id,
            lambda record: flow.renew(
                record, self._clock.now(), consent_ttl=self._consent_ttl, notice_hash=notice_hash
            ),
        )

    async def expire_due(self) -> list[str]:
        """Expire every live session whose consent term has ended; returns their ids.

        Run it periodically (a scheduler, a cron job); each expiry is a ledger entry, and
        access still held at a source is revoked.
        """
        expired = []
        for session_id in await self._sessions.due(self._clock.now()):
            try:
                record = await self._current(session_id)
                step = flow.expire(record, self._clock.now())
                await self._revoke_all(record)
                await self._commit(step)
            except (SessionError, StoreError) as exc:
                # Erased, withdrawn or changed meanwhile by another instance: the next run
                # sees it as it is then; the others still expire now.
                _log.warning("session.expiry_skipped", session=session_id, error=exc.code)
                continue
            expired.append(session_id)
        return expired

    # --- I/O of the collection -------------------------------------------------------------

    async def _fetch(self, record: SessionRecord, source: str, me: str) -> SourceResponse:
        """One instance's raw data, within its timeout, committed with ``data.retrieved``;
        the grant, no longer needed, is then given up."""
        progress = record.sources[source]
        assert progress.sealed is not None  # AUTHORISED always carries its grant
        grant = self._box.open(progress.sealed, f"{record.id}/{source}/grant")
        connector = self.connectors[source]
        today = self._clock.now().date()
        with self._on_the_clock(source):
            response: SourceResponse = await connector.fetch(
                grant=grant, attributes=progress.attributes, today=today
            )
        _log.info("source.retrieved", session=record.id, source=source, requests=response.requests)
        sealed = self._box.seal(response_dict(response), f"{record.id}/{source}/fetched")
        version = source_kind(source).mapping.version
        try:
            await self._update(
                record.id,
                lambda current: flow.source_fetched(
                    current,
                    me,
                    source,
                    sealed,
                    self._clock.now(),
                    response_digest=response.digest,
                    mapping_version=version,
                ),
            )
        finally:
            # Fetched once, for one purpose: the access is no longer needed either way.
            with anyio.CancelScope(shield=True):
                await self._revoke_grant(record.id, source, grant)
        return response

    async def _revoke_grant(self, session_id: str, source: str, grant: dict[str, Any]) -> None:
        try:
            with self._on_the_clock(source):
                await self.connectors[source].revoke(grant=grant)
        except BrondataError as exc:
            _log.warning("source.revoke_failed", session=session_id, source=source, error=str(exc))

    @contextmanager
    def _on_the_clock(self, source: str) -> Iterator[None]:
        """``source``'s timeout over what runs inside: its own time where its connector
        measures it (the requests in flight), the wall time otherwise; ``SourceTimeoutError``
        when it runs out."""
        limit = self._timeouts[source]
        if getattr(self.connectors[source], "measures_source_time", False):
            with source_deadline(limit):
                yield
            return
        with anyio.move_on_after(limit) as scope:
            yield
        if scope.cancelled_caught:
            raise SourceTimeoutError(
                f"{source}: no complete answer within {limit:g} s", source=source
            )

    def _open_response(self, record: SessionRecord, source: str) -> SourceResponse:
        sealed = record.sources[source].fetched
        assert sealed is not None
        return response_of(self._box.open(sealed, f"{record.id}/{source}/fetched"))

    async def _deliver(
        self, session_id: str, me: str, kind: str, responses: Mapping[str, SourceResponse]
    ) -> SessionRecord:
        """Map the raw data of the kind's instances as one, minimise, sign; commit the record
        with its ``data.delivered`` once the consent is seen to stand (a mapping failure is
        committed as the kind's error, with ``data.failed``)."""
        record = await self._sessions.get(session_id)
        mapping_version = source_kind(kind).mapping.version
        attributes = record.sources[next(iter(responses))].attributes
        digest = combined_digest({i: r.digest for i, r in responses.items()})
        context = f"{record.id}/{kind}/outcome"
        now = self._clock.now()
        try:
            raws = {i: r.raw for i, r in responses.items()}
            values = minimise(mapped_values(kind, raws, attributes, now.date()), attributes)
            signed = self._sign(
                record,
                kind,
                instances=sorted(responses),
                retrieved_at=max(r.retrieved_at for r in responses.values()),
                response_digest=digest,
                mapping_version=mapping_version,
                values=values,
            )
        except Exception as exc:
            error = exc if isinstance(exc, BrondataError) else unexpected(kind, exc)
            _log.warning("source.failed", session=record.id, source=kind, error=error.code)
            outcome = self._box.seal({"error": error.to_dict()}, context)
            events = (flow.event("data.failed", now, source=kind, error_code=error.code),)
        else:
            evidence = {i: r.evidence.to_dict() for i, r in responses.items()}
            outcome = self._box.seal({"record": signed.compact, "evidence": evidence}, context)
            delivered = flow.delivered_event(
                record,
                kind,
                now,
                attributes=attributes,
                record_digest=signed.digest,
                response_digest=digest,
                mapping_version=mapping_version,
            )
            events = (delivered,)
        try:
            return await self._update(
                session_id, lambda current: flow.kind_outcome(current, me, kind, outcome, events)
            )
        except ConsentDeniedError as exc:
            # Withdrawn meanwhile: the kind's outcome is that refusal (nothing appended).
            _log.warning("source.failed", session=session_id, source=kind, error=exc.code)
        return await self._sessions.get(session_id)

    def _sign(
        self,
        record: SessionRecord,
        kind: str,
        *,
        instances: list[str],
        retrieved_at: datetime,
        response_digest: str,
        mapping_version: str,
        values: dict[str, Any],
    ) -> SignedRecord:
        now = self._clock.now()
        expires = now + timedelta(days=record.request.retention_days)
        return issue_record(
            claims={
                "iss": self.issuer,
                "iat": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "vct": f"urn:brondata:{kind}:1",
                "sub": record.subject,
                "source": kind,
                "instances": instances,
                "retrieved_at": rfc3339(retrieved_at),
                "source_response_digest": response_digest,
                "mapping_version": mapping_version,
                "consent_id": record.consent_id,
                "purpose": record.request.purpose.term,
            },
            attributes=values,
            key=self.signing_key,
            holder_jwk=record.holder_jwk,
            # Each account, property or employment in a list can be passed on by itself.
            array_elements={
                name
                for name, value in values.items()
                if CATALOGUE[name].type is ValueType.ARRAY and isinstance(value, list)
            },
        )
