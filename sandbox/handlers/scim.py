"""SCIM: groups pushed by the identity provider, and mappings of a group to a workspace role.

A mapping names its group by exactly one of `scim_group_id` / `scim_group_name` (the spec's
oneOf). A name the IdP has not pushed yet is recorded as a new group. Lists do not page in the
spec (`{mappings, total_count}`); the successor MCP server's 0-based `page`/`page_size` are
honoured when sent, as on `/scim/groups` (`{groups, total_count}`, not in the spec).
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_enum, opt_str
from sandbox.handlers.members import ROLES
from sandbox.paging import page
from sandbox.store import Doc, Tx

GROUP = "scim_group"
MAPPING = "scim_mapping"


def add_group(tx: Tx, name: str) -> Doc:
    """Record a SCIM group as if the identity provider had pushed it."""
    group = {"id": ids.new_uuid(), "name": name, "created_at": ids.now_iso()}
    return tx.put(GROUP, group)


def _paged(items: list[Any], query: Any) -> list[Any]:
    wanted = {"current_page": query.get("page"), "page_size": query.get("page_size")}
    return page(items, {k: v for k, v in wanted.items() if v is not None}, default_size=None)


def _view(tx: Tx, mapping: Doc) -> dict[str, Any]:
    group = tx.get(GROUP, mapping["scim_group_id"]) or {}
    return {
        "id": mapping["id"],
        "workspace_id": mapping["workspace_id"],
        "scim_group": group.get("name", ""),
        "scim_group_id": mapping["scim_group_id"],
        "role": mapping["role"],
    }


def _group(ctx: Ctx) -> Doc:
    group_id = opt_str(ctx.body, "scim_group_id")
    group_name = opt_str(ctx.body, "scim_group_name")
    if (group_id is None) == (group_name is None):
        raise invalid("scim_group_id", "give exactly one of scim_group_id and scim_group_name")
    if group_id is not None:
        found = ctx.tx.get(GROUP, group_id)
        if found is None:
            raise invalid("scim_group_id", f"no SCIM group '{group_id}'")
        return found
    assert group_name is not None
    if not group_name.strip():
        raise invalid("scim_group_name", "must not be empty")
    named = next((g for g in ctx.tx.list(GROUP) if g["name"] == group_name), None)
    return named or add_group(ctx.tx, group_name)


def list_scim_workspace_mappings(ctx: Ctx) -> Any:
    """GET /scim/workspaces?workspace_id&scim_group_id&role → {mappings, total_count}."""
    items = [_view(ctx.tx, m) for m in ctx.tx.list(MAPPING)]
    if ctx.query.get("workspace_id"):
        ws = ctx.workspace(ctx.query["workspace_id"])
        items = [m for m in items if m["workspace_id"] == ws["id"]]
    if ctx.query.get("scim_group_id"):
        items = [m for m in items if m["scim_group_id"] == ctx.query["scim_group_id"]]
    role = opt_enum(ctx.query, "role", ROLES)
    if role:
        items = [m for m in items if m["role"] == role]
    return {"mappings": _paged(items, ctx.query), "total_count": len(items)}


def create_scim_workspace_mapping(ctx: Ctx) -> Any:
    """POST /scim/workspaces {workspace_id*, role*, scim_group_id | scim_group_name} →
    {id, workspace_id, scim_group, role, scim_group_id}."""
    ws = ctx.workspace(opt_str(ctx.body, "workspace_id", required=True))
    role = opt_enum(ctx.body, "role", ROLES, required=True)
    group = _group(ctx)
    for other in ctx.tx.list(MAPPING, workspace_id=ws["id"]):
        if other["scim_group_id"] == group["id"]:
            raise conflict(f"SCIM group {group['name']} is already mapped to workspace {ws['slug']}")
    mapping = {
        "id": ids.new_uuid(),
        "workspace_id": ws["id"],
        "scim_group_id": group["id"],
        "role": role,
        "created_at": ids.now_iso(),
    }
    ctx.tx.put(MAPPING, mapping)
    return _view(ctx.tx, mapping)


def delete_scim_workspace_mapping(ctx: Ctx) -> Any:
    """DELETE /scim/workspaces/{id} → {success: true}."""
    mapping = ctx.tx.get(MAPPING, ctx.params["mapping_id"])
    if mapping is None:
        raise not_found("SCIM workspace mapping", ctx.params["mapping_id"])
    ctx.tx.delete(MAPPING, mapping["id"])
    return {"success": True}


def list_scim_groups(ctx: Ctx) -> Any:
    """GET /scim/groups?search&page&page_size → {groups, total_count} (not in the spec)."""
    items = ctx.tx.list(GROUP)
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = [g for g in items if search in g["name"].lower()]
    groups = [{"id": g["id"], "name": g["name"], "created_at": g["created_at"]} for g in _paged(items, ctx.query)]
    return {"groups": groups, "total_count": len(items)}
