"""``build_server``: the MCPServer with the selected tools, one Portkey client and the meta tools.

The lifespan owns one :class:`~engine.portkey.PortkeyClient` (from ``client_factory``) shared
by every tool, or, with ``session_client`` (``--per-session-key``), a factory for the client of
each session's own key (:mod:`mcp_server.state`). ``list_toolsets``/``enable_toolset`` let a client
add a toolset at run time for its own session (respecting read-only mode and exclusions;
:mod:`mcp_server.sessions`); the server advertises ``tools.listChanged`` in both protocol eras and
notifies both when the list changes. The Portkey key is registered as a secret
when the server starts, and every tool answer passes :class:`~mcp_server.scrubbing.ScrubToolResults`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server import MCPServer, NotificationOptions
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from engine import redaction
from engine.portkey import PortkeyClient
from mcp_server import results
from mcp_server.descriptions import title
from mcp_server.errors import DetailedToolError, detail
from mcp_server.logs import install_redaction
from mcp_server.registry import Registry, build_registry
from mcp_server.scrubbing import ScrubToolResults
from mcp_server.selection import Selection, allowed, select, validate
from mcp_server.sessions import SessionToolFilter, SessionToolsets
from mcp_server.state import AppState, SessionClientFactory, ToolOptions
from mcp_server.tool_spec import ToolSpec, make_tool

log = logging.getLogger("portkey_admin_mcp.server")

NAME = "portkey-admin-mcp"
META_TOOLS = ("list_toolsets", "enable_toolset")

INSTRUCTIONS = """\
Tools for the Portkey Admin API (prompts, partials, labels, collections, configs, guardrails, limits,
keys, providers, integrations, workspaces, users, MCP gateway, logs, analytics) plus the GitOps workflow.
- Ids: most tools take the object's id or slug; call the matching list_* tool to find it.
- Lists return one page (current_page from 0, page_size up to 100) or, with all=true, every item up to a cap;
  has_more/complete tell whether anything is left.
- Prompt updates create unpublished versions: publish_prompt makes one live (it takes the version number).
- GitOps: gitops_validate, then gitops_plan; show the changes to the user, then gitops_apply with the plan_hash
  gitops_plan returned (a plan with errors is isError and has no hash); gitops_plan again shows no changes.
- Errors: the first line is for people; structuredContent (and a JSON block) holds {status, code, message,
  retryable, next_step}. Unknown argument names are refused. 403 on Enterprise-only tools means the plan does
  not include them.
- Analytics default workspace_slug to the key's workspace; list_audit_logs defaults to the last 30 days.
- list_toolsets shows the toolsets; enable_toolset adds one to this session if the client refreshes its tool list.
"""

ClientFactory = Callable[[], PortkeyClient]
META_OUTPUT: dict[str, dict[str, Any]] = {
    "list_toolsets": {"type": "object", "properties": {
        "toolsets": {"type": "array", "items": {"type": "object", "additionalProperties": True},
                     "description": "One row per toolset: toolset, tools, available, enabled, read_only_tools."},
        "read_only": {"type": "boolean", "description": "Whether the server runs in read-only mode."}},
        "required": ["toolsets", "read_only"], "additionalProperties": True},
    "enable_toolset": {"type": "object", "properties": {
        "toolset": {"type": "string", "description": "The toolset asked for."},
        "added": {"type": "array", "items": {"type": "string"}, "description": "Tools added now."},
        "skipped": {"type": "array", "items": {"type": "string"},
                    "description": "Tools left out (excluded, or not read-only in read-only mode)."},
        "note": {"type": ["string", "null"], "description": "Why tools were skipped, if any were."}},
        "required": ["toolset", "added", "skipped"], "additionalProperties": True},
}


class ToolsetController:
    """The registered tools of one server, and the runtime toolset switch."""

    def __init__(self, registry: Registry, selection: Selection, options: ToolOptions) -> None:
        self.server: MCPServer[Any] | None = None
        self.registry = registry
        self.selection = selection
        self.options = options
        self.registered: set[str] = set()  # every tool on the server (start-up ones and any session's)
        self.sessions = SessionToolsets()

    def initial_tools(self) -> list[Tool]:
        """The tools to construct the server with: the selection, then the meta tools."""
        specs = [*select(self.registry, self.selection),
                 *(s for s in _meta_specs(self) if s.name not in self.selection.exclude_tools)]
        self.registered.update(spec.name for spec in specs)
        self.sessions.base.update(spec.name for spec in specs)
        return [spec.tool(self.options) for spec in specs]

    def add(self, spec: ToolSpec) -> None:
        """Register one more tool on the running server."""
        assert self.server is not None, "attach the server first"
        tool = spec.tool(self.options)
        # MCPServer.add_tool takes a function and rebuilds the tool from it; the tool manager keeps built
        # tools by name (pinned SDK, mcp 2.3), so the ready PortkeyTool goes in as it is.
        self.server._tool_manager._tools.setdefault(tool.name, tool)
        self.registered.add(spec.name)

    def overview(self, enabled: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """Per toolset: tools, available under the selection, enabled for the caller (start-up + ``enabled``)."""
        rows = []
        for toolset in self.registry.toolsets:
            specs = self.registry.in_toolset(toolset)
            available = [s.name for s in specs if allowed(s, self.selection)]
            active = [name for name in available if name in self.sessions.base or name in enabled]
            rows.append({"toolset": toolset, "tools": len(specs), "available": len(available),
                         "enabled": len(active), "read_only_tools": sum(s.read_only for s in specs)})
        return rows

    def enable(self, toolset: str, scope: set[str] | None = None) -> dict[str, Any]:
        """Add ``toolset``'s allowed tools to ``scope`` (the calling session's set), registering new ones."""
        scope = set() if scope is None else scope
        if toolset not in self.registry.toolsets:
            message = (f"Invalid argument 'toolset': unknown toolset {toolset!r}; valid toolsets: "
                       f"{', '.join(self.registry.toolsets)}.")
            step = "Call enable_toolset with one of the valid toolsets (list_toolsets shows what each holds)."
            raise DetailedToolError(f"{message} {step}", detail(message, code="invalid_arguments", next_step=step))
        added, skipped = [], []
        for spec in self.registry.in_toolset(toolset):
            if spec.name in self.sessions.base or spec.name in scope:
                continue
            if not allowed(spec, self.selection):
                skipped.append(spec.name)
                continue
            if spec.name not in self.registered:
                self.add(spec)
            scope.add(spec.name)
            added.append(spec.name)
        return {"toolset": toolset, "added": added, "skipped": skipped,
                "note": "Skipped tools are excluded or not read-only in read-only mode." if skipped else None}


def _meta_specs(controller: ToolsetController) -> list[ToolSpec]:
    async def list_toolsets(ctx: Context) -> CallToolResult:
        """The toolsets, their tool counts and how many are enabled."""
        enabled = controller.sessions.scope(ctx.request_context)
        return results.ok("list_toolsets", {"toolsets": controller.overview(enabled),
                                             "read_only": controller.selection.read_only})

    async def enable_toolset(
        toolset: Annotated[str, Field(max_length=64, description="Toolset to add (see list_toolsets).")],
        ctx: Context,
    ) -> CallToolResult:
        """Register the tools of one toolset now and tell the client its tool list changed."""
        outcome = controller.enable(toolset, controller.sessions.scope(ctx.request_context))
        if outcome["added"]:
            await notify_tools_changed(ctx)
        return results.ok("enable_toolset", outcome)

    list_text = ("List the toolsets (tool groups) with their tool counts and how many are enabled here; "
                 "enable_toolset adds a missing one.")
    enable_text = ("Add a toolset's tools to this session (other sessions are not affected; read-only mode and "
                   "exclusions still apply); the client must refresh its tool list to see them.")
    specs: list[ToolSpec] = []
    # Both act on this server only (closed world); enable_toolset changes the session's tool list, no Portkey data.
    for name, fn, text, read_only in (("list_toolsets", list_toolsets, list_text, True),
                                      ("enable_toolset", enable_toolset, enable_text, False)):
        annotations = ToolAnnotations(title=title(name), read_only_hint=read_only, destructive_hint=False,
                                      idempotent_hint=True, open_world_hint=False)
        specs.append(ToolSpec(name, "meta", "M", title(name), text, annotations, _meta_builder(fn)))
    return specs


def _meta_builder(fn: Callable[..., Any]) -> Callable[[ToolSpec, ToolOptions], Tool]:
    def build(spec: ToolSpec, options: ToolOptions) -> Tool:
        return make_tool(spec, fn, options, output_schema=META_OUTPUT[spec.name])

    return build


async def notify_tools_changed(ctx: Context[Any, Any]) -> None:
    """Tell both protocol eras that the tool list changed."""
    await ctx.notify_tools_changed()  # 2026-07-28: subscriptions/listen streams
    session = ctx.session
    if getattr(session, "can_send_request", True):
        try:
            await session.send_tool_list_changed()  # handshake era: notifications/tools/list_changed
        except Exception as exc:  # a connection without a back-channel (stateless HTTP)
            log.debug("could not send tools/list_changed: %s", type(exc).__name__)


def advertise_list_changed(server: MCPServer[Any]) -> None:
    """Advertise ``tools.listChanged`` to handshake-era clients too.

    MCPServer offers no switch for it in mcp 2.3 (the 2026 era sets it itself), so the low-level
    server's ``create_initialization_options`` is wrapped. Pinned SDK; covered by a test.
    """
    low = server._lowlevel_server
    original = low.create_initialization_options

    def with_tools_changed(notification_options: NotificationOptions | None = None, *args: Any,
                           **kwargs: Any) -> Any:
        options = notification_options or NotificationOptions()
        options.tools_changed = True
        return original(options, *args, **kwargs)

    low.create_initialization_options = with_tools_changed  # type: ignore[method-assign]


def build_server(
    client_factory: ClientFactory,
    *,
    selection: Selection | None = None,
    options: ToolOptions | None = None,
    registry: Registry | None = None,
    session_client: SessionClientFactory | None = None,
    extra_middleware: tuple[Any, ...] = (),
) -> MCPServer[AppState]:
    """The MCP server; ``client_factory`` makes the Portkey client when the server starts.

    With ``session_client`` (``--per-session-key``) there is no shared client: each session's calls use
    ``session_client(its key)``; ``extra_middleware`` (e.g. exposed prompts) runs inside the scrubber."""
    install_redaction()
    selection = selection or Selection()
    options = options or ToolOptions()
    registry = registry or build_registry()
    validate(selection, registry, META_TOOLS)

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        if session_client is not None:
            yield AppState(None, options, session_client)
            return
        client = client_factory()
        redaction.register(client.settings.api_key.reveal())
        try:
            yield AppState(client, options)
        finally:
            await client.aclose()

    controller = ToolsetController(registry, selection, options)
    server: MCPServer[AppState] = MCPServer(NAME, instructions=INSTRUCTIONS, lifespan=lifespan,
                                            tools=controller.initial_tools(), log_level="WARNING",
                                            middleware=[ScrubToolResults(), SessionToolFilter(controller.sessions),
                                                        *extra_middleware])
    controller.server = server
    advertise_list_changed(server)
    return server
