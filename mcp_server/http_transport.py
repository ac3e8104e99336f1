"""Streamable HTTP: the SDK's app behind a static bearer token, with exact Host/Origin checks.

The token comes from ``MCP_AUTH_TOKEN`` (at least :data:`MIN_TOKEN_LENGTH` characters) and is
compared in constant time; requests without it, or with more than one ``Authorization`` header,
are refused before they reach the MCP layer.

DNS-rebinding protection: the ``Host`` header must be exactly one of the bound names (the
loopback names for a loopback bind) with the port the server is listening on, or a value named
with ``--allowed-hosts``; an ``Origin``, when sent, must be ``http(s)://`` one of those. An
allowed entry ``name:*`` means that name with any numeric port, nothing else. Duplicated
``Host``/``Origin`` headers are refused.

Sessions (handshake-era clients) expire after an idle timeout, and at most ``max_sessions``
live at once: the SDK answers a new session beyond that with HTTP 503 and a JSON-RPC error.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.portkey.settings import is_loopback

ENV_AUTH_TOKEN = "MCP_AUTH_TOKEN"
MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MIN_TOKEN_LENGTH = 32
DEFAULT_SESSION_IDLE_TIMEOUT = 30 * 60.0
DEFAULT_MAX_SESSIONS = 100
_DEFAULT_PORTS = {"http": 80, "https": 443}


async def _refuse(send: Send, status: int, error: str, message: str,
                  extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *extra]})
    await send({"type": "http.response.body", "body": body})


def _values(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers") or [] if key.lower() == name]


class BearerAuth:
    """ASGI middleware: every HTTP request needs exactly one ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    def _authorised(self, header: bytes) -> bool:
        scheme, _, credentials = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _values(scope, b"authorization")
        if len(headers) > 1:
            await _refuse(send, 400, "duplicate_header", "send exactly one Authorization header")
            return
        if not headers or not self._authorised(headers[0]):
            await _refuse(send, 401, "unauthorized", "send Authorization: Bearer <MCP_AUTH_TOKEN>",
                          [(b"www-authenticate", b'Bearer realm="portkey-admin-mcp"')])
            return
        await self.app(scope, receive, send)


def _pattern(entry: str) -> re.Pattern[str]:
    """An allow-list entry as an exact match; ``name:*`` allows a numeric port and nothing else."""
    entry = entry.strip().lower()
    if entry.endswith(":*"):
        return re.compile(re.escape(entry[:-2]) + r":\d{1,5}")
    return re.compile(re.escape(entry))


class HostGuard:
    """ASGI middleware: exact ``Host`` and ``Origin`` checks against the bound names and port."""

    def __init__(self, app: ASGIApp, names: Sequence[str], port: int | None = None,
                 allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()) -> None:
        self.app = app
        self.names = [name.lower() for name in names]
        self.port = port
        self.hosts = [_pattern(h) for h in allowed_hosts if h.strip()]
        self.origins = [_pattern(o) for o in allowed_origins if o.strip()]

    def _port(self, scope: Scope) -> int | None:
        server = scope.get("server")
        if server and len(server) > 1 and isinstance(server[1], int):
            return int(server[1])  # the port the socket is really bound to (also when asked for port 0)
        return self.port

    def _bound(self, value: str, port: int | None, scheme: str = "") -> bool:
        prefix = f"{scheme}://" if scheme else ""
        for name in self.names:
            if port is not None and value == f"{prefix}{name}:{port}":
                return True
            if value == f"{prefix}{name}" and port == _DEFAULT_PORTS.get(scheme or "http"):
                return True
        return False

    def host_ok(self, host: str, port: int | None) -> bool:
        host = host.lower()
        return self._bound(host, port) or any(p.fullmatch(host) for p in self.hosts)

    def origin_ok(self, origin: str, port: int | None) -> bool:
        origin = origin.lower()
        scheme = origin.partition("://")[0]
        return ((scheme in _DEFAULT_PORTS and self._bound(origin, port, scheme))
                or any(p.fullmatch(origin) for p in self.origins))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts, origins = _values(scope, b"host"), _values(scope, b"origin")
        if len(hosts) > 1 or len(origins) > 1:
            await _refuse(send, 400, "duplicate_header", "send exactly one Host header and at most one Origin header")
            return
        port = self._port(scope)
        if not hosts or not self.host_ok(hosts[0].decode("latin-1"), port):
            await _refuse(send, 421, "invalid_host", "the Host header does not name this server; add the name to "
                                                     "--allowed-hosts if it is a proxy in front of it")
            return
        if origins and not self.origin_ok(origins[0].decode("latin-1"), port):
            await _refuse(send, 403, "invalid_origin", "requests from this Origin are not allowed; add it to "
                                                       "--allowed-origins if it is yours")
            return
        await self.app(scope, receive, send)


def bound_names(host: str) -> list[str]:
    """The Host names a server bound to ``host`` answers to."""
    return list(LOOPBACK_HOSTS) if is_loopback(host) else [f"[{host}]" if ":" in host else host]


def transport_security(host: str, allowed_hosts: Sequence[str] = (),
                       allowed_origins: Sequence[str] = ()) -> TransportSecuritySettings:
    """The SDK's own Host/Origin allow-lists: a looser second net behind :class:`HostGuard`."""
    names = bound_names(host)
    hosts = [f"{name}:*" for name in names] + names + list(allowed_hosts)
    origins = [f"{scheme}://{name}{port}" for name in names for scheme in ("http", "https") for port in (":*", "")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins + list(allowed_origins))


def check_token(token: str) -> None:
    """Refuse a token too short to resist guessing."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"{ENV_AUTH_TOKEN} is too short ({len(token)} characters): use at least {MIN_TOKEN_LENGTH} "
                         "random characters, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'")


def http_app(server: MCPServer[Any], *, host: str, token: str | None, port: int | None = None,
             allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = (),
             session_idle_timeout: float = DEFAULT_SESSION_IDLE_TIMEOUT,
             max_sessions: int = DEFAULT_MAX_SESSIONS) -> ASGIApp:
    """The ASGI app to serve: MCP at ``/mcp``, behind the Host/Origin guard and the bearer check (unless
    ``token`` is None). ``port`` is used only when the ASGI server does not report the bound port."""
    if token is not None:
        check_token(token)
    security = transport_security(host, allowed_hosts, allowed_origins)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH, host=host, transport_security=security,
        session_idle_timeout=session_idle_timeout, max_sessions=max_sessions)
    if token is not None:
        app = BearerAuth(app, token)
    return HostGuard(app, bound_names(host), port, allowed_hosts, allowed_origins)
