"""Custom logs (data plane): `POST /logs` stores a request/response pair with its derived
metrics; `GET /logs/{id}` reads one back as a `LogObject`.

Metrics are derived as Portkey derives them: provider from `request.provider` or the URL host,
model from the request or response body, tokens from `usage`, cost in cents from the pricing
table (0 for a cache hit, whose price counts as a saving), latency from
`response.response_time`, the user from metadata `_user` / `user` or the body's `user`, cache
status, retries and fallbacks from the gateway's `x-portkey-*` response headers.

`created_at` (top level, ISO 8601) backdates a log; it is a sandbox extension for seeding
history and defaults to now.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_dict, opt_enum, opt_number, opt_str
from sandbox.handlers import pricing
from sandbox.handlers.log_filters import iso, parse_time
from sandbox.store import Doc

_HOSTS = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "google",
    "api.mistral.ai": "mistral-ai",
    "api.groq.com": "groq",
}
_TRACING = {
    "trace_id": ("trace_id", "traceId"),
    "span_id": ("span_id", "spanId"),
    "span_name": ("span_name", "spanName"),
    "parent_span_id": ("parent_span_id", "parentSpanId"),
}
_NOT_METADATA = {"organization", *(alias for names in _TRACING.values() for alias in names)}


def _headers(part: dict[str, Any], where: str) -> dict[str, str]:
    headers = opt_dict(part, "headers") or {}
    if not all(isinstance(v, str) for v in headers.values()):
        raise invalid(f"{where}.headers", "values must be strings")
    return {k.lower(): v for k, v in headers.items()}


def _provider(request: dict[str, Any], url: str) -> str:
    given = request.get("provider")
    if isinstance(given, str) and given:
        return given.lower()
    return _HOSTS.get(urlsplit(url).hostname or "", "unknown")


def _tokens(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    req = usage.get("prompt_tokens", usage.get("input_tokens", 0))
    res = usage.get("completion_tokens", usage.get("output_tokens", 0))
    return (int(req) if isinstance(req, int | float) else 0, int(res) if isinstance(res, int | float) else 0)


def _option_index(value: str | None) -> int:
    found = re.search(r"\d+", value or "")
    return int(found.group()) if found else 0


def _metrics(request: dict[str, Any], response: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    req_body, res_body = request["body"], response["body"]
    req_headers, res_headers = request["headers"], response["headers"]
    model = req_body.get("model") or res_body.get("model") or "unknown"
    provider = _provider(request, request["url"])
    req_units, res_units = _tokens(res_body)
    rate = pricing.rates(provider, str(model))
    price = round(req_units * rate[0] + res_units * rate[1], 6) if rate else 0.0
    cache = res_headers.get("x-portkey-cache-status", "DISABLED").upper()
    hit = cache in ("HIT", "SEMANTIC HIT")
    user = metadata.get("_user") or metadata.get("user") or req_body.get("user")
    status = response["status"]
    return {
        "ai_org": provider,
        "ai_model": str(model),
        "req_units": req_units,
        "res_units": res_units,
        "total_units": req_units + res_units,
        "cost": 0.0 if hit else price,
        "cache_savings": price if hit else 0.0,
        "cost_currency": "USD",
        "response_time": response["response_time"],
        "status": status,
        "is_success": 200 <= status < 300,
        "cache_status": cache,
        "retry_count": int(res_headers.get("x-portkey-retry-attempt-count", "0") or 0),
        "last_used_option_index": _option_index(res_headers.get("x-portkey-last-used-option-index")),
        "user": str(user) if user not in (None, "") else None,
        "virtual_key": req_headers.get("x-portkey-virtual-key"),
        "config": req_headers.get("x-portkey-config"),
        "prompt_slug": metadata.get("prompt_slug"),
        "api_key_id": None,
    }


def _part(body: dict[str, Any], name: str) -> dict[str, Any]:
    part = opt_dict(body, name, required=True) or {}
    content = opt_dict(part, "body", required=True)
    return {"headers": _headers(part, name), "body": content}


def build_log(ctx: Ctx, body: dict[str, Any] | None = None) -> Doc:
    """Validate one custom log (``ctx.body`` unless given) and derive its stored form (not yet saved)."""
    body = ctx.body if body is None else body
    request = _part(body, "request")
    request["url"] = opt_str(body["request"], "url", required=True)
    request["method"] = (opt_str(body["request"], "method") or "post").upper()
    request["provider"] = opt_str(body["request"], "provider")
    response = _part(body, "response")
    response["status"] = int(opt_number(body["response"], "status", minimum=100) or 200)
    latency = body["response"].get("response_time", body["response"].get("time"))
    response["response_time"] = int(opt_number({"response_time": latency}, "response_time", minimum=0) or 0)
    response["streamingMode"] = bool(body["response"].get("streamingMode", False))
    metadata = opt_dict(body, "metadata") or {}
    created = body.get("created_at")
    created_at = iso(parse_time(created, "created_at")) if created is not None else ids.now_iso()
    tracing = {
        key: next((str(metadata[a]) for a in aliases if metadata.get(a) not in (None, "")), None)
        for key, aliases in _TRACING.items()
    }
    tracing["trace_id"] = tracing["trace_id"] or request["headers"].get("x-portkey-trace-id") or ids.new_uuid()
    custom = {str(k): str(v) for k, v in metadata.items() if k not in _NOT_METADATA}
    return {
        "id": ids.new_uuid(),
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": ctx.workspace()["id"],
        "created_at": created_at,
        **tracing,
        "request": request,
        "response": response,
        "metadata": custom,
        **_metrics(request, response, custom),
    }


def insert_log(ctx: Ctx) -> Any:
    """POST /logs {request{url*, body*, …}, response{body*, status, …}, metadata} → log ids."""
    log = build_log(ctx)
    ctx.tx.put("log", log)
    return {"status": "success", "message": "log inserted", "log_ids": [log["id"]]}


def find_log(ctx: Ctx, ident: str) -> Doc:
    """A log by id; 404 if unknown."""
    found = ctx.tx.get("log", ident)
    if found is None:
        raise not_found("log", ident)
    return found


def _url(url: str) -> str:
    return url if urlsplit(url).scheme else f"https://{url.lstrip('/')}"


def log_view(log: Doc, workspace_slug: str) -> dict[str, Any]:
    """A stored log as `GET /logs/{id}` shows it (`LogObject`)."""
    request, response = log["request"], log["response"]
    portkey_headers = {k: v for k, v in request["headers"].items() if k.startswith("x-portkey-")}
    portkey_headers["x-portkey-trace-id"] = log["trace_id"]
    metrics: dict[str, Any] = {
        key: log[key]
        for key in ("ai_org", "ai_model", "req_units", "res_units", "total_units", "cost", "cost_currency",
                    "response_time", "is_success", "trace_id", "organisation_id", "created_at")
    }
    metrics.update({
        "id": log["id"],
        "request_url": _url(request["url"]),
        "request_method": request["method"],
        "response_status_code": log["status"],
        "cache_status": log["cache_status"],
        "stream_mode": int(response["streamingMode"]),
        "retry_success_count": log["retry_count"],
        "last_used_option_index": log["last_used_option_index"],
        "workspace_slug": workspace_slug,
        "metadata.key": list(log["metadata"]),
        "metadata.value": list(log["metadata"].values()),
    })
    for key in ("span_id", "span_name", "parent_span_id", "virtual_key", "config", "prompt_slug"):
        if log.get(key) is not None:
            metrics[key] = log[key]
    return {
        "_id": log["id"],
        "request": {
            "url": _url(request["url"]),
            "method": request["method"],
            "headers": request["headers"],
            "body": request["body"],
            "portkeyHeaders": portkey_headers,
        },
        "response": {
            "status": log["status"],
            "headers": response["headers"],
            "body": response["body"],
            "responseTime": response["response_time"],
            "lastUsedOptionJsonPath": f"config.targets[{log['last_used_option_index']}]",
        },
        "organisation_id": log["organisation_id"],
        "created_at": log["created_at"],
        "metrics": metrics,
    }


def get_log(ctx: Ctx) -> Any:
    """GET /logs/{id}?path_format&created_at&type (the successor's extra query, §1).

    `path_format=v2` needs `created_at`; `type=hooks` answers the guardrail hook results,
    which custom logs never have."""
    log = find_log(ctx, ctx.params["log_id"])
    if opt_enum(ctx.query, "path_format", ("v1", "v2")) == "v2":
        parse_time(ctx.query.get("created_at"), "created_at")
    if opt_enum(ctx.query, "type", ("hooks",)) == "hooks":
        return {"object": "list", "total": 0, "data": []}
    ws = ctx.tx.get("workspace", log["workspace_id"])
    return log_view(log, ws["slug"] if ws else "")
