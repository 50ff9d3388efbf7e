"""The ``brondata`` command.

Each group of commands lives in its own module and adds itself to the one ``typer`` app
through a ``register(app)`` function; this module only assembles them. Needs the
``brondata[cli]`` extra.
"""

from __future__ import annotations

from typing import Annotated

import typer

from brondata._logging import configure_logging
from brondata.cli import _audit, _db, _demo, _mock, _records, _sources

__all__ = ["app", "main"]

app = typer.Typer(
    name="brondata",
    help="Consent-based source data: collect, sign, verify and audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            help="debug, info, warning or error; events go to stderr, secrets redacted.",
        ),
    ] = "warning",
    log_json: Annotated[bool, typer.Option("--log-json", help="Log as JSON lines.")] = False,
) -> None:
    """Consent-based source data: collect, sign, verify and audit."""
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")
    configure_logging(log_level, as_json=log_json)


_demo.register(app)
_records.register(app)
_audit.register(app)
_mock.register(app)
_db.register(app)
_sources.register(app)


def main() -> None:
    app()
