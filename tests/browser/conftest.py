"""The mortgage example running for real, and a Chromium to drive it.

The app (``python -m mortgage_app``) runs as a child process against ``brondata mock serve``
on 127.0.0.1, on free ports. Chromium is Debian's (``/usr/bin/chromium``, or
``BRONDATA_CHROMIUM``), driven by Playwright through ``executable_path``: Playwright cannot
download a browser of its own here. axe-core comes from ``node_modules`` (``make browser``).
A missing browser or axe-core skips these tests on a workstation and fails them in CI
(``CI=true``), as a missing PostgreSQL does.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import ROOT, in_ci

ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true: the browser tests must run. {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("BRONDATA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        _missing(f"no Chromium at {path}: 'make browser' installs Debian's chromium")
    return path


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        _missing("axe-core is not installed: run 'make browser' (npm ci)")
    return AXE.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def app_url(artifacts: Path) -> Iterator[str]:
    """The example app's URL, while it runs; its log goes to test-artifacts/app.log."""
    port = _free_port()
    log = (artifacts / "app.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "mortgage_app", "--port", str(port), "--mock-port", "0"],
        cwd=ROOT / "examples",
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=120).strip()
    except queue.Empty:
        url = ""
    try:
        if not url.startswith("http://"):
            pytest.fail("the example app did not start: see test-artifacts/app.log")
        yield url.rstrip("/")
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        stdout.close()
        log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
