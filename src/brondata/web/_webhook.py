"""Signed webhooks: the journey tells the lender's application that a collection ended.

The signature is a compact JWS (the gateway's record key, ``kid`` from its JWKS) over
``{"body_sha256": <hex>, "iat": <seconds>}``; it travels in the ``Brondata-Signature``
header next to the JSON body. ``verify_webhook`` checks the signature against the JWKS, the
body against its hash, and refuses a body older than ``WEBHOOK_MAX_AGE`` (or dated in the
future beyond a small clock skew), so a captured webhook cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from brondata.errors import RecordError, WebhookError
from brondata.records import KeySet, SigningKey
from brondata.records._jws import read_compact, sign_compact, verify_compact

__all__ = ["SIGNATURE_HEADER", "WEBHOOK_MAX_AGE", "sign_webhook", "verify_webhook"]

#: Seconds after ``iat`` a webhook is still accepted.
WEBHOOK_MAX_AGE = 300
#: Seconds a sender's clock may run ahead of the receiver's.
_SKEW = 30
_TYPE = "brondata-webhook+jwt"
SIGNATURE_HEADER = "Brondata-Signature"


def sign_webhook(body: bytes, key: SigningKey, *, now: float | None = None) -> str:
    """The ``Brondata-Signature`` value for ``body``."""
    payload = {
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "iat": int(time.time() if now is None else now),
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
) -> int:
    """Check a webhook; returns its ``iat``. ``WebhookError`` for a bad signature, a body
    that is not the one signed, or one older than ``max_age`` seconds."""
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
    digest, issued = payload.get("body_sha256"), payload.get("iat")
    if not isinstance(digest, str) or not isinstance(issued, int):
        raise WebhookError("the webhook signature lacks body_sha256 or iat")
    if not hmac.compare_digest(digest, hashlib.sha256(body).hexdigest()):
        raise WebhookError("the webhook body is not the one signed")
    moment = time.time() if now is None else now
    if moment - issued > max_age:
        raise WebhookError(f"the webhook is older than {max_age} seconds")
    if issued - moment > _SKEW:
        raise WebhookError("the webhook is dated in the future")
    return issued
