"""Streamable HTTP: the SDK's app behind a static bearer token, with Host/Origin checks.

The token comes from ``MCP_AUTH_TOKEN`` and is compared in constant time; requests without it
get 401 before they reach the MCP layer. DNS-rebinding protection allows only the bound host
(loopback names for a loopback bind) plus any hosts and origins named explicitly.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.portkey.settings import is_loopback

ENV_AUTH_TOKEN = "MCP_AUTH_TOKEN"
MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class BearerAuth:
    """ASGI middleware: every HTTP request needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    def _authorised(self, header: bytes) -> bool:
        scheme, _, credentials = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        if scope["type"] == "http" and not self._authorised(header):
            body = json.dumps({"error": "unauthorized",
                               "message": "send Authorization: Bearer <MCP_AUTH_TOKEN>"}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"www-authenticate", b'Bearer realm="portkey-admin-mcp"')]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def transport_security(host: str, allowed_hosts: Sequence[str] = (),
                       allowed_origins: Sequence[str] = ()) -> TransportSecuritySettings:
    """Host and Origin allow-lists for DNS-rebinding protection."""
    names = list(LOOPBACK_HOSTS) if is_loopback(host) else [host]
    hosts = [f"{name}:*" for name in names] + list(allowed_hosts)
    origins = [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")] + list(allowed_origins)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def http_app(server: MCPServer[Any], *, host: str, token: str | None,
             allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()) -> ASGIApp:
    """The ASGI app to serve: MCP at ``/mcp``, behind the bearer check unless ``token`` is None."""
    security = transport_security(host, allowed_hosts, allowed_origins)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host, transport_security=security)
    return BearerAuth(app, token) if token is not None else app
