"""The consumer's journey as an ASGI app a lender mounts next to its own pages.

``Journey(gateway, JourneyConfig(...))`` serves the consent page, the sources page with one
hand-off per source and the callback routes, the progress page (server-sent events, with a
no-JavaScript fallback), the result page and "my consents" (withdrawal, the art. 15 access
report), and a renewal page. The lender starts a session with the gateway, sends the
consumer to ``await journey.link(session_id, subject)`` and gets the consumer back at its
return URL; records come from ``Gateway.result(session_id)`` or a signed webhook
(``verify_webhook``, with a ``WebhookReplayCache`` against replays). Several instances serve
one journey when they share a binding store (``open_binding_store``).

Needs the ``brondata[web]`` extra (Starlette, python-multipart).
"""

from __future__ import annotations

from brondata.web._app import Journey
from brondata.web._bindings import (
    BindingStore,
    MemoryBindingStore,
    PostgresBindingStore,
    SqliteBindingStore,
    open_binding_store,
)
from brondata.web._config import JourneyConfig
from brondata.web._webhook import (
    WEBHOOK_MAX_AGE,
    WebhookReplayCache,
    sign_webhook,
    verify_webhook,
)

__all__ = [
    "WEBHOOK_MAX_AGE",
    "BindingStore",
    "Journey",
    "JourneyConfig",
    "MemoryBindingStore",
    "PostgresBindingStore",
    "SqliteBindingStore",
    "WebhookReplayCache",
    "open_binding_store",
    "sign_webhook",
    "verify_webhook",
]
