"""``python -m mortgage_app``: the mock sources, the lender's app, and its URL.

Starts ``brondata mock serve`` (a child process, on 127.0.0.1) with this app's callback as
the sources' redirect URI, builds a gateway over the served sources, and runs the app with
uvicorn until interrupted; the first line printed is the app's URL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import uvicorn

from brondata import Gateway
from brondata.consent import Controller
from brondata.testing import RemoteSources
from brondata.web import open_binding_store
from mortgage_app.lender import LENDER, build_app


def start_sources(host: str, mock_port: int, callback: str) -> tuple[subprocess.Popen[str], str]:
    """``brondata mock serve`` as a child process, and the URL map it printed first."""
    command = [
        sys.executable, "-m", "brondata.cli", "mock", "serve",
        "--host", host, "--port", str(mock_port), "--redirect-uri", callback,
    ]  # fmt: skip
    mock = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert mock.stdout is not None  # stdout=PIPE
    return mock, mock.stdout.readline()


async def serve(host: str, port: int, urls: dict[str, str], db: Path) -> None:
    base = f"http://{host}:{port}"
    callback = f"{base}/journey/callback/{{source}}"
    sources = RemoteSources(urls, redirect_uri=callback)
    controller = Controller(name=LENDER, contact="privacy@lender.example")
    async with Gateway.embedded(
        sources.connectors(), path=db, issuer=base, redirect_uri=callback, controller=controller
    ) as gateway:
        # Beside the sessions in the gateway's file: any instance over it continues a journey.
        bindings = open_binding_store(db)
        app = build_app(gateway, secret=secrets.token_bytes(32), bindings=bindings)
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))

        async def announce() -> None:
            while not server.started:  # noqa: ASYNC110 - uvicorn has only the flag
                await anyio.sleep(0.05)
            print(f"{base}/", flush=True)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(announce)
                await server.serve()
                group.cancel_scope.cancel()
        finally:
            bindings.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="mortgage_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mock-port", type=int, default=8700, help="first mock port; 0: any")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    args = parser.parse_args()
    # uvicorn re-raises the SIGTERM it caught once it has shut down: as SystemExit, so that
    # the mock sources are stopped below rather than left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    callback = f"http://{args.host}:{args.port}/journey/callback/{{source}}"
    mock, line = start_sources(args.host, args.mock_port, callback)
    try:
        if not line:
            raise SystemExit("brondata mock serve did not start")
        with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(KeyboardInterrupt):
            db = args.db or Path(tmp) / "lender.db"
            anyio.run(serve, args.host, args.port, json.loads(line), db)
    finally:
        mock.terminate()
        mock.wait(timeout=10)


main()
