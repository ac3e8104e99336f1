"""Organisation-wide guardrail defaults and per-workspace exclusions from them.

Not in the official spec: these follow the successor MCP server (portkey-api.md §1), so their
response shapes are the sandbox's own: defaults `{organisation_id, input_guardrails,
output_guardrails, last_updated_at, object}`, exclusions `{object: "list", total,
data[{workspace_id, workspace_slug, workspace_name, excluded}]}` over every workspace.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid
from sandbox.fields import opt_bool, opt_list
from sandbox.store import Doc


def _settings(ctx: Ctx) -> Doc:
    doc = ctx.tx.get("org_settings", ctx.org.organisation_id)
    assert doc is not None, "organisation settings missing"
    return doc


def _guardrail_refs(ctx: Ctx, field: str) -> list[str] | None:
    refs = opt_list(ctx.body, field)
    if refs is None:
        return None
    for i, ref in enumerate(refs):
        if not isinstance(ref, str) or ctx.tx.find("guardrail", ref) is None:
            raise invalid(f"{field}[{i}]", f"no guardrail '{ref}'")
    return refs


def get_organisation_defaults(ctx: Ctx) -> Any:
    """GET /admin/organisation/defaults."""
    doc = _settings(ctx)
    return {
        "organisation_id": ctx.org.organisation_id,
        "input_guardrails": doc["input_guardrails"],
        "output_guardrails": doc["output_guardrails"],
        "last_updated_at": doc["last_updated_at"],
        "object": "organisation-defaults",
    }


def update_organisation_defaults(ctx: Ctx) -> Any:
    """PUT /admin/organisation/defaults {input_guardrails[], output_guardrails[]}: each list
    given replaces the current one; guardrails are named by UUID or slug."""
    doc = _settings(ctx)
    for field in ("input_guardrails", "output_guardrails"):
        refs = _guardrail_refs(ctx, field)
        if refs is not None:
            doc[field] = refs
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put("org_settings", doc)
    return {}


def _list_exclusions(ctx: Ctx, kind: str) -> Any:
    ctx.check_organisation(ctx.query)
    excluded = _settings(ctx)[f"{kind}_exclusions"]
    data = [
        {
            "workspace_id": ws["id"],
            "workspace_slug": ws["slug"],
            "workspace_name": ws["name"],
            "excluded": bool(excluded.get(ws["id"], False)),
        }
        for ws in ctx.tx.list("workspace")
    ]
    return {"object": "list", "total": len(data), "data": data}


def _update_exclusions(ctx: Ctx, kind: str) -> Any:
    ctx.check_organisation()
    entries = opt_list(ctx.body, "workspaces", required=True) or []
    override = opt_bool(ctx.body, "override_existing") or False
    doc = _settings(ctx)
    excluded: dict[str, bool] = {} if override else dict(doc[f"{kind}_exclusions"])
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise invalid(f"workspaces[{i}]", "must be an object")
        ref = entry.get("workspace_id")
        ws = ctx.tx.find("workspace", ref) if isinstance(ref, str) else None
        if ws is None:
            raise invalid(f"workspaces[{i}].workspace_id", f"no workspace '{ref}'")
        flag = entry.get("excluded", True)
        if not isinstance(flag, bool):
            raise invalid(f"workspaces[{i}].excluded", "must be a boolean")
        excluded[ws["id"]] = flag
    doc[f"{kind}_exclusions"] = {k: v for k, v in excluded.items() if v}
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put("org_settings", doc)
    return {}


def list_input_guardrail_workspace_exclusions(ctx: Ctx) -> Any:
    """GET /workspace-exclusions/input-guardrails?organisation_id."""
    return _list_exclusions(ctx, "input")


def update_input_guardrail_workspace_exclusions(ctx: Ctx) -> Any:
    """PUT /workspace-exclusions/input-guardrails
    {organisation_id, workspaces[], override_existing}."""
    return _update_exclusions(ctx, "input")


def list_output_guardrail_workspace_exclusions(ctx: Ctx) -> Any:
    """GET /workspace-exclusions/output-guardrails?organisation_id."""
    return _list_exclusions(ctx, "output")


def update_output_guardrail_workspace_exclusions(ctx: Ctx) -> Any:
    """PUT /workspace-exclusions/output-guardrails
    {organisation_id, workspaces[], override_existing}."""
    return _update_exclusions(ctx, "output")
