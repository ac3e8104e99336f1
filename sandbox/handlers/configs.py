"""Gateway configs: every update makes a new version that is live at once.

The spec wraps config responses in `{success, data}`; the live API answers flat objects
(portkey-api.md §10 rows 1-4), which the sandbox follows. `GET /configs/{slug}` answers `config` as a
JSON-encoded string and `is_default` as an integer, as live configs-get.json shows (quirk
`config_encoding=object` answers the spec's object instead).
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_bool, opt_enum, opt_str
from sandbox.paging import page
from sandbox.store import Doc, Tx


def find_config(tx: Tx, ident: str) -> Doc:
    """A config by slug (`pc-…`) or UUID; 404 if unknown."""
    found = tx.find("config", ident)
    if found is None:
        raise not_found("config", ident)
    return found


def _config_body(body: dict[str, Any], required: bool) -> dict[str, Any] | None:
    value = body.get("config")
    if value is None:
        if required:
            raise invalid("config", "field required")
        return None
    if isinstance(value, str):  # tolerate a JSON-encoded config, as the live API does
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid("config", "must be an object or a JSON-encoded object") from None
    if not isinstance(value, dict):
        raise invalid("config", "must be an object")
    return value


def _is_default(body: dict[str, Any]) -> bool | None:
    # The spec spells it `isDefault` (integer); the Python SDK sends `is_default`.
    for key in ("isDefault", "is_default"):
        if body.get(key) is not None:
            return opt_bool(body, key)
    return None


def _set_default(tx: Tx, config: Doc) -> None:
    for other in tx.list("config", workspace_id=config["workspace_id"]):
        if other["id"] != config["id"] and other["is_default"]:
            other["is_default"] = 0
            tx.put("config", other)
    config["is_default"] = 1


def _new_version(tx: Tx, config: Doc, content: dict[str, Any]) -> Doc:
    version = {
        "id": ids.new_uuid(),
        "config_id": config["id"],
        "config": content,
        "created_at": ids.now_iso(),
    }
    tx.put("config_version", version, parent_id=config["id"])
    config["version_id"] = version["id"]
    config["config"] = content
    return version


def _summary(config: Doc) -> dict[str, Any]:
    keys = (
        "id",
        "name",
        "slug",
        "organisation_id",
        "workspace_id",
        "is_default",
        "status",
        "owner_id",
        "updated_by",
        "created_at",
        "last_updated_at",
    )
    return {**{k: config[k] for k in keys}, "object": "config"}


def create_config(ctx: Ctx) -> Any:
    """POST /configs {name*, config*, isDefault | is_default, workspace_id} →
    flat {id, slug, version_id, object: "config"} (live form; the spec wraps it)."""
    name = opt_str(ctx.body, "name", required=True)
    content = _config_body(ctx.body, required=True)
    assert content is not None
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    now = ids.now_iso()
    config = {
        "id": ids.new_uuid(),
        "slug": ids.make_slug("pc-", name or "", 6, lambda s: ctx.tx.slug_taken("config", s)),
        "name": name,
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ws["id"],
        "is_default": 0,
        "status": "active",
        "owner_id": ctx.org.owner_id,
        "updated_by": ctx.org.owner_id,
        "created_at": now,
        "last_updated_at": now,
    }
    version = _new_version(ctx.tx, config, content)
    if _is_default(ctx.body):
        _set_default(ctx.tx, config)
    ctx.tx.put("config", config)
    return {
        "id": config["id"],
        "slug": config["slug"],
        "version_id": version["id"],
        "object": "config",
    }


def list_configs(ctx: Ctx) -> Any:
    """GET /configs?workspace_id → {object: "list", total, data} (live form, §10 row 3).

    The spec documents no paging; `current_page` / `page_size` are honoured when sent.
    """
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    items = ctx.tx.listing("config", workspace_id=ws["id"])
    data = [_summary(c) for c in page(items, ctx.query, default_size=None)]
    return {"object": "list", "total": len(items), "data": data}


def get_config(ctx: Ctx) -> Any:
    """GET /configs/{slug}: flat object (live configs-get.json), `config` a JSON string by default."""
    config = find_config(ctx.tx, ctx.params["slug"])
    content = config["config"]
    if ctx.quirks["config_encoding"] == "string":
        content = json.dumps(content, separators=(",", ":"))
    return {
        **_summary(config),
        "config": content,
        "format": "json",
        "type": "ORG_CONFIG",
        "version_id": config["version_id"],
        "object": "config",
    }


def update_config(ctx: Ctx) -> Any:
    """PUT /configs/{slug} {name, config, status}: every update makes a new version, live at once
    (a rename keeps the content) → flat {version_id, object: "config"}."""
    config = find_config(ctx.tx, ctx.params["slug"])
    name = opt_str(ctx.body, "name", nonblank=True)
    if name is not None:
        config["name"] = name
    status = opt_enum(ctx.body, "status", ("active", "inactive"))
    if status is not None:
        config["status"] = status
    if _is_default(ctx.body):
        _set_default(ctx.tx, config)
    content = _config_body(ctx.body, required=False)
    version = _new_version(ctx.tx, config, config["config"] if content is None else content)
    config["last_updated_at"] = ids.now_iso()
    config["updated_by"] = ctx.org.owner_id
    ctx.tx.put("config", config)
    return {"version_id": version["id"], "object": "config"}


def delete_config(ctx: Ctx) -> Any:
    """DELETE /configs/{slug}: the config and its versions."""
    config = find_config(ctx.tx, ctx.params["slug"])
    ctx.tx.delete_children("config_version", config["id"])
    ctx.tx.delete("config", config["id"])
    return {}


def list_config_versions(ctx: Ctx) -> Any:
    """GET /configs/{slug}/versions → {object: "list", total, data}, `config` as a JSON string."""
    config = find_config(ctx.tx, ctx.params["slug"])
    versions = ctx.tx.list("config_version", parent_id=config["id"])
    data = [
        {
            **_summary(config),
            "created_at": v["created_at"],
            "config": json.dumps(v["config"], separators=(",", ":")),
            "format": "json",
            "type": "ORG_CONFIG",
            "version_id": v["id"],
            "object": "config",
        }
        for v in versions
    ]
    return {"object": "list", "total": len(data), "data": data}
