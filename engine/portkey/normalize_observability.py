"""Response-shape deviations of the MCP and observability endpoints, smoothed out.

Sources are in ``reference/portkey-api.md`` §4 and §10 (row 18).
"""

from __future__ import annotations

from typing import Any


def mcp_integration_workspaces(payload: Any) -> Any:
    """``{workspaces, global_workspace_access}`` (no ``version`` query) or
    ``{data, global_workspace_access, total}`` (with it) → always the latter."""
    if not isinstance(payload, dict):
        return payload
    items = payload.get("data")
    if not isinstance(items, list):
        items = payload.get("workspaces")
    if not isinstance(items, list):
        return payload
    rest = {k: v for k, v in payload.items() if k not in ("data", "workspaces")}
    total = payload.get("total")
    return {
        **rest,
        "data": items,
        "global_workspace_access": payload.get("global_workspace_access"),
        "total": total if isinstance(total, int) and not isinstance(total, bool) else len(items),
    }

