"""The ``brondata`` command, assembled: the global options and the last-resort error handler.

Each group of commands lives in its own module and adds itself to the one ``typer`` app
through a ``register(app)`` function. Needs the ``brondata[cli]`` extra. Those modules
import the gateway, the ledger, the mock sources and rich inside their commands, so that
``brondata --help`` loads none of them (``tests/cli/test_startup.py``).

No command shows a traceback. A command answers what it anticipates itself (exit 1: the
check found a problem; exit 2: unusable input). What escapes it is answered here, in one
line on stderr: a ``BrondataError`` with its code and message (exit 2), an ``OSError`` with
the file and the reason (exit 2), anything else as an internal error naming only its class
(exit 3), because its message may hold a value the command was working on. ``--debug`` or
``BRONDATA_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from brondata import __version__
from brondata._logging import configure_logging
from brondata.cli import _audit, _db, _demo, _mock, _records, _sources
from brondata.errors import BrondataError

__all__ = ["app", "describe_os_error"]

#: Exit code of a failure the command did not anticipate (a bug: please report it).
INTERNAL_ERROR = 3


def describe_os_error(exc: OSError) -> str:
    """One line for a failed file operation: the reason and the path, never a traceback."""
    reason = exc.strerror or type(exc).__name__
    where = f" {exc.filename}" if exc.filename is not None else ""
    return f"cannot use{where}: {reason}; choose another path or fix its permissions"


def _debug(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("BRONDATA_DEBUG", "") not in ("", "0")


class _Command(TyperGroup):
    """The top-level group: every subcommand runs inside its ``invoke``, so this is the one
    place where what a command did not anticipate becomes one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):
            raise
        except BrondataError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"error: {describe_os_error(exc)}", err=True)
            raise typer.Exit(2) from None
        except Exception as exc:
            if _debug(ctx):
                raise
            typer.echo(
                f"error: internal error ({type(exc).__name__}); rerun with --debug for the "
                "traceback and report it",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR) from None


app = typer.Typer(
    name="brondata",
    cls=_Command,
    help="Consent-based source data: collect, sign, verify and audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: typer's rich rendering would import rich (about 0.1 s)
    # for every ``--help``; rich is loaded only by the commands that print tables.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"brondata {__version__}")
        raise typer.Exit()


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
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the traceback of an unexpected error (also BRONDATA_DEBUG=1).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Consent-based source data: collect, sign, verify and audit."""
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")
    # Deferred to the first event: a subcommand's --help runs this callback too, and
    # structlog (with rich) would cost it a tenth of a second for nothing.
    configure_logging(log_level, as_json=log_json, deferred=True)


_demo.register(app)
_records.register(app)
_audit.register(app)
_mock.register(app)
_db.register(app)
_sources.register(app)
