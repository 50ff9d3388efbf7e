"""The collection's I/O driver: fetch each source, map, sign, deliver, one step at a time.

A collection is claimed under a lease this collector renews; each source's answer is
committed with its ``data.retrieved`` (sealed in the session), each kind's signed record
with its ``data.delivered``; the steps themselves (what changes, which events) are the pure
core's (``brondata.flow``). A collection cut short is resumed by the next ``collect``: nothing
retrieved is fetched again, nothing delivered is signed again. Grants are revoked here too,
as soon as they are no longer needed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import anyio

from brondata import flow
from brondata._clock import Clock
from brondata._commit import Committer
from brondata._logging import get_logger
from brondata._session_store import PendingEvent, SecretBox, SessionRecord
from brondata.connectors._base import (
    SourceConnector,
    SourceResponse,
    combined_digest,
    identity_conflict,
)
from brondata.connectors._http import source_deadline
from brondata.dossier import _run as dossier_run
from brondata.errors import (
    AuthorizationError,
    BrondataError,
    ConsentDeniedError,
    IdentityMismatchError,
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

__all__ = ["Collector"]

_log = get_logger("brondata.gateway")

#: How long a collector's claim holds without renewal (renewed every third of it).
LEASE = timedelta(seconds=6)


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
    ) -> None:
        self._steps = steps
        self._box = box
        self.connectors = connectors
        self._clock = clock
        self._timeouts = timeouts
        self.issuer = issuer
        self._signing_key = signing_key

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

    async def collect(self, session_id: str) -> CollectionResult:
        me = uuid.uuid4().hex
        # One collector wins the compare-and-set; a finished collection is returned as is.
        record = await self._steps.update(
            session_id, lambda r: flow.claim_collection(r, me, self._clock.now(), lease=LEASE)
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
        # logging in to someone else's session): otherwise nothing is delivered at all.
        conflict = identity_conflict({s: r.identity for s, r in responses.items()})
        if conflict is not None:
            _log.warning("session.identity_mismatch", session=record.id)
            for source in list(responses):
                mismatch = IdentityMismatchError(conflict)
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
            # An instance added after its kind was delivered (a second bank): its own record.
            covered = self._covered(record.id, kinds, kind)
            for instance, response in fetched.items():
                if instance not in covered and instance not in kinds:
                    delivered = await self._deliver(
                        session_id, me, kind, {instance: response}, key=instance
                    )
                    kinds.update(delivered.kinds)
        kinds.update((await self._computed(session_id, me)).kinds)  # decisions, checks
        return await self._finish_collection(session_id, me, responses, errors, kinds)

    def _covered(self, session_id: str, kinds: Mapping[str, str], kind: str) -> set[str]:
        """The instances of ``kind`` an outcome (a record or an error) exists for already."""
        covered: set[str] = set()
        for key, sealed in kinds.items():
            if kind_of(key) == kind:
                outcome = self._box.open(sealed, f"{session_id}/{key}/outcome")
                covered |= {key, *outcome.get("evidence", ()), *outcome.get("instances", ())}
        return covered

    def kept(self, record: SessionRecord) -> dict[str, Any]:
        """What the kinds delivered kept for the checks and decisions (``brondata.dossier``)."""
        opened = {k: self._box.open(s, f"{record.id}/{k}/outcome") for k, s in record.kinds.items()}
        return dossier_run.kept_of(opened)

    async def _computed(self, session_id: str, me: str) -> SessionRecord:
        """The decision record and the dossier checks over the kinds delivered so far
        (``brondata.dossier``: the pure part), committed with their events as one step.

        Computed and committed in one worker-thread hop (it signs, and the key store may
        read its files to find the key), computed once however often the commit is tried.
        Withdrawn meanwhile: no outcome is kept, the checks' event still is."""
        record = await self._steps.latest(session_id)
        if not record.request.decisions and record.request.dossier is None:
            return record  # nothing asked: nothing to compute
        made: list[tuple[dict[str, tuple[str, tuple[PendingEvent, ...]]], PendingEvent | None]] = []

        def compute() -> None:
            now = self._clock.now()
            computed = dossier_run.after_collection(
                record.request,
                now.date(),
                self.kept(record),
                done=record.kinds,
                sign=lambda source, claims, values: self._sign_computed(
                    record, source, claims, values
                ),
            )
            outcomes = {
                source: (
                    self._box.seal(plain, f"{record.id}/{source}/outcome"),
                    tuple(flow.event(kind, now, **fields) for kind, fields in events),
                )
                for source, (plain, events) in computed.outcomes.items()
            }
            checked = computed.checked
            made.append(
                (outcomes, flow.event("dossier.checked", now, **checked) if checked else None)
            )

        def change(current: SessionRecord) -> Step:
            if not made:
                compute()
            outcomes, checked = made[0]
            updated: SessionRecord = current
            events: tuple[PendingEvent, ...] = ()
            try:
                for source, (outcome, pending) in outcomes.items():
                    step = flow.kind_outcome(updated, me, source, outcome, pending)
                    updated, events = step.record, (*events, *step.events)
            except ConsentDeniedError:
                updated, events = current, ()  # withdrawn meanwhile: nothing delivered
            return Step(updated, events if checked is None else (*events, checked))

        return await self._steps.update(session_id, change)

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
            with_record = {
                kind
                for kind, sealed in current.kinds.items()
                if "record" in self._box.open(sealed, f"{current.id}/{kind}/outcome")
            }
            delivered = {s for s in responses if kind_of(s) in with_record}
            return flow.finish_collection(
                current, me, self._clock.now(), delivered=delivered, errors=errors
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
        sealed = self._box.seal(response_dict(response), f"{record.id}/{source}/fetched")
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

    def _open_response(self, record: SessionRecord, source: str, sealed: str) -> SourceResponse:
        return response_of(self._box.open(sealed, f"{record.id}/{source}/fetched"))

    async def _deliver(
        self,
        session_id: str,
        me: str,
        kind: str,
        responses: Mapping[str, SourceResponse],
        *,
        key: str | None = None,
    ) -> SessionRecord:
        """Map the raw data of the kind's instances as one, minimise, sign; commit the record
        with its ``data.delivered`` once the consent is seen to stand (a mapping failure is
        committed as the kind's error, with ``data.failed``).

        Made and committed in one worker-thread hop (the key store may read its files to
        find the active key; mapping and signing are CPU work the loop need not wait on),
        made once however often the commit is tried."""
        record = await self._steps.latest(session_id)
        where = key or kind  # where the outcome is kept: the kind, or an instance added late
        made: list[tuple[str, tuple[PendingEvent, ...]]] = []

        def change(current: SessionRecord) -> Step:
            if not made:
                made.append(self._outcome(record, kind, where, responses))
            outcome, events = made[0]
            return flow.kind_outcome(current, me, where, outcome, events)

        try:
            return await self._steps.update(session_id, change)
        except ConsentDeniedError as exc:
            # Withdrawn meanwhile: the kind's outcome is that refusal (nothing appended).
            _log.warning("source.failed", session=session_id, source=kind, error=exc.code)
        return await self._steps.latest(session_id)

    def _outcome(
        self,
        record: SessionRecord,
        kind: str,
        key: str,
        responses: Mapping[str, SourceResponse],
    ) -> tuple[str, tuple[PendingEvent, ...]]:
        """The kind's outcome, sealed (its signed record, or its error), with its event."""
        mapping_version = source_kind(kind).mapping.version
        attributes = record.sources[next(iter(responses))].attributes
        digest = combined_digest({i: r.digest for i, r in responses.items()})
        context = f"{record.id}/{key}/outcome"
        now = self._clock.now()
        raws = {i: r.raw for i, r in responses.items()}
        # What the checks and decisions read, kept even when the record cannot be made: a
        # property without a WOZ value fails the record and is a finding of the checks.
        kept = dossier_run.kept_for_checks(
            record.request, source_kind(kind), raws, digest, now.date()
        )
        try:
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
            signed = self._sign(claims, values, record.holder_jwk, self._signing_key())
        except Exception as exc:
            error = exc if isinstance(exc, BrondataError) else unexpected(kind, exc)
            _log.warning("source.failed", session=record.id, source=kind, error=error.code)
            failed = {"error": error.to_dict(), "kept": kept, "instances": sorted(responses)}
            outcome = self._box.seal(failed, context)
            return outcome, (flow.event("data.failed", now, source=kind, error_code=error.code),)
        evidence = {i: r.evidence.to_dict() for i, r in responses.items()}
        outcome = self._box.seal(
            {"record": signed.compact, "evidence": evidence, "kept": kept}, context
        )
        delivered = flow.delivered_event(
            record,
            kind,
            now,
            attributes=attributes,
            record_digest=signed.digest,
            response_digest=digest,
            mapping_version=mapping_version,
        )
        return outcome, (delivered,)
