"""What the flow keeps sealed in a session and how it names a login, as pure functions.

A source's answer and a kind's outcome are kept sealed in the session (``SecretBox``) between
the steps of a collection; ``response_dict`` / ``response_of`` and ``result_of`` write and read
them. The OAuth ``state`` a login sends carries the session, MAC-bound (``bind_state``,
``session_of_state``), and a callback is named by a keyed digest (``callback_digest``). No
I/O, no clock: keys and times are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from brondata._inputs import same_secret
from brondata._session_store import SecretBox, SessionRecord
from brondata.attributes import CATALOGUE, ValueType
from brondata.connectors._base import Evidence, LoginStart, SourceResponse
from brondata.errors import (
    AuthorizationError,
    BrondataError,
    ConnectorError,
    RecordError,
    RequestError,
    SourceProtocolError,
    StateMismatchError,
    UnknownSourceError,
)
from brondata.records import SignedRecord, VerificationKey
from brondata.session import SourceState
from brondata.sources import get as source_kind
from brondata.sources._kind import kind_of

__all__ = [
    "array_elements",
    "bind_state",
    "callback_digest",
    "choose_instances",
    "combined_raw",
    "error_from_dict",
    "holder_jwk",
    "mapped_values",
    "record_claims",
    "response_dict",
    "response_of",
    "result_parts",
    "rfc3339",
    "session_of_state",
    "state_matches",
    "unexpected",
]


def response_dict(response: SourceResponse) -> dict[str, Any]:
    return {
        "source": response.source,
        "raw": response.raw,
        "evidence": response.evidence.to_dict(),
        "retrieved_at": response.retrieved_at.isoformat(),
    }


def _evidence(value: Mapping[str, Any]) -> Evidence:
    return Evidence(
        salt=value["salt"],
        responses=tuple((r["request"], r["sha-256"]) for r in value["responses"]),
    )


def response_of(value: Mapping[str, Any]) -> SourceResponse:
    return SourceResponse(
        source=value["source"],
        raw=value["raw"],
        evidence=_evidence(value["evidence"]),
        retrieved_at=datetime.fromisoformat(value["retrieved_at"]),
    )


def error_from_dict(value: Mapping[str, str]) -> BrondataError:
    """A typed error again from its ``to_dict`` form (codes are unique in the tree)."""
    code, message = value.get("code", ""), value.get("message", "")
    found: type[BrondataError] = BrondataError
    stack: list[type[BrondataError]] = [BrondataError]
    while stack:
        cls = stack.pop()
        if cls.code == code:
            found = cls
            break
        stack.extend(cls.__subclasses__())
    error = found.__new__(found)
    BrondataError.__init__(error, message)
    if isinstance(error, ConnectorError):
        error.source = value.get("source")
    return error


def result_parts(
    record: SessionRecord, box: SecretBox
) -> tuple[dict[str, SignedRecord], dict[str, BrondataError], dict[str, Evidence]]:
    """The records, errors and evidence the session keeps of its collection."""
    records: dict[str, SignedRecord] = {}
    errors: dict[str, BrondataError] = {}
    evidence: dict[str, Evidence] = {}
    for kind, sealed in record.kinds.items():
        outcome = box.open(sealed, f"{record.id}/{kind}/outcome")
        if "record" in outcome:
            records[kind] = SignedRecord.parse(outcome["record"])
            for instance, proof in outcome["evidence"].items():
                evidence[instance] = _evidence(proof)
        else:
            errors[kind] = error_from_dict(outcome["error"])
    for source, progress in record.sources.items():
        if progress.error is not None:
            errors[source] = error_from_dict(progress.error)
        elif progress.state in (SourceState.WAITING, SourceState.LOGIN_STARTED):
            errors[source] = AuthorizationError(
                f"{source}: no completed login ({progress.state.value})"
            )
    return records, errors, evidence


def unexpected(source: str, exc: Exception) -> BrondataError:
    """A failure no connector or mapping anticipated, as a typed error of that source."""
    return SourceProtocolError(
        f"{source}: unexpected {type(exc).__name__} while collecting", source=source
    )


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def holder_jwk(jwk: Mapping[str, Any]) -> dict[str, str]:
    """The public members of a holder key, checked now rather than at the first signature."""
    try:
        key = VerificationKey.from_jwk(jwk)
    except RecordError as exc:
        raise RequestError(f"holder_jwk is not a usable public key: {exc.message}") from None
    return {k: v for k, v in key.jwk.items() if k in ("kty", "crv", "x", "y")}


# --- the login's state and callback ---------------------------------------------------------


def callback_digest(key: bytes, session_id: str, source: str, callback_url: str) -> str:
    """A keyed digest of a callback URL: it names the callback, never reveals its code."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(f"{session_id}/{source}/callback\n{callback_url}".encode())
    return mac.hexdigest()


def _state_tag(key: bytes, session_id: str, source: str, nonce: str) -> str:
    message = f"{session_id}\x00{source}\x00{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:16].hex()


def bind_state(
    key: bytes, session_id: str, source: str, start: LoginStart
) -> tuple[str, dict[str, str]]:
    """Put the session into the login's OAuth ``state`` (``<session>.<MAC>.<nonce>``),
    so that one callback route per source finds the session from ``state`` alone. The
    connector's random ``state`` stays as the nonce; the MAC makes a forged reference
    fail before any session is read. A connector whose URL carries no ``state`` as its
    pending secrets name it is left as it is."""
    nonce = start.pending.get("state", "")
    parts = urlsplit(start.authorization_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not nonce or ("state", nonce) not in query:
        return start.authorization_url, dict(start.pending)
    bound = f"{session_id}.{_state_tag(key, session_id, source, nonce)}.{nonce}"
    query = [(k, bound if k == "state" else v) for k, v in query]
    url = urlunsplit(parts._replace(query=urlencode(query)))
    return url, {**start.pending, "state": bound}


def session_of_state(key: bytes, source: str, state: str) -> str:
    """The session a ``state`` made by ``bind_state`` names, or ``StateMismatchError``."""
    session_id, _, rest = state.partition(".")
    tag, _, nonce = rest.partition(".")
    expected = _state_tag(key, session_id, source, nonce)
    if not (session_id and nonce) or not same_secret(tag, expected):
        raise StateMismatchError(
            f"{source}: the callback's state does not name a login this gateway started"
        )
    return session_id


def state_matches(callback_url: str, pending: Mapping[str, Any]) -> bool:
    """Whether the callback carries the ``state`` its login sent (a source without one
    leaves the check to its connector)."""
    expected = pending.get("state")
    if not isinstance(expected, str):
        return True
    values = parse_qs(urlsplit(callback_url).query).get("state", [])
    return len(values) == 1 and hmac.compare_digest(values[0].encode(), expected.encode())


def combined_raw(kind: str, raws: Mapping[str, Any]) -> Mapping[str, Any]:
    """The raw answers of ``kind``'s instances as the one raw input its mapping reads."""
    if len(raws) == 1:
        raw: Mapping[str, Any] = next(iter(raws.values()))
        return raw
    registered = source_kind(kind)
    assert registered.combine is not None  # checked when the gateway was built
    return registered.combine(dict(raws))


def mapped_values(
    kind: str, raws: Mapping[str, Any], attributes: tuple[str, ...], today: date
) -> dict[str, Any]:
    """The values of ``kind`` mapped from its instances' raw answers (combined when there
    are several), before minimisation: where a step after collection (a decision) hooks in."""
    return source_kind(kind).mapping.map(combined_raw(kind, raws), attributes, today)


def record_claims(
    record: SessionRecord,
    kind: str,
    now: datetime,
    *,
    issuer: str,
    instances: list[str],
    retrieved_at: datetime,
    response_digest: str,
    mapping_version: str,
) -> dict[str, Any]:
    """The claims of the record of ``kind`` the session delivers, issued ``now``."""
    expires = now + timedelta(days=record.request.retention_days)
    return {
        "iss": issuer,
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
    }


def array_elements(values: Mapping[str, Any]) -> set[str]:
    """The list attributes whose elements (an account, a property, an employment) can each
    be disclosed by itself."""
    return {
        name
        for name, value in values.items()
        if CATALOGUE[name].type is ValueType.ARRAY and isinstance(value, list)
    }


def choose_instances(
    needed: Mapping[str, Sequence[str]],
    chosen: Sequence[str] | None,
    instances: Mapping[str, Sequence[str]],
) -> list[str]:
    """The instances a new session uses: the chosen ones (ids, or kinds for all their
    configured ``instances``) the request needs, and the first configured instance of each
    needed kind nobody chose; in the request's order of kinds, then configuration order."""
    configured = [i for ids in instances.values() for i in ids]
    picked: list[str] = []
    for name in chosen or ():
        if name in configured:
            ids = [name]
        elif name in instances:
            ids = list(instances[name])
        else:
            raise UnknownSourceError(name, configured, what="source instance")
        picked += [i for i in ids if kind_of(i) in needed and i not in picked]
    covered = {kind_of(i) for i in picked}
    picked += [instances[kind][0] for kind in needed if kind not in covered]
    order = list(needed)
    return sorted(picked, key=lambda i: (order.index(kind_of(i)), configured.index(i)))
