"""Guardrails: named lists of checks plus actions, versioned internally on every update."""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_dict, opt_list, opt_str
from sandbox.guardrail_checks import CHECK_IDS
from sandbox.paging import page
from sandbox.store import Doc, Tx


def find_guardrail(tx: Tx, ident: str) -> Doc:
    """A guardrail by UUID or `guard_…` slug; 404 if unknown."""
    found = tx.find("guardrail", ident)
    if found is None:
        raise not_found("guardrail", ident)
    return found


def _checks(body: dict[str, Any]) -> list[dict[str, Any]]:
    checks = opt_list(body, "checks", required=True) or []
    if not checks:
        raise invalid("checks", "must hold at least one check")
    out = []
    for i, check in enumerate(checks):
        where = f"checks[{i}]"
        if not isinstance(check, dict):
            raise invalid(where, "must be an object")
        check_id = check.get("id")
        if check_id is None:
            raise invalid(f"{where}.id", "field required")
        if not isinstance(check_id, str) or check_id not in CHECK_IDS:
            raise invalid(f"{where}.id", f"unknown check '{check_id}'")
        params = check.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise invalid(f"{where}.parameters", "must be an object")
        enabled = check.get("is_enabled", True)
        if not isinstance(enabled, bool):
            raise invalid(f"{where}.is_enabled", "must be a boolean")
        name = check.get("name")
        if name is not None and not isinstance(name, str):
            raise invalid(f"{where}.name", "must be a string")
        out.append({**check, "is_enabled": enabled})
    return out


def _actions(body: dict[str, Any]) -> dict[str, Any]:
    actions = opt_dict(body, "actions", required=True) or {}
    for flag in ("deny", "async"):
        if flag in actions and not isinstance(actions[flag], bool):
            raise invalid(f"actions.{flag}", "must be a boolean")
    return actions


def _new_version(tx: Tx, guardrail: Doc) -> Doc:
    version = {
        "id": ids.new_uuid(),
        "guardrail_id": guardrail["id"],
        "name": guardrail["name"],
        "checks": guardrail["checks"],
        "actions": guardrail["actions"],
        "created_at": ids.now_iso(),
    }
    tx.put("guardrail_version", version, parent_id=guardrail["id"])
    guardrail["version_id"] = version["id"]
    return version


def _summary(g: Doc) -> dict[str, Any]:
    keys = (
        "id",
        "name",
        "slug",
        "organisation_id",
        "workspace_id",
        "status",
        "created_at",
        "last_updated_at",
        "owner_id",
        "updated_by",
    )
    return {k: g[k] for k in keys}


def create_guardrail(ctx: Ctx) -> Any:
    """POST /guardrails {name*, checks*, actions*, workspace_id | organisation_id} →
    {id, slug, version_id}. With only `organisation_id` the guardrail is organisation-wide."""
    name = opt_str(ctx.body, "name", required=True)
    checks = _checks(ctx.body)
    actions = _actions(ctx.body)
    ctx.check_organisation()
    org_level = bool(ctx.body.get("organisation_id")) and not ctx.body.get("workspace_id")
    workspace_id = None if org_level else ctx.workspace(ctx.body.get("workspace_id"))["id"]
    now = ids.now_iso()
    guardrail = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("guard_", name or "", 6, lambda s: ctx.tx.slug_taken("guardrail", s)),
        "name": name,
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": workspace_id,
        "status": "active",
        "checks": checks,
        "actions": actions,
        "owner_id": ctx.org.owner_id,
        "updated_by": None,
        "created_at": now,
        "last_updated_at": now,
    }
    version = _new_version(ctx.tx, guardrail)
    ctx.tx.put("guardrail", guardrail)
    return {"id": guardrail["id"], "slug": guardrail["slug"], "version_id": version["id"]}


def list_guardrails(ctx: Ctx) -> Any:
    """GET /guardrails?workspace_id&organisation_id&current_page&page_size → {data, total}.

    With `workspace_id` (or neither parameter) the workspace's guardrails; with only
    `organisation_id` every guardrail of the organisation.
    """
    ctx.check_organisation(ctx.query)
    if ctx.query.get("organisation_id") and not ctx.query.get("workspace_id"):
        items = ctx.tx.listing("guardrail")
    else:
        ws = ctx.workspace(ctx.query.get("workspace_id"))
        items = ctx.tx.listing("guardrail", workspace_id=ws["id"])
    data = [_summary(g) for g in page(items, ctx.query, max_size=1000)]
    return {"data": data, "total": len(items)}


def get_guardrail(ctx: Ctx) -> Any:
    """GET /guardrails/{id}: summary plus checks and actions."""
    g = find_guardrail(ctx.tx, ctx.params["guardrail_id"])
    return {
        **_summary(g),
        "checks": g["checks"],
        "actions": g["actions"],
        "version_id": g["version_id"],
    }


def update_guardrail(ctx: Ctx) -> Any:
    """PUT /guardrails/{id} {name, checks, actions}: a new version, live at once →
    {id, slug, version_id}."""
    g = find_guardrail(ctx.tx, ctx.params["guardrail_id"])
    name = opt_str(ctx.body, "name", nonblank=True)
    if name is not None:
        g["name"] = name
    if ctx.body.get("checks") is not None:
        g["checks"] = _checks(ctx.body)
    if ctx.body.get("actions") is not None:
        g["actions"] = _actions(ctx.body)
    version = _new_version(ctx.tx, g)
    g["last_updated_at"] = ids.now_iso()
    g["updated_by"] = ctx.org.owner_id
    ctx.tx.put("guardrail", g)
    return {"id": g["id"], "slug": g["slug"], "version_id": version["id"]}


def delete_guardrail(ctx: Ctx) -> Any:
    """DELETE /guardrails/{id} → {} (the spec documents no body)."""
    g = find_guardrail(ctx.tx, ctx.params["guardrail_id"])
    ctx.tx.delete_children("guardrail_version", g["id"])
    ctx.tx.delete("guardrail", g["id"])
    return {}
