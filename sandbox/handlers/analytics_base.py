"""What the analytics endpoints share: reading the window, workspace and filters, time buckets,
and the arithmetic (rounded the way the spec's integer fields need).

The window `[time_of_generation_min, time_of_generation_max]` is cut into buckets: hours for
windows up to two days, days up to 92 days, weeks beyond. Every bucket gets a data point, so
an empty window gives zeros, never an error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.context import Ctx
from sandbox.errors import invalid
from sandbox.handlers.log_filters import iso, parse_time, select, window
from sandbox.store import Doc

_HOUR, _DAY, _WEEK = timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)
MAX_BUCKETS = 1000


@dataclass(frozen=True)
class Scope:
    """One analytics request: its workspace, window, filtered logs and feedback."""

    workspace: Doc
    start: datetime
    end: datetime
    logs: list[Doc]
    feedback: list[Doc]

    def buckets(self) -> list[tuple[datetime, datetime]]:
        """The window cut into hour, day or week buckets `[from, to)`."""
        span = self.end - self.start
        step = _HOUR if span <= 2 * _DAY else _DAY if span <= 92 * _DAY else _WEEK
        if span > MAX_BUCKETS * _WEEK:
            step = timedelta(days=span.days // MAX_BUCKETS + 1)
        first = self.start.replace(minute=0, second=0, microsecond=0)
        if step != _HOUR:
            first = first.replace(hour=0)
        if step >= _WEEK:
            first -= timedelta(days=first.weekday())
        out = []
        cursor = first
        while cursor <= self.end and len(out) < MAX_BUCKETS:
            out.append((cursor, cursor + step))
            cursor += step
        return out

    def series(self, items: Sequence[Doc], stamp: str, point: Callable[[list[Doc]], dict[str, Any]]) -> list[Any]:
        """One data point per bucket: `{timestamp, **point(items in the bucket)}`."""
        times = [(parse_time(item[stamp], stamp), item) for item in items]
        return [
            {"timestamp": iso(low), **point([item for moment, item in times if low <= moment < high])}
            for low, high in self.buckets()
        ]


def scope(ctx: Ctx) -> Scope:
    """Read `workspace_slug` (default: the default workspace), the required window and the filters."""
    ws = ctx.workspace(ctx.query.get("workspace_slug"), "workspace_slug")
    for name in ("time_of_generation_min", "time_of_generation_max"):
        if ctx.query.get(name) in (None, ""):
            raise invalid(name, "field required")
    span = window(ctx.query, "time_of_generation_min", "time_of_generation_max", required=True)
    assert span is not None
    logs = select(ctx.tx, ws["id"], ctx.query, span)
    feedback = [
        fb for fb in ctx.tx.list("feedback", workspace_id=ws["id"])
        if span[0] <= parse_time(fb["created_at"], "created_at") <= span[1]
    ]
    return Scope(ws, span[0].astimezone(UTC), span[1].astimezone(UTC), logs, feedback)


def whole(value: float) -> int:
    """Round half away from zero to an integer."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean (0 for no values)."""
    return sum(values) / len(values) if values else 0.0


def percent(part: float, total: float) -> int:
    """`part` as a whole percentage of `total` (0 when total is 0)."""
    return whole(100 * part / total) if total else 0


def percentile(values: Sequence[float], rank: int) -> int:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    index = max(0, -(-rank * len(ordered) // 100) - 1)
    return whole(ordered[index])


def weighted(feedback: Sequence[Doc]) -> float:
    """Weighted mean feedback value: sum(value·weight) / sum(weight)."""
    weight = sum(fb["weight"] for fb in feedback)
    return sum(fb["value"] * fb["weight"] for fb in feedback) / weight if weight else 0.0


def users(logs: Sequence[Doc]) -> set[str]:
    """The distinct users of some logs."""
    return {log["user"] for log in logs if log["user"]}


def is_hit(log: Doc) -> bool:
    """A simple or semantic cache hit."""
    return log["cache_status"] in ("HIT", "SEMANTIC HIT")


def rescued_by_retry(log: Doc) -> bool:
    """Succeeded after the gateway retried."""
    return log["is_success"] and log["retry_count"] > 0


def rescued_by_fallback(log: Doc) -> bool:
    """Succeeded on a fallback target (not the first option)."""
    return log["is_success"] and log["last_used_option_index"] > 0
