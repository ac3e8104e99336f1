"""Integrations: a provider account (key and configuration) that workspaces use through providers.

An integration is organisation-level, or workspace-level when created with `workspace_id`.
`create_default_provider` (default true, as in the spec) makes a provider with the integration's
slug (or `default_provider_slug`). Models and workspace access are bulk sub-resources answering
`{total, models}` / `{total, workspaces}`. The key and secret configuration values are stored
masked only. Delete answers 409 AB07 while providers still use the integration.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_bool, opt_dict, opt_enum, opt_list, opt_str
from sandbox.handlers.admin_fields import mask, mask_secrets, rate_limits, usage_limits_list
from sandbox.handlers.providers import KIND as PROVIDER
from sandbox.handlers.providers import access_enabled, add_provider
from sandbox.handlers.secret_references import check_secret_mappings
from sandbox.paging import page
from sandbox.store import Doc, Tx

KIND = "integration"
SLUG = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
# Models an integration starts with, by ai_provider_id; other providers start with none.
CATALOGUE: dict[str, tuple[str, ...]] = {
    "openai": ("gpt-4o", "gpt-4o-mini", "o3-mini"),
    "anthropic": ("claude-3-5-sonnet-latest", "claude-3-5-haiku-latest"),
    "google": ("gemini-1.5-pro", "gemini-1.5-flash"),
    "mistral-ai": ("mistral-large-latest", "mistral-small-latest"),
}


def find_integration(tx: Tx, ident: str) -> Doc:
    """An integration by slug or UUID; 404 if unknown."""
    found = tx.find(KIND, ident)
    if found is None:
        raise not_found("integration", ident)
    return found


def _model(slug: str, **fields: Any) -> dict[str, Any]:
    return {"slug": slug, "name": fields.get("model_name") or slug, "enabled": True, "is_custom": False,
            "is_finetune": False, "base_model_slug": None, **fields}


def _check_slug(value: str | None, field: str) -> str | None:
    if value is not None and not SLUG.match(value):
        raise invalid(field, "may hold letters, digits, '_' and '-' only")
    return value


def _apply(ctx: Ctx, integration: Doc) -> None:
    body = ctx.body
    name = opt_str(body, "name", nonblank=True)
    if name is not None:
        integration["name"] = name
    if "description" in body:
        integration["description"] = opt_str(body, "description")
    key = opt_str(body, "key")
    if key is not None:
        integration["masked_key"] = mask(key)
    configurations = opt_dict(body, "configurations")
    if configurations is not None:
        integration["configurations"] = {**integration["configurations"], **mask_secrets(configurations)}
    if "secret_mappings" in body:
        integration["secret_mappings"] = check_secret_mappings(ctx.tx, body["secret_mappings"])
    if "pricing_adjustments" in body:
        integration["pricing_adjustments"] = opt_dict(body, "pricing_adjustments")


def _summary(integration: Doc) -> dict[str, Any]:
    keys = ("id", "organisation_id", "workspace_id", "ai_provider_id", "name", "slug", "description", "status",
            "created_at", "last_updated_at")
    view = {k: integration[k] for k in keys}
    if view["description"] is None:
        del view["description"]
    return {**view, "object": "integration"}


def _access_view(entry: dict[str, Any], enabled: bool) -> dict[str, Any]:
    limits = {k: entry.get(k, []) for k in ("usage_limits", "rate_limits")}
    return {"enabled": enabled, **limits}


def _default_provider(ctx: Ctx, integration: Doc, workspace_id: str, slug: str | None) -> None:
    """Give the workspace a provider of the integration unless it has one already."""
    if any(p["integration_id"] == integration["id"] for p in ctx.tx.list(PROVIDER, workspace_id=workspace_id)):
        return
    add_provider(ctx.tx, ctx.org.organisation_id, integration, workspace_id, integration["name"],
                 slug or integration["slug"])


def create_integration(ctx: Ctx) -> Any:
    """POST /integrations {name*, ai_provider_id*, slug, key, description, workspace_id,
    configurations, create_default_provider (default true), default_provider_slug,
    secret_mappings, pricing_adjustments} → {id, slug}."""
    name = opt_str(ctx.body, "name", required=True)
    provider_id = opt_str(ctx.body, "ai_provider_id", required=True)
    assert name is not None and provider_id is not None
    slug = _check_slug(opt_str(ctx.body, "slug"), "slug")
    if slug is not None and ctx.tx.slug_taken(KIND, slug):
        raise conflict(f"slug: integration slug {slug} is taken")
    scoped = ctx.workspace(ctx.body["workspace_id"]) if ctx.body.get("workspace_id") else None
    now = ids.now_iso()
    integration: Doc = {
        "id": ids.new_uuid(),
        "slug": slug or ids.make_slug("", name, 20, lambda s: ctx.tx.slug_taken(KIND, s)),
        "name": name,
        "ai_provider_id": provider_id,
        "description": None,
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": scoped["id"] if scoped else None,
        "masked_key": None,
        "configurations": {},
        "status": "active",
        "allow_all_models": True,
        "models": [_model(m) for m in CATALOGUE.get(provider_id, ())],
        "workspace_access": {},
        "global_access": {"enabled": False, "usage_limits": [], "rate_limits": []},
        "secret_mappings": [],
        "pricing_adjustments": None,
        "created_at": now,
        "last_updated_at": now,
    }
    _apply(ctx, integration)
    ctx.tx.put(KIND, integration)
    create_default = opt_bool(ctx.body, "create_default_provider")
    if create_default is None or create_default:
        target = scoped or ctx.workspace(None)
        slug = _check_slug(opt_str(ctx.body, "default_provider_slug"), "default_provider_slug")
        _default_provider(ctx, integration, target["id"], slug)
    return {"id": integration["id"], "slug": integration["slug"]}


def list_integrations(ctx: Ctx) -> Any:
    """GET /integrations?workspace_id&type(workspace|organisation|all)&current_page&page_size."""
    items = ctx.tx.list(KIND)
    kind = opt_enum(ctx.query, "type", ("workspace", "organisation", "all")) or "all"
    if kind != "all":
        items = [i for i in items if (i["workspace_id"] is None) == (kind == "organisation")]
    if ctx.query.get("workspace_id"):
        ws = ctx.workspace(ctx.query["workspace_id"])
        items = [i for i in items if access_enabled(i, ws["id"])]
    return {"object": "list", "total": len(items), "data": [_summary(i) for i in page(items, ctx.query)]}


def get_integration(ctx: Ctx) -> Any:
    """GET /integrations/{slug}: details with the key and secret configuration masked."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    view = {
        **_summary(integration),
        "configurations": integration["configurations"],
        "global_workspace_access_settings": integration["global_access"],
        "allow_all_models": integration["allow_all_models"],
        "workspace_count": len([w for w in ctx.tx.list("workspace") if access_enabled(integration, w["id"])]),
        "secret_mappings": integration["secret_mappings"],
        "pricing_adjustments": integration["pricing_adjustments"],
    }
    if integration["masked_key"]:
        view["masked_key"] = integration["masked_key"]
    return view


def update_integration(ctx: Ctx) -> Any:
    """PUT /integrations/{slug} {name, key, description, configurations, secret_mappings,
    pricing_adjustments} → {}; configuration fields are merged."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    _apply(ctx, integration)
    integration["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, integration)
    return {}


def delete_integration(ctx: Ctx) -> Any:
    """DELETE /integrations/{slug} → {}; 409 AB07 while providers use it."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    users = [p["slug"] for p in ctx.tx.list(PROVIDER) if p["integration_id"] == integration["id"]]
    if users:
        raise conflict(f"integration {integration['slug']} is used by provider(s) {', '.join(users)}")
    ctx.tx.delete(KIND, integration["id"])
    return {}


def list_integration_models(ctx: Ctx) -> Any:
    """GET /integrations/{slug}/models → {total, models} (no paging in the spec)."""
    models = find_integration(ctx.tx, ctx.params["slug"])["models"]
    return {"total": len(models), "models": page(models, ctx.query, default_size=None)}


def update_integration_models(ctx: Ctx) -> Any:
    """PUT /integrations/{slug}/models {models*[{slug*, enabled*, …}], allow_all_models} → {};
    unknown slugs must be custom models (`is_custom: true`)."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    items = opt_list(ctx.body, "models", required=True)
    by_slug = {m["slug"]: m for m in integration["models"]}
    for i, item in enumerate(items or []):
        where = f"models[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "must be an object")
        slug = opt_str(item, "slug", required=True)
        enabled = opt_bool(item, "enabled")
        if slug is None or enabled is None:
            raise invalid(f"{where}.enabled", "field required")
        fields = {k: item[k] for k in ("model_name", "is_custom", "is_finetune", "base_model_slug",
                                       "configurations", "pricing_config") if k in item}
        if slug in by_slug:
            by_slug[slug].update(fields, enabled=enabled)
        elif item.get("is_custom") or item.get("is_finetune"):
            by_slug[slug] = _model(slug, **fields, enabled=enabled)
        else:
            raise invalid(f"{where}.slug", f"unknown model '{slug}'; add it with is_custom: true")
    integration["models"] = list(by_slug.values())
    allow_all = opt_bool(ctx.body, "allow_all_models")
    if allow_all is not None:
        integration["allow_all_models"] = allow_all
    ctx.tx.put(KIND, integration)
    return {}


def delete_integration_model(ctx: Ctx) -> Any:
    """DELETE /integrations/{slug}/models?slugs=a,b → {}: removes custom or fine-tuned models."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    wanted = [s for s in (ctx.query.get("slugs") or "").split(",") if s]
    if not wanted:
        raise invalid("slugs", "field required")
    by_slug = {m["slug"]: m for m in integration["models"]}
    for slug in wanted:
        if slug not in by_slug:
            raise not_found("integration model", slug)
        if not (by_slug[slug]["is_custom"] or by_slug[slug]["is_finetune"]):
            raise invalid("slugs", f"{slug} is a built-in model; disable it with enabled: false")
        del by_slug[slug]
    integration["models"] = list(by_slug.values())
    ctx.tx.put(KIND, integration)
    return {}


def list_integration_workspaces(ctx: Ctx) -> Any:
    """GET /integrations/{slug}/workspaces → {total, workspaces[{id, enabled, limits}]}."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    spaces = ctx.tx.list("workspace")
    if integration["workspace_id"]:
        spaces = [w for w in spaces if w["id"] == integration["workspace_id"]]
    entries = [
        {"id": w["id"], **_access_view(integration["workspace_access"].get(w["id"], {}),
                                       access_enabled(integration, w["id"]))}
        for w in spaces
    ]
    return {"total": len(entries), "workspaces": page(entries, ctx.query, default_size=None)}


def _access(item: dict[str, Any], where: str) -> dict[str, Any]:
    enabled = opt_bool(item, "enabled")
    if enabled is None:
        raise invalid(f"{where}.enabled", "field required")
    return {
        "enabled": enabled,
        "usage_limits": usage_limits_list(item.get("usage_limits"), f"{where}.usage_limits"),
        "rate_limits": rate_limits(item.get("rate_limits"), f"{where}.rate_limits"),
    }


def update_integration_workspaces(ctx: Ctx) -> Any:
    """PUT /integrations/{slug}/workspaces {workspaces[{id*, enabled*, usage_limits, rate_limits,
    reset_usage, create_default_provider, default_provider_slug}], global_workspace_access,
    override_existing_workspace_access, create_default_provider (default true),
    default_provider_slug} → {}. Enabling a workspace gives it a default provider."""
    integration = find_integration(ctx.tx, ctx.params["slug"])
    body = ctx.body
    glob = opt_dict(body, "global_workspace_access")
    if glob is not None:
        if integration["workspace_id"]:
            raise invalid("global_workspace_access", "a workspace integration cannot be shared")
        integration["global_access"] = _access(glob, "global_workspace_access")
        if opt_bool(body, "override_existing_workspace_access"):
            integration["workspace_access"] = {}
    top_default = opt_bool(body, "create_default_provider")
    top_slug = _check_slug(opt_str(body, "default_provider_slug"), "default_provider_slug")
    newly_enabled: list[tuple[str, str | None]] = []
    for i, item in enumerate(opt_list(body, "workspaces") or []):
        where = f"workspaces[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "must be an object")
        ws = ctx.workspace(opt_str(item, "id", required=True), f"{where}.id")
        if integration["workspace_id"] not in (None, ws["id"]):
            raise invalid(f"{where}.id", "a workspace integration serves its own workspace only")
        entry = _access(item, where)
        if integration["workspace_id"] is None:
            integration["workspace_access"][ws["id"]] = entry
        make = opt_bool(item, "create_default_provider")
        if entry["enabled"] and (make if make is not None else top_default is not False):
            slug = _check_slug(opt_str(item, "default_provider_slug"), f"{where}.default_provider_slug")
            newly_enabled.append((ws["id"], slug or top_slug))
    integration["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, integration)
    for workspace_id, slug in newly_enabled:
        _default_provider(ctx, integration, workspace_id, slug)
    return {}
