"""What the HTTP benchmarks read of a running ``brondata mock serve``: its CPU time.

The server itself is started by ``brondata.testing.serve_mock_sources``, as in the tests.
"""

from __future__ import annotations

import os


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a running process, from ``/proc``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
