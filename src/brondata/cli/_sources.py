"""``brondata sources``: the registered source kinds and their configured instances.

The instances are the mock world's (what ``brondata mock serve`` and
``brondata.testing.MockSources`` run: both banks, each government source); a kind without a
mock is listed once, by its kind name, with ``"mock": false``. ``--kind`` narrows the list;
an unknown kind is exit code 2 with the registered ones named.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from brondata.errors import BrondataError

__all__ = ["listing", "register"]


def listing(kind: str | None = None) -> list[dict[str, Any]]:
    """One object per configured instance (``id``, ``kind``, ``name``, ``title``, ...)."""
    # Here, not at the top: ``brondata --help`` need not load the source kinds.
    from brondata import sources as source_kinds

    chosen = [source_kinds.get(kind)] if kind is not None else list(source_kinds.kinds())
    out: list[dict[str, Any]] = []
    for registered in chosen:
        common = {
            "kind": registered.name,
            "kind_title": registered.title,
            "attributes": sorted(registered.attribute_names),
            "mapping_version": registered.mapping.version,
        }
        if registered.mock is None:
            out.append(
                {"id": registered.name, "name": registered.name, "title": registered.title}
                | common
                | {"mock": False}
            )
            continue
        for instance in registered.mock.instances:
            out.append(
                {
                    "id": source_kinds.instance_id(registered.name, instance.name),
                    "name": instance.name or registered.name,
                    "title": instance.title,
                }
                | common
                | {"mock": True, "in_process_url": f"https://{instance.host}"}
            )
    return out


def sources_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this source kind.")] = None,
) -> None:
    """List the registered source kinds and their configured instances."""
    try:
        rows = listing(kind)
    except BrondataError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["id"]) for r in rows)
    for row in rows:
        typer.echo(
            f"{row['id']:<{width}}  {row['kind']:<14} {row['title']} ("
            f"{len(row['attributes'])} attributes, mapping {row['mapping_version']})"
        )


def register(app: typer.Typer) -> None:
    app.command("sources")(sources_command)
