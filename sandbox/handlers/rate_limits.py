"""Rate-limit policies: requests or tokens per minute, hour, day or week; delete removes them.

`rpw` (per week) and the condition key `endpoint_type` come from the backend changelog v1.13.0
("Added rpw (requests per week) as a new rate limit unit", "Added endpoint_type as a new condition
key for rate limit policies").
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.fields import opt_enum, opt_number
from sandbox.handlers.policies import (
    RATE_ONLY_KEYS,
    check_update_fields,
    create_policy,
    find_policy,
    list_policies,
    policy_name,
    update_conditions,
)

TYPES = ("requests", "tokens")
UNITS = ("rpm", "rph", "rpd", "rpw")
KIND = "rate_limit"


def _limits(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "unit": opt_enum(body, "unit", UNITS, required=True),
        "value": opt_number(body, "value", required=True, minimum=0),
    }


def create_rate_limit(ctx: Ctx) -> Any:
    """POST /policies/rate-limits {conditions*, group_by*, type*, unit*, value*, name,
    workspace_id, organisation_id} → {id, object}."""
    policy = create_policy(ctx, KIND, TYPES, _limits, RATE_ONLY_KEYS)
    return {"id": policy["id"], "object": "policy_rate_limits"}


def list_rate_limits(ctx: Ctx) -> Any:
    """GET /policies/rate-limits?workspace_id&status(active)&type&unit&current_page&page_size."""
    data, total = list_policies(ctx, KIND, {"type": TYPES, "unit": UNITS})
    return {"object": "list", "data": data, "total": total}


def get_rate_limit(ctx: Ctx) -> Any:
    """GET /policies/rate-limits/{id}."""
    return {**find_policy(ctx.tx, KIND, ctx.params["id"]), "object": "policy_rate_limits"}


def update_rate_limit(ctx: Ctx) -> Any:
    """PUT /policies/rate-limits/{id} {name, unit, value, conditions}; group_by, type → 400
    (conditions too under `policy_conditions_put=refused`)."""
    policy = find_policy(ctx.tx, KIND, ctx.params["id"])
    check_update_fields(ctx, ("name", "unit", "value"))
    update_conditions(ctx, policy, RATE_ONLY_KEYS)
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
    policy = find_policy(ctx.tx, KIND, ctx.params["id"])
    ctx.tx.delete(KIND, policy["id"])
    return {}
