"""Organisation users. They cannot be created over HTTP: they arrive by accepting an invite.

Lists page with camelCase `currentPage` / `pageSize` as the spec says (portkey-api.md §5); the
successor MCP server's snake_case spelling is honoured too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_enum, opt_str
from sandbox.paging import page
from sandbox.store import Doc, Tx

T = TypeVar("T")
USER = "user"
MEMBER = "member"  # workspace memberships, see members.py
ORG_ROLES = ("admin", "member")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def camel_page(items: Sequence[T], query: Mapping[str, str]) -> list[T]:
    """A page by `currentPage`/`pageSize` (spec), else `current_page`/`page_size`."""
    snake = {
        "current_page": query.get("currentPage", query.get("current_page")),
        "page_size": query.get("pageSize", query.get("page_size")),
    }
    return page(items, {k: v for k, v in snake.items() if v is not None})


def check_email(value: Any, field: str = "email") -> str:
    """A lower-cased e-mail address; 400 if it does not look like one."""
    if not isinstance(value, str) or not EMAIL.match(value.strip()):
        raise invalid(field, "must be an e-mail address")
    return value.strip().lower()


def find_user(tx: Tx, ident: str, field: str | None = None) -> Doc:
    """A user by UUID; 404 (or 400 naming `field`) if unknown or not a UUID."""
    found = tx.get(USER, ident) if ids.is_uuid(ident) else None
    if found is None:
        if field:
            raise invalid(field, f"no user '{ident}'")
        raise not_found("user", ident)
    return found


def create_user(tx: Tx, email: str, role: str, first_name: str = "", last_name: str = "") -> Doc:
    """Store a new organisation user (what accepting an invite does); 409 if the e-mail is taken."""
    if any(u["email"] == email for u in tx.list(USER)):
        raise conflict(f"email: a user with e-mail {email} already exists")
    now = ids.now_iso()
    user = {
        "id": ids.new_uuid(),
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "role": role,
        "created_at": now,
        "last_updated_at": now,
    }
    return tx.put(USER, user)


def user_view(tx: Tx, user: Doc) -> dict[str, Any]:
    """A user as `GET /admin/users[/{id}]` shows it."""
    workspace_ids = [m["workspace_id"] for m in tx.list(MEMBER) if m["user_id"] == user["id"]]
    return {
        "object": "user",
        "id": user["id"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "role": user["role"],
        "email": user["email"],
        "created_at": user["created_at"],
        "last_updated_at": user.get("last_updated_at", user["created_at"]),
        "workspace_ids": workspace_ids,
    }


def list_all_users(ctx: Ctx) -> Any:
    """GET /admin/users?role&email&currentPage&pageSize → {total, object: "list", data}."""
    items = ctx.tx.list(USER)
    role = opt_enum(ctx.query, "role", (*ORG_ROLES, "owner"))
    if role:
        items = [u for u in items if u["role"] == role]
    email = (ctx.query.get("email") or "").lower()
    if email:
        items = [u for u in items if email in u["email"]]
    data = [user_view(ctx.tx, u) for u in camel_page(items, ctx.query)]
    return {"total": len(items), "object": "list", "data": data}


def get_user(ctx: Ctx) -> Any:
    """GET /admin/users/{id}: UUID only."""
    return user_view(ctx.tx, find_user(ctx.tx, ctx.params["user_id"]))


def update_user(ctx: Ctx) -> Any:
    """PUT /admin/users/{id} {role (admin|member), first_name, last_name} → {}."""
    user = find_user(ctx.tx, ctx.params["user_id"])
    role = opt_enum(ctx.body, "role", ORG_ROLES)
    if role is not None:
        if user["role"] == "owner":
            raise invalid("role", "the organisation owner's role cannot be changed")
        user["role"] = role
    for name in ("first_name", "last_name"):
        value = opt_str(ctx.body, name)
        if value is not None:
            user[name] = value
    user["last_updated_at"] = ids.now_iso()
    ctx.tx.put(USER, user)
    return {}


def delete_user(ctx: Ctx) -> Any:
    """DELETE /admin/users/{id}: removes the user from the organisation, its workspaces and
    revokes its user API keys; the owner cannot be removed (409)."""
    user = find_user(ctx.tx, ctx.params["user_id"])
    if user["role"] == "owner":
        raise conflict("the organisation owner cannot be removed")
    for membership in ctx.tx.list(MEMBER):
        if membership["user_id"] == user["id"]:
            ctx.tx.delete(MEMBER, membership["id"])
    for key in ctx.tx.list("api_key"):
        if key.get("user_id") == user["id"]:
            ctx.tx.delete("api_key", key["id"])
    ctx.tx.delete(USER, user["id"])
    return {}
