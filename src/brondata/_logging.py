"""Structured logging with redaction: no BSN, IBAN, token, code or password reaches a log.

``Redactor`` is a structlog processor. It masks by key (``access_token``, ``code``,
``password``, ...) and by value pattern (9-digit numbers that could be a BSN, IBANs, bearer
tokens), recursively through dicts, lists and strings, so that a careless ``log.info(...,
body=response)`` still leaks nothing; UUIDs (session and consent ids) are left whole.
``get_logger`` returns a logger bound to brondata's pipeline without touching the host
application's global structlog configuration.

structlog (and the rich it pulls in) is imported only when something is logged to a
configured pipeline, or by ``configure_logging``: a host that never configured structlog
cannot have a pipeline, so brondata's loggers stay silent without importing it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from structlog.typing import BindableLogger

__all__ = ["REDACTED", "Redactor", "configure_logging", "get_logger"]

REDACTED = "[redacted]"

_SECRET_KEYS = frozenset(
    {
        "access_token",
        "authorization",
        "bsn",
        "burgerservicenummer",
        "client_secret",
        "code",
        "code_verifier",
        "consent_id_secret",
        "iban",
        "id_token",
        "password",
        "refresh_token",
        "secret",
        "state",
        "token",
    }
)
# Nine digits standing alone: every BSN, and some harmless numbers too; erring on the safe side.
_BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")
# ISO 13616: two letters, two check digits, up to 30 alphanumerics (spaces allowed in print form).
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
# OAuth parameters inside URLs or form bodies.
_URL_SECRET = re.compile(r"(?i)\b(code|state|code_verifier|access_token|refresh_token)=[^&\s\"']+")


# A UUID (session and consent ids) holds digit runs and letter-digit groups that the BSN and
# IBAN patterns would take for identifiers; it names nothing personal, so it is left whole.
_UUID = re.compile(
    r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"
)


def _redact_identifiers(text: str) -> str:
    return _BSN.sub(REDACTED, _IBAN.sub(REDACTED, text))


def _redact_text(text: str) -> str:
    # Secrets first, over the whole text: a bearer token or an OAuth state shaped like a
    # UUID is still a secret. Then identifiers, in the pieces between UUIDs only.
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _URL_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    pieces: list[str] = []
    last = 0
    for match in _UUID.finditer(text):
        pieces += [_redact_identifiers(text[last : match.start()]), match.group()]
        last = match.end()
    pieces.append(_redact_identifiers(text[last:]))
    return "".join(pieces)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in _SECRET_KEYS else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return _redact_text(str(value)) if _BSN.fullmatch(str(value)) else value
    return value


class Redactor:
    """structlog processor: mask secrets and identifiers in every field of an event."""

    __slots__ = ()

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            if key.lower() in _SECRET_KEYS:
                event_dict[key] = REDACTED
            else:
                event_dict[key] = _redact(event_dict[key])
        return event_dict


class _RedactingLogger:
    """The library's logger: redacts before the host's structlog pipeline sees anything.

    Redacting here rather than relying on a configured processor means a host application
    that configures structlog its own way (or ``structlog.testing.capture_logs``) still never
    receives a secret from brondata.
    """

    __slots__ = ("_bound", "_initial", "_name", "_redactor")

    def __init__(self, name: str, initial: dict[str, Any]) -> None:
        self._name = name
        self._initial = _redact(initial)
        self._bound: BindableLogger | None = None
        self._redactor = Redactor()

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        # A library stays quiet until its host sets up logging; structlog's unconfigured
        # default would print every event to stdout. Not imported means not configured.
        structlog = sys.modules.get("structlog")
        if structlog is None or not structlog.is_configured():
            if _deferred is None:
                return
            _configure(*_deferred)
            structlog = sys.modules["structlog"]
        if self._bound is None:
            self._bound = structlog.get_logger(self._name, **self._initial)
        clean = self._redactor(None, level, {"event": event, **fields})
        message = clean.pop("event")
        getattr(self._bound, level)(message, **clean)

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)


def get_logger(name: str = "brondata", **initial: Any) -> _RedactingLogger:
    """A logger whose every field passes the ``Redactor`` first."""
    return _RedactingLogger(name, initial)


# What ``configure_logging(..., deferred=True)`` asked for, applied by the first event.
_deferred: tuple[str, bool] | None = None


def configure_logging(
    level: str = "warning", *, as_json: bool = False, deferred: bool = False
) -> None:
    """Set up structlog for a process that runs brondata (the CLI; an app may do its own).

    Every event passes the ``Redactor`` first, then gets a level and a UTC time, and is
    written to stderr as key=value pairs or JSON lines. ``deferred``: only when brondata
    first logs an event, so that a process that never does (``brondata audit --help``)
    never imports structlog, nor the rich it imports.
    """
    global _deferred
    if deferred:
        _deferred = (level, as_json)
        return
    _configure(level, as_json)


def _configure(level: str, as_json: bool) -> None:
    global _deferred
    _deferred = None
    import logging

    import structlog

    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            Redactor(),
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        # sys.stderr looked up per logger, not once: a host (or a test runner) may swap it.
        logger_factory=lambda *args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
