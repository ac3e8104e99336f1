"""Virtual keys (the older form of providers): a provider secret behind a slug.

Create answers `{success: true, data: {slug}}` (portkey-api.md §6); the provider secret is kept
masked only and reads show it masked. `rate_limits` is one object on writes and a list on reads
(§10 row 16). The list takes `current_page`/`page_size`, which the spec marks required; the
sandbox, like the servers that send none, does not insist.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_list, opt_str
from sandbox.handlers.admin_fields import mask, opt_datetime, rate_limits, usage_limits
from sandbox.handlers.secret_references import check_secret_mappings
from sandbox.paging import page
from sandbox.store import Doc, Tx

KIND = "virtual_key"
MODEL_CONFIG = ("apiVersion", "resourceName", "deploymentName")


def find_virtual_key(tx: Tx, ident: str) -> Doc:
    """A virtual key by slug or UUID; 404 if unknown."""
    found = tx.find(KIND, ident)
    if found is None:
        raise not_found("virtual key", ident)
    return found


def _apply(ctx: Ctx, vk: Doc) -> None:
    body = ctx.body
    name = opt_str(body, "name", nonblank=True)
    if name is not None:
        vk["name"] = name
    key = opt_str(body, "key")
    if key is not None:
        vk["masked_key"] = mask(key)
    if "note" in body:
        vk["note"] = opt_str(body, "note")
    for field in MODEL_CONFIG:
        if field in body:
            vk["model_config"][field] = opt_str(body, field)
    deployments = opt_list(body, "deploymentConfig")
    if deployments is not None:
        for i, item in enumerate(deployments):
            if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("deploymentName"):
                raise invalid(f"deploymentConfig[{i}]", "needs apiVersion and deploymentName")
        vk["model_config"]["deploymentConfig"] = deployments
    if "usage_limits" in body:
        vk["usage_limits"] = usage_limits(body["usage_limits"])
    if "rate_limits" in body:
        vk["rate_limits"] = rate_limits(body["rate_limits"])
    if "expires_at" in body:
        vk["expires_at"] = opt_datetime(body, "expires_at")
    if "secret_mappings" in body:
        vk["secret_mappings"] = check_secret_mappings(ctx.tx, body["secret_mappings"])


def _view(vk: Doc) -> dict[str, Any]:
    view = {
        "id": vk["id"],
        "name": vk["name"],
        "slug": vk["slug"],
        "provider": vk["provider"],
        "key": vk["masked_key"],
        "note": vk["note"],
        "status": vk["status"],
        "usage_limits": vk["usage_limits"],
        "reset_usage": None,
        "rate_limits": vk["rate_limits"],
        "expires_at": vk["expires_at"],
        "model_config": {k: v for k, v in vk["model_config"].items() if v is not None},
        "secret_mappings": vk["secret_mappings"],
        "workspace_id": vk["workspace_id"],
        "created_at": vk["created_at"],
        "object": "virtual-key",
    }
    return {k: v for k, v in view.items() if v is not None or k in ("note", "reset_usage")}


def create_virtual_key(ctx: Ctx) -> Any:
    """POST /virtual-keys {name*, provider*, key, note, apiVersion, resourceName, deploymentName,
    workspace_id, deploymentConfig, usage_limits, rate_limits, expires_at, secret_mappings} →
    {success: true, data: {slug}}."""
    name = opt_str(ctx.body, "name", required=True)
    provider = opt_str(ctx.body, "provider", required=True)
    assert name is not None and provider is not None
    if not provider.strip():
        raise invalid("provider", "must not be empty")
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    now = ids.now_iso()
    vk: Doc = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("", name, 12, lambda s: ctx.tx.slug_taken(KIND, s)),
        "name": name,
        "provider": provider,
        "masked_key": None,
        "note": None,
        "workspace_id": ws["id"],
        "organisation_id": ctx.org.organisation_id,
        "status": "active",
        "usage_limits": None,
        "rate_limits": [],
        "expires_at": None,
        "model_config": {},
        "secret_mappings": [],
        "created_at": now,
        "last_updated_at": now,
    }
    _apply(ctx, vk)
    ctx.tx.put(KIND, vk)
    return {"success": True, "data": {"slug": vk["slug"]}}


def list_virtual_keys(ctx: Ctx) -> Any:
    """GET /virtual-keys?current_page&page_size → {object: "list", total, data}."""
    items = ctx.tx.listing(KIND)
    if ctx.query.get("workspace_id"):
        items = ctx.tx.listing(KIND, workspace_id=ctx.workspace(ctx.query["workspace_id"])["id"])
    return {"object": "list", "total": len(items), "data": [_view(v) for v in page(items, ctx.query)]}


def get_virtual_key(ctx: Ctx) -> Any:
    """GET /virtual-keys/{slug}: the provider secret masked, `rate_limits` a list."""
    return _view(find_virtual_key(ctx.tx, ctx.params["slug"]))


def update_virtual_key(ctx: Ctx) -> Any:
    """PUT /virtual-keys/{slug} {name, key, note, deploymentConfig, usage_limits, rate_limits,
    expires_at, secret_mappings} → {}."""
    vk = find_virtual_key(ctx.tx, ctx.params["slug"])
    _apply(ctx, vk)
    vk["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, vk)
    return {}


def delete_virtual_key(ctx: Ctx) -> Any:
    """DELETE /virtual-keys/{slug} → {}; prompts and configs naming the slug are not checked."""
    vk = find_virtual_key(ctx.tx, ctx.params["slug"])
    ctx.tx.delete(KIND, vk["id"])
    return {}
