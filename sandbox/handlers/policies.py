"""What rate-limit and usage-limit policies share: conditions, group_by, immutability, lookup."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_enum, opt_list, opt_str
from sandbox.paging import page
from sandbox.store import Doc, Tx

# `conditions[].key` and `group_by[].key`:
# api_key, organisation_id, workspace_id or metadata.<field>.
_KEY = re.compile(r"^(api_key|organisation_id|workspace_id|metadata\.[A-Za-z0-9_.-]+)$")
IMMUTABLE = ("conditions", "group_by", "type")


def _key(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise invalid(where, "must be an object")
    key = item.get("key")
    if key is None:
        raise invalid(f"{where}.key", "field required")
    if not isinstance(key, str) or not _KEY.match(key):
        raise invalid(
            f"{where}.key", "must be api_key, organisation_id, workspace_id or metadata.<field>"
        )
    return key


def conditions(body: dict[str, Any]) -> list[dict[str, str]]:
    """`conditions[{key, value}]`, at least one."""
    items = opt_list(body, "conditions", required=True) or []
    if not items:
        raise invalid("conditions", "must hold at least one condition")
    out = []
    for i, item in enumerate(items):
        key = _key(item, f"conditions[{i}]")
        value = item.get("value")
        if not isinstance(value, str):
            raise invalid(f"conditions[{i}].value", "field required (a string)")
        out.append({"key": key, "value": value})
    return out


def group_by(body: dict[str, Any]) -> list[dict[str, str]]:
    """`group_by[{key}]`, at least one."""
    items = opt_list(body, "group_by", required=True) or []
    if not items:
        raise invalid("group_by", "must hold at least one entry")
    return [{"key": _key(item, f"group_by[{i}]")} for i, item in enumerate(items)]


def check_update_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """400 naming the first field an update may not carry: `conditions`, `group_by` and
    `type` are immutable; anything else outside `allowed` (and the scoping ids) is unknown."""
    for field in IMMUTABLE:
        if field in body:
            raise invalid(field, "cannot be changed; delete the policy and create a new one")
    for field in body:
        if field not in allowed and field not in ("workspace_id", "organisation_id"):
            raise invalid(field, f"cannot be updated (updatable: {', '.join(allowed)})")


def find_policy(tx: Tx, kind: str, ident: str) -> Doc:
    """A policy of `kind` by UUID; 404 if unknown."""
    found = tx.get(kind, ident) if ids.is_uuid(ident) else None
    if found is None:
        raise not_found(kind.replace("_", " ") + " policy", ident)
    return found


def policy_name(body: dict[str, Any]) -> str | None:
    """The optional `name`, at most 255 characters."""
    name = opt_str(body, "name")
    if name is not None and len(name) > 255:
        raise invalid("name", "must be at most 255 characters")
    return name


def create_policy(
    ctx: Ctx, kind: str, types: tuple[str, ...], limits: Callable[[dict[str, Any]], dict[str, Any]]
) -> Doc:
    """Check a create body (`conditions`, `group_by`, `type`, then what `limits` reads from the
    body, then `name` and the scope) and store the new active policy of `kind`."""
    body = ctx.body
    policy_conditions = conditions(body)
    policy_group_by = group_by(body)
    policy_type = opt_enum(body, "type", types, required=True)
    fields = limits(body)
    name = policy_name(body)
    ctx.check_organisation()
    ws = ctx.workspace(body.get("workspace_id"))
    now = ids.now_iso()
    policy = {
        "id": ids.new_uuid(),
        "name": name,
        "conditions": policy_conditions,
        "group_by": policy_group_by,
        "type": policy_type,
        **fields,
        "status": "active",
        "workspace_id": ws["id"],
        "organisation_id": ctx.org.organisation_id,
        "created_at": now,
        "last_updated_at": now,
    }
    return ctx.tx.put(kind, policy)


def list_policies(ctx: Ctx, kind: str, filters: dict[str, tuple[str, ...]]) -> tuple[list[Doc], int]:
    """The requested page of a workspace's policies with `?status` (default active) and the
    enum query `filters` applied, and how many match in all."""
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    wanted = {"status": opt_enum(ctx.query, "status", ("active", "archived")) or "active"}
    for field, choices in filters.items():
        value = opt_enum(ctx.query, field, choices)
        if value is not None:
            wanted[field] = value
    items = [p for p in ctx.tx.list(kind, workspace_id=ws["id"]) if all(p[k] == v for k, v in wanted.items())]
    return page(items, ctx.query), len(items)
