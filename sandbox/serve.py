"""Running the sandbox over real HTTP: `serve` in the foreground (the CLI's `sandbox serve`)
and `serve_in_thread` for tests that need a socket."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from sandbox.api import ConnectionDropped
from sandbox.app import Sandbox
from sandbox.faults import Faults
from sandbox.quirks import Quirks


class _HideDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for every injected dropped connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def _hide_drops() -> None:
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDrops) for f in log.filters):
        log.addFilter(_HideDrops())


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = "127.0.0.1",
    port: int = 8787,
    db: str | Path = ":memory:",
    api_key: str = "sandbox-key",
    faults: Faults | None = None,
    *,
    allow_remote: bool = False,
    quirks: Quirks | None = None,
) -> None:
    """Serve a sandbox with uvicorn until interrupted. A non-loopback `host` needs
    `allow_remote=True`: the sandbox is a test double, not a hardened server. `quirks` None reads
    $PORTKEY_SANDBOX_QUIRKS (see `sandbox.quirks`)."""
    if not is_loopback(host) and not allow_remote:
        raise ValueError(
            f"refusing to serve the sandbox on non-loopback host {host!r} "
            "(pass allow_remote=True to override)"
        )
    _hide_drops()
    sandbox = Sandbox(db=db, api_key=api_key, faults=faults, quirks=quirks)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = _listening_socket(family, host, port)
    try:
        config = uvicorn.Config(sandbox.app, host=host, port=sock.getsockname()[1], lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        sandbox.close()


def _listening_socket(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    """A bound socket whose accepted connections send at once (TCP_NODELAY is inherited on accept):
    without it small answers wait for the client's delayed ACK, about 40 ms a request."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serve_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `sandbox` with uvicorn on a background thread; yields the base URL
    `http://HOST:PORT/v1` (port 0 picks a free port) and stops the server on exit."""
    _hide_drops()
    with serve_app_in_thread(sandbox.app, host, port) as base:
        yield f"{base}/v1"


@contextmanager
def serve_app_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning", name: str = "sandbox",
    shutdown_s: float = 2,
) -> Iterator[str]:
    """Serve any ASGI `app` with uvicorn on a background thread (TCP_NODELAY, port 0 picks a free port);
    yields `http://HOST:PORT` and stops the server on exit. Tests serve their fakes with it too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = _listening_socket(family, host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=host,
        port=bound_port,
        lifespan="off",
        log_config=None,
        log_level=log_level,
        timeout_graceful_shutdown=shutdown_s,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"{name}-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"{name} server did not start")
        time.sleep(0.01)
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
