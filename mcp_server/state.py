"""What every tool call can reach: the one Portkey client and the server's tool options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context

from engine.portkey import PortkeyClient

DEFAULT_REQUIRED_METADATA = ("client_id", "app", "env")
DEFAULT_LIST_CAP = 1000


@dataclass(frozen=True)
class ToolOptions:
    """Server options that shape how tools are built and behave."""

    required_metadata: tuple[str, ...] = DEFAULT_REQUIRED_METADATA
    list_cap: int = DEFAULT_LIST_CAP
    confirm_destructive: bool = False


@dataclass
class AppState:
    """The lifespan object: one client shared by every tool (GitOps included)."""

    client: PortkeyClient
    options: ToolOptions = field(default_factory=ToolOptions)


def app_state(ctx: Context[Any, Any]) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan (no Portkey client)")
    return state
