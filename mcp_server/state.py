"""What every tool call can reach: the Portkey client and the server's tool options.

Normally one client (the server's key) is shared by every call. With ``--per-session-key`` the
server has no key of its own: each HTTP request brings one in the ``x-portkey-api-key`` header,
and the call gets a client made for that key and kept on the caller's connection only (a
handshake-era session keeps one key for its life; a 2026-era request is its own connection). The
key is registered as a secret (scrubbed from results and logs) before any request uses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from engine import redaction
from engine.portkey import PortkeyClient

DEFAULT_REQUIRED_METADATA = ("client_id", "app", "env")
DEFAULT_LIST_CAP = 1000
KEY_HEADER = "x-portkey-api-key"
MIN_KEY_LENGTH = 8
MAX_KEY_LENGTH = 512
_CONNECTION_CLIENT = "portkey_admin_mcp.session_client"  # Connection.state key: (key digest, client)

SessionClientFactory = Callable[[str], PortkeyClient]


@dataclass(frozen=True)
class ToolOptions:
    """Server options that shape how tools are built and behave."""

    required_metadata: tuple[str, ...] = DEFAULT_REQUIRED_METADATA
    list_cap: int = DEFAULT_LIST_CAP
    confirm_destructive: bool = False
    project_roots: tuple[str, ...] = ()  # GitOps paths must lie under these; none: the working directory
    per_session_key: bool = False


@dataclass
class AppState:
    """The lifespan object: one client shared by every tool, or a factory for per-session clients."""

    client: PortkeyClient | Any
    options: ToolOptions = field(default_factory=ToolOptions)
    session_client: SessionClientFactory | None = None


class SessionKeyError(ToolError):
    """The request brings no usable Portkey key in per-session-key mode."""


def request_key(request: Any) -> str:
    """The Portkey key in the request's header; SessionKeyError when absent or malformed."""
    headers = getattr(request, "headers", None)
    if headers is None:
        raise SessionKeyError("This server runs with --per-session-key, which needs the HTTP transport: each "
                              f"session sends its own Portkey API key in the {KEY_HEADER} header.")
    raw: list[Any] = headers.getlist(KEY_HEADER) if hasattr(headers, "getlist") else [headers.get(KEY_HEADER)]
    values = [v for v in raw if isinstance(v, str)]
    if len(values) != 1:
        raise SessionKeyError(f"Send exactly one {KEY_HEADER} header with your Portkey API key (this server "
                              "runs with --per-session-key and has no key of its own).")
    key = values[0].strip()
    if not (MIN_KEY_LENGTH <= len(key) <= MAX_KEY_LENGTH) or not key.isprintable() or " " in key:
        raise SessionKeyError(f"The {KEY_HEADER} header does not hold a usable Portkey API key "
                              f"({MIN_KEY_LENGTH}-{MAX_KEY_LENGTH} printable characters, no spaces).")
    redaction.register(key)
    return key


def _connection(request_context: Any) -> Any:
    # ServerSession is per request; its Connection lives as long as the client's connection
    # (a handshake-era session, or one 2026-era request). Pinned SDK (mcp 2.3); covered by tests.
    return request_context.session._connection


def session_client(request_context: Any, factory: SessionClientFactory) -> PortkeyClient:
    """The client for the key this request brings, kept on (and closed with) the caller's connection."""
    key = request_key(request_context.request)
    digest = hashlib.sha256(key.encode()).hexdigest()
    connection = _connection(request_context)
    held: tuple[str, PortkeyClient] | None = connection.state.get(_CONNECTION_CLIENT)  # only set just below
    if held is not None:
        if held[0] != digest:
            raise SessionKeyError(f"This session was opened with a different {KEY_HEADER}; a session keeps one "
                                  "Portkey key. Open a new session to use another key.")
        return held[1]
    client = factory(key)
    connection.state[_CONNECTION_CLIENT] = (digest, client)
    connection.exit_stack.push_async_callback(client.aclose)
    return client


def client_for(request_context: Any) -> PortkeyClient:
    """The Portkey client for a low-level request context (the shared one, or the caller's own)."""
    state = request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan (no Portkey client)")
    if state.session_client is None:
        return state.client
    return session_client(request_context, state.session_client)


def app_state(ctx: Context[Any, Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan (no Portkey client)")
    if state.session_client is None:
        return state
    return replace(state, client=session_client(ctx.request_context, state.session_client))
