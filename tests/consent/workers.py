"""Child processes for the multi-process tests, run as ``python -c`` scripts.

A script, not a pickled function: the children start from a clean interpreter, as separate
application instances would, whatever the platform's multiprocessing start method.
"""

from __future__ import annotations

import subprocess
import sys

# argv: backend ("sqlite" | "postgres"), target (path | dsn), schema, worker name, count.
# Prints "<index> <session_id>" once each append has returned: an acknowledged entry.
APPENDER = """
import sys
from brondata.consent import LedgerEvent, PostgresLedger, SqliteLedger, seal_subject

backend, target, schema, worker, count = sys.argv[1:6]
if backend == "sqlite":
    ledger = SqliteLedger(target)
else:
    ledger = PostgresLedger(target, schema=schema, max_connections=1)
key_id, key = "key-00000000000000000000000000000001", bytes(range(32))
with ledger:
    for i in range(int(count)):
        ids = {
            "event": "consent.withdrawn",
            "at": "2026-03-01T09:30:00Z",
            "session_id": f"ses_{worker}_{i}",
            "consent_id": f"con_{worker}",
        }
        sealed = seal_subject(key, "psn_7f3a9c", key_id=key_id, **ids)
        entry = ledger.append(LedgerEvent(**ids, subject_key=key_id, subject_sealed=sealed))
        print(entry.index, f"ses_{worker}_{i}", flush=True)
"""


def start_appender(
    backend: str, target: str, schema: str, worker: str, count: int
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", APPENDER, backend, target, schema, worker, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
