"""MCP integrations: a remote MCP server (URL, transport, auth) registered with Portkey.

An integration with a `workspace_id` belongs to that workspace; one without is
organisation-level and is provisioned to workspaces through `/workspaces` (per workspace or
globally). Creating it "syncs" the remote server: capabilities and metadata are synthesised
deterministically (see `mcp_common`). Deleting one that MCP servers still use is a 409.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_bool, opt_dict, opt_enum, opt_list, opt_str
from sandbox.handlers import mcp_common as mc
from sandbox.store import Doc, Tx

KIND = "mcp_integration"
AUTH_TYPES = ("oauth_auto", "headers", "none")
TRANSPORTS = ("http", "sse")
_SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_VIEW_KEYS = ("id", "name", "description", "slug", "url", "auth_type", "transport", "configurations",
              "secret_mappings", "status", "owner_id", "workspace_id", "type", "global_workspace_access",
              "created_at", "last_updated_at")


def find_integration(tx: Tx, ident: str, field: str | None = None) -> Doc:
    """An integration by UUID or slug; 404 (or 400 naming `field`) if unknown."""
    found = tx.find(KIND, ident)
    if found is None:
        if field:
            raise invalid(field, f"no MCP integration '{ident}'")
        raise not_found("MCP integration", ident)
    return found


def workspace_enabled(integration: Doc, workspace_id: str) -> bool:
    """May MCP servers of `workspace_id` use this integration?"""
    if integration["workspace_id"] is not None:
        return integration["workspace_id"] == workspace_id
    entry = integration["workspace_access"].get(workspace_id)
    if entry is not None:
        return bool(entry["enabled"])
    return bool((integration["global_workspace_access"] or {}).get("enabled"))


def _url(body: dict[str, Any], required: bool) -> str | None:
    url = opt_str(body, "url", required=required)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid("url", "must be an http(s) URL")
    return url


def _secret_mappings(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    items = opt_list(body, "secret_mappings")
    for i, item in enumerate(items or []):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in
                                                 ("target_field", "secret_reference_id")):
            raise invalid(f"secret_mappings[{i}]", "needs target_field and secret_reference_id")
    return items


def _slug(ctx: Ctx, name: str) -> str:
    slug = opt_str(ctx.body, "slug")
    if slug is None:
        return ids.make_slug("", name, 20, lambda s: ctx.tx.slug_taken(KIND, s))
    if not slug or set(slug) - _SLUG_CHARS:
        raise invalid("slug", "may hold letters, digits, '_' and '-' only")
    if ctx.tx.slug_taken(KIND, slug):
        raise conflict(f"slug: an MCP integration '{slug}' already exists")
    return slug


def _view(doc: Doc) -> dict[str, Any]:
    view = {k: doc[k] for k in _VIEW_KEYS}
    view["workspaces_count"] = sum(1 for e in doc["workspace_access"].values() if e["enabled"])
    return view


def create_mcp_integration(ctx: Ctx) -> Any:
    """POST /mcp-integrations {name*, url*, auth_type*, transport*, slug, description,
    configurations, secret_mappings, workspace_id, organisation_id} → {id, slug}."""
    body = ctx.body
    name = opt_str(body, "name", required=True)
    assert name is not None
    url = _url(body, required=True)
    assert url is not None
    auth_type = opt_enum(body, "auth_type", AUTH_TYPES, required=True)
    transport = opt_enum(body, "transport", TRANSPORTS, required=True)
    ctx.check_organisation()
    ws = ctx.workspace(body["workspace_id"]) if body.get("workspace_id") not in (None, "") else None
    now = ids.now_iso()
    doc = {
        "id": ids.new_uuid(),
        "slug": _slug(ctx, name),
        "name": name,
        "description": opt_str(body, "description"),
        "url": url,
        "auth_type": auth_type,
        "transport": transport,
        "configurations": opt_dict(body, "configurations") or {},
        "secret_mappings": _secret_mappings(body) or [],
        "status": "active",
        "owner_id": ctx.org.owner_id,
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ws["id"] if ws else None,
        "type": "workspace" if ws else "organisation",
        "global_workspace_access": None,
        "workspace_access": {},
        "capabilities": mc.synced_capabilities(url, now),
        "synced_at": now,
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put(KIND, doc)
    return {"id": doc["id"], "slug": doc["slug"]}


def list_mcp_integrations(ctx: Ctx) -> Any:
    """GET /mcp-integrations?workspace_id&organisation_id&type&search&current_page&page_size
    → {data, total, has_more}. A workspace sees its own integrations and those enabled for it."""
    ctx.check_organisation(ctx.query)
    kind = opt_enum(ctx.query, "type", ("workspace", "organisation"))
    items = ctx.tx.list(KIND)
    if ctx.query.get("workspace_id"):
        ws_id = ctx.workspace(ctx.query["workspace_id"])["id"]
        items = [i for i in items if workspace_enabled(i, ws_id) or i["workspace_id"] == ws_id]
    if kind:
        items = [i for i in items if i["type"] == kind]
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = [i for i in items if search in i["name"].lower() or search in i["slug"].lower()]
    chosen, more = mc.offset_page(items, ctx.query)
    return {"data": [_view(i) for i in chosen], "total": len(items), "has_more": more}


def get_mcp_integration(ctx: Ctx) -> Any:
    """GET /mcp-integrations/{id}: UUID or slug."""
    return _view(find_integration(ctx.tx, ctx.params["id"]))


def update_mcp_integration(ctx: Ctx) -> Any:
    """PUT /mcp-integrations/{id} {name, description, url, auth_type, transport, configurations,
    secret_mappings}: at least one field; a new URL re-syncs capabilities and metadata."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    if not ctx.body:
        raise invalid("body", "must change at least one field")
    now = ids.now_iso()
    name = opt_str(ctx.body, "name", required="name" in ctx.body)
    if name is not None:
        doc["name"] = name
    description = opt_str(ctx.body, "description")
    if description is not None:
        doc["description"] = description
    url = _url(ctx.body, required=False)
    if url is not None and url != doc["url"]:
        doc["url"], doc["capabilities"], doc["synced_at"] = url, mc.synced_capabilities(url, now), now
    for field, choices in (("auth_type", AUTH_TYPES), ("transport", TRANSPORTS)):
        value = opt_enum(ctx.body, field, choices)
        if value is not None:
            doc[field] = value
    configurations = opt_dict(ctx.body, "configurations")
    if configurations is not None:
        doc["configurations"] = configurations
    mappings = _secret_mappings(ctx.body)
    if mappings is not None:
        doc["secret_mappings"] = mappings
    doc["last_updated_at"] = now
    ctx.tx.put(KIND, doc)
    return {}


def delete_mcp_integration(ctx: Ctx) -> Any:
    """DELETE /mcp-integrations/{id}; 409 while MCP servers use it."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    users = [s["slug"] for s in ctx.tx.list("mcp_server") if s["mcp_integration_id"] == doc["id"]]
    if users:
        raise conflict(f"MCP integration '{doc['slug']}' is used by MCP servers: {', '.join(users)}")
    ctx.tx.delete(KIND, doc["id"])
    return {}


def get_mcp_integration_metadata(ctx: Ctx) -> Any:
    """GET /mcp-integrations/{id}/metadata: what the last sync learnt about the remote server."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    return mc.metadata(doc["url"], doc["synced_at"])


def list_mcp_integration_capabilities(ctx: Ctx) -> Any:
    """GET /mcp-integrations/{id}/capabilities?type&page(1-based)&page_size
    → {data, counts, total, has_more}."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    kind = mc.type_filter(ctx.query)
    items = [c for c in doc["capabilities"] if kind in (None, c["type"])]
    chosen, more = mc.one_based_page(items, ctx.query)
    return {"data": chosen, "counts": mc.counts(doc["capabilities"]), "total": len(items), "has_more": more}


def update_mcp_integration_capabilities(ctx: Ctx) -> Any:
    """PUT /mcp-integrations/{id}/capabilities {capabilities*[{name, type, enabled}]} → {success}."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    now = ids.now_iso()
    for kind, name, enabled in mc.toggles(ctx.body, doc["capabilities"]):
        for cap in doc["capabilities"]:
            if (cap["type"], cap["name"]) == (kind, name):
                cap["enabled"], cap["last_updated_at"] = enabled, now
    doc["last_updated_at"] = now
    ctx.tx.put(KIND, doc)
    return {"success": True}


def list_mcp_integration_workspaces(ctx: Ctx) -> Any:
    """GET /mcp-integrations/{id}/workspaces[?version]: every workspace and whether it may use the
    integration. With `version` the answer is `{data, global_workspace_access, total}`, without it
    the legacy `{workspaces, global_workspace_access}` (portkey-api.md §4)."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    items = []
    for ws in ctx.tx.list("workspace"):
        if doc["workspace_id"] is not None and ws["id"] != doc["workspace_id"]:
            continue
        entry = doc["workspace_access"].get(ws["id"], {})
        items.append({
            "id": ws["id"],
            "enabled": workspace_enabled(doc, ws["id"]),
            "status": "active" if workspace_enabled(doc, ws["id"]) else "inactive",
            "created_at": entry.get("created_at", doc["created_at"]),
            "last_updated_at": entry.get("last_updated_at", doc["last_updated_at"]),
        })
    if ctx.query.get("version") not in (None, ""):
        return {"data": items, "global_workspace_access": doc["global_workspace_access"], "total": len(items)}
    return {"workspaces": items, "global_workspace_access": doc["global_workspace_access"]}


def update_mcp_integration_workspaces(ctx: Ctx) -> Any:
    """PUT /mcp-integrations/{id}/workspaces {workspaces*[{id, enabled}], global_workspace_access,
    override_existing_workspace_access}: organisation-level integrations only."""
    doc = find_integration(ctx.tx, ctx.params["id"])
    if doc["workspace_id"] is not None:
        raise invalid("workspaces", "a workspace-level MCP integration cannot be shared with other workspaces")
    entries = opt_list(ctx.body, "workspaces", required=True) or []
    now = ids.now_iso()
    changes: dict[str, bool] = {}
    for i, item in enumerate(entries):
        if not isinstance(item, dict) or not isinstance(item.get("enabled"), bool):
            raise invalid(f"workspaces[{i}]", "needs id and enabled (true or false)")
        changes[ctx.workspace(item.get("id"), f"workspaces[{i}].id")["id"]] = item["enabled"]
    glob = ctx.body.get("global_workspace_access")
    if glob is not None and (not isinstance(glob, dict) or not isinstance(glob.get("enabled", False), bool)):
        raise invalid("global_workspace_access", "must be {enabled: true|false} or null")
    if opt_bool(ctx.body, "override_existing_workspace_access"):
        doc["workspace_access"] = {}
    for ws_id, enabled in changes.items():
        created = doc["workspace_access"].get(ws_id, {}).get("created_at", now)
        doc["workspace_access"][ws_id] = {"enabled": enabled, "created_at": created, "last_updated_at": now}
    if "global_workspace_access" in ctx.body:
        doc["global_workspace_access"] = glob
    doc["last_updated_at"] = now
    ctx.tx.put(KIND, doc)
    return {}
