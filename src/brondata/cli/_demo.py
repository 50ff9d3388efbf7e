"""``brondata demo`` and ``brondata attributes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from brondata._demo import PRESETS, preset_request, run_demo
from brondata.attributes import CATALOGUE
from brondata.errors import BrondataError
from brondata.testing import RemoteSources

__all__ = ["register"]


def attributes(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """List the attribute catalogue."""
    if as_json:
        typer.echo(json.dumps([a.to_dict() for a in CATALOGUE.values()], indent=2))
        return
    table = Table(title=f"brondata attribute catalogue ({len(CATALOGUE)} attributes)")
    table.add_column("name", no_wrap=True)
    for column in ("type", "sources", "sensitivity", "description"):
        table.add_column(column)
    for a in CATALOGUE.values():
        flags = " (derived)" if a.derived else " (raw, only when asked)" if a.raw else ""
        table.add_row(
            a.name,
            a.type.value,
            ", ".join(a.sources),
            a.sensitivity.value,
            a.description_en + flags,
        )
    Console().print(table)


def demo(
    out: Annotated[Path, typer.Option(help="Directory for records, keys, ledger, summary.")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 42,
    person: Annotated[int, typer.Option(help="Which synthetic person plays the consumer.")] = 0,
    subject: Annotated[
        str | None, typer.Option(help="The application's own reference for the consumer.")
    ] = None,
    attributes: Annotated[
        str | None, typer.Option(help="Comma-separated attribute names instead of the preset's.")
    ] = None,
    purpose: Annotated[
        str, typer.Option(help=f"Preset request: {', '.join(PRESETS)}.")
    ] = "mortgage",
    scenario: Annotated[
        str | None, typer.Option(help="Play the first person of this population scenario.")
    ] = None,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="URL map printed by `brondata mock serve` (same --seed): use those servers.",
        ),
    ] = None,
) -> None:
    """Run one consent session end to end against the in-process mock sources."""
    console = Console(stderr=False)
    names = [a.strip() for a in attributes.split(",") if a.strip()] if attributes else None
    try:
        request = preset_request(purpose, names)
    except (BrondataError, ValueError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None

    remote = None
    if sources is not None:
        try:
            urls = json.loads(sources.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] cannot read the URL map: {escape(str(exc))}")
            raise typer.Exit(2) from None
        remote = RemoteSources(urls, seed=seed)

    def progress(source: str, step: str) -> None:
        console.print(f"  [bold]{source:<14}[/bold] {escape(step)}")

    console.print(f"[bold]brondata demo[/bold]: {request.purpose.text}")
    console.print(f"  asked: {', '.join(request.attributes)}")
    try:
        result = anyio.run(
            lambda: run_demo(
                out,
                request=request,
                seed=seed,
                person=person,
                scenario=scenario,
                subject=subject,
                sources=remote,
                progress=progress,
            )
        )
    except BrondataError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None

    summary = result.summary
    table = Table(title="sources")
    for column in ("source", "status", "record / error"):
        table.add_column(column)
    for source, status in summary["sources"].items():
        detail = status.get("record") or status["error"]["code"]
        table.add_row(source, status["status"], str(detail))
    console.print(table)
    console.print(f"ledger: {summary['ledger_size']} entries, root {summary['ledger_root']}")
    console.print(
        f"written to {out}/ (records/, jwks.json, ledger.jsonl, brondata.db, summary.json)"
    )
    if any(s["status"] != "delivered" for s in summary["sources"].values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("attributes")(attributes)
    app.command("demo")(demo)
