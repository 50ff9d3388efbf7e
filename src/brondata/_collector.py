"""The collection's I/O driver: fetch each source, map, sign, deliver, one step at a time.

A collection is claimed under a lease this collector renews; each source's answer is
committed with its ``data.retrieved`` (sealed in the session), each kind's signed record
with its ``data.delivered``; the steps themselves (what changes, which events) are the pure
core's (``brondata.flow``). A collection cut short is resumed by the next ``collect``: nothing
retrieved is fetched again, nothing delivered is signed again. Grants are revoked here too,
as soon as they are no longer needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

import anyio
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from brondata import _partner as partners
from brondata import flow
from brondata._clock import Clock
from brondata._commit import Committer
from brondata._logging import get_logger
from brondata._session_store import PendingEvent, SecretBox, SessionRecord
from brondata.connectors._base import (
    Identity,
    SourceConnector,
    SourceResponse,
    _folded,
    combined_digest,
    identity_conflict,
)
from brondata.connectors._http import source_deadline
from brondata.consent import SubjectKeyring
from brondata.dossier import _run as dossier_run
from brondata.errors import (
    AuthorizationError,
    BrondataError,
    ConsentDeniedError,
    IdentityMismatchError,
    SessionStateError,
    SourceTimeoutError,
)
from brondata.flow import Step
from brondata.flow._codec import (
    error_from_dict,
    mapped_values,
    response_dict,
    response_of,
    unexpected,
)
from brondata.flow._result import CollectionResult, result_of
from brondata.records import SignedRecord, SigningKey, issue_record
from brondata.session import SessionState, SourceState
from brondata.sources import get as source_kind
from brondata.sources import kind_of
from brondata.sources._mapping import minimise
from brondata.stores import off_loop

__all__ = ["Collector"]

_log = get_logger("brondata.gateway")

#: How long a collector's claim holds without renewal (renewed every third of it).
LEASE = timedelta(seconds=6)


class Claim(Protocol):
    """How a collection claims its session (``flow.claim_collection``, or
    ``_partner.claim_refresh`` to redo a collected session's computed outcomes)."""

    def __call__(
        self, record: SessionRecord, me: str, now: datetime, *, lease: timedelta
    ) -> Step: ...


class Collector:
    """The collections of one gateway."""

    def __init__(
        self,
        *,
        steps: Committer,
        box: SecretBox,
        connectors: Mapping[str, SourceConnector],
        clock: Clock,
        timeouts: Mapping[str, float],
        issuer: str,
        signing_key: Callable[[], SigningKey],
        keyring: SubjectKeyring,
        late_source_window: timedelta,
    ) -> None:
        self._steps = steps
        self._box = box
        self.connectors = connectors
        self._clock = clock
        self._timeouts = timeouts
        self.issuer = issuer
        self._signing_key = signing_key
        self._keyring = keyring
        self._late_source_window = late_source_window

    def _sign(
        self,
        claims: dict[str, Any],
        values: dict[str, Any],
        holder: dict[str, str] | None,
        key: SigningKey,
    ) -> SignedRecord:
        return issue_record(
            claims=claims,
            attributes=values,
            key=key,
            holder_jwk=holder,
            array_elements=flow.array_elements(values),
        )

    async def collect(
        self, session_id: str, *, claim: Claim = flow.claim_collection
    ) -> CollectionResult:
        me = uuid.uuid4().hex
        # One collector wins the compare-and-set; a finished collection is returned as is.
        record = await self._steps.update(
            session_id, lambda r: claim(r, me, self._clock.now(), lease=LEASE)
        )
        if record.state is SessionState.COLLECTED:
            return result_of(record, self._box)
        self._steps.hold(record)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew_lease, record.id, me)
                result = await self._collect_claimed(record.id, me)
                group.cancel_scope.cancel()
        finally:
            # Freed at once unless this collection's last write freed it (finished): only
            # this collector ever sets itself as the collector.
            last = self._steps.known(record.id)
            if last is None or last.collector == me:
                with anyio.CancelScope(shield=True):
                    await self._release_lease(record.id, me)
            self._steps.let_go(record.id)
        return result

    async def _renew_lease(self, session_id: str, me: str) -> None:
        while True:
            await anyio.sleep(LEASE.total_seconds() / 3)
            try:
                await self._steps.update(
                    session_id, lambda r: flow.renew_lease(r, me, self._clock.now(), lease=LEASE)
                )
            except BrondataError:
                # Lost, or the store is down: the collection's own next write says which.
                return

    async def _release_lease(self, session_id: str, me: str) -> None:
        """Free the claim at once (a cancelled collect is resumed by the next call)."""
        try:
            await self._steps.update(session_id, lambda r: flow.release_lease(r, me))
        except BrondataError:
            return  # finished, taken over or erased meanwhile: nothing of ours to free

    async def _collect_claimed(self, session_id: str, me: str) -> CollectionResult:
        record = await self._steps.latest(session_id)
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
            s: self._open_response(record, s, kept)
            for s in authorised
            if (kept := record.sources[s].fetched) is not None
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
                await self.revoke(record, source)
                await self._fail_source(session_id, source, error)

        async with anyio.create_task_group() as group:
            for source in authorised:
                if source not in responses:
                    group.start_soon(one, source)

        # The same person at every source (against consent phishing: a consumer tricked into
        # logging in to someone else's session): otherwise nothing is delivered at all. A
        # source added after collection is checked against the identities the kinds
        # delivered before kept (as digests), as if all had answered at once.
        identities = {s: r.identity for s, r in responses.items()}  # as digests (``_fetch``)
        everyone = {**self._identities(record), **identities}
        conflict = identity_conflict(everyone)
        # A partner's session answers for the fiscal partner the applicant's data name.
        mismatch = (
            IdentityMismatchError(conflict)
            if conflict is not None
            else partners.mismatch(record, self._box, everyone)
        )
        if mismatch is not None:
            _log.warning("session.identity_mismatch", session=record.id, error=mismatch.code)
            for source in list(responses):
                errors[source] = mismatch
                await self.revoke(record, source)
                await self._fail_source(session_id, source, mismatch)
            responses.clear()

        # One record per kind, from every instance of it that answered (two banks: one
        # record with both banks' accounts); an instance that did not is an error of its own.
        kinds = dict(record.kinds)
        for kind in flow.plan_of(record):
            fetched = {i: responses[i] for i in authorised if kind_of(i) == kind and i in responses}
            if fetched and kind not in kinds:
                kinds.update((await self._deliver(session_id, me, kind, fetched)).kinds)
                continue
            # An instance added after its kind was delivered (a second bank): merged into the
            # kind's record, which the merged record supersedes.
            covered = self._covered(record.id, kinds, kind)
            late = {i: r for i, r in fetched.items() if i not in covered}
            if late:
                try:
                    kinds.update((await self._merge(session_id, me, kind, late)).kinds)
                except BrondataError as exc:
                    for instance in late:
                        errors[instance] = exc
                        await self._fail_source(session_id, instance, exc)
        # Decisions and checks; those computed over kinds since merged, again (from the
        # session's state: a collect cut short after a merge is repaired by the next one).
        kinds.update((await self._computed(session_id, me)).kinds)
        return await self._finish_collection(session_id, me, responses, errors, kinds)

    def _covered(self, session_id: str, kinds: Mapping[str, str], kind: str) -> set[str]:
        """The instances of ``kind`` a record exists for already. Those of an error outcome
        are not: an instance of it that answers again (retried after its answer could not be
        mapped) joins like a late one (``_merge``: its data become the kind's record, or it
        fails with its own error)."""
        covered: set[str] = set()
        for key, sealed in kinds.items():
            if kind_of(key) == kind:
                outcome = self._box.open(sealed, f"{session_id}/{key}/outcome")
                covered |= {key, *outcome.get("evidence", ())}
        return covered

    def _identities(self, record: SessionRecord) -> dict[str, Identity]:
        """The identities (as digests) the kinds delivered so far answered for, per instance."""
        identities: dict[str, Identity] = {}
        for key, sealed in record.kinds.items():
            outcome = self._box.open(sealed, f"{record.id}/{key}/outcome")
            for instance, kept in outcome.get("identities", {}).items():
                identities[instance] = _identity_of(kept)
        return identities

    def kept(
        self, record: SessionRecord, partner: SessionRecord | None, now: datetime
    ) -> dict[str, Any]:
        """What the kinds delivered kept for the checks and decisions (``brondata.dossier``),
        and what counts at ``now`` of the partner's own session (``partner``, if any)."""
        opened = {k: self._box.open(s, f"{record.id}/{k}/outcome") for k, s in record.kinds.items()}
        return {**dossier_run.kept_of(opened), **partners.parts(record, partner, self._box, now)}

    async def _computed(self, session_id: str, me: str) -> SessionRecord:
        """The decision record and the dossier checks over the kinds delivered so far
        (``brondata.dossier``: the pure part); committed like a kind's outcome. A computed
        outcome kept over other kinds' digests than the current ones (a kind was merged since)
        is computed again, superseding the earlier one."""
        record = await self._steps.latest(session_id)
        if not record.request.decisions and record.request.dossier is None:
            return record  # nothing asked: nothing to compute
        now = self._clock.now()
        partner = (
            await off_loop(partners.partner_of, self._steps.store.store, record, now)
            if record.partner is not None
            else None
        )
        kept = self.kept(record, partner, now)
        over = {kind: part["digest"] for kind, part in sorted(kept.items())}
        computed_sources = (dossier_run.DECISION_SOURCE, dossier_run.DOSSIER_SOURCE)
        earlier = {
            s: sealed
            for s in computed_sources
            if (sealed := record.kinds.get(s)) is not None
            and self._box.open(sealed, f"{record.id}/{s}/outcome").get("over", over) != over
        }
        supersedes = {
            s: d for s, sealed in earlier.items() if (d := self._digest(record, s, sealed))
        }

        def sign(
            source: str, claims: Mapping[str, Any], values: Mapping[str, Any]
        ) -> tuple[str, str]:
            if source in supersedes:
                claims = {**claims, "supersedes": supersedes[source]}
            return self._sign_computed(record, source, claims, values)

        # Off the loop: it signs, and the key store may read its files to find the key.
        computed = await off_loop(
            dossier_run.after_collection,
            record.request,
            dossier_run.decision_day(now),
            kept,
            done={k: v for k, v in record.kinds.items() if k not in earlier},
            sign=sign,
        )
        for source, (plain, events) in computed.outcomes.items():
            outcome = self._box.seal({**plain, "over": over}, f"{record.id}/{source}/outcome")
            superseded = {"supersedes": supersedes[source]} if source in supersedes else {}
            pending = tuple(
                flow.event(kind, now, **fields, **(superseded if kind == "data.delivered" else {}))
                for kind, fields in events
            )
            change = partial(flow.kind_outcome, me=me, kind=source, outcome=outcome, events=pending)
            if source in earlier:
                change = partial(
                    _replaced,
                    me=me,
                    key=source,
                    previous=earlier[source],
                    outcome=outcome,
                    events=pending,
                )
            with suppress(ConsentDeniedError):  # withdrawn meanwhile: nothing appended
                record = await self._steps.update(session_id, change)
        if computed.checked is not None:
            checked = flow.event("dossier.checked", now, **computed.checked)
            with suppress(ConsentDeniedError):
                record = await self._steps.update(session_id, lambda r: Step(r, (checked,)))
        if record.partner is not None:  # the partner's data these outcomes ran over
            ran_over = partners.covered(partners.parts(record, partner, self._box, now))
            record = await self._steps.update(session_id, partial(partners.cover, ran_over))
        return record

    def _sign_computed(
        self,
        record: SessionRecord,
        source: str,
        claims: Mapping[str, Any],
        values: Mapping[str, Any],
    ) -> tuple[str, str]:
        """Sign a record the gateway computed (``decision``, ``dossier``): no instance and no
        raw answer of its own; ``claims`` say what it was computed from."""
        now = self._clock.now()
        expires = now + timedelta(days=record.request.retention_days)
        signed = issue_record(
            claims={
                "iss": self.issuer,
                "iat": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "vct": f"urn:brondata:{source}:1",
                "sub": record.subject,
                "source": source,
                "consent_id": record.consent_id,
                "purpose": record.request.purpose.term,
                **claims,
            },
            attributes=values,
            key=self._signing_key(),
            holder_jwk=record.holder_jwk,
        )
        return signed.compact, signed.digest

    async def _fail_source(self, session_id: str, source: str, error: BrondataError) -> None:
        _log.warning("source.failed", session=session_id, source=source, error=error.code)
        await self._steps.update(
            session_id, lambda r: flow.source_failed(r, source, error, self._clock.now())
        )

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
            outcomes = {
                kind: self._box.open(sealed, f"{current.id}/{kind}/outcome")
                for kind, sealed in current.kinds.items()
            }
            with_record = {kind for kind, outcome in outcomes.items() if "record" in outcome}
            # In its kind's record: the instances the record was made from (its evidence).
            delivered = {
                s for s in responses if s in outcomes.get(kind_of(s), {}).get("evidence", {})
            }
            # An instance in no record fails with its own error, else its kind's.
            kind_errors: dict[str, BrondataError] = {
                kind: error_from_dict(outcome["error"])
                for kind, outcome in outcomes.items()
                if "error" in outcome
            }
            # A window for late sources only where one can still join: a kind the gateway
            # has several instances of, whose record keeps the answers to merge with, or
            # that has no record yet (an error, or none) for a late instance to become. Not
            # for a record whose answers were dropped: a login there would be for nothing.
            late = any(
                self._several(kind) and (kind not in with_record or "answers" in outcomes[kind])
                for kind in flow.plan_of(current)
            )
            return flow.finish_collection(
                current,
                me,
                self._clock.now(),
                delivered=delivered,
                errors={**kind_errors, **errors},
                late_source_window=self._late_source_window if late else None,
            )

        record = await self._steps.update(session_id, finish)
        if record.state is SessionState.COLLECTED:
            result = result_of(record, self._box)
        else:
            # Withdrawn or expired during the collection: what this call delivered before is
            # returned (not kept); no kind delivered after it.
            result = result_of(record.model_copy(update={"kinds": dict(kinds)}), self._box)
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

    async def revoke_all(self, record: SessionRecord) -> None:
        for source in flow.grants_held(record):
            await self.revoke(record, source)

    async def revoke(self, record: SessionRecord, source: str) -> None:
        """Give up the access a source granted, if any is held. Best effort: the grant is
        dropped from the session whatever the source answers, and a failure is logged."""
        sealed = record.sources[source].sealed
        if source not in flow.grants_held(record) or sealed is None:
            return
        grant = self._box.open(sealed, f"{record.id}/{source}/grant")
        await self.revoke_grant(record.id, source, grant)

    async def _fetch(self, record: SessionRecord, source: str, me: str) -> SourceResponse:
        """One instance's raw data, within its timeout, committed with ``data.retrieved``;
        the grant, no longer needed, is then given up."""
        progress = record.sources[source]
        if progress.sealed is None:  # AUTHORISED always carries its grant
            raise AuthorizationError(f"{source}: the session holds no grant to fetch with")
        grant = self._box.open(progress.sealed, f"{record.id}/{source}/grant")
        connector = self.connectors[source]
        today = self._clock.now().date()
        with self._on_the_clock(source):
            response: SourceResponse = await connector.fetch(
                grant=grant,
                attributes=dossier_run.fetched(record.request, source, progress.attributes),
                today=today,
            )
        _log.info("source.retrieved", session=record.id, source=source, requests=response.requests)
        # Who it answered for, from here on as digests only, kept with the answer for a
        # resumed collection to check.
        response = replace(response, identity=_identity_digests(record.id, response.identity))
        kept = {**response_dict(response), "identity": _identity_dict(response.identity)}
        sealed = self._box.seal(kept, f"{record.id}/{source}/fetched")
        version = source_kind(source).mapping.version
        # Fetched: the answer is committed even if the collection is cancelled now (a
        # source counts its fetches; a resumed collection maps the answer kept instead of
        # fetching again), and the grant is given up once the answer is recorded.
        with anyio.CancelScope(shield=True):
            try:
                await self._steps.update(
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
            except BaseException:
                # Not recorded (withdrawn meanwhile, the store failed): the grant is given
                # up unless the session still holds it for a resumed collection to use.
                await self._revoke_unless_held(record.id, source, grant)
                raise
            await self.revoke_grant(record.id, source, grant)
        return response

    async def _revoke_unless_held(
        self, session_id: str, source: str, grant: dict[str, Any]
    ) -> None:
        """Revoke ``grant`` unless the session still holds it (to use it again)."""
        try:
            current = await self._steps.store.get(session_id)
        except BrondataError:
            held = False  # unknown: given up rather than left alive unrecorded
        else:
            held = source in flow.grants_held(current)
        if not held:
            await self.revoke_grant(session_id, source, grant)

    async def revoke_grant(self, session_id: str, source: str, grant: dict[str, Any]) -> None:
        """Give up ``grant`` at ``source``; best effort, a failure is logged."""
        try:
            with self._on_the_clock(source):
                await self.connectors[source].revoke(grant=grant)
        except BrondataError as exc:
            _log.warning("source.revoke_failed", session=session_id, source=source, error=exc.code)

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

    async def _merge(
        self, session_id: str, me: str, kind: str, late: Mapping[str, SourceResponse]
    ) -> SessionRecord:
        """Instances of ``kind`` that answered after it was delivered (a second bank, added
        when the checks found the salary elsewhere): the kind's record again, over every
        instance, from the answers kept with its outcome. One record per kind, as if all had
        been there at the start; it names the record it supersedes (``supersedes``), and so
        does its ``data.delivered`` in the ledger. A kind whose outcome is an error (the
        earlier instances' answers could not be mapped) has no record to merge with: the late
        instances' data are its record, superseding nothing."""
        record = await self._steps.latest(session_id)
        previous = record.kinds[kind]
        outcome = self._box.open(previous, f"{record.id}/{kind}/outcome")
        identities = outcome.get("identities", {})
        if "record" not in outcome:
            # Who an instance answering again answered for is its fresh answer's.
            others = {i: kept for i, kept in identities.items() if i not in late}
            return await self._deliver(
                session_id, me, kind, late, replacing=previous, identities=others
            )
        answers = await self._opened_answers(record, kind, outcome.get("answers"))
        had = set(outcome.get("evidence") or outcome.get("instances") or ())
        if not had <= set(answers):
            raise SessionStateError(
                f"{kind}: the answers a later instance would join are not kept (the window "
                "for late sources closed, or the subject was erased); start a new session "
                "with every instance"
            )
        earlier = {i: response_of(a) for i, a in answers.items()}
        return await self._deliver(
            session_id, me, kind, {**earlier, **late}, replacing=previous, identities=identities
        )

    def _several(self, kind: str) -> bool:
        """Whether the gateway has several instances of ``kind``: one can join it late."""
        return sum(1 for c in self.connectors if kind_of(c) == kind) >= 2

    def _keys(self, kind: str, subject: str) -> tuple[SigningKey, tuple[str, bytes] | None]:
        """The active signing key and, for a kind that keeps its answers (``_answers``), the
        subject's key: in one call off the loop (key stores may read their files)."""
        several = self._several(kind)
        return self._signing_key(), self._keyring.key_for(subject) if several else None

    def _answers(
        self,
        record: SessionRecord,
        kind: str,
        responses: Mapping[str, SourceResponse],
        subject_key: tuple[str, bytes] | None,
    ) -> dict[str, Any]:
        """The raw answers kept with a kind's outcome so that an instance added later can be
        merged: only for a kind the gateway has several instances of (``subject_key`` is
        given); sealed (AES-GCM) under the subject's key, so an erasure shreds them wherever
        a copy of the session is."""
        if subject_key is None:
            return {}
        key_id, key = subject_key
        plain = json.dumps({i: response_dict(r) for i, r in responses.items()}).encode()
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, plain, f"{record.id}/{kind}/answers".encode())
        text = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return {"answers": {"key": key_id, "sealed": text}}

    async def drop_answers(
        self, session_id: str, *, known: SessionRecord | None = None
    ) -> SessionRecord:
        """Once the session's window for late sources has closed, drop the raw answers
        ``_answers`` kept with its kinds' outcomes (``flow.close_late_window``): one
        compare-and-set, the outcomes sealed again without them; taken again, nothing
        changes."""

        def change(current: SessionRecord) -> Step:
            now = self._clock.now()
            if not flow.late_window_closed(current, now):
                return Step(current)
            outcomes: dict[str, str] = {}
            for kind, sealed in current.kinds.items():
                context = f"{current.id}/{kind}/outcome"
                outcome = self._box.open(sealed, context)
                if outcome.pop("answers", None) is not None:
                    outcomes[kind] = self._box.seal(outcome, context)
            return flow.close_late_window(current, now, outcomes=outcomes)

        return await self._steps.update(session_id, change, known=known)

    async def _opened_answers(
        self, record: SessionRecord, kind: str, kept: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """The answers ``_answers`` sealed (none if none were kept or the key is gone)."""
        key = await off_loop(self._keyring.key, kept["key"]) if kept else None
        if kept is None or key is None:
            return {}
        raw = base64.urlsafe_b64decode(kept["sealed"])
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], f"{record.id}/{kind}/answers".encode())
        opened: dict[str, Any] = json.loads(plain)
        return opened

    def _digest(self, record: SessionRecord, key: str, sealed: str) -> str | None:
        """The digest of the record a sealed outcome holds (``None`` for an error)."""
        return _record_digest(self._box.open(sealed, f"{record.id}/{key}/outcome"))

    def _open_response(self, record: SessionRecord, source: str, sealed: str) -> SourceResponse:
        opened = self._box.open(sealed, f"{record.id}/{source}/fetched")
        identity = _identity_of(opened["identity"]) if "identity" in opened else Identity()
        return replace(response_of(opened), identity=identity)

    async def _deliver(
        self,
        session_id: str,
        me: str,
        kind: str,
        responses: Mapping[str, SourceResponse],
        *,
        replacing: str | None = None,
        identities: Mapping[str, Any] | None = None,
    ) -> SessionRecord:
        """Map the raw data of the kind's instances as one, minimise, sign; commit the record
        with its ``data.delivered`` once the consent is seen to stand (a mapping failure is
        committed as the kind's error, with ``data.failed``). ``replacing``: the kind's
        earlier outcome (sealed), which this one replaces (``_merge``; it supersedes the
        record that outcome holds, if any); a failure then replaces nothing and is raised.
        The outcome keeps who each instance answered for, as digests (``identities``: those
        of the earlier instances, for a merge), for a source added later to be checked
        against."""
        record = await self._steps.latest(session_id)
        mapping_version = source_kind(kind).mapping.version
        attributes = record.sources[next(iter(responses))].attributes
        digest = combined_digest({i: r.digest for i, r in responses.items()})
        context = f"{record.id}/{kind}/outcome"
        now = self._clock.now()
        raws = {i: r.raw for i, r in responses.items()}
        # The earlier instances' (a merge) as kept; the others' as fetched.
        kept_identities = {
            **{i: _identity_dict(r.identity) for i, r in responses.items()},
            **(identities or {}),
        }
        # What the checks and decisions read, kept even when the record cannot be made: a
        # property without a WOZ value fails the record and is a finding of the checks.
        kept = dossier_run.kept_for_checks(
            record.request, source_kind(kind), raws, digest, dossier_run.decision_day(now)
        )
        earlier = self._box.open(replacing, context) if replacing else {}
        try:
            # The active key off the loop: a key store may read its files to find it.
            key_now, subject_key = await off_loop(self._keys, kind, record.subject)
            values = minimise(mapped_values(kind, raws, attributes, now.date()), attributes)
            claims = flow.record_claims(
                record,
                kind,
                now,
                issuer=self.issuer,
                instances=sorted(responses),
                retrieved_at=max(r.retrieved_at for r in responses.values()),
                response_digest=digest,
                mapping_version=mapping_version,
            )
            superseded = _record_digest(earlier)
            if superseded is not None:
                claims["supersedes"] = superseded
            signed = self._sign(claims, values, record.holder_jwk, key_now)
        except Exception as exc:
            error = exc if isinstance(exc, BrondataError) else unexpected(kind, exc)
            _log.warning("source.failed", session=record.id, source=kind, error=error.code)
            if replacing is not None:
                raise error from None  # the earlier outcome stands; the late instances fail
            failed = {
                "error": error.to_dict(),
                "kept": kept,
                "instances": sorted(responses),
                "identities": kept_identities,
            }
            outcome = self._box.seal(failed, context)
            events: tuple[PendingEvent, ...] = (
                flow.event("data.failed", now, source=kind, error_code=error.code),
            )
        else:
            evidence = {i: r.evidence.to_dict() for i, r in responses.items()}
            delivered_outcome = {
                "record": signed.compact,
                "evidence": evidence,
                "kept": kept,
                "identities": kept_identities,
            }
            delivered_outcome.update(self._answers(record, kind, responses, subject_key))
            outcome = self._box.seal(delivered_outcome, context)
            delivered = flow.delivered_event(
                record,
                kind,
                now,
                attributes=attributes,
                record_digest=signed.digest,
                response_digest=digest,
                mapping_version=mapping_version,
                supersedes=superseded,
            )
            events = (delivered,)
        change: Callable[[SessionRecord], Step] = partial(
            flow.kind_outcome, me=me, kind=kind, outcome=outcome, events=events
        )
        if replacing is not None:
            # An earlier outcome that was an error stays the earlier instances' own error,
            # but for those that answered again (a retry): theirs is this outcome.
            carried = (
                dict.fromkeys(set(earlier.get("instances", ())) - set(responses), earlier["error"])
                if "error" in earlier
                else {}
            )
            change = partial(
                _replaced,
                me=me,
                key=kind,
                previous=replacing,
                outcome=outcome,
                events=events,
                failed=carried,
            )
        try:
            return await self._steps.update(session_id, change)
        except ConsentDeniedError as exc:
            # Withdrawn meanwhile: the kind's outcome is that refusal (nothing appended).
            _log.warning("source.failed", session=session_id, source=kind, error=exc.code)
        return await self._steps.latest(session_id)


#: The parts of a holder's name digested: of its first ``_NAME_LONGEST`` characters (folded),
#: those up to ``_SURNAME_LONGEST`` long; a surname beyond is not found (``identity_mismatch``,
#: the safe side). Bounded: a source's huge name costs no more than a long one.
_NAME_LONGEST = 160
_SURNAME_LONGEST = 64


def _digest_of(session_id: str, folded: str) -> str:
    """A folded name (or part) as a digest, salted with the session (not linkable across
    sessions)."""
    return hashlib.sha256(f"{session_id}/{folded}".encode()).hexdigest()[:32]


def _identity_digests(session_id: str, identity: Identity) -> Identity:
    """What ``identity_conflict`` compares of one source, without a name in clear: the
    citizen service number's digest, the surname's, and the digest of every part of each
    holder's name, space-separated in one (a surname is in a holder's name as one of its
    parts; a digest is in that list only as one of them)."""
    holders = sorted(
        {
            _digest_of(session_id, folded[i:j])
            for folded in (_folded(h)[:_NAME_LONGEST] for h in identity.holders)
            for i in range(len(folded))
            for j in range(i + 1, min(len(folded), i + _SURNAME_LONGEST) + 1)
        }
    )
    return Identity(
        bsn_digest=identity.bsn_digest,
        surname=_digest_of(session_id, _folded(identity.surname)) if identity.surname else None,
        holders=(" ".join(holders),) if holders else (),
        partner_digest=identity.partner_digest,
    )


def _identity_dict(identity: Identity) -> dict[str, Any]:
    return {
        "bsn": identity.bsn_digest,
        "surname": identity.surname,
        "holders": identity.holders,
        "partner": identity.partner_digest,
    }


def _identity_of(kept: Mapping[str, Any]) -> Identity:
    return Identity(
        bsn_digest=kept["bsn"],
        surname=kept["surname"],
        holders=tuple(kept["holders"]),
        partner_digest=kept.get("partner"),
    )


def _record_digest(outcome: Mapping[str, Any]) -> str | None:
    """The digest of the record an opened outcome holds (``None`` for an error, or none)."""
    return SignedRecord.parse(outcome["record"]).digest if "record" in outcome else None


def _replaced(
    current: SessionRecord,
    *,
    me: str,
    key: str,
    previous: str,
    outcome: str,
    events: tuple[PendingEvent, ...],
    failed: Mapping[str, dict[str, str]] | None = None,
) -> Step:
    """An outcome superseding ``previous``, with its events, once: if the outcome is no longer
    ``previous`` (a resumed collection did it already), nothing changes. ``failed``: the
    errors of instances ``previous`` failed with (an error outcome), kept as their own."""
    flow.check_collecting(current, me, key)
    if current.kinds.get(key) != previous:
        return Step(current)
    sources = dict(current.sources)
    for instance, error in (failed or {}).items():
        progress = sources.get(instance)
        if progress is not None and progress.error is None:
            sources[instance] = progress.model_copy(update={"error": error})
    kinds = {**current.kinds, key: outcome}
    return Step(current.model_copy(update={"kinds": kinds, "sources": sources}), events)
