"""Misbehaving Portkey stand-ins served by uvicorn on 127.0.0.1: a trickling body and an endless one."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import anyio

from sandbox.serve import serve_app_in_thread

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class Misbehaving:
    """An ASGI app answering every request 200 with a JSON body sent by ``body(send, gone)``.

    ``gone`` is set once the client disconnects, so the server stops writing and shuts down cleanly.
    ``hits`` counts the requests per ``METHOD path``.
    """

    def __init__(self, body: Callable[[Send, anyio.Event], Awaitable[None]], headers: list[tuple[bytes, bytes]]):
        self._body = body
        self._headers = headers
        self.hits: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        key = f"{scope['method']} {scope['path']}"
        self.hits[key] = self.hits.get(key, 0) + 1
        gone = anyio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(watch)
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), *self._headers]})
            await self._body(send, gone)
            if not gone.is_set():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            tasks.cancel_scope.cancel()


def trickle(seconds: float = 60) -> Misbehaving:
    """One byte a second of a JSON object that never completes within ``seconds``."""

    async def body(send: Send, gone: anyio.Event) -> None:
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        ends = time.monotonic() + seconds
        while not gone.is_set() and time.monotonic() < ends:
            with anyio.move_on_after(1):
                await gone.wait()
            if not gone.is_set():
                await send({"type": "http.response.body", "body": b" ", "more_body": True})

    return Misbehaving(body, [])


def endless(chunk: int = 256 * 1024, limit: int = 1024 * 1024 * 1024, announce: int | None = None) -> Misbehaving:
    """A JSON array that keeps coming (up to ``limit`` bytes, far past any cap); ``announce`` sets Content-Length."""

    async def body(send: Send, gone: anyio.Event) -> None:
        await send({"type": "http.response.body", "body": b"[", "more_body": True})
        piece = b"1," * (chunk // 2)
        sent = 0
        while not gone.is_set() and sent < limit:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            sent += len(piece)
            await anyio.sleep(0)

    headers = [(b"content-length", str(announce).encode())] if announce is not None else []
    return Misbehaving(body, headers)


@contextmanager
def serve(app: App) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields ``http://127.0.0.1:PORT/v1``."""
    with serve_app_in_thread(app, log_level="critical", name="test", shutdown_s=1) as base:
        yield f"{base}/v1"
