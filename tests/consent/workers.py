"""Child processes for the multi-process tests, run as ``python -c`` scripts.

A script, not a pickled function: the children start from a clean interpreter, as separate
application instances would, whatever the platform's multiprocessing start method.
"""

from __future__ import annotations

import subprocess
import sys

# argv: backend ("sqlite" | "postgres"), target (path | dsn), schema, worker name, count,
# threads. Each thread appends ``count`` entries (several threads meet in the ledger's group
# commit). Prints "<index> <session_id>" once each append has returned: an acknowledged entry.
APPENDER = """
import sys, threading
from brondata.consent import LedgerEvent, PostgresLedger, SqliteLedger, seal_subject

backend, target, schema, worker, count, threads = sys.argv[1:7]
if backend == "sqlite":
    ledger = SqliteLedger(target)
else:
    ledger = PostgresLedger(target, schema=schema, max_connections=1)
key_id, key = "key-00000000000000000000000000000001", bytes(range(32))
out = threading.Lock()

def work(name):
    for i in range(int(count)):
        ids = {
            "event": "consent.withdrawn",
            "at": "2026-03-01T09:30:00Z",
            "session_id": f"ses_{name}_{i}",
            "consent_id": f"con_{name}_{i}",  # one withdrawal per consent
        }
        sealed = seal_subject(key, "psn_7f3a9c", key_id=key_id, **ids)
        entry = ledger.append(LedgerEvent(**ids, subject_key=key_id, subject_sealed=sealed))
        with out:
            print(entry.index, f"ses_{name}_{i}", flush=True)

with ledger:
    names = [worker] if threads == "1" else [f"{worker}t{t}" for t in range(int(threads))]
    running = [threading.Thread(target=work, args=(name,)) for name in names]
    for t in running:
        t.start()
    for t in running:
        t.join()
"""


def start_appender(
    backend: str, target: str, schema: str, worker: str, count: int, threads: int = 1
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", APPENDER, backend, target, schema, worker, str(count), str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
