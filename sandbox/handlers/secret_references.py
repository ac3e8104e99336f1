"""Secret references: pointers to a secret in AWS Secrets Manager, Azure Key Vault or HashiCorp
Vault, used by integrations and virtual keys through `secret_mappings`.

`auth_config` must be one of the nine variants of its `manager_type`; the sandbox keeps only
its masked form, so reads never show a credential.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_bool, opt_dict, opt_enum, opt_list, opt_str
from sandbox.handlers.admin_fields import mask_secrets
from sandbox.paging import page
from sandbox.store import Doc, Tx

KIND = "secret_reference"
MANAGERS = ("aws_sm", "azure_kv", "hashicorp_vault")
SLUG = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
# manager_type -> (discriminating field, {variant: required fields})
AUTH_VARIANTS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "aws_sm": ("aws_auth_type", {
        "accessKey": ("aws_access_key_id", "aws_secret_access_key", "aws_region"),
        "assumedRole": ("aws_role_arn", "aws_region"),
        "serviceRole": (),
    }),
    "azure_kv": ("azure_auth_mode", {
        "entra": ("azure_entra_tenant_id", "azure_entra_client_id", "azure_entra_client_secret", "azure_vault_url"),
        "managed": ("azure_vault_url",),
        "default": ("azure_vault_url",),
    }),
    "hashicorp_vault": ("vault_auth_type", {
        "token": ("vault_addr", "vault_token"),
        "approle": ("vault_addr", "vault_role_id", "vault_secret_id"),
        "kubernetes": ("vault_addr", "vault_role"),
    }),
}


def find_reference(tx: Tx, ident: str, field: str | None = None) -> Doc:
    """A secret reference by UUID or slug; 404 (or 400 naming `field`) if unknown."""
    found = tx.find(KIND, ident)
    if found is None:
        if field:
            raise invalid(field, f"no secret reference '{ident}'")
        raise not_found("secret reference", ident)
    return found


def check_secret_mappings(tx: Tx, value: Any, field: str = "secret_mappings") -> list[dict[str, Any]]:
    """`secret_mappings[{target_field*, secret_reference_id*, secret_key, value_format}]`, each
    naming an existing secret reference."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(field, "must be an array")
    out = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "must be an object")
        target = opt_str(item, "target_field", required=True)
        ident = opt_str(item, "secret_reference_id", required=True) or ""
        ref = find_reference(tx, ident, f"{where}.secret_reference_id")
        mapping = {
            "target_field": target,
            "secret_reference_id": ref["id"],
            "secret_key": opt_str(item, "secret_key"),
            "value_format": opt_enum(item, "value_format", ("json", "string")),
        }
        out.append({k: v for k, v in mapping.items() if v is not None})
    return out


def _auth_config(body: dict[str, Any], manager: str) -> dict[str, Any]:
    config = opt_dict(body, "auth_config", required=True)
    assert config is not None
    key, variants = AUTH_VARIANTS[manager]
    variant = config.get(key)
    if variant not in variants:
        raise invalid(f"auth_config.{key}", f"must be one of {', '.join(variants)} for {manager}")
    for name in variants[variant]:
        if not isinstance(config.get(name), str) or not config[name]:
            raise invalid(f"auth_config.{name}", f"field required for {key} {variant}")
    return mask_secrets(config)


def _workspaces(ctx: Ctx) -> list[str] | None:
    refs = opt_list(ctx.body, "allowed_workspaces")
    if refs is None:
        return None
    if not refs:
        raise invalid("allowed_workspaces", "must name at least one workspace")
    return [ctx.workspace(ref, "allowed_workspaces")["id"] for ref in refs]


def _tags(value: Any, field: str = "tags") -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid(field, "must be an object of strings")
    return value


def _apply(ctx: Ctx, ref: Doc) -> None:
    body = ctx.body
    name = opt_str(body, "name")
    if name is not None:
        if not name.strip() or len(name) > 255:
            raise invalid("name", "must hold 1 to 255 characters")
        ref["name"] = name
    for field, limit in (("description", None), ("secret_key", 255), ("secret_path", 1024)):
        if field in body:
            value = opt_str(body, field)
            if limit and value is not None and len(value) > limit:
                raise invalid(field, f"must hold at most {limit} characters")
            if field == "secret_path" and not value:
                raise invalid(field, "must not be empty")
            ref[field] = value
    if "auth_config" in body:
        ref["auth_config"] = _auth_config(body, ref["manager_type"])
    allow_all = opt_bool(body, "allow_all_workspaces")
    if allow_all is not None:
        ref["allow_all_workspaces"] = allow_all
    allowed = _workspaces(ctx)
    if allowed is not None:
        ref["allowed_workspaces"] = allowed
    if "tags" in body:
        ref["tags"] = _tags(body["tags"])


def _summary(ref: Doc) -> dict[str, Any]:
    keys = ("id", "name", "slug", "manager_type", "status", "created_at", "last_updated_at")
    return {**{k: ref[k] for k in keys}, "object": "secret-reference"}


def create_secret_reference(ctx: Ctx) -> Any:
    """POST /secret-references {name*, manager_type*, auth_config*, secret_path*, slug,
    description, secret_key, allow_all_workspaces, allowed_workspaces, tags} →
    {id, slug, object: "secret-reference"}."""
    opt_str(ctx.body, "name", required=True)
    opt_str(ctx.body, "secret_path", required=True)
    manager = opt_enum(ctx.body, "manager_type", MANAGERS, required=True)
    assert manager is not None
    opt_dict(ctx.body, "auth_config", required=True)
    ctx.check_organisation()
    slug = opt_str(ctx.body, "slug")
    if slug is not None:
        if not SLUG.match(slug):
            raise invalid("slug", "may hold letters, digits, '_' and '-' only")
        if ctx.tx.slug_taken(KIND, slug):
            raise conflict(f"slug: secret reference slug {slug} is taken")
    now = ids.now_iso()
    ref: Doc = {
        "id": ids.new_uuid(),
        "slug": slug or ids.make_slug("", ctx.body["name"], 20, lambda s: ctx.tx.slug_taken(KIND, s)),
        "organisation_id": ctx.org.organisation_id,
        "manager_type": manager,
        "description": None,
        "secret_key": None,
        "allow_all_workspaces": True,
        "allowed_workspaces": [],
        "tags": None,
        "status": "ACTIVE",
        "created_by": ctx.org.owner_id,
        "created_at": now,
        "last_updated_at": now,
    }
    _apply(ctx, ref)
    ctx.tx.put(KIND, ref)
    return {"id": ref["id"], "slug": ref["slug"], "object": "secret-reference"}


def list_secret_references(ctx: Ctx) -> Any:
    """GET /secret-references?manager_type&tags(JSON)&search&current_page&page_size(<=100)."""
    items = ctx.tx.list(KIND)
    manager = opt_enum(ctx.query, "manager_type", MANAGERS)
    if manager:
        items = [r for r in items if r["manager_type"] == manager]
    if ctx.query.get("tags"):
        try:
            wanted = _tags(json.loads(ctx.query["tags"]))
        except ValueError:
            raise invalid("tags", "must be a JSON object of strings") from None
        items = [r for r in items if (wanted or {}).items() <= (r["tags"] or {}).items()]
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = [r for r in items if search in r["name"].lower() or search in r["slug"].lower()]
    data = [_summary(r) for r in page(items, ctx.query, default_size=20, max_size=100)]
    return {"object": "list", "total": len(items), "data": data}


def get_secret_reference(ctx: Ctx) -> Any:
    """GET /secret-references/{id}: the reference with `auth_config` masked."""
    ref = find_reference(ctx.tx, ctx.params["id"])
    keys = ("organisation_id", "description", "secret_path", "secret_key", "allow_all_workspaces",
            "allowed_workspaces", "tags", "created_by", "auth_config")
    return {**_summary(ref), **{k: ref[k] for k in keys}}


def update_secret_reference(ctx: Ctx) -> Any:
    """PUT /secret-references/{id} {name, description, auth_config, secret_path, secret_key,
    allow_all_workspaces, allowed_workspaces, tags} → {}; an empty body is refused."""
    ref = find_reference(ctx.tx, ctx.params["id"])
    if not ctx.body:
        raise invalid("body", "give at least one field to change")
    _apply(ctx, ref)
    ref["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, ref)
    return {}


def delete_secret_reference(ctx: Ctx) -> Any:
    """DELETE /secret-references/{id} → {}; 409 while an integration or virtual key maps it."""
    ref = find_reference(ctx.tx, ctx.params["id"])
    for kind in ("integration", "virtual_key"):
        for doc in ctx.tx.list(kind):
            if any(m["secret_reference_id"] == ref["id"] for m in doc.get("secret_mappings", [])):
                raise conflict(f"secret reference {ref['slug']} is used by {kind.replace('_', ' ')} {doc['slug']}")
    ctx.tx.delete(KIND, ref["id"])
    return {}
