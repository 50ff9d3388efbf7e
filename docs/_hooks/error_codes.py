"""A mkdocs hook: the error-code tables of ``docs/errors.md``, written from the code at build time.

The page holds markers; this hook replaces them with tables read from ``brondata.errors`` (every
``BrondataError`` subclass, its ``code``, and the one-line description the tree in that module's
docstring gives it) and from ``brondata.consent.FindingCode`` (the audit's finding codes and the
comments beside them). The page therefore cannot drift from the code: a new error class or
finding code appears on the next build, and ``tests/test_docs_code.py`` checks that each does.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, get_args

from brondata import errors
from brondata.consent import _audit

ERROR_MARKER = "<!-- error-codes -->"
TREE_MARKER = "<!-- error-tree -->"
FINDING_MARKER = "<!-- audit-finding-codes -->"

_TREE_LINE = re.compile(r"[├└]── (?P<name>\w+)(?:\s+(?P<text>\S.*))?$")
_FINDING_LINE = re.compile(r'^\s*"(?P<code>\w+)",\s*(?:#\s*(?P<text>.*))?$')


def error_tree() -> str:
    """The tree as ``errors.py`` draws it."""
    doc = inspect.getdoc(errors) or ""
    lines = [line for line in doc.splitlines() if line.startswith("    ")]
    return "\n".join(line[4:] for line in lines)


def _descriptions() -> dict[str, str]:
    """Class name -> the description beside it in the drawn tree (continuation lines joined)."""
    found: dict[str, str] = {}
    last: str | None = None
    for line in error_tree().splitlines():
        match = _TREE_LINE.search(line)
        if match:
            last = match["name"]
            found[last] = (match["text"] or "").strip()
        elif last is not None and line.strip(" │"):
            # A description that goes on under the tree's vertical bars.
            found[last] = f"{found[last]} {line.strip(' │')}".strip()
    return found


def _in_tree_order(root: type[errors.BrondataError]) -> list[type[errors.BrondataError]]:
    """``root`` and its subclasses depth first, siblings in the order the module defines them."""
    children = sorted(root.__subclasses__(), key=lambda c: inspect.getsourcelines(c)[1])
    ordered = [root]
    for child in children:
        if child.__module__ == errors.__name__:
            ordered += _in_tree_order(child)
    return ordered


def error_classes() -> list[type[errors.BrondataError]]:
    """Every public error class, root first."""
    return _in_tree_order(errors.BrondataError)


def error_table() -> str:
    """A Markdown table: code, class (linked to the API reference), parent, when it is raised."""
    described = _descriptions()
    rows = [
        "| code | error | a kind of | raised when |",
        "|---|---|---|---|",
    ]
    for cls in error_classes():
        parent = cls.__mro__[1]
        kind = (
            f"[`{parent.__name__}`][brondata.errors.{parent.__name__}]"
            if issubclass(parent, errors.BrondataError)
            else ""
        )
        # A class's own docstring only: inspect.getdoc would hand down the parent's.
        own_doc = " ".join((vars(cls).get("__doc__") or "").split("\n\n")[0].split())
        when = (described.get(cls.__name__) or own_doc or "see the parent").replace("|", r"\|")
        rows.append(
            f"| `{cls.code}` | [`{cls.__name__}`][brondata.errors.{cls.__name__}] "
            f"| {kind} | {when} |"
        )
    return "\n".join(rows)


def finding_codes() -> list[tuple[str, str]]:
    """``(code, comment)`` for each audit finding code, in the order the code declares them."""
    comments: dict[str, str] = {}
    for line in inspect.getsource(_audit).splitlines():
        match = _FINDING_LINE.match(line)
        # The first commented mention is the declaration; later mentions are uses.
        if match and match["text"]:
            comments.setdefault(match["code"], match["text"].strip())
    return [(code, comments.get(code, "")) for code in get_args(_audit.FindingCode)]


def finding_table() -> str:
    rows = ["| finding | what it means |", "|---|---|"]
    for code, text in finding_codes():
        rows.append(f"| `{code}` | {text or code.replace('_', ' ')} |")
    return "\n".join(rows)


def render(markdown: str) -> str:
    """The page with its markers replaced."""
    return (
        markdown.replace(ERROR_MARKER, error_table())
        .replace(TREE_MARKER, f"```text\n{error_tree()}\n```")
        .replace(FINDING_MARKER, finding_table())
    )


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs calls this for every page; only the pages with markers change."""
    return render(markdown)
