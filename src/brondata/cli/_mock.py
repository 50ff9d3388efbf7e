"""``brondata mock serve`` and ``brondata mock sample``.

The mock sources are imported inside the commands, so that ``brondata --help`` does not
load them.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from brondata._names import SCENARIO_BASE
from brondata.errors import UnknownSourceError

if TYPE_CHECKING:
    from brondata.mock._faults import Fault

__all__ = ["register"]

mock_app = typer.Typer(help="Run or inspect the mock sources.", no_args_is_help=True)


@mock_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="First port; each source takes the next one (0: any free ports).",
        ),
    ] = 8700,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 42,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject a fault: SOURCE=KIND[:PATH][:VALUE], e.g. "
            "bank.noordbank=status:/v1/accounts:503 or tax=delay::0.15; a kind (bank) means "
            "each of its instances (repeatable).",
        ),
    ] = None,
    redirect_uri: Annotated[
        str | None,
        typer.Option(
            help="The callback URL the sources accept, with {source} "
            "(default: the demo's https://lender.example/callback/{source}).",
        ),
    ] = None,
) -> None:
    """Serve every mock source over HTTP; the first line printed maps sources to URLs."""
    import anyio

    from brondata.mock._faults import parse_fault
    from brondata.mock._serve import serve
    from brondata.testing import MockSources

    count = len(MockSources.source_names()) + 1  # every source, and DigiD
    if port and port + count - 1 > 65535:
        typer.echo(
            f"error: --port {port} leaves no room for {count} ports (the last is 65535): "
            f"give at most {65536 - count}, or 0 for any free ports",
            err=True,
        )
        raise typer.Exit(2)
    faults: dict[str, list[Fault]] = {}
    for spec in fault or []:
        source, _, text = spec.partition("=")
        try:
            faults.setdefault(source, []).append(parse_fault(text))
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    def ready(urls: dict[str, str]) -> None:
        typer.echo(json.dumps(urls))
        sys.stdout.flush()

    try:
        anyio.run(
            lambda: serve(
                host=host,
                port=port,
                seed=seed,
                faults=faults,
                on_ready=ready,
                redirect_uri=redirect_uri,
            )
        )
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}+: {exc}", err=True)
        raise typer.Exit(1) from None
    except UnknownSourceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass


@mock_app.command("sample")
def sample_command(
    source: Annotated[
        str,
        typer.Argument(help="A mock instance (bank.noordbank) or kind; see 'brondata sources'."),
    ],
    seed: Annotated[int, typer.Option(help="Seed of the synthetic population.")] = 42,
    person: Annotated[
        int | None, typer.Option(min=0, max=SCENARIO_BASE - 1, help="Index of the person.")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="Or: first person of a scenario.")] = None,
) -> None:
    """Print what the mock API returns for one person: request -> response body."""
    import anyio

    from brondata.mock._serve import sample

    try:
        bodies = anyio.run(lambda: sample(source, seed=seed, person=person, scenario=scenario))
    except UnknownSourceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    except (KeyError, ValueError, IndexError) as exc:
        typer.echo(f"error: {exc.args[0] if exc.args else exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(bodies, indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(mock_app, name="mock")
