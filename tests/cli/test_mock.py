"""``brondata mock serve`` as a real server on loopback, ``brondata mock sample`` in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from brondata import sources as source_kinds
from brondata.cli import app
from brondata.testing import MockSources

runner = CliRunner()


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    """Every mock source on its own free loopback port, in a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "brondata.cli", "mock", "serve", "--port", "0", "--seed", "42"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first, process.stderr.read() if process.stderr else "no output"
        yield json.loads(first)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serve_prints_the_url_map_and_serves_real_http(served: dict[str, str]) -> None:
    # Every mock instance of every registered kind (both banks), and DigiD.
    assert set(served) == {*MockSources.source_names(), "digid"}
    assert {"bank.mockbank", "bank.noordbank"} <= set(served)
    for url in served.values():
        assert url.startswith("http://127.0.0.1:")
    ports = {url.rsplit(":", 1)[1] for url in served.values()}
    assert len(ports) == len(served)
    for bank in ("bank.mockbank", "bank.noordbank"):
        metadata = httpx2.get(served[bank] + "/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == served[bank]  # each bank its own authorization server


def test_demo_against_the_served_sources(served: dict[str, str], tmp_path: Path) -> None:
    urls = tmp_path / "urls.json"
    urls.write_text(json.dumps(served))
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--out", str(out), "--sources", str(urls), "--seed", "42"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {s["status"] for s in summary["sources"].values()} == {"delivered"}


def test_sample_maps_each_request_to_its_body() -> None:
    result = runner.invoke(app, ["mock", "sample", "bank", "--seed", "42", "--person", "1"])
    assert result.exit_code == 0, result.output
    bodies = json.loads(result.output)
    assert "GET /v1/accounts" in bodies
    assert any(k.startswith("GET /v1/accounts/") and "/transactions" in k for k in bodies)
    assert bodies["GET /v1/accounts"]["accounts"][0]["iban"].startswith("NL")


@pytest.mark.parametrize("source", MockSources.source_names())
def test_sample_of_every_registered_source(source: str) -> None:
    """Every mock instance of every registered kind answers its data API for a person."""
    kind = source_kinds.get(source)
    assert kind.mock is not None
    # two_incomes persons bank at both banks.
    result = runner.invoke(app, ["mock", "sample", source, "--scenario", "two_incomes"])
    assert result.exit_code == 0, result.output
    bodies = json.loads(result.output)
    assert any(line.split(" ", 1)[1].startswith(kind.mock.api) for line in bodies), bodies
    assert not any("/oauth" in line for line in bodies)  # the data, not the login


def test_sample_of_an_unknown_source() -> None:
    result = runner.invoke(app, ["mock", "sample", "moon"])
    assert result.exit_code == 2
    assert "unknown mock source 'moon'" in result.output
    assert "bank.noordbank" in result.output  # the error names the ones there are


def test_mock_serve_refuses_a_fault_for_an_unknown_source() -> None:
    result = runner.invoke(app, ["mock", "serve", "--port", "0", "--fault", "moon=status"])
    assert result.exit_code == 2
    assert "moon" in result.output
