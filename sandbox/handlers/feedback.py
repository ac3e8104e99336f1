"""Feedback on traces: a value from -10 to 10 with a weight from 0 to 1 (default 1).

Feedback may name a trace that has no log yet (logs arrive asynchronously in Portkey); the
analytics join it to logs by `trace_id`.
"""

from __future__ import annotations

from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_dict, opt_number, opt_str, require


def _value(body: dict[str, Any]) -> int:
    value = require(body, "value")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise invalid("value", "must be an integer")
    if not -10 <= value <= 10:
        raise invalid("value", "must be between -10 and 10")
    return int(value)


def _weight(body: dict[str, Any], default: float) -> float:
    weight = opt_number(body, "weight", minimum=0)
    if weight is None:
        return default
    if weight > 1:
        raise invalid("weight", "must be between 0 and 1")
    return float(weight)


def _answer(message: str, feedback_id: str) -> dict[str, Any]:
    return {"status": "success", "message": message, "feedback_ids": [feedback_id]}


def create_feedback(ctx: Ctx) -> Any:
    """POST /feedback {trace_id*, value*, weight, metadata} → {status, message, feedback_ids}."""
    trace_id = opt_str(ctx.body, "trace_id", required=True)
    value = _value(ctx.body)
    weight = _weight(ctx.body, 1.0)
    metadata = opt_dict(ctx.body, "metadata") or {}
    now = ids.now_iso()
    doc = {
        "id": ids.new_uuid(),
        "trace_id": trace_id,
        "value": value,
        "weight": weight,
        "metadata": metadata,
        "workspace_id": ctx.workspace()["id"],
        "created_at": now,
        "last_updated_at": now,
    }
    ctx.tx.put("feedback", doc)
    return _answer("feedback created", doc["id"])


def update_feedback(ctx: Ctx) -> Any:
    """PUT /feedback/{id} {value*, weight, metadata} → {status, message, feedback_ids}."""
    doc = ctx.tx.get("feedback", ctx.params["id"])
    if doc is None:
        raise not_found("feedback", ctx.params["id"])
    doc["value"] = _value(ctx.body)
    doc["weight"] = _weight(ctx.body, doc["weight"])
    metadata = opt_dict(ctx.body, "metadata")
    if metadata is not None:
        doc["metadata"] = metadata
    doc["last_updated_at"] = ids.now_iso()
    ctx.tx.put("feedback", doc)
    return _answer("feedback updated", doc["id"])
