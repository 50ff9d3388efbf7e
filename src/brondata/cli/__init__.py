"""The ``brondata`` command.

Each group of commands lives in its own module and adds itself to the one ``typer`` app
through a ``register(app)`` function; this module only assembles them. Needs the
``brondata[cli]`` extra.
"""

from __future__ import annotations

import typer

from brondata.cli import _audit, _db, _demo, _mock, _records

__all__ = ["app", "main"]

app = typer.Typer(
    name="brondata",
    help="Consent-based source data: collect, sign, verify and audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_demo.register(app)
_records.register(app)
_audit.register(app)
_mock.register(app)
_db.register(app)


def main() -> None:
    app()
