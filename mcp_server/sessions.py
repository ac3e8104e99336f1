"""Toolsets enabled at run time belong to the session that enabled them.

Every tool ever enabled is registered on the one server, but a session sees (``tools/list``) and
may call (``tools/call``) only the tools selected at start-up plus those it enabled itself. The
scope is the client's connection: a handshake-era session (stdio, stateful HTTP, in memory)
keeps its own set for its life. A 2026-07-28 request has no session (each request is its own
connection), so such requests share one sessionless scope; pin their list with ``--toolsets``.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import ListToolsResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from mcp_server.errors import detail, error_result

_SCOPE = "portkey_admin_mcp.enabled_tools"  # Connection.state key: the names this session enabled


class SessionToolsets:
    """The start-up tools (seen by everyone) and each session's own additions."""

    def __init__(self) -> None:
        self.base: set[str] = set()
        self.sessionless: set[str] = set()

    def scope(self, request_context: ServerRequestContext[Any, Any]) -> set[str]:
        """The set of tool names the calling session enabled (mutable)."""
        connection = request_context.session._connection  # per client connection (pinned SDK, tested)
        if connection.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return self.sessionless
        scope: set[str] = connection.state.setdefault(_SCOPE, set())
        return scope

    def visible(self, request_context: ServerRequestContext[Any, Any], name: str) -> bool:
        return name in self.base or name in self.scope(request_context)


def unknown_tool(name: str) -> HandlerResult:
    """The error for a tool this session cannot call (none of that name, or its toolset is not enabled here)."""
    message = f"Unknown tool {name!r}: no such tool, or it is not enabled in this session."
    step = ("Call tools/list to see the tools you can call; list_toolsets shows every toolset and enable_toolset "
            "adds one to this session.")
    return error_result(f"{message} {step}", detail(message, code="unknown_tool", next_step=step))


class SessionToolFilter:
    """Server middleware: ``tools/list`` and ``tools/call`` limited to the caller's tools."""

    def __init__(self, toolsets: SessionToolsets) -> None:
        self.toolsets = toolsets

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/call" and ctx.request_id is not None:
            name = (ctx.params or {}).get("name")
            if isinstance(name, str) and not self.toolsets.visible(ctx, name):
                return unknown_tool(name)
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            return self._filtered(ctx, result)
        return result

    def _filtered(self, ctx: ServerRequestContext[Any, Any], result: HandlerResult) -> HandlerResult:
        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [t for t in result.tools if self.toolsets.visible(ctx, t.name)]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            tools = [t for t in result["tools"] if self.toolsets.visible(ctx, str(t.get("name")))]
            return {**result, "tools": tools}
        return result
