"""Signed webhooks: the journey tells the lender's application that a collection ended.

The signature is a compact JWS (the gateway's record key, ``kid`` from its JWKS) over
``{"body_sha256": <hex>, "iat": <seconds>, "jti": <random id>}``; it travels in the
``Brondata-Signature`` header next to the JSON body. ``verify_webhook`` checks the signature
against the JWKS, the body against its hash, and refuses a body older than
``WEBHOOK_MAX_AGE`` (or dated in the future beyond a small clock skew), so a captured webhook
cannot be replayed later; given ``seen`` (a ``WebhookReplayCache``, or the receiver's own
check against its database) it refuses the same ``jti`` twice, so it cannot be replayed
within those minutes either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable

from brondata.errors import ConfigurationError, RecordError, WebhookError, WebhookReplayError
from brondata.records import KeySet, SigningKey
from brondata.records._jws import read_compact, sign_compact, verify_compact

__all__ = [
    "SIGNATURE_HEADER",
    "WEBHOOK_MAX_AGE",
    "WebhookReplayCache",
    "sign_webhook",
    "verify_webhook",
]

#: Seconds after ``iat`` a webhook is still accepted.
WEBHOOK_MAX_AGE = 300
#: Seconds a sender's clock may run ahead of the receiver's.
_SKEW = 30
_TYPE = "brondata-webhook+jwt"
SIGNATURE_HEADER = "Brondata-Signature"


def sign_webhook(
    body: bytes, key: SigningKey, *, now: float | None = None, jti: str | None = None
) -> str:
    """The ``Brondata-Signature`` value for ``body``; ``jti`` names this one sending (a
    fresh random id unless given)."""
    payload = {
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "iat": int(time.time() if now is None else now),
        "jti": jti if jti is not None else uuid.uuid4().hex,
    }
    header = {"alg": key.alg, "kid": key.kid, "typ": _TYPE}
    return sign_compact(header, json.dumps(payload).encode(), key.jose_key)


def verify_webhook(
    body: bytes,
    signature: str,
    jwks: KeySet,
    *,
    now: float | None = None,
    max_age: int = WEBHOOK_MAX_AGE,
    seen: Callable[[str, int], bool] | None = None,
) -> int:
    """Check a webhook; returns its ``iat``. ``WebhookError`` for a bad signature, a body
    that is not the one signed, or one older than ``max_age`` seconds.

    ``seen(jti, iat)`` is asked last, once everything else holds: it says whether this
    ``jti`` was accepted before, and remembers it if not (``WebhookReplayCache`` in one
    process; with several, a table with ``jti`` as its unique key, rows kept
    ``max_age`` + 30 seconds). A ``jti`` seen before is ``WebhookReplayError``. Without
    ``seen`` a replay within ``max_age`` is not detected. A ``WebhookReplayCache`` whose
    own ``max_age`` is shorter than ``max_age`` is ``ConfigurationError``: it would forget a
    ``jti`` while the webhook is still accepted."""
    if isinstance(seen, WebhookReplayCache) and max_age > seen.max_age:
        raise ConfigurationError(
            f"verify_webhook(max_age={max_age}) outlasts its WebhookReplayCache "
            f"(max_age={seen.max_age}): give the cache the same max_age"
        )
    try:
        jws = read_compact(signature)
    except RecordError:
        raise WebhookError("the webhook signature is not a compact JWS") from None
    header = jws.header
    key = jwks.get(str(header.get("kid", "")))
    if key is None or header.get("alg") not in key.algorithms or header.get("typ") != _TYPE:
        raise WebhookError("the webhook is not signed by a key of this gateway's JWKS")
    try:
        verify_compact(jws, key.jose_key)
        payload = json.loads(jws.payload)
    except (RecordError, ValueError):
        raise WebhookError("the webhook signature does not verify") from None
    if not isinstance(payload, dict):
        raise WebhookError("the webhook signature lacks body_sha256 or iat")
    digest, issued, jti = payload.get("body_sha256"), payload.get("iat"), payload.get("jti")
    if not isinstance(digest, str) or not isinstance(issued, int) or not isinstance(jti, str):
        raise WebhookError("the webhook signature lacks body_sha256, iat or jti")
    if not hmac.compare_digest(digest, hashlib.sha256(body).hexdigest()):
        raise WebhookError("the webhook body is not the one signed")
    moment = time.time() if now is None else now
    if moment - issued > max_age:
        raise WebhookError(f"the webhook is older than {max_age} seconds")
    if issued - moment > _SKEW:
        raise WebhookError("the webhook is dated in the future")
    if seen is not None and seen(jti, issued):
        raise WebhookReplayError("this webhook was received before (its jti is known)")
    return issued


class WebhookReplayCache:
    """``seen`` for ``verify_webhook`` in one process: the ``jti`` of every webhook accepted
    in the last ``max_age`` + 30 seconds by the cache's own ``clock`` (monotonic): as long
    as a webhook with that ``jti`` could still be accepted, whatever its ``iat`` says. Use
    it with a ``verify_webhook(max_age=...)`` no longer than its own ``max_age``
    (``verify_webhook`` refuses a longer one)."""

    __slots__ = ("_clock", "_keep", "_lock", "_seen", "max_age")

    def __init__(
        self, max_age: int = WEBHOOK_MAX_AGE, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        #: The longest ``max_age`` of ``verify_webhook`` this cache covers.
        self.max_age = max_age
        # A webhook is accepted from up to the skew before its iat until max_age after it.
        self._keep = max_age + _SKEW
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, jti: str, iat: int) -> bool:
        with self._lock:
            now = self._clock()
            for known in [j for j, at in self._seen.items() if now - at > self._keep]:
                del self._seen[known]
            if jti in self._seen:
                return True
            self._seen[jti] = now
            return False
