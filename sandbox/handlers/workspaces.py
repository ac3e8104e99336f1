"""Workspaces: the seeded default one plus any added through the Python API or over HTTP
(writes in workspace_admin.py); the organisation owner is an admin member of each."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.handlers.members import add_membership, member_views
from sandbox.paging import page
from sandbox.store import Doc, Tx


def add_workspace(tx: Tx, organisation_id: str, name: str, *, is_default: bool = False) -> Doc:
    """Create a workspace and its default collection."""
    now = ids.now_iso()
    workspace = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("ws-", name, 6, lambda s: tx.slug_taken("workspace", s)),
        "name": name,
        "description": None,
        "organisation_id": organisation_id,
        "status": "active",
        "is_default": 1 if is_default else 0,
        "metadata": {},
        "input_guardrails": [],
        "output_guardrails": [],
        "created_at": now,
        "last_updated_at": now,
    }
    tx.put("workspace", workspace)
    for user in tx.list("user"):
        if user["role"] == "owner":
            add_membership(tx, workspace["id"], user["id"], "admin")
    tx.put(
        "collection",
        {
            "id": ids.new_uuid(),
            "slug": ids.make_slug("", "Default", 20, lambda s: tx.slug_taken("collection", s)),
            "name": "Default",
            "workspace_id": workspace["id"],
            "parent_collection_id": None,
            "is_default": True,
            "status": "active",
            "created_at": now,
            "last_updated_at": now,
        },
    )
    return workspace


def workspace_view(tx: Tx, ws: Doc, *, with_users: bool) -> dict[str, Any]:
    """A workspace as `GET /admin/workspaces[/{id}]` shows it."""
    defaults: dict[str, Any] = {
        "metadata": ws["metadata"],
        "is_default": ws["is_default"],
        "object": "workspace",
    }
    view: dict[str, Any] = {
        "id": ws["id"],
        "slug": ws["slug"],
        "name": ws["name"],
        "description": ws["description"],
        "created_at": ws["created_at"],
        "last_updated_at": ws["last_updated_at"],
        "defaults": defaults,
        "usage_limits": ws.get("usage_limits", []),
        "rate_limits": ws.get("rate_limits", []),
        "status": ws["status"],
        "object": "workspace",
    }
    if with_users:
        defaults["input_guardrails"] = ws["input_guardrails"]
        defaults["output_guardrails"] = ws["output_guardrails"]
        defaults["user_api_key_config"] = ws.get("user_api_key_config")
        view["users"] = member_views(tx, ws["id"])
    return view


def list_workspaces(ctx: Ctx) -> Any:
    """GET /admin/workspaces?name&exact_name&status&current_page&page_size."""
    items = ctx.tx.list("workspace")
    name, exact = ctx.query.get("name"), ctx.query.get("exact_name")
    if name:
        items = [w for w in items if name in w["name"]]
    if exact:
        items = [w for w in items if w["name"] == exact]
    statuses = [s for s in (ctx.query.get("status") or "").split(",") if s]
    for status in statuses:
        if status not in ("active", "archived"):
            raise invalid("status", "must be active, archived or both, comma separated")
    if statuses:
        items = [w for w in items if w["status"] in statuses]
    data = [workspace_view(ctx.tx, w, with_users=False) for w in page(items, ctx.query)]
    return {"total": len(items), "object": "list", "data": data}


def get_workspace(ctx: Ctx) -> Any:
    """GET /admin/workspaces/{id}: UUID or slug."""
    ws = ctx.tx.find("workspace", ctx.params["workspace_id"])
    if ws is None:
        raise not_found("workspace", ctx.params["workspace_id"])
    return workspace_view(ctx.tx, ws, with_users=True)
