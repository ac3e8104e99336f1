"""Providers (AI provider access in one workspace, built on an integration).

Slugs are unique per workspace; single-provider calls take `workspace_id` in the query
(without it, the default workspace is searched first). `rate_limits` is one object on writes
and a list on reads (portkey-api.md §10 row 16). Create answers `{id, slug}`, and so does
update.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_bool, opt_str
from sandbox.handlers.admin_fields import opt_datetime, rate_limits, usage_limits
from sandbox.paging import page
from sandbox.store import Doc, Tx

KIND = "provider"
SLUG = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")


def slug_taken(tx: Tx, workspace_id: str, slug: str) -> bool:
    """True when the workspace already has a provider called `slug`."""
    return any(p["slug"] == slug for p in tx.list(KIND, workspace_id=workspace_id))


def access_enabled(integration: Doc, workspace_id: str) -> bool:
    """Whether providers of `integration` may live in the workspace."""
    if integration["workspace_id"] is not None:
        return integration["workspace_id"] == workspace_id
    entry = integration["workspace_access"].get(workspace_id)
    return bool(entry["enabled"]) if entry else bool(integration["global_access"]["enabled"])


def add_provider(
    tx: Tx, organisation_id: str, integration: Doc, workspace_id: str, name: str, slug: str | None = None
) -> Doc:
    """Store a provider of `integration` in a workspace; a missing slug is made from the name."""
    if slug is None:
        base = ids.slug_part(name, 30)
        slug = base if not slug_taken(tx, workspace_id, base) else f"{base}-{secrets.token_hex(3)}"
    elif not SLUG.match(slug):
        raise invalid("slug", "may hold letters, digits, '_' and '-' only")
    elif slug_taken(tx, workspace_id, slug):
        raise conflict(f"slug: the workspace already has a provider '{slug}'")
    if integration["workspace_id"] is None and workspace_id not in integration["workspace_access"]:
        integration["workspace_access"][workspace_id] = {"enabled": True, "usage_limits": [], "rate_limits": []}
        tx.put("integration", integration)
    now = ids.now_iso()
    provider = {
        "id": ids.new_uuid(),
        "slug": slug,
        "name": name,
        "integration_id": integration["id"],
        "ai_provider_id": integration["ai_provider_id"],
        "organisation_id": organisation_id,
        "workspace_id": workspace_id,
        "note": None,
        "status": "active",
        "usage_limits": None,
        "rate_limits": [],
        "expires_at": None,
        "created_at": now,
        "last_updated_at": now,
    }
    return tx.put(KIND, provider)


def find_provider(ctx: Ctx) -> Doc:
    """The provider named in the path, in `?workspace_id` (or the default workspace first)."""
    ident = ctx.params["slug"]
    found = [p for p in ctx.tx.list(KIND) if ident in (p["id"], p["slug"])]
    if ctx.query.get("workspace_id"):
        ws = ctx.workspace(ctx.query["workspace_id"])
        found = [p for p in found if p["workspace_id"] == ws["id"]]
    found.sort(key=lambda p: p["workspace_id"] != ctx.org.default_workspace_id)
    if not found:
        raise not_found("provider", ident)
    return found[0]


def _apply(ctx: Ctx, provider: Doc) -> None:
    body = ctx.body
    name = opt_str(body, "name", nonblank=True)
    if name is not None:
        provider["name"] = name
    if "note" in body:
        provider["note"] = opt_str(body, "note")
    if "usage_limits" in body:
        provider["usage_limits"] = usage_limits(body["usage_limits"])
    if "rate_limits" in body:
        provider["rate_limits"] = rate_limits(body["rate_limits"])
    if "expires_at" in body:
        provider["expires_at"] = opt_datetime(body, "expires_at")
    if opt_bool(body, "reset_usage"):
        provider["status"] = "active"


def _view(provider: Doc) -> dict[str, Any]:
    view = {
        "id": provider["id"],
        "name": provider["name"],
        "slug": provider["slug"],
        "integration_id": provider["integration_id"],
        "ai_provider_id": provider["ai_provider_id"],
        "workspace_id": provider["workspace_id"],
        "note": provider["note"],
        "status": provider["status"],
        "usage_limits": provider["usage_limits"],
        "reset_usage": None,
        "rate_limits": provider["rate_limits"],
        "expires_at": provider["expires_at"],
        "created_at": provider["created_at"],
        "last_updated_at": provider["last_updated_at"],
        "object": "provider",
    }
    return {k: v for k, v in view.items() if v is not None or k in ("note", "reset_usage")}


def create_provider(ctx: Ctx) -> Any:
    """POST /providers {name*, integration_id*, workspace_id, slug, note, usage_limits,
    rate_limits, expires_at} → {id, slug}."""
    name = opt_str(ctx.body, "name", required=True)
    ref = opt_str(ctx.body, "integration_id", required=True)
    assert name is not None and ref is not None
    integration = ctx.tx.find("integration", ref)
    if integration is None:
        raise invalid("integration_id", f"no integration '{ref}'")
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    if integration["workspace_id"] not in (None, ws["id"]) or (
        ws["id"] in integration["workspace_access"] and not access_enabled(integration, ws["id"])
    ):
        raise invalid("integration_id", f"integration {integration['slug']} is not enabled for workspace {ws['slug']}")
    provider = add_provider(ctx.tx, ctx.org.organisation_id, integration, ws["id"], name, opt_str(ctx.body, "slug"))
    _apply(ctx, provider)
    ctx.tx.put(KIND, provider)
    return {"id": provider["id"], "slug": provider["slug"]}


def list_providers(ctx: Ctx) -> Any:
    """GET /providers?workspace_id&current_page&page_size (default 50) → {object, total, data}."""
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    items = ctx.tx.listing(KIND, workspace_id=ws["id"])
    return {"object": "list", "total": len(items), "data": [_view(p) for p in page(items, ctx.query, default_size=50)]}


def get_provider(ctx: Ctx) -> Any:
    """GET /providers/{slug}?workspace_id."""
    return _view(find_provider(ctx))


def update_provider(ctx: Ctx) -> Any:
    """PUT /providers/{slug}?workspace_id {name, note, usage_limits, rate_limits, expires_at,
    reset_usage} → {id, slug}."""
    provider = find_provider(ctx)
    _apply(ctx, provider)
    provider["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, provider)
    return {"id": provider["id"], "slug": provider["slug"]}


def delete_provider(ctx: Ctx) -> Any:
    """DELETE /providers/{slug}?workspace_id → {}."""
    provider = find_provider(ctx)
    ctx.tx.delete(KIND, provider["id"])
    return {}
