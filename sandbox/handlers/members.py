"""Workspace members: which users may use a workspace, and with which role.

Removing a member only removes its access; the user stays in the organisation.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_enum, opt_list
from sandbox.handlers.users import MEMBER, check_email, find_user
from sandbox.paging import page
from sandbox.store import Doc, Tx

ROLES = ("admin", "member", "manager")


def find_workspace(tx: Tx, ident: str) -> Doc:
    """A workspace named in the path (UUID or `ws-…` slug); 404 if unknown."""
    found = tx.find("workspace", ident)
    if found is None:
        raise not_found("workspace", ident)
    return found


def membership(tx: Tx, workspace_id: str, user_id: str) -> Doc | None:
    """The membership of `user_id` in `workspace_id`, if any."""
    return next((m for m in tx.list(MEMBER, workspace_id=workspace_id) if m["user_id"] == user_id), None)


def add_membership(tx: Tx, workspace_id: str, user_id: str, role: str) -> Doc:
    """Give a user access to a workspace, or change its role there."""
    now = ids.now_iso()
    found = membership(tx, workspace_id, user_id)
    if found is not None:
        found.update(role=role, last_updated_at=now)
        return tx.put(MEMBER, found)
    doc = {
        "id": ids.new_uuid(),
        "workspace_id": workspace_id,
        "user_id": user_id,
        "role": role,
        "created_at": now,
        "last_updated_at": now,
    }
    return tx.put(MEMBER, doc)


def member_view(tx: Tx, member: Doc) -> dict[str, Any]:
    """A membership as `GET …/users[/{id}]` shows it: the user plus its workspace role."""
    user = tx.get("user", member["user_id"]) or {}
    return {
        "object": "workspace-user",
        "id": member["user_id"],
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "email": user.get("email", ""),
        "org_role": user.get("role", "member"),
        "role": member["role"],
        "status": "active",
        "workspace_id": member["workspace_id"],
        "settings": None,
        "created_at": member["created_at"],
        "last_updated_at": member["last_updated_at"],
    }


def member_views(tx: Tx, workspace_id: str) -> list[dict[str, Any]]:
    """Every member of a workspace, oldest first."""
    return [member_view(tx, m) for m in tx.list(MEMBER, workspace_id=workspace_id)]


def _member(ctx: Ctx) -> tuple[Doc, Doc]:
    ws = find_workspace(ctx.tx, ctx.params["workspace_id"])
    user_id = ctx.params["user_id"]
    if not ids.is_uuid(user_id):
        raise invalid("user_id", "must be a UUID")
    found = membership(ctx.tx, ws["id"], user_id)
    if found is None:
        raise not_found("workspace member", user_id)
    return ws, found


def add_workspace_member(ctx: Ctx) -> Any:
    """POST /admin/workspaces/{id}/users {users: [{id, role}]} (spec) or {user_id, role}
    (both MCP servers, portkey-api.md §10 row 29) → {}; an existing member gets the new role."""
    ws = find_workspace(ctx.tx, ctx.params["workspace_id"])
    users = opt_list(ctx.body, "users")
    if users is None:
        items, id_key, prefix = [ctx.body], "user_id", ""
    else:
        items, id_key, prefix = users, "id", "users[{}]."
    for i, item in enumerate(items):
        where = prefix.format(i)
        if not isinstance(item, dict):
            raise invalid(where.rstrip("."), "must be an object")
        user_id = item.get(id_key)
        if not isinstance(user_id, str) or not ids.is_uuid(user_id):
            raise invalid(where + id_key, "must be a user UUID")
        find_user(ctx.tx, user_id, where + id_key)
        role = item.get("role")
        if role not in ROLES:
            raise invalid(where + "role", f"must be one of {', '.join(ROLES)}")
        add_membership(ctx.tx, ws["id"], user_id, role)
    return {}


def list_workspace_members(ctx: Ctx) -> Any:
    """GET /admin/workspaces/{id}/users?role&email&current_page&page_size → {total, object, data}."""
    ws = find_workspace(ctx.tx, ctx.params["workspace_id"])
    items = member_views(ctx.tx, ws["id"])
    role = opt_enum(ctx.query, "role", ROLES)
    if role:
        items = [m for m in items if m["role"] == role]
    email = ctx.query.get("email")
    if email:
        wanted = check_email(email)
        items = [m for m in items if m["email"] == wanted]
    return {"total": len(items), "object": "list", "data": page(items, ctx.query)}


def get_workspace_member(ctx: Ctx) -> Any:
    """GET /admin/workspaces/{id}/users/{user_id} → a workspace-user object."""
    _, found = _member(ctx)
    return member_view(ctx.tx, found)


def update_workspace_member(ctx: Ctx) -> Any:
    """PUT /admin/workspaces/{id}/users/{user_id} {role*} → {}."""
    ws, found = _member(ctx)
    role = opt_enum(ctx.body, "role", ROLES, required=True)
    assert role is not None
    add_membership(ctx.tx, ws["id"], found["user_id"], role)
    return {}


def remove_workspace_member(ctx: Ctx) -> Any:
    """DELETE /admin/workspaces/{id}/users/{user_id} → {}: access only, never the user."""
    _, found = _member(ctx)
    ctx.tx.delete(MEMBER, found["id"])
    return {}
