"""Prompt labels: universal built-ins (production, staging, development) plus workspace labels."""

from __future__ import annotations

import re
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, forbidden, invalid, not_found
from sandbox.fields import opt_str
from sandbox.paging import page
from sandbox.store import Doc, Tx

# The spec's pattern for label names: `latest`, `default` and pure digits are taken by the
# runtime `@` syntax (`pp-x@latest`, `pp-x@12`).
_NAME_PATTERN = re.compile(r"^(?!latest$)(?!default$)(?!\d+$)[a-zA-Z0-9_-]*[^@\s]?[a-zA-Z0-9_-]*$")


def _check_name(name: str) -> None:
    if name in ("latest", "default") or name.isdigit():
        raise invalid("name", f"'{name}' is reserved (latest, default and numbers select versions)")
    if not _NAME_PATTERN.match(name):
        raise invalid("name", "may hold letters, digits, '_' and '-' only")


def find_label(tx: Tx, ident: str, field: str | None = None) -> Doc:
    """A label by UUID; 404 (or 400 naming `field`) if unknown."""
    found = tx.get("label", ident) if ids.is_uuid(ident) else None
    if found is None:
        if field:
            raise invalid(field, f"no label '{ident}'")
        raise not_found("label", ident)
    return found


def visible_labels(tx: Tx, workspace_id: str) -> list[Doc]:
    """Universal labels plus the workspace's own, in creation order."""
    return [lb for lb in tx.list("label") if lb["workspace_id"] in (None, workspace_id)]


def _ensure_unique(tx: Tx, name: str, workspace_id: str, except_id: str | None = None) -> None:
    for label in visible_labels(tx, workspace_id):
        if label["name"].lower() == name.lower() and label["id"] != except_id:
            raise conflict(f"name: a label named '{name}' already exists in this workspace")


def _view(label: Doc) -> dict[str, Any]:
    return {k: v for k, v in label.items() if v is not None}


def create_prompt_label(ctx: Ctx) -> Any:
    """POST /labels {name*, description, color_code, workspace_id | organisation_id} → {id}."""
    name = opt_str(ctx.body, "name", required=True)
    assert name is not None
    _check_name(name)
    ctx.check_organisation()
    ws = ctx.workspace(ctx.body.get("workspace_id"))
    _ensure_unique(ctx.tx, name, ws["id"])
    now = ids.now_iso()
    label = {
        "id": ids.new_uuid(),
        "name": name,
        "description": opt_str(ctx.body, "description"),
        "color_code": opt_str(ctx.body, "color_code"),
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ws["id"],
        "is_universal": False,
        "status": "active",
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put("label", label)
    return {"id": label["id"]}


def list_prompt_labels(ctx: Ctx) -> Any:
    """GET /labels?workspace_id&organisation_id&search&current_page&page_size → {total, data}."""
    ctx.check_organisation(ctx.query)
    items = ctx.tx.listing("label", fields=("workspace_id", "name"))
    if ctx.query.get("workspace_id") or not ctx.query.get("organisation_id"):
        workspace_id = ctx.workspace(ctx.query.get("workspace_id"))["id"]
        items = items.where("workspace_id", lambda owner: owner in (None, workspace_id))  # as visible_labels
    search = (ctx.query.get("search") or "").lower()
    if search:
        items = items.where("name", lambda name: search in str(name).lower())
    return {"total": len(items), "data": [_view(lb) for lb in page(items, ctx.query)]}


def get_prompt_label(ctx: Ctx) -> Any:
    """GET /labels/{id}."""
    return _view(find_label(ctx.tx, ctx.params["label_id"]))


def update_prompt_label(ctx: Ctx) -> Any:
    """PUT /labels/{id} {name, description, color_code}; universal labels keep their name."""
    label = find_label(ctx.tx, ctx.params["label_id"])
    name = opt_str(ctx.body, "name")
    if name is not None and name != label["name"]:
        if label["is_universal"]:
            raise forbidden(f"label '{label['name']}' is built in and cannot be renamed")
        _check_name(name)
        _ensure_unique(ctx.tx, name, label["workspace_id"], except_id=label["id"])
        label["name"] = name
    for field in ("description", "color_code"):
        value = opt_str(ctx.body, field)
        if value is not None:
            label[field] = value
    label["last_updated_at"] = ids.now_iso()
    ctx.tx.put("label", label)
    return {}


def delete_prompt_label(ctx: Ctx) -> Any:
    """DELETE /labels/{id}; universal labels cannot be deleted; the label leaves every version."""
    label = find_label(ctx.tx, ctx.params["label_id"])
    if label["is_universal"]:
        raise forbidden(f"label '{label['name']}' is built in and cannot be deleted")
    for version in ctx.tx.list("prompt_version"):
        if label["id"] in version["label_ids"]:
            version["label_ids"].remove(label["id"])
            ctx.tx.put("prompt_version", version)
    ctx.tx.delete("label", label["id"])
    return {}
