"""Selecting stored logs: the time window and the analytics / export filters.

Filters arrive as query strings (analytics) or JSON values (log-export `filters`); both are
read the same way. List filters (`status_code`, `virtual_keys`, `trace_id`, …) are comma
separated, `ai_org_model` pairs are `provider__model`, `metadata` is a JSON object (or its
JSON string) whose pairs must all match.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import invalid
from sandbox.store import Doc, Tx

# filter name -> (log field, bound)
_RANGES: dict[str, tuple[str, str]] = {
    "total_units_min": ("total_units", "min"),
    "total_units_max": ("total_units", "max"),
    "cost_min": ("cost", "min"),
    "cost_max": ("cost", "max"),
    "prompt_token_min": ("req_units", "min"),
    "prompt_token_max": ("req_units", "max"),
    "completion_token_min": ("res_units", "min"),
    "completion_token_max": ("res_units", "max"),
    "weighted_feedback_min": ("weighted_feedback", "min"),
    "weighted_feedback_max": ("weighted_feedback", "max"),
}
# filter name -> log field, for comma-separated lists
_LISTS: dict[str, str] = {
    "virtual_keys": "virtual_key",
    "configs": "config",
    "api_key_ids": "api_key_id",
    "trace_id": "trace_id",
    "span_id": "span_id",
    "prompt_slug": "prompt_slug",
    "ai_model": "ai_model",
}


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 date-time (naive values are UTC); 400 naming `field` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(field, f"must be an ISO 8601 date-time, got '{value}'") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and `Z`, as the sandbox writes every timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def window(source: Mapping[str, Any], low: str, high: str, *, required: bool) -> tuple[datetime, datetime] | None:
    """The `[low, high]` window named by two fields; 400 when missing (if required) or reversed."""
    if source.get(low) in (None, "") and source.get(high) in (None, ""):
        if required:
            raise invalid(low, "field required")
        return None
    start = parse_time(source.get(low), low) if source.get(low) not in (None, "") else datetime.min.replace(tzinfo=UTC)
    end = parse_time(source.get(high), high) if source.get(high) not in (None, "") else datetime.max.replace(tzinfo=UTC)
    if start > end:
        raise invalid(low, f"must not be later than {high}")
    return start, end


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise invalid(field, "must be a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise invalid(field, f"must be a number, got '{value}'") from None


def _items(value: Any) -> set[str]:
    return {part.strip() for part in str(value).split(",") if part.strip()}


def _metadata(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid("metadata", "must be a JSON object") from None
    if not isinstance(value, dict):
        raise invalid("metadata", "must be a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def weighted_feedback(tx: Tx) -> dict[str, float]:
    """Weighted mean feedback per trace id: sum(value·weight) / sum(weight)."""
    sums: dict[str, list[float]] = {}
    for fb in tx.list("feedback"):
        acc = sums.setdefault(fb["trace_id"], [0.0, 0.0])
        acc[0] += fb["value"] * fb["weight"]
        acc[1] += fb["weight"]
    return {trace: total / weight for trace, (total, weight) in sums.items() if weight > 0}


def _predicates(filters: Mapping[str, Any]) -> list[Callable[[Doc], bool]]:
    checks: list[Callable[[Doc], bool]] = []
    for name, (field, bound) in _RANGES.items():
        if filters.get(name) in (None, ""):
            continue
        limit = _number(filters[name], name)
        if bound == "min":
            checks.append(lambda log, f=field, v=limit: log.get(f) is not None and log[f] >= v)
        else:
            checks.append(lambda log, f=field, v=limit: log.get(f) is not None and log[f] <= v)
    for name, field in _LISTS.items():
        if filters.get(name) not in (None, ""):
            wanted = _items(filters[name])
            checks.append(lambda log, f=field, w=wanted: log.get(f) in w)
    if filters.get("status_code") not in (None, ""):
        codes = _items(filters["status_code"])
        checks.append(lambda log, w=codes: str(log["status"]) in w)
    if filters.get("ai_org_model") not in (None, ""):
        pairs = _items(filters["ai_org_model"])
        checks.append(lambda log, w=pairs: f"{log['ai_org']}__{log['ai_model']}" in w)
    if filters.get("metadata") not in (None, "", {}):
        pairs_md = _metadata(filters["metadata"])
        checks.append(lambda log, w=pairs_md: all(log["metadata"].get(k) == v for k, v in w.items()))
    return checks


def select(
    tx: Tx,
    workspace_id: str,
    filters: Mapping[str, Any],
    span: tuple[datetime, datetime] | None,
) -> list[Doc]:
    """The workspace's logs inside `span` that pass every filter, oldest first."""
    checks = _predicates(filters)
    feedback = weighted_feedback(tx)
    out = []
    for log in tx.list("log", workspace_id=workspace_id):
        if span is not None and not span[0] <= parse_time(log["created_at"], "created_at") <= span[1]:
            continue
        log["weighted_feedback"] = feedback.get(log["trace_id"])
        if all(check(log) for check in checks):
            out.append(log)
    return sorted(out, key=lambda log: log["created_at"])
