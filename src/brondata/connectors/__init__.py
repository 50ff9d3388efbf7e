"""The shared connector machinery: the protocol, the OAuth 2.0 client side, HTTP errors.

A source kind's own connector (in ``brondata.sources.<kind>.connector``) subclasses
``OAuthSourceConnector`` (or ``DigidSourceConnector`` for a government source behind DigiD)
and says only what it asks for and how it reads the API; login, tokens, callback checks,
paging limits, the connector's one HTTP client, the source's clock (``source_deadline``) and
the mapping of HTTP failures to typed errors live here.
"""

from __future__ import annotations

from brondata.connectors._base import (
    Evidence,
    LoginStart,
    OAuthEndpoints,
    SourceConnector,
    SourceResponse,
    check_callback,
    evidence_of,
    path_segment,
    response_digest,
)
from brondata.connectors._government import DigidSourceConnector
from brondata.connectors._http import SourceClient, SourceDeadline, source_deadline
from brondata.connectors._oauth_source import OAuthSourceConnector, SourceApi

__all__ = [
    "DigidSourceConnector",
    "Evidence",
    "LoginStart",
    "OAuthEndpoints",
    "OAuthSourceConnector",
    "SourceApi",
    "SourceClient",
    "SourceConnector",
    "SourceDeadline",
    "SourceResponse",
    "check_callback",
    "evidence_of",
    "path_segment",
    "response_digest",
    "source_deadline",
]
