"""The consumer's journey as an ASGI app a lender mounts next to its own pages.

``Journey(gateway, JourneyConfig(...))`` serves the consent page, the sources page with one
hand-off per source and the callback routes, the progress page (server-sent events, with a
no-JavaScript fallback), the result page and "my consents" (withdrawal, the art. 15 access
report). The lender starts a session with the gateway, sends the consumer to
``journey.link(session_id, subject)`` and gets the consumer back at its return URL; records
come from ``journey.result(session_id)`` or a signed webhook (``verify_webhook``).

Needs the ``brondata[web]`` extra (Starlette, python-multipart).
"""

from __future__ import annotations

from brondata.web._app import Journey
from brondata.web._config import JourneyConfig
from brondata.web._webhook import WEBHOOK_MAX_AGE, sign_webhook, verify_webhook

__all__ = ["WEBHOOK_MAX_AGE", "Journey", "JourneyConfig", "sign_webhook", "verify_webhook"]
