"""Usage-limit policies (cost or tokens over a period) and the entities they track.

Delete archives a policy; archived policies stay readable and listable with
`?status=archived` but refuse updates (403 AB03). `periodic_reset_days` (1-365, exclusive with
`periodic_reset`) and `next_usage_reset_at` come from the backend changelog v1.15.0 ("Usage Limits:
Custom Reset Cadence") and docs-core budget-policies.mdx.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import forbidden, invalid, not_found
from sandbox.fields import opt_enum, opt_number, opt_str
from sandbox.handlers.policies import (
    check_update_fields,
    create_policy,
    find_policy,
    list_policies,
    policy_name,
    update_conditions,
)
from sandbox.paging import page
from sandbox.store import Doc, Tx

TYPES = ("cost", "tokens")
RESETS = ("monthly", "weekly")
KIND = "usage_limit"
UPDATABLE = (
    "name",
    "credit_limit",
    "alert_threshold",
    "periodic_reset",
    "periodic_reset_days",
    "next_usage_reset_at",
    "reset_usage_for_value",
)
ENTITY = "usage_entity"


def _check_threshold(credit_limit: float, alert_threshold: float | None) -> None:
    if alert_threshold is not None and alert_threshold >= credit_limit:
        raise invalid("alert_threshold", "must be less than credit_limit")


def _entity_status(policy: Doc, entity: Doc) -> str:
    return "exhausted" if entity["current_usage"] >= policy["credit_limit"] else "active"


def _entity_view(policy: Doc, entity: Doc) -> dict[str, Any]:
    return {
        "id": entity["id"],
        "value_key": entity["value_key"],
        "current_usage": entity["current_usage"],
        "status": _entity_status(policy, entity),
    }


def _live_policy(tx: Tx, ident: str) -> Doc:
    policy = find_policy(tx, KIND, ident)
    if policy["status"] == "archived":
        raise forbidden(f"usage limit policy {policy['id']} is archived")
    return policy


def record_usage(tx: Tx, policy_id: str, value_key: str, amount: float) -> dict[str, Any]:
    """Add `amount` to the entity `value_key` of a policy, creating the entity if needed."""
    policy = tx.get(KIND, policy_id)
    if policy is None:
        raise KeyError(f"no usage limit policy {policy_id}")
    now = ids.now_iso()
    entity = next(
        (e for e in tx.list(ENTITY, parent_id=policy_id) if e["value_key"] == value_key), None
    )
    if entity is None:
        entity = {
            "id": ids.new_uuid(),
            "policy_id": policy_id,
            "value_key": value_key,
            "current_usage": 0,
            "created_at": now,
        }
    entity["current_usage"] += amount
    entity["last_updated_at"] = now
    tx.put(ENTITY, entity, parent_id=policy_id)
    return _entity_view(policy, entity)


def _policy_view(tx: Tx, policy: Doc, include_usage: bool) -> dict[str, Any]:
    view = {**policy, "object": "policy_usage_limits"}
    if view["periodic_reset"] is None:
        # Cumulative policy. The spec's enum lacks null (despite `nullable`), so leave it out.
        del view["periodic_reset"]
    if include_usage:
        view["value_key_usage_map"] = {
            e["value_key"]: {
                "current_usage": e["current_usage"],
                "status": _entity_status(policy, e),
                "is_threshold_alerts_sent": False,
                "is_exhausted_alerts_sent": False,
            }
            for e in tx.list(ENTITY, parent_id=policy["id"])
        }
    return view


def _reset_days(body: dict[str, Any]) -> int | None:
    """`periodic_reset_days`: a whole number of days, 1-365."""
    days = opt_number(body, "periodic_reset_days", minimum=1)
    if days is not None and (days != int(days) or days > 365):
        raise invalid("periodic_reset_days", "must be a whole number of days from 1 to 365")
    return None if days is None else int(days)


def _check_cadence(policy: Doc) -> None:
    if policy.get("periodic_reset") is not None and policy.get("periodic_reset_days") is not None:
        raise invalid("periodic_reset_days", "periodic_reset and periodic_reset_days are mutually exclusive")


def _limits(body: dict[str, Any]) -> dict[str, Any]:
    credit_limit = opt_number(body, "credit_limit", required=True, minimum=0)
    assert credit_limit is not None
    alert_threshold = opt_number(body, "alert_threshold", minimum=0)
    _check_threshold(credit_limit, alert_threshold)
    fields = {
        "credit_limit": credit_limit,
        "alert_threshold": alert_threshold,
        "periodic_reset": opt_enum(body, "periodic_reset", RESETS),
        "periodic_reset_days": _reset_days(body),
        "next_usage_reset_at": opt_str(body, "next_usage_reset_at"),
        "last_reset_at": None,
    }
    _check_cadence(fields)
    return fields


def create_usage_limit(ctx: Ctx) -> Any:
    """POST /policies/usage-limits {conditions*, group_by*, type*, credit_limit*, name,
    alert_threshold, periodic_reset, workspace_id, organisation_id} → {id, object}."""
    policy = create_policy(ctx, KIND, TYPES, _limits)
    return {"id": policy["id"], "object": "policy_usage_limits"}


def list_usage_limits(ctx: Ctx) -> Any:
    """GET /policies/usage-limits?workspace_id&status(active)&type&current_page&page_size."""
    data, total = list_policies(ctx, KIND, {"type": TYPES})
    return {"object": "list", "data": [_policy_view(ctx.tx, p, False) for p in data], "total": total}


def get_usage_limit(ctx: Ctx) -> Any:
    """GET /policies/usage-limits/{id}?include_usage: archived policies are readable too."""
    policy = find_policy(ctx.tx, KIND, ctx.params["id"])
    include = (ctx.query.get("include_usage") or "").lower() in ("true", "1")
    return _policy_view(ctx.tx, policy, include)


def update_usage_limit(ctx: Ctx) -> Any:
    """PUT /policies/usage-limits/{id} {name, credit_limit, alert_threshold, periodic_reset,
    periodic_reset_days, next_usage_reset_at, reset_usage_for_value, conditions}; group_by, type → 400
    (conditions too under `policy_conditions_put=refused`)."""
    policy = _live_policy(ctx.tx, ctx.params["id"])
    body = ctx.body
    check_update_fields(ctx, UPDATABLE)
    update_conditions(ctx, policy)
    name = policy_name(body)
    if name is not None:
        policy["name"] = name
    credit_limit = opt_number(body, "credit_limit", minimum=0)
    if credit_limit is not None:
        policy["credit_limit"] = credit_limit
    if "alert_threshold" in body:
        policy["alert_threshold"] = opt_number(body, "alert_threshold", minimum=0)
    _check_threshold(policy["credit_limit"], policy["alert_threshold"])
    if "periodic_reset" in body:
        policy["periodic_reset"] = opt_enum(body, "periodic_reset", RESETS)
    if "periodic_reset_days" in body:
        policy["periodic_reset_days"] = _reset_days(body)
    if "next_usage_reset_at" in body:
        policy["next_usage_reset_at"] = opt_str(body, "next_usage_reset_at")
    _check_cadence(policy)
    value_key = opt_str(body, "reset_usage_for_value")
    if value_key is not None:
        for entity in ctx.tx.list(ENTITY, parent_id=policy["id"]):
            if entity["value_key"] == value_key:
                _reset(ctx.tx, policy, entity)
    policy["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, policy)
    return {}


def delete_usage_limit(ctx: Ctx) -> Any:
    """DELETE /policies/usage-limits/{id}: archives the policy (soft delete)."""
    policy = _live_policy(ctx.tx, ctx.params["id"])
    policy["status"] = "archived"
    policy["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, policy)
    return {}


def list_usage_limit_entities(ctx: Ctx) -> Any:
    """GET /policies/usage-limits/{id}/entities?status&search&current_page&page_size."""
    policy = find_policy(ctx.tx, KIND, ctx.params["limit_id"])
    status = opt_enum(ctx.query, "status", ("active", "exhausted"))
    search = (ctx.query.get("search") or "").lower()
    views = [_entity_view(policy, e) for e in ctx.tx.list(ENTITY, parent_id=policy["id"])]
    views = [v for v in views if status in (None, v["status"]) and search in v["value_key"].lower()]
    return {"object": "list", "data": page(views, ctx.query, max_size=100), "total": len(views)}


def _reset(tx: Tx, policy: Doc, entity: Doc) -> None:
    now = ids.now_iso()
    entity["current_usage"] = 0
    entity["last_updated_at"] = now
    tx.put(ENTITY, entity, parent_id=policy["id"])
    policy["last_reset_at"] = now


def _reset_entity(ctx: Ctx, entity_ref: Any, field: str) -> Any:
    policy = _live_policy(ctx.tx, ctx.params["limit_id"])
    if not isinstance(entity_ref, str) or not entity_ref:
        raise invalid(field, "field required")
    for entity in ctx.tx.list(ENTITY, parent_id=policy["id"]):
        if entity_ref in (entity["id"], entity["value_key"]):
            _reset(ctx.tx, policy, entity)
            ctx.tx.put(KIND, policy)
            return {}
    raise not_found("usage limit entity", entity_ref)


def reset_usage_limit_entity(ctx: Ctx) -> Any:
    """PUT /policies/usage-limits/{id}/entities/{entity_id}/reset (spec), or the successor's
    POST /policies/usage-limits/{id}/entities/reset {entity_id}: usage back to 0.
    The entity is named by its id or its value_key."""
    if "entity_id" in ctx.params:
        return _reset_entity(ctx, ctx.params["entity_id"], "entity_id")
    return _reset_entity(ctx, ctx.body.get("entity_id"), "entity_id")
