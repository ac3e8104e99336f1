"""Rate-limit policies: requests or tokens per minute, hour or day; delete removes them."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.fields import opt_enum, opt_number
from sandbox.handlers.policies import (
    check_update_fields,
    conditions,
    find_policy,
    group_by,
    policy_name,
)
from sandbox.paging import page

TYPES = ("requests", "tokens")
UNITS = ("rpm", "rph", "rpd")
KIND = "rate_limit"


def create_rate_limit(ctx: Ctx) -> Any:
    """POST /policies/rate-limits {conditions*, group_by*, type*, unit*, value*, name,
    workspace_id, organisation_id} → {id, object}."""
    body = ctx.body
    policy_conditions = conditions(body)
    policy_group_by = group_by(body)
    kind = opt_enum(body, "type", TYPES, required=True)
    unit = opt_enum(body, "unit", UNITS, required=True)
    value = opt_number(body, "value", required=True, minimum=0)
    name = policy_name(body)
    ctx.check_organisation()
    ws = ctx.workspace(body.get("workspace_id"))
    now = ids.now_iso()
    policy = {
        "id": ids.new_uuid(),
        "name": name,
        "conditions": policy_conditions,
        "group_by": policy_group_by,
        "type": kind,
        "unit": unit,
        "value": value,
        "status": "active",
        "workspace_id": ws["id"],
        "organisation_id": ctx.org.organisation_id,
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put(KIND, policy)
    return {"id": policy["id"], "object": "policy_rate_limits"}


def list_rate_limits(ctx: Ctx) -> Any:
    """GET /policies/rate-limits?workspace_id&status(active)&type&unit&current_page&page_size."""
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    status = opt_enum(ctx.query, "status", ("active", "archived")) or "active"
    kind = opt_enum(ctx.query, "type", TYPES)
    unit = opt_enum(ctx.query, "unit", UNITS)
    items = [
        p
        for p in ctx.tx.list(KIND, workspace_id=ws["id"])
        if p["status"] == status and kind in (None, p["type"]) and unit in (None, p["unit"])
    ]
    return {"object": "list", "data": page(items, ctx.query), "total": len(items)}


def get_rate_limit(ctx: Ctx) -> Any:
    """GET /policies/rate-limits/{id}."""
    return {**find_policy(ctx.tx, KIND, ctx.params["policy_id"]), "object": "policy_rate_limits"}


def update_rate_limit(ctx: Ctx) -> Any:
    """PUT /policies/rate-limits/{id} {name, unit, value}; conditions, group_by, type → 400."""
    policy = find_policy(ctx.tx, KIND, ctx.params["policy_id"])
    check_update_fields(ctx.body, ("name", "unit", "value"))
    name = policy_name(ctx.body)
    if name is not None:
        policy["name"] = name
    unit = opt_enum(ctx.body, "unit", UNITS)
    if unit is not None:
        policy["unit"] = unit
    value = opt_number(ctx.body, "value", minimum=0)
    if value is not None:
        policy["value"] = value
    policy["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, policy)
    return {}


def delete_rate_limit(ctx: Ctx) -> Any:
    """DELETE /policies/rate-limits/{id}: removes the policy."""
    policy = find_policy(ctx.tx, KIND, ctx.params["policy_id"])
    ctx.tx.delete(KIND, policy["id"])
    return {}
