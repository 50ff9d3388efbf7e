"""What the commands share about their input and output paths.

A command that writes into a directory never overwrites what is there without ``--force``;
a command that reads refuses a path that is missing or of the wrong kind before it opens
anything, so that reading never creates a file, a directory or a table.
"""

from __future__ import annotations

from pathlib import Path

import typer

from brondata.errors import BrondataError

__all__ = ["fail", "require_file", "writable_directory"]


def fail(message: BrondataError | str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr, one line; the ``Exit`` to raise (2: unusable
    input, 1: the check found a problem)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def writable_directory(out: Path, *, force: bool, option: str = "--out") -> None:
    """``out`` may be written into: absent, empty, or ``force`` given."""
    if out.exists() and not out.is_dir():
        raise fail(f"{option} {out} is a file, not a directory: give a directory")
    if out.is_dir() and not force and any(out.iterdir()):
        raise fail(
            f"{option} {out} is not empty: pass --force to overwrite what is there, "
            "or choose a new directory"
        )


def require_file(path: Path, what: str, option: str) -> None:
    """``path`` is an existing file (not a directory), or the command stops here."""
    if path.is_dir():
        raise fail(f"{option} {path} is a directory; give the {what} file")
    if not path.is_file():
        raise fail(f"{option} {path} does not exist; give the {what} file")
