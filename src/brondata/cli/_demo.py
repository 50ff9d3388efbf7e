"""``brondata demo`` and ``brondata attributes``.

The gateway, the mock sources and ``rich`` are imported inside the commands, so that
``brondata --help`` does not load them; the help texts take their names from
``brondata._names``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from brondata._names import PRESET_NAMES, SCENARIO_BASE, SCENARIOS
from brondata.cli._output import fail, require_file, writable_directory
from brondata.errors import BrondataError

__all__ = ["register"]


def attributes(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """List the attribute catalogue; a decision with the versions of its rule table."""
    from rich.console import Console
    from rich.table import Table

    from brondata.attributes import CATALOGUE

    if as_json:
        typer.echo(json.dumps([a.to_dict() for a in CATALOGUE.values()], indent=2))
        return
    table = Table(title=f"brondata attribute catalogue ({len(CATALOGUE)} attributes)")
    table.add_column("name", no_wrap=True)
    for column in ("type", "sources", "sensitivity", "description"):
        table.add_column(column)
    for a in CATALOGUE.values():
        flags = " (derived)" if a.derived else " (raw, only when asked)" if a.raw else ""
        if a.decision:
            flags = f" (decision, rule {', '.join(a.rules)})"
        table.add_row(
            a.name,
            a.type.value,
            ", ".join(a.sources) or "computed",
            a.sensitivity.value,
            a.description_en + flags,
        )
    Console().print(table)


def _url_map(sources: str) -> dict[str, str]:
    """The URL map: inline JSON (``{"bank": "http://..."}``) or a file holding it."""
    text = sources
    if not sources.lstrip().startswith("{"):
        path = Path(sources)
        if not path.is_file():
            raise fail(
                f"--sources {sources} is neither a file nor inline JSON: give the URL map "
                "printed by `brondata mock serve`"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read the URL map {sources}: {type(exc).__name__}") from None
    try:
        urls = json.loads(text)
    except (ValueError, RecursionError):  # nested too deep to parse is not JSON either
        raise fail("the URL map is not JSON: give what `brondata mock serve` printed") from None
    if not isinstance(urls, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith(("http://", "https://"))
        for k, v in urls.items()
    ):
        raise fail('the URL map must be a JSON object {"source": "http://host:port", ...}')
    return urls


def _facts(path: Path | None) -> dict[str, object] | None:
    """The ``--facts`` file's JSON object (checked strictly when the request is made)."""
    if path is None:
        return None
    require_file(path, "application facts (JSON)", "--facts")
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read --facts {path}: {type(exc).__name__}") from None
    except (ValueError, RecursionError):  # nested too deep to parse is not JSON either
        raise fail(f"--facts {path} is not JSON: give an object of application facts") from None
    if not isinstance(facts, dict):
        raise fail(
            f"--facts {path} must hold a JSON object: purchase_price, loan_amount, "
            "interest_rate, fixed_period_years, energy_label, energy_saving_measures"
        )
    return facts


def _check_scenario(scenario: str | None) -> None:
    if scenario is not None and scenario not in SCENARIOS:
        close = difflib.get_close_matches(scenario, SCENARIOS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise fail(f"unknown --scenario {scenario!r}; {hint}choose one of {', '.join(SCENARIOS)}")


def demo(
    out: Annotated[Path, typer.Option(help="Directory for records, keys, ledger, summary.")],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 42,
    person: Annotated[
        int,
        typer.Option(
            min=0, max=SCENARIO_BASE - 1, help="Which synthetic person plays the consumer."
        ),
    ] = 0,
    subject: Annotated[
        str | None, typer.Option(help="The application's own reference for the consumer.")
    ] = None,
    attributes: Annotated[
        str | None, typer.Option(help="Comma-separated attribute names instead of the preset's.")
    ] = None,
    purpose: Annotated[
        str, typer.Option(help=f"Preset request: {', '.join(PRESET_NAMES)}.")
    ] = "mortgage",
    scenario: Annotated[
        str | None,
        typer.Option(help=f"Play the first person of a scenario: {', '.join(SCENARIOS)}."),
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option(
            "--sources",
            help="URL map printed by `brondata mock serve` (same --seed), as a file or inline "
            "JSON: use those servers.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite what --out holds (an earlier run).")
    ] = False,
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts",
            help="The application's facts as a JSON object: purchase_price, loan_amount (EUR), "
            "interest_rate (a fraction, 0.041), fixed_period_years, energy_label, "
            "energy_saving_measures (EUR, 0 if none).",
        ),
    ] = None,
) -> None:
    """Run one consent session end to end against the in-process mock sources."""
    import anyio
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from brondata._demo import preset_request, run_demo
    from brondata.testing import RemoteSources

    console = Console(stderr=False)
    names = [a.strip() for a in attributes.split(",") if a.strip()] if attributes else None
    # Facts of the wrong type or out of range: a typed error, one line, exit 2 (the app's).
    request = preset_request(purpose, names, _facts(facts))
    _check_scenario(scenario)
    remote = RemoteSources(_url_map(sources), seed=seed) if sources is not None else None
    if remote is not None:
        request.sources(tuple(remote.base_urls))  # NoSourceError before anything is written
    # Last, once everything else is known to be usable: nothing is written for a typo.
    writable_directory(out, force=force)

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
        raise fail(str(exc), 1) from None

    summary = result.summary
    table = Table(title="sources")
    for column in ("source", "status", "record / error"):
        table.add_column(column)
    partner = summary.get("partner", {}).get("sources", {})
    for who, shown in (("", summary["sources"]), ("partner: ", partner)):
        for source, status in shown.items():
            detail = status.get("record") or status["error"]["code"]
            table.add_row(who + source, status["status"], str(detail))
    console.print(table)
    _show_dossier(console, out, summary)
    console.print(f"ledger: {summary['ledger_size']} entries, root {summary['ledger_root']}")
    written = "records/, jwks.json, ledger.jsonl, brondata.db, summary.json"
    if "dossier" in summary:
        written += ", dossier.json"
    console.print(f"written to {out}/ ({written})")
    if any(s["status"] != "delivered" for s in [*summary["sources"].values(), *partner.values()]):
        raise typer.Exit(1)


def _show_dossier(console: Any, out: Path, summary: dict[str, Any]) -> None:
    """The findings of the checks and the decisions, as the lender sees them."""
    from rich.markup import escape
    from rich.table import Table

    if "dossier" in summary:
        report = json.loads((out / summary["dossier"]["file"]).read_text(encoding="utf-8"))
        if not report["findings"]:
            console.print(f"dossier ({report['preset']}): no findings")
        else:
            findings = Table(title=f"dossier ({report['preset']}): what the data cannot show")
            for column in ("code", "severity", "sources", "what the consumer can do"):
                findings.add_column(column)
            for f in report["findings"]:
                findings.add_row(
                    f["code"], f["severity"], ", ".join(f["sources"]), escape(f["remedy"]["en"])
                )
            console.print(findings)
    decisions = summary.get("decisions") or {}
    if "error" in decisions:
        error = decisions["error"] or {}
        console.print(f"decisions: not made ({escape(str(error.get('message', '')))})")
    elif decisions:
        table = Table(title="decisions (only the outcome is released)")
        for column in ("decision", "value", "rule"):
            table.add_column(column)
        for name, d in decisions.items():
            value = d["value"]
            shown = f"EUR {value['amount']}" if isinstance(value, dict) else str(value).lower()
            table.add_row(name, shown, d["rule_version"])
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("attributes")(attributes)
    app.command("demo")(demo)
