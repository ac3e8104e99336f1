"""Analytics graphs and the cache summary, computed from the stored custom logs and feedback.

Each graph answers `{summary{…}, data_points[…], object:"analytics-graph"}` with the fields the
spec lists per endpoint; costs are in cents, latencies in ms, rates in whole percent, all
rounded to integers as the spec types them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sandbox.context import Ctx
from sandbox.handlers.analytics_base import (
    is_hit,
    mean,
    percent,
    percentile,
    rescued_by_fallback,
    rescued_by_retry,
    scope,
    users,
    weighted,
    whole,
)
from sandbox.store import Doc


def _graph(summary: dict[str, Any], points: list[Any]) -> dict[str, Any]:
    return {"summary": summary, "data_points": points, "object": "analytics-graph"}


def _errors(logs: list[Doc]) -> list[Doc]:
    return [log for log in logs if not log["is_success"]]


def _latency(logs: list[Doc]) -> dict[str, int]:
    times = [log["response_time"] for log in logs]
    return {"avg": whole(mean(times)), "p50": percentile(times, 50), "p90": percentile(times, 90),
            "p99": percentile(times, 99)}


def _sum_avg(logs: list[Doc], field: str) -> dict[str, int]:
    values = [log[field] for log in logs]
    return {"total": whole(sum(values)), "avg": whole(mean(values))}


def _codes(logs: list[Doc]) -> list[dict[str, int]]:
    counted = Counter(log["status"] for log in _errors(logs))
    return [{"response_status_code": code, "count": n} for code, n in sorted(counted.items())]


def get_request_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/requests: request counts."""
    sc = scope(ctx)
    return _graph({"total": len(sc.logs)}, sc.series(sc.logs, "created_at", lambda b: {"total": len(b)}))


def get_cost_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/cost: total and mean cost per request (cents)."""
    sc = scope(ctx)
    return _graph(_sum_avg(sc.logs, "cost"), sc.series(sc.logs, "created_at", lambda b: _sum_avg(b, "cost")))


def get_token_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/tokens: total and mean tokens per request."""
    sc = scope(ctx)
    return _graph(_sum_avg(sc.logs, "total_units"),
                  sc.series(sc.logs, "created_at", lambda b: _sum_avg(b, "total_units")))


def get_latency_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/latency: mean and nearest-rank p50/p90/p99 (ms)."""
    sc = scope(ctx)
    return _graph(_latency(sc.logs), sc.series(sc.logs, "created_at", _latency))


def get_users_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/users: distinct users."""
    sc = scope(ctx)
    return _graph({"total": len(users(sc.logs))},
                  sc.series(sc.logs, "created_at", lambda b: {"total": len(users(b))}))


def _per_user(logs: list[Doc]) -> float:
    named = users(logs)
    return sum(1 for log in logs if log["user"]) / len(named) if named else 0.0


def get_user_requests_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/users/requests: requests by users, distinct users, requests per user."""
    sc = scope(ctx)
    summary = {"total": sum(1 for log in sc.logs if log["user"]), "unique": len(users(sc.logs)),
               "avg": whole(_per_user(sc.logs))}
    return _graph(summary, sc.series(sc.logs, "created_at", lambda b: {"avg": whole(_per_user(b))}))


def get_error_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/errors: failed requests (non-2xx)."""
    sc = scope(ctx)
    return _graph({"total": len(_errors(sc.logs))},
                  sc.series(sc.logs, "created_at", lambda b: {"total": len(_errors(b))}))


def get_error_rate_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/errors/rate: failed requests in percent."""
    sc = scope(ctx)
    return _graph({"rate": percent(len(_errors(sc.logs)), len(sc.logs))},
                  sc.series(sc.logs, "created_at", lambda b: {"rate": percent(len(_errors(b)), len(b))}))


def get_error_stacks_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/errors/stacks: failed requests per status code, per bucket."""
    sc = scope(ctx)
    return _graph({"total": len(_errors(sc.logs))}, sc.series(sc.logs, "created_at", lambda b: {"stats": _codes(b)}))


def get_error_status_codes_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/errors/status-codes: failed requests per status code, most frequent first."""
    sc = scope(ctx)
    codes = sorted(_codes(sc.logs), key=lambda c: (-c["count"], c["response_status_code"]))
    summary = {"total_errors": len(_errors(sc.logs)), "unique_error_codes": len(codes)}
    return _graph(summary, [{"status_code": c["response_status_code"], "count": c["count"]} for c in codes])


def _retries(logs: list[Doc]) -> list[dict[str, int]]:
    counted = Counter(log["retry_count"] for log in logs if rescued_by_retry(log))
    return [{"retry_success_count": n, "count": c} for n, c in sorted(counted.items())]


def get_rescued_requests_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/requests/rescued: successes after retries or on a fallback target."""
    sc = scope(ctx)
    summary = {"retry": sum(map(rescued_by_retry, sc.logs)), "fallback": sum(map(rescued_by_fallback, sc.logs))}
    return _graph(summary, sc.series(sc.logs, "created_at", lambda b: {
        "retry": _retries(b), "fallback": sum(map(rescued_by_fallback, b))}))


def get_cache_hit_rate(ctx: Ctx) -> Any:
    """GET /analytics/graphs/cache/hit-rate: hits, hit rate and cumulative savings (cents)."""
    sc = scope(ctx)
    hits = [log for log in sc.logs if is_hit(log)]
    saved = {"HIT": 0.0, "SEMANTIC HIT": 0.0}

    def point(bucket: list[Doc]) -> dict[str, Any]:
        simple = [log for log in bucket if log["cache_status"] == "HIT"]
        semantic = [log for log in bucket if log["cache_status"] == "SEMANTIC HIT"]
        saved["HIT"] += sum(log["cache_savings"] for log in simple)
        saved["SEMANTIC HIT"] += sum(log["cache_savings"] for log in semantic)
        return {"simple_hits": len(simple), "semantic_hits": len(semantic),
                "rate": percent(len(simple) + len(semantic), len(bucket)),
                "cumulative_simple_cache_savings": whole(saved["HIT"]),
                "cumulative_semantic_cache_savings": whole(saved["SEMANTIC HIT"])}

    return _graph({"total": len(hits), "rate": percent(len(hits), len(sc.logs))},
                  sc.series(sc.logs, "created_at", point))


def _hit_latency(logs: list[Doc]) -> int:
    return whole(mean([log["response_time"] for log in logs if is_hit(log)]))


def get_cache_hit_latency(ctx: Ctx) -> Any:
    """GET /analytics/graphs/cache/latency: mean latency of cache hits (ms)."""
    sc = scope(ctx)
    return _graph({"avg": _hit_latency(sc.logs)}, sc.series(sc.logs, "created_at", lambda b: {"avg": _hit_latency(b)}))


def get_cache_summary_analytics(ctx: Ctx) -> Any:
    """GET /analytics/summary/cache: hits, their mean latency, requests, speed-up over misses (%)."""
    sc = scope(ctx)
    hits = [log for log in sc.logs if is_hit(log)]
    misses = [log["response_time"] for log in sc.logs if not is_hit(log)]
    hit_latency, miss_latency = mean([log["response_time"] for log in hits]), mean(misses)
    speedup = percent(miss_latency - hit_latency, miss_latency) if hits and misses else 0
    summary = {"hits": len(hits), "avg_latency": whole(hit_latency), "total_requests": len(sc.logs),
               "cache_speedup": speedup}
    return {"summary": summary, "object": "analytics-summary"}


def get_feedback_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/feedbacks: feedback given in the window."""
    sc = scope(ctx)
    return _graph({"total": len(sc.feedback)}, sc.series(sc.feedback, "created_at", lambda b: {"total": len(b)}))


def get_feedback_scores_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/feedbacks/scores: how often each value was given."""
    sc = scope(ctx)
    counted = Counter(fb["value"] for fb in sc.feedback)
    return _graph({"total": len(sc.feedback)},
                  [{"score": score, "total": n} for score, n in sorted(counted.items())])


def get_feedback_weighted_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/feedbacks/weighted: weighted mean feedback value."""
    sc = scope(ctx)
    return _graph({"avg": whole(weighted(sc.feedback))},
                  sc.series(sc.feedback, "created_at", lambda b: {"avg": whole(weighted(b))}))


def get_feedback_models_analytics(ctx: Ctx) -> Any:
    """GET /analytics/graphs/feedbacks/ai-models: feedback per model of the traced request."""
    sc = scope(ctx)
    model_of = {log["trace_id"]: log["ai_model"] for log in sc.logs}
    per_model: dict[str, list[Doc]] = {}
    for fb in sc.feedback:
        if fb["trace_id"] in model_of:
            per_model.setdefault(model_of[fb["trace_id"]], []).append(fb)
    points = [{"ai_model": model, "total": len(items), "avg_weighted_feedback": whole(weighted(items))}
              for model, items in sorted(per_model.items())]
    return _graph({"total": sum(p["total"] for p in points)}, points)
