"""``brondata mock serve`` as a subprocess on free 127.0.0.1 ports, for the HTTP benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def mock_server(seed: int = 42) -> Iterator[dict[str, Any]]:
    """Start the mock sources (ports chosen by the OS), yield ``{"urls", "pid"}``, stop them
    with SIGINT (uvicorn's clean shutdown), then SIGKILL if they have not gone in 10 s."""
    process = subprocess.Popen(
        [sys.executable, "-m", "brondata.cli", "mock", "serve", "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"mock serve exited ({process.wait()}) before it was ready")
        yield {"urls": json.loads(line), "pid": process.pid}
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a running process, from ``/proc``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wait_idle(seconds: float = 0.2) -> None:
    time.sleep(seconds)
