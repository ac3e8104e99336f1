"""Log exports: a filtered extract of the stored logs, built by a job.

Lifecycle (the spec's statuses): `draft` on create → `in_progress` on start → `success` on
the next read of the export (get or list) → downloadable. Cancel moves a draft or running
export to `stopped`. Only drafts can be changed; only finished exports can be downloaded
(409 otherwise).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import ApiError, conflict, invalid, not_found
from sandbox.fields import opt_dict, opt_list, opt_str
from sandbox.handlers.log_filters import select, window
from sandbox.store import Doc

FIELDS = (
    "id", "trace_id", "created_at", "request", "response", "is_success", "ai_org", "ai_model",
    "req_units", "res_units", "total_units", "request_url", "cost", "cost_currency",
    "response_time", "response_status_code", "mode", "config", "prompt_slug", "metadata",
)
KIND = "log_export"


def _filters(ctx: Ctx, workspace_id: str) -> tuple[dict[str, Any], int]:
    """The validated `filters` object and how many stored logs it selects."""
    filters = opt_dict(ctx.body, "filters", required=True) or {}
    for key in ("page_size", "current_page"):
        filters.pop(key, None)
    try:
        span = window(filters, "time_of_generation_min", "time_of_generation_max", required=False)
        total = len(select(ctx.tx, workspace_id, filters, span))
    except ApiError as exc:
        raise ApiError(exc.status, exc.code, f"filters.{exc.message}") from None
    return filters, total


def _requested(ctx: Ctx, *, required: bool) -> list[str] | None:
    fields = opt_list(ctx.body, "requested_data", required=required)
    if fields is None:
        return None
    if not fields:
        raise invalid("requested_data", "must name at least one field")
    for field in fields:
        if field not in FIELDS:
            raise invalid("requested_data", f"unknown field '{field}' (allowed: {', '.join(FIELDS)})")
    return list(dict.fromkeys(fields))


def find_export(ctx: Ctx) -> Doc:
    """The export of the path; 404 if unknown."""
    found = ctx.tx.get(KIND, ctx.params["export_id"])
    if found is None:
        raise not_found("log export", ctx.params["export_id"])
    return found


def _advance(ctx: Ctx, export: Doc) -> Doc:
    """A read finishes a running export job."""
    if export["status"] == "in_progress":
        export["status"] = "success"
        export["last_updated_at"] = ids.now_iso()
        ctx.tx.put(KIND, export)
    return export


def _view(export: Doc) -> dict[str, Any]:
    return {k: v for k, v in export.items() if k != "total"}


def create_log_export(ctx: Ctx) -> Any:
    """POST /logs/exports {filters*, requested_data*, workspace_id, description} → {id, total, object}."""
    ws = ctx.requested_workspace()
    filters, total = _filters(ctx, ws["id"])
    requested = _requested(ctx, required=True)
    now = ids.now_iso()
    export = {
        "id": ids.new_uuid(),
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ws["id"],
        "filters": filters,
        "requested_data": requested,
        "status": "draft",
        "description": opt_str(ctx.body, "description") or "",
        "created_at": now,
        "last_updated_at": now,
        "created_by": ctx.org.owner_id,
        "total": total,
        "object": "export",
    }
    ctx.tx.put(KIND, export)
    return {"id": export["id"], "total": total, "object": "export"}


def list_log_exports(ctx: Ctx) -> Any:
    """GET /logs/exports?workspace_id → {object, total, data}; no paging."""
    ws = ctx.workspace(ctx.query.get("workspace_id"))
    items = [_view(_advance(ctx, e)) for e in ctx.tx.list(KIND, workspace_id=ws["id"])]
    return {"object": "list", "total": len(items), "data": items}


def get_log_export(ctx: Ctx) -> Any:
    """GET /logs/exports/{id}; a running export finishes here."""
    return _view(_advance(ctx, find_export(ctx)))


def update_log_export(ctx: Ctx) -> Any:
    """PUT /logs/exports/{id} {filters*, requested_data, workspace_id}: drafts only."""
    export = find_export(ctx)
    if export["status"] != "draft":
        raise conflict(f"log export {export['id']} is {export['status']}; only draft exports can be changed")
    if ctx.body.get("workspace_id") not in (None, ""):
        export["workspace_id"] = ctx.requested_workspace()["id"]
    export["filters"], export["total"] = _filters(ctx, export["workspace_id"])
    requested = _requested(ctx, required=False)
    if requested is not None:
        export["requested_data"] = requested
    export["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, export)
    return {"id": export["id"], "total": export["total"], "object": "export"}


def start_log_export(ctx: Ctx) -> Any:
    """POST /logs/exports/{id}/start: draft → in_progress."""
    export = find_export(ctx)
    if export["status"] != "draft":
        raise conflict(f"log export {export['id']} is {export['status']}; only a draft can be started")
    export["status"] = "in_progress"
    export["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, export)
    return {"message": "export started", "object": "export"}


def cancel_log_export(ctx: Ctx) -> Any:
    """POST /logs/exports/{id}/cancel: draft or in_progress → stopped."""
    export = find_export(ctx)
    if export["status"] not in ("draft", "in_progress"):
        raise conflict(f"log export {export['id']} is {export['status']}; it can no longer be cancelled")
    export["status"] = "stopped"
    export["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, export)
    return {"message": "export cancelled", "object": "export"}


def download_log_export(ctx: Ctx) -> Any:
    """GET /logs/exports/{id}/download → {signed_url} once the export has finished, else 409."""
    export = find_export(ctx)
    if export["status"] != "success":
        raise conflict(f"log export {export['id']} is {export['status']}; only a finished export can be downloaded")
    signature = hashlib.sha256(f"{export['id']}:{export['last_updated_at']}".encode()).hexdigest()[:32]
    url = (
        f"https://exports.sandbox.invalid/{export['organisation_id']}/{export['id']}.jsonl"
        f"?X-Amz-Expires=3600&X-Amz-Signature={signature}"
    )
    return {"signed_url": url}


def get_log_export_field_restrictions(ctx: Ctx) -> Any:
    """GET /logs/exports/field-restrictions?workspace_id* (the successor's, not in the spec):
    which `requested_data` fields the workspace may export. The sandbox restricts none."""
    value = ctx.query.get("workspace_id")
    if value in (None, ""):
        raise invalid("workspace_id", "field required")
    ws = ctx.workspace(value)
    return {"workspace_id": ws["id"], "allowed_fields": list(FIELDS), "restricted_fields": []}
