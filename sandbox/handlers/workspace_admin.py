"""Workspace writes: create (answers the full Workspace), update (answers {}), delete.

Delete answers 409 AB07 while the workspace still holds prompts, partials, configs, guardrails,
API keys, virtual keys or providers, unless the undocumented body `{name, force_delete: true}`
asks for a cascade ([tf], portkey-api.md §3). The default workspace cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid
from sandbox.fields import opt_bool, opt_dict, opt_list, opt_str
from sandbox.handlers.admin_fields import rate_limits, usage_limits_list
from sandbox.handlers.members import add_membership, find_workspace
from sandbox.handlers.users import find_user
from sandbox.handlers.workspaces import add_workspace, workspace_view
from sandbox.store import Doc, Tx

# What blocks a plain delete, by kind, with the kinds stored under each (versions, entities).
DEPENDENTS = ("prompt", "partial", "config", "guardrail", "api_key", "virtual_key", "provider")
CASCADE: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt_version",),
    "partial": ("partial_version",),
    "config": ("config_version",),
    "guardrail": ("guardrail_version",),
    "usage_limit": ("usage_entity",),
    "api_key": (),
    "virtual_key": (),
    "provider": (),
    "integration": (),
    "collection": (),
    "label": (),
    "rate_limit": (),
    "member": (),
    "scim_mapping": (),
}


def _slug(tx: Tx, ws: Doc | None, value: str | None) -> str | None:
    if value is None:
        return None
    if value != ids.slug_part(value, 255):
        raise invalid("slug", "may hold lowercase letters, digits and dashes only")
    other = tx.find("workspace", value)
    if other is not None and (ws is None or other["id"] != ws["id"]):
        raise conflict(f"slug: workspace slug {value} is taken")
    return value


def _guardrails(tx: Tx, defaults: dict[str, Any], name: str) -> list[str] | None:
    refs = opt_list(defaults, name)
    if refs is None:
        return None
    for ref in refs:
        if not isinstance(ref, str) or tx.find("guardrail", ref) is None:
            raise invalid(f"defaults.{name}", f"no guardrail '{ref}'")
    return refs


def _apply(ctx: Ctx, ws: Doc) -> None:
    """Copy the fields shared by create and update onto `ws`."""
    name = opt_str(ctx.body, "name", nonblank=True)
    if name is not None:
        ws["name"] = name
    slug = _slug(ctx.tx, ws, opt_str(ctx.body, "slug"))
    if slug:
        ws["slug"] = slug
    if "description" in ctx.body:
        ws["description"] = opt_str(ctx.body, "description")
    defaults = opt_dict(ctx.body, "defaults") or {}
    metadata = opt_dict(defaults, "metadata")
    if metadata is not None:
        if not all(isinstance(v, str) for v in metadata.values()):
            raise invalid("defaults.metadata", "values must be strings")
        ws["metadata"] = metadata
    is_default = opt_bool(defaults, "is_default")
    if is_default is not None and is_default != (ws["id"] == ctx.org.default_workspace_id):
        raise invalid("defaults.is_default", "the organisation's default workspace cannot be changed")
    for kind in ("input_guardrails", "output_guardrails"):
        refs = _guardrails(ctx.tx, defaults, kind)
        if refs is not None:
            ws[kind] = refs
    if "user_api_key_config" in defaults:
        ref = opt_str(defaults, "user_api_key_config")
        if ref is not None and ctx.tx.find("config", ref) is None:
            raise invalid("defaults.user_api_key_config", f"no config '{ref}'")
        ws["user_api_key_config"] = ref
    if "usage_limits" in ctx.body:
        ws["usage_limits"] = usage_limits_list(ctx.body["usage_limits"])
    if "rate_limits" in ctx.body:
        ws["rate_limits"] = rate_limits(ctx.body["rate_limits"])


def create_workspace(ctx: Ctx) -> Any:
    """POST /admin/workspaces {name*, slug, description, defaults{metadata, is_default}, users[],
    usage_limits[], rate_limits[]} → the Workspace."""
    name = opt_str(ctx.body, "name", required=True)
    assert name is not None
    _slug(ctx.tx, None, opt_str(ctx.body, "slug"))
    refs = opt_list(ctx.body, "users") or []
    if not all(isinstance(ref, str) for ref in refs):
        raise invalid("users", "must be an array of user UUIDs")
    members = [find_user(ctx.tx, ref, "users") for ref in refs]
    ws = add_workspace(ctx.tx, ctx.org.organisation_id, name)
    _apply(ctx, ws)
    ctx.tx.put("workspace", ws)
    for user in members:
        add_membership(ctx.tx, ws["id"], user["id"], "member")
    return workspace_view(ctx.tx, ws, with_users=False)


def update_workspace(ctx: Ctx) -> Any:
    """PUT /admin/workspaces/{id} {name, slug, description, defaults{metadata, is_default,
    input_guardrails, output_guardrails, user_api_key_config}, usage_limits[], rate_limits[]} → {}."""
    ws = find_workspace(ctx.tx, ctx.params["workspace_id"])
    _apply(ctx, ws)
    ws["last_updated_at"] = ids.now_iso()
    ctx.tx.put("workspace", ws)
    return {}


def _dependents(tx: Tx, workspace_id: str) -> dict[str, int]:
    counts = {kind: len(tx.list(kind, workspace_id=workspace_id)) for kind in DEPENDENTS}
    return {kind: n for kind, n in counts.items() if n}


def _cascade(tx: Tx, workspace_id: str) -> None:
    for kind, children in CASCADE.items():
        for doc in tx.list(kind, workspace_id=workspace_id):
            for child in children:
                tx.delete_children(child, doc["id"])
            tx.delete(kind, doc["id"])
    for integration in tx.list("integration"):
        if workspace_id in integration["workspace_access"]:
            del integration["workspace_access"][workspace_id]
            tx.put("integration", integration)


def delete_workspace(ctx: Ctx) -> Any:
    """DELETE /admin/workspaces/{id} [{name, force_delete}] → {}."""
    ws = find_workspace(ctx.tx, ctx.params["workspace_id"])
    if ws["id"] == ctx.org.default_workspace_id:
        raise conflict("the organisation's default workspace cannot be deleted")
    name = opt_str(ctx.body, "name")
    if name is not None and name != ws["name"]:
        raise invalid("name", f"does not match the workspace's name '{ws['name']}'")
    blocking = _dependents(ctx.tx, ws["id"])
    if blocking and not opt_bool(ctx.body, "force_delete"):
        held = ", ".join(f"{n} {kind.replace('_', ' ')}(s)" for kind, n in blocking.items())
        raise conflict(f"workspace {ws['slug']} still holds {held}; delete them or send force_delete: true")
    _cascade(ctx.tx, ws["id"])
    ctx.tx.delete("workspace", ws["id"])
    return {}
