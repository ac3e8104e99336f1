"""Analytics groups: the window's logs grouped by user, model or one metadata key,
busiest first, as `{object:"list", total, data}` paged by `current_page`/`page_size`.

The spec types `requests` and `cost` as strings in the user and model groups and as integers
in the metadata group; the answers follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.context import Ctx
from sandbox.handlers.analytics_base import mean, scope, weighted, whole
from sandbox.handlers.log_filters import weighted_feedback
from sandbox.paging import page
from sandbox.store import Doc


def _groups(logs: list[Doc], key: Callable[[Doc], str | None]) -> list[tuple[str, list[Doc]]]:
    grouped: dict[str, list[Doc]] = {}
    for log in logs:
        value = key(log)
        if value is not None:
            grouped.setdefault(value, []).append(log)
    return sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _cents(logs: list[Doc]) -> str:
    return f"{sum(log['cost'] for log in logs):.6f}".rstrip("0").rstrip(".")


def _listing(ctx: Ctx, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "total": len(rows), "data": page(rows, ctx.query)}


def get_analytics_group_users(ctx: Ctx) -> Any:
    """GET /analytics/groups/users: requests and cost (cents) per user."""
    sc = scope(ctx)
    rows = [{"user": user, "requests": str(len(logs)), "cost": _cents(logs), "object": "analytics-group"}
            for user, logs in _groups(sc.logs, lambda log: log["user"])]
    return _listing(ctx, rows)


def get_analytics_group_models(ctx: Ctx) -> Any:
    """GET /analytics/groups/ai-models: requests per model."""
    sc = scope(ctx)
    rows = [{"ai_model": model, "requests": str(len(logs)), "object": "analytics-group"}
            for model, logs in _groups(sc.logs, lambda log: log["ai_model"])]
    return _listing(ctx, rows)


def get_analytics_group_metadata(ctx: Ctx) -> Any:
    """GET /analytics/groups/metadata/{key}: per value of one metadata key: requests, cost (cents),
    mean tokens, weighted feedback of the traced requests, requests with feedback, last seen."""
    sc = scope(ctx)
    key = ctx.params["metadata_key"]
    by_trace = weighted_feedback(ctx.tx)
    feedback = ctx.tx.list("feedback", workspace_id=sc.workspace["id"])
    rows = []
    for value, logs in _groups(sc.logs, lambda log: log["metadata"].get(key)):
        traces = {log["trace_id"] for log in logs}
        rated = [log for log in logs if log["trace_id"] in by_trace]
        rows.append({
            "metadata_value": value,
            "requests": len(logs),
            "cost": whole(sum(log["cost"] for log in logs)),
            "avg_tokens": whole(mean([log["total_units"] for log in logs])),
            "avg_weighted_feedback": whole(weighted([fb for fb in feedback if fb["trace_id"] in traces])),
            "requests_with_feedback": len(rated),
            "last_seen": max(log["created_at"] for log in logs),
            "object": "analytics-group",
        })
    return _listing(ctx, rows)
