"""MCP servers: a workspace's gateway endpoint for one MCP integration.

A server may only use an integration of its own workspace, or an organisation-level one
enabled for its workspace. Its capabilities are the integration's, each switchable per
server. User access: a default (`allow`/`deny`) plus per-user overrides. `POST …/test`
checks the remote server deterministically without network (hosts under the reserved
`.invalid` domain do not resolve); a successful test connects the calling user, and
`DELETE …/connections` disconnects users.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_enum, opt_list, opt_str
from sandbox.handlers import mcp_common as mc
from sandbox.handlers.mcp_integrations import find_integration, workspace_enabled
from sandbox.store import Doc, Tx

KIND = "mcp_server"
CONNECTION = "mcp_connection"
GATEWAY = "https://mcp.portkey.ai"
_SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def find_server(tx: Tx, ident: str) -> Doc:
    """A server by UUID or slug; 404 if unknown."""
    found = tx.find(KIND, ident)
    if found is None:
        raise not_found("MCP server", ident)
    return found


def _server(ctx: Ctx) -> Doc:
    return find_server(ctx.tx, ctx.params["id"])


def _slug(ctx: Ctx, name: str) -> str:
    slug = opt_str(ctx.body, "slug")
    if slug is None:
        return ids.make_slug("", name, 20, lambda s: ctx.tx.slug_taken(KIND, s))
    if not 3 <= len(slug) <= 50 or set(slug) - _SLUG_CHARS:
        raise invalid("slug", "must be 3-50 letters, digits, '_' or '-'")
    if ctx.tx.slug_taken(KIND, slug):
        raise conflict(f"slug: an MCP server '{slug}' already exists")
    return slug


def _text(ctx: Ctx, field: str, limit: int, *, required: bool = False) -> str | None:
    value = opt_str(ctx.body, field, required=required)
    if value is not None and len(value) > limit:
        raise invalid(field, f"must be at most {limit} characters")
    return value


def _list_item(tx: Tx, doc: Doc) -> dict[str, Any]:
    integration = tx.get("mcp_integration", doc["mcp_integration_id"]) or {}
    ws = tx.get("workspace", doc["workspace_id"]) or {}
    return {
        **{k: doc[k] for k in ("id", "organisation_id", "name", "description", "status", "created_at",
                               "last_updated_at", "owner_id", "slug", "workspace_id", "mcp_integration_id")},
        "mcp_integration_slug": integration.get("slug"),
        "mcp_integration_url": integration.get("url"),
        "auth_type": integration.get("auth_type"),
        "workspace_name": ws.get("name"),
        "workspace_slug": ws.get("slug"),
        "url": f"{GATEWAY}/{doc['slug']}/mcp",
    }


def create_mcp_server(ctx: Ctx) -> Any:
    """POST /mcp-servers {name*, mcp_integration_id*, slug, description, workspace_id} → {id, slug}."""
    name = _text(ctx, "name", 255, required=True)
    assert name is not None
    ref = opt_str(ctx.body, "mcp_integration_id", required=True)
    assert ref is not None
    integration = find_integration(ctx.tx, ref, "mcp_integration_id")
    ws = ctx.workspace(ctx.body.get("workspace_id") or integration["workspace_id"])
    if not workspace_enabled(integration, ws["id"]):
        raise invalid("mcp_integration_id", f"MCP integration '{integration['slug']}' is not enabled for "
                                            f"workspace '{ws['slug']}'")
    now = ids.now_iso()
    doc = {
        "id": ids.new_uuid(),
        "slug": _slug(ctx, name),
        "name": name,
        "description": _text(ctx, "description", 500),
        "status": "active",
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ws["id"],
        "owner_id": ctx.org.owner_id,
        "mcp_integration_id": integration["id"],
        "disabled_capabilities": [],
        "default_user_access": "allow",
        "user_access": {},
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put(KIND, doc)
    return {"id": doc["id"], "slug": doc["slug"]}


def list_mcp_servers(ctx: Ctx) -> Any:
    """GET /mcp-servers?workspace_id&id&search&current_page&page_size → {data, total}."""
    items = ctx.tx.list(KIND)
    if ctx.query.get("workspace_id"):
        ws_id = ctx.workspace(ctx.query["workspace_id"])["id"]
        items = [s for s in items if s["workspace_id"] == ws_id]
    if ctx.query.get("id"):
        items = [s for s in items if ctx.query["id"] in (s["id"], s["slug"])]
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = [s for s in items if search in s["name"].lower() or search in s["slug"].lower()]
    chosen, _ = mc.offset_page(items, ctx.query)
    return {"data": [_list_item(ctx.tx, s) for s in chosen], "total": len(items)}


def get_mcp_server(ctx: Ctx) -> Any:
    """GET /mcp-servers/{id}: with `mcp_integration_details`."""
    doc = _server(ctx)
    integration = ctx.tx.get("mcp_integration", doc["mcp_integration_id"]) or {}
    details = {k: integration.get(k) for k in ("id", "slug", "status", "configurations", "url", "transport",
                                               "auth_type")}
    return {**_list_item(ctx.tx, doc), "mcp_integration_details": details}


def update_mcp_server(ctx: Ctx) -> Any:
    """PUT /mcp-servers/{id} {name, description}: at least one field."""
    doc = _server(ctx)
    if not ctx.body:
        raise invalid("body", "must change at least one field")
    name = _text(ctx, "name", 255, required="name" in ctx.body)
    if name is not None:
        doc["name"] = name
    description = _text(ctx, "description", 500)
    if description is not None:
        doc["description"] = description
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, doc)
    return {}


def delete_mcp_server(ctx: Ctx) -> Any:
    """DELETE /mcp-servers/{id}: the server and its user connections."""
    doc = _server(ctx)
    ctx.tx.delete_children(CONNECTION, doc["id"])
    ctx.tx.delete(KIND, doc["id"])
    return {}


def test_mcp_server(ctx: Ctx) -> Any:
    """POST /mcp-servers/{id}/test → {success, status_code, response_time_ms, url, server_name, error}."""
    doc = _server(ctx)
    integration = find_integration(ctx.tx, doc["mcp_integration_id"])
    url, host = integration["url"], mc.host(integration["url"])
    if host.endswith(".invalid"):
        return {"success": False, "status_code": None, "response_time_ms": None, "url": url,
                "server_name": mc.server_name(url), "error": f"getaddrinfo ENOTFOUND {host}"}
    _connect(ctx, doc)
    latency = 20 + int(hashlib.sha256(host.encode()).hexdigest()[:4], 16) % 180
    return {"success": True, "status_code": 200, "response_time_ms": latency, "url": url,
            "server_name": mc.server_name(url), "error": None}


def _connect(ctx: Ctx, doc: Doc) -> None:
    now = ids.now_iso()
    for conn in ctx.tx.list(CONNECTION, parent_id=doc["id"]):
        if conn["user_id"] == ctx.org.owner_id:
            conn["last_updated_at"] = now
            ctx.tx.put(CONNECTION, conn)
            return
    conn = {"id": ids.new_uuid(), "user_id": ctx.org.owner_id, "workspace_id": doc["workspace_id"],
            "connected": True, "created_at": now, "last_updated_at": now}
    ctx.tx.put(CONNECTION, conn, parent_id=doc["id"])


def _capabilities(tx: Tx, doc: Doc) -> list[dict[str, Any]]:
    integration = tx.get("mcp_integration", doc["mcp_integration_id"]) or {"capabilities": []}
    off = {tuple(key) for key in doc["disabled_capabilities"]}
    return [
        {**{k: v for k, v in cap.items() if k not in ("enabled", "created_at", "last_updated_at")},
         "enabled": (cap["type"], cap["name"]) not in off, "integration_enabled": cap["enabled"]}
        for cap in integration["capabilities"]
    ]


def list_mcp_server_capabilities(ctx: Ctx) -> Any:
    """GET /mcp-servers/{id}/capabilities?type&page(1-based)&page_size → {data, counts, total, has_more}."""
    doc = _server(ctx)
    every = _capabilities(ctx.tx, doc)
    kind = mc.type_filter(ctx.query)
    items = [c for c in every if kind in (None, c["type"])]
    chosen, more = mc.one_based_page(items, ctx.query)
    return {"data": chosen, "counts": mc.counts(every), "total": len(items), "has_more": more}


def update_mcp_server_capabilities(ctx: Ctx) -> Any:
    """PUT /mcp-servers/{id}/capabilities {capabilities*[{name, type, enabled}]} → {success}."""
    doc = _server(ctx)
    off = {tuple(key) for key in doc["disabled_capabilities"]}
    for kind, name, enabled in mc.toggles(ctx.body, _capabilities(ctx.tx, doc)):
        (off.discard if enabled else off.add)((kind, name))
    doc["disabled_capabilities"] = sorted([list(key) for key in off])
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, doc)
    return {"success": True}


def _connected(tx: Tx, doc: Doc) -> set[str]:
    return {c["user_id"] for c in tx.list(CONNECTION, parent_id=doc["id"])}


def list_mcp_server_user_access(ctx: Ctx) -> Any:
    """GET /mcp-servers/{id}/user-access?search&page(1-based)&page_size
    → {data, default_user_access, total, has_more}."""
    doc = _server(ctx)
    connected = _connected(ctx.tx, doc)
    search = (ctx.query.get("search") or "").lower()
    items = []
    for user in ctx.tx.list("user"):
        text = f"{user.get('first_name', '')} {user.get('last_name', '')} {user.get('email', '')}".lower()
        if search and search not in text:
            continue
        override = doc["user_access"].get(user["id"])
        items.append({
            "user_id": user["id"],
            "first_name": user.get("first_name") or "",
            "last_name": user.get("last_name") or "",
            "enabled": override if override is not None else doc["default_user_access"] == "allow",
            "has_override": override is not None,
            "connection_status": "connected" if user["id"] in connected else "not_connected",
        })
    chosen, more = mc.one_based_page(items, ctx.query)
    return {"data": chosen, "default_user_access": doc["default_user_access"], "total": len(items),
            "has_more": more}


def update_mcp_server_user_access(ctx: Ctx) -> Any:
    """PUT /mcp-servers/{id}/user-access {user_access[{user_id, enabled}], default_user_access} → {success}."""
    doc = _server(ctx)
    default = opt_enum(ctx.body, "default_user_access", ("allow", "deny"))
    for i, item in enumerate(opt_list(ctx.body, "user_access") or []):
        if not isinstance(item, dict) or not isinstance(item.get("enabled"), bool):
            raise invalid(f"user_access[{i}]", "needs user_id and enabled (true or false)")
        user_id = item.get("user_id")
        if not isinstance(user_id, str) or ctx.tx.get("user", user_id) is None:
            raise invalid(f"user_access[{i}].user_id", f"no user '{user_id}' in this organisation")
        doc["user_access"][user_id] = item["enabled"]
    if default is not None:
        doc["default_user_access"] = default
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, doc)
    return {"success": True}


def _selected(ctx: Ctx, doc: Doc) -> list[Doc]:
    items = ctx.tx.list(CONNECTION, parent_id=doc["id"])
    user_id = ctx.query.get("user_id")
    if user_id:
        if not ids.is_uuid(user_id):
            raise invalid("user_id", "must be a user UUID")
        items = [c for c in items if c["user_id"] == user_id]
    if ctx.query.get("workspace_id"):
        ws_id = ctx.workspace(ctx.query["workspace_id"])["id"]
        items = [c for c in items if c["workspace_id"] == ws_id]
    return items


def list_mcp_server_connections(ctx: Ctx) -> Any:
    """GET /mcp-servers/{id}/connections?user_id&workspace_id&current_page&page_size
    → {data, total, has_more}."""
    items = _selected(ctx, _server(ctx))
    chosen, more = mc.offset_page(items, ctx.query)
    data = [{k: c[k] for k in ("user_id", "connected", "created_at", "last_updated_at")} for c in chosen]
    return {"data": data, "total": len(items), "has_more": more}


def disconnect_mcp_server_connection(ctx: Ctx) -> Any:
    """DELETE /mcp-servers/{id}/connections?user_id&workspace_id → {success}: drops the matching
    connections (all of the server's when neither is given)."""
    for conn in _selected(ctx, _server(ctx)):
        ctx.tx.delete(CONNECTION, conn["id"])
    return {"success": True}
