"""``brondata mock serve`` against clients that never finish: a trickled request is cut off, an
oversized request head is refused, and the server still answers others meanwhile."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import anyio
import httpx2
import pytest

from brondata.mock._faults import Fault
from brondata.mock._serve import KEEP_ALIVE_TIMEOUT, MAX_HEAD_BYTES, REQUEST_TIMEOUT, serve

pytestmark = pytest.mark.anyio


@pytest.fixture
async def served(anyio_backend: str) -> AsyncIterator[dict[str, str]]:
    ready = anyio.Event()
    urls: dict[str, str] = {}

    def on_ready(found: dict[str, str]) -> None:
        urls.update(found)
        ready.set()

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve(port=0, on_ready=on_ready, request_timeout=0.5))
        with anyio.fail_after(60):
            await ready.wait()
        yield urls
        group.cancel_scope.cancel()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 80


async def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` (reads until EOF; a bound, not a timing claim)."""
    with anyio.move_on_after(30):
        while True:
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                await anyio.sleep(0.05)
                continue
            except ConnectionResetError:
                return True
            if not data:
                return True
    return False


async def test_a_trickled_request_is_cut_off(served: dict[str, str]) -> None:
    bank = served["bank.mockbank"]
    with socket.create_connection(_address(bank)) as sock:
        sock.setblocking(False)
        sock.send(b"GET /v1/accounts HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        assert await _closed_by_server(sock)
    # Others are still answered.
    async with httpx2.AsyncClient() as client:
        response = await client.get(f"{bank}/.well-known/oauth-authorization-server")
    assert response.status_code == 200


async def test_a_trickled_body_is_cut_off(served: dict[str, str]) -> None:
    with socket.create_connection(_address(served["bank.mockbank"])) as sock:
        sock.setblocking(False)
        sock.send(b"POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert await _closed_by_server(sock)


async def test_an_oversized_request_head_is_refused(served: dict[str, str]) -> None:
    async with httpx2.AsyncClient() as client:
        response = await client.get(
            f"{served['bank.mockbank']}/v1/accounts", headers={"X-Big": "a" * (MAX_HEAD_BYTES + 1)}
        )
    assert response.status_code in (400, 431)


async def _status_of_one_request(address: tuple[str, int], path: str) -> int:
    """One request on a connection of its own; the status code, or 0 if none came."""
    async with await anyio.connect_tcp(*address) as stream:
        await stream.send(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n" not in head:
            try:
                head += await stream.receive()
            except anyio.EndOfStream:
                return 0
    return int(head.split(b" ", 2)[1])


async def test_a_thousand_clients_at_once_are_all_answered(anyio_backend: str) -> None:
    """A thousand consumers in flight hold a thousand connections at once (the benchmark's
    1,000 concurrent sessions): the server accepts them all (listen backlog, open-file limit,
    connection cap) rather than answering 503 or leaving connections unaccepted."""
    ready = anyio.Event()
    urls: dict[str, str] = {}

    def on_ready(found: dict[str, str]) -> None:
        urls.update(found)
        ready.set()

    # Each answer is held back a second, so that all the connections are open together.
    slow = {"bank.mockbank": [Fault("delay", "/", seconds=1.0, include_auth=True)]}
    statuses: list[int] = []
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve(port=0, on_ready=on_ready, faults=slow))
        with anyio.fail_after(60):
            await ready.wait()
        address = _address(urls["bank.mockbank"])

        async def one() -> None:
            statuses.append(
                await _status_of_one_request(address, "/.well-known/oauth-authorization-server")
            )

        with anyio.fail_after(120):
            async with anyio.create_task_group() as clients:
                for _ in range(1000):
                    clients.start_soon(one)
        group.cancel_scope.cancel()
    assert sorted(set(statuses)) == [200], {s: statuses.count(s) for s in set(statuses)}


def test_the_server_keeps_an_idle_connection_longer_than_a_client_does() -> None:
    """A client drops an idle keep-alive connection before the server closes it: else a
    request sent just as the server closes is lost (the client sees RemoteProtocolError)."""
    from brondata.connectors._http import DEFAULT_LIMITS

    for client in (httpx2.Limits(), DEFAULT_LIMITS):
        assert client.keepalive_expiry is not None
        assert min(KEEP_ALIVE_TIMEOUT, REQUEST_TIMEOUT) > client.keepalive_expiry
