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

# `conditions[].key` and `group_by[].key` (docs-core product/enterprise-offering/budget-policies.mdx,
# "Valid Keys"): api_key, organisation_id, workspace_id, virtual_key, provider, config, prompt, model,
# mcp_server, mcp_tool or metadata.<field>; rate limits also take endpoint_type (backend changelog
# v1.13.0: "Added endpoint_type as a new condition key for rate limit policies").
_KEY = re.compile(
    r"^(api_key|organisation_id|workspace_id|virtual_key|provider|config|prompt|model|mcp_server|mcp_tool"
    r"|metadata\.[A-Za-z0-9_.-]+)$"
)
RATE_ONLY_KEYS = ("endpoint_type",)
_KEYS_TEXT = (
    "api_key, organisation_id, workspace_id, virtual_key, provider, config, prompt, model, mcp_server, "
    "mcp_tool or metadata.<field>"
)
# Fields an update may never carry. `conditions` too under the quirk `policy_conditions_put=refused`;
# by default PUT accepts them (backend changelog v1.16.0: "PUT /v2/policies/usage-limits/:id and
# PUT /v2/policies/rate-limits/:id now accept conditions in the request body").
IMMUTABLE = ("group_by", "type")


def _key(item: Any, where: str, extra: tuple[str, ...] = ()) -> str:
    if not isinstance(item, dict):
        raise invalid(where, "must be an object")
    key = item.get("key")
    if key is None:
        raise invalid(f"{where}.key", "field required")
    if not isinstance(key, str) or not (_KEY.match(key) or key in extra):
        also = f", {', '.join(extra)}" if extra else ""
        raise invalid(f"{where}.key", f"must be {_KEYS_TEXT}{also}")
    return key


def conditions(body: dict[str, Any], extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """`conditions[{key, value}]`, at least one; `extra` keys are allowed beside the common ones."""
    items = opt_list(body, "conditions", required=True) or []
    if not items:
        raise invalid("conditions", "must hold at least one condition")
    out = []
    for i, item in enumerate(items):
        key = _key(item, f"conditions[{i}]", extra)
        value = item.get("value")
        if not isinstance(value, str):
            raise invalid(f"conditions[{i}].value", "field required (a string)")
        out.append({"key": key, "value": value})
    return out


def group_by(body: dict[str, Any], extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """`group_by[{key}]`, at least one."""
    items = opt_list(body, "group_by", required=True) or []
    if not items:
        raise invalid("group_by", "must hold at least one entry")
    return [{"key": _key(item, f"group_by[{i}]", extra)} for i, item in enumerate(items)]


def check_update_fields(ctx: Ctx, allowed: tuple[str, ...]) -> None:
    """400 naming the first field an update may not carry: `group_by` and `type` are immutable
    (and `conditions` under `policy_conditions_put=refused`); anything else outside `allowed`,
    `conditions` and the scoping ids is unknown."""
    immutable = IMMUTABLE
    if ctx.quirks["policy_conditions_put"] == "refused":
        immutable = ("conditions", *IMMUTABLE)
    for field in immutable:
        if field in ctx.body:
            raise invalid(field, "cannot be changed; delete the policy and create a new one")
    for field in ctx.body:
        if field not in (*allowed, "conditions", "workspace_id", "organisation_id"):
            raise invalid(field, f"cannot be updated (updatable: {', '.join((*allowed, *_conditions(ctx)))})")


def _conditions(ctx: Ctx) -> tuple[str, ...]:
    return ("conditions",) if ctx.quirks["policy_conditions_put"] == "accepted" else ()


def update_conditions(ctx: Ctx, policy: Doc, extra: tuple[str, ...] = ()) -> None:
    """Replace the policy's conditions with the body's, when it has them (checked as on create)."""
    if "conditions" in ctx.body:
        policy["conditions"] = conditions(ctx.body, extra)


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
    ctx: Ctx,
    kind: str,
    types: tuple[str, ...],
    limits: Callable[[dict[str, Any]], dict[str, Any]],
    extra_keys: tuple[str, ...] = (),
) -> Doc:
    """Check a create body (`conditions`, `group_by`, `type`, then what `limits` reads from the
    body, then `name` and the scope) and store the new active policy of `kind`."""
    body = ctx.body
    policy_conditions = conditions(body, extra_keys)
    policy_group_by = group_by(body, extra_keys)
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


def _equal_to(value: Any) -> Callable[[Any], bool]:
    return lambda found: found == value


def list_policies(ctx: Ctx, kind: str, filters: dict[str, tuple[str, ...]]) -> tuple[list[Doc], int]:
    """The requested page of a workspace's policies with `?status` (default active) and the
    enum query `filters` applied, and how many match in all."""
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    wanted = {"status": opt_enum(ctx.query, "status", ("active", "archived")) or "active"}
    for field, choices in filters.items():
        value = opt_enum(ctx.query, field, choices)
        if value is not None:
            wanted[field] = value
    items = ctx.tx.listing(kind, workspace_id=ws["id"], fields=tuple(wanted))
    for field, value in wanted.items():
        items = items.where(field, _equal_to(value))
    return page(items, ctx.query), len(items)
