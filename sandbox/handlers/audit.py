"""Audit logs: every successful write request (POST, PUT, PATCH, DELETE) is recorded in the same
transaction as its effect; `GET /audit-logs` serves them, newest first.

A record names the method, URI, operation, status, actor (the API key's owner), resource
type (the route's leading literal segments, e.g. `prompts_partials`), resource id (the first
path parameter), action (the operation's verb: create, update, delete, publish, start…) and
time. Request bodies and headers are not kept: they can hold secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid
from sandbox.fields import opt_enum
from sandbox.handlers.log_filters import parse_time
from sandbox.paging import page
from sandbox.routing import Operation

if TYPE_CHECKING:
    from starlette.requests import Request

KIND = "audit_log"
MAX_PAGE_SIZE = 100
_TEXT_FILTERS = ("method", "uri", "request_id", "user_id", "user_type", "workspace_id", "resource_type",
                 "action", "client_ip", "country", "resource_id")


def _resource_type(operation: Operation) -> str:
    literals = []
    for segment in operation.segments:
        if segment.startswith("{"):
            break
        if segment != "admin":
            literals.append(segment.replace("-", "_"))
    return "_".join(literals)


def _workspace_id(ctx: Ctx) -> str:
    value = ctx.body.get("workspace_id") or ctx.query.get("workspace_id")
    found = ctx.tx.find("workspace", value) if isinstance(value, str) and value else None
    return found["id"] if found else ctx.org.default_workspace_id


def record_write(ctx: Ctx, request: Request, operation: Operation) -> None:
    """Record one successful write request (call inside its transaction)."""
    record: dict[str, Any] = {
        "id": ids.new_uuid(),
        "timestamp": ids.now_iso(),
        "method": request.method,
        "uri": request.url.path,
        "query_params": request.url.query,
        "request_id": ids.new_uuid(),
        "user_id": ctx.org.owner_id,
        "user_type": "user",
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": _workspace_id(ctx),
        "response_status_code": 200,
        "resource_type": _resource_type(operation),
        "resource_id": next(iter(ctx.params.values()), None),
        "action": operation.name.split("_", 1)[0],
        "operation": operation.name,
        "client_ip": request.client.host if request.client else "127.0.0.1",
    }
    ctx.tx.put(KIND, {k: v for k, v in record.items() if v is not None})


def list_audit_logs(ctx: Ctx) -> Any:
    """GET /audit-logs?start_time*&end_time*&organisation_id*&<filters>&current_page&page_size
    → {records, total, object:"analytics-graph"}."""
    query = ctx.query
    for name in ("start_time", "end_time", "organisation_id"):
        if query.get(name) in (None, ""):
            raise invalid(name, "field required")
    start, end = parse_time(query["start_time"], "start_time"), parse_time(query["end_time"], "end_time")
    if start > end:
        raise invalid("start_time", "must not be later than end_time")
    ctx.check_organisation(query)
    opt_enum(query, "method", ("POST", "PUT", "DELETE"))
    opt_enum(query, "user_type", ("user", "api_key"))
    size = query.get("page_size")
    if size and size.isdigit() and int(size) > MAX_PAGE_SIZE:
        raise invalid("page_size", f"must be <= {MAX_PAGE_SIZE}")
    records = [r for r in reversed(ctx.tx.list(KIND)) if start <= parse_time(r["timestamp"], "timestamp") <= end]
    for name in _TEXT_FILTERS:
        if query.get(name) not in (None, ""):
            records = [r for r in records if r.get(name) == query[name]]
    if query.get("response_status_code") not in (None, ""):
        records = [r for r in records if str(r["response_status_code"]) == query["response_status_code"]]
    data = [{k: v for k, v in r.items() if k != "id"} for r in page(records, query)]
    return {"records": data, "total": len(records), "object": "analytics-graph"}
