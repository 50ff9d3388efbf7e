"""The ``brondata`` command.

The command itself is assembled in ``_app``; this module only imports it when it is run or
asked for, so that ``brondata`` installed without the ``cli`` extra says which extra to
install instead of failing with an ``ImportError``.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]

# What the ``cli`` extra brings (typer, rich, and the mock sources' web stack).
_CLI_EXTRA = frozenset({"typer", "rich", "click", "starlette", "uvicorn", "multipart"})


def main() -> None:
    """Run the ``brondata`` command."""
    try:
        from brondata.cli._app import app
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _CLI_EXTRA:
            raise
        print(
            f"error: the brondata command needs the 'cli' extra ({exc.name} is not installed):"
            " pip install 'brondata[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    app()


def __getattr__(name: str) -> Any:
    if name == "app":
        from brondata.cli._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
