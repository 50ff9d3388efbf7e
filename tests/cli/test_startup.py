"""``brondata --help`` loads only what it shows: no gateway, ledger, mock sources, pydantic
or rich (issue 11, start-up). Each case runs in a fresh interpreter, since this test process
has long since imported all of them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Runs the command in-process in a new interpreter and prints the modules it loaded.
_PROBE = """
import json, sys
from brondata.cli._app import app
try:
    app(sys.argv[1:], prog_name="brondata")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

_HEAVY = ("brondata.gateway", "brondata.consent", "brondata.mock")


def _loaded(*args: str) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    *help_text, last = done.stdout.strip().splitlines()
    result = json.loads(last)
    return result["code"], result["modules"], "\n".join(help_text)


def _heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names)]


def test_help_imports_neither_brondata_internals_nor_pydantic_nor_rich() -> None:
    code, modules, help_text = _loaded("--help")
    assert code == 0
    assert "Usage:" in help_text
    assert _heavy(modules, (*_HEAVY, "pydantic", "rich")) == []


# A subcommand's help runs the group's callback, whose logging set-up waits for the first
# event (structlog imports rich), and typer's parameter coercion, which imports pydantic
# (typer 0.29: not ours to avoid); the gateway, the ledger and the mock sources stay out.
@pytest.mark.parametrize(
    "args",
    [("demo", "--help"), ("mock", "serve", "--help"), ("audit", "export", "--help")],
    ids=" ".join,
)
def test_a_command_help_does_not_import_the_heavy_modules(args: tuple[str, ...]) -> None:
    code, modules, help_text = _loaded(*args)
    assert code == 0
    assert "Usage:" in help_text
    assert _heavy(modules, (*_HEAVY, "structlog", "rich")) == []


def test_demo_help_lists_the_presets_and_scenarios() -> None:
    from brondata._demo import PRESETS
    from brondata.mock.population import SCENARIOS

    _, _, help_text = _loaded("demo", "--help")
    flat = " ".join(help_text.split())
    for name in (*PRESETS, *SCENARIOS):
        assert name in flat


def test_the_preset_names_are_the_presets() -> None:
    from brondata._demo import PRESETS
    from brondata._names import PRESET_NAMES

    assert tuple(PRESETS) == PRESET_NAMES
