"""Observability and MCP behaviour of the sandbox: log exports, audit logs, analytics computed
from stored logs, MCP integrations and servers, public pricing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sandbox_testkit import client_for, error, ok

pytestmark = pytest.mark.anyio

DAY = {"time_of_generation_min": "2025-03-01T00:00:00Z", "time_of_generation_max": "2025-03-01T23:59:59Z"}
EMPTY = {"time_of_generation_min": "2001-01-01T00:00:00Z", "time_of_generation_max": "2001-01-01T12:00:00Z"}


def _log(when: str | None, model: str, usage: tuple[int, int] | None, latency: int, *, status: int = 200,
         user: str | None = None, team: str = "support", trace: str = "t", headers: dict | None = None) -> dict:
    body: dict[str, Any] = {"model": model}
    if usage:
        body["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1]}
    else:
        body["error"] = {"message": "upstream failed"}
    metadata = {"team": team, "trace_id": trace, **({"_user": user} if user else {})}
    log: dict[str, Any] = {
        "request": {"url": "https://api.openai.com/v1/chat/completions", "body": {"model": model}},
        "response": {"status": status, "body": body, "response_time": latency, "headers": headers or {}},
        "metadata": metadata,
    }
    if when:
        log["created_at"] = when
    return log


# gpt-4o: 0.00025 / 0.001 cents per token; gpt-4o-mini: 0.000015 / 0.00006
LOGS = [
    _log("2025-03-01T10:05:00Z", "gpt-4o", (4000, 1000), 400, user="ada", trace="t-a"),  # 2.0 cents
    _log("2025-03-01T10:40:00Z", "gpt-4o-mini", (20000, 10000), 200, user="bob", team="sales", trace="t-b",
         headers={"x-portkey-retry-attempt-count": "2"}),  # 0.9 cents, rescued by retry
    _log("2025-03-01T11:15:00Z", "gpt-4o", None, 1000, status=500, user="ada", trace="t-c"),  # error
    _log("2025-03-01T11:30:00Z", "gpt-4o", (4000, 1000), 50, trace="t-d",
         headers={"x-portkey-cache-status": "HIT", "x-portkey-last-used-option-index": "config.targets[1]"}),
    _log("2025-03-02T05:00:00Z", "gpt-4o", (4000, 1000), 300, user="cy", trace="t-e"),  # outside DAY
]


async def _seed_logs(api: httpx.AsyncClient) -> list[str]:
    return [ok(await api.post("/logs", json=log))["log_ids"][0] for log in LOGS]


async def _graph(api: httpx.AsyncClient, path: str, window: dict[str, str] = DAY, **filters: Any) -> dict:
    body = ok(await api.get(f"/analytics/{path}", params={**window, **filters}))
    return body


def _point(graph: dict, hour: int) -> dict:
    return next(p for p in graph["data_points"] if p["timestamp"].startswith(f"2025-03-01T{hour:02d}:00"))


# -- logs and feedback --------------------------------------------------------------------------


async def test_inserted_logs_are_stored_and_read_back(api):
    log_id = (await _seed_logs(api))[0]
    log = ok(await api.get(f"/logs/{log_id}"))
    assert log["_id"] == log_id and log["created_at"] == "2025-03-01T10:05:00.000Z"
    assert log["request"]["method"] == "POST" and log["response"]["status"] == 200
    metrics = log["metrics"]
    assert (metrics["ai_org"], metrics["ai_model"], metrics["total_units"]) == ("openai", "gpt-4o", 5000)
    assert metrics["cost"] == pytest.approx(2.0) and metrics["trace_id"] == "t-a"
    assert dict(zip(metrics["metadata.key"], metrics["metadata.value"], strict=True)) == {
        "team": "support", "_user": "ada"}
    error(await api.get(f"/logs/{log_id}", params={"path_format": "v2"}), 400, "AB01", "created_at")
    error(await api.get("/logs/00000000-0000-4000-8000-000000000000"), 404, "AB08")
    error(await api.post("/logs", json={"request": {"url": "x"}, "response": {"body": {}}}), 400, "AB01", "body")


async def test_get_logs_is_405_as_live(api):
    response = await api.get("/logs")
    error(response, 405, "SB405")
    assert response.headers["allow"] == "POST"


async def test_feedback_create_and_update(api):
    created = ok(await api.post("/feedback", json={"trace_id": "t-a", "value": 8}))
    assert created["status"] == "success" and len(created["feedback_ids"]) == 1
    fid = created["feedback_ids"][0]
    updated = ok(await api.put(f"/feedback/{fid}", json={"value": -2, "weight": 0.5}))
    assert updated["feedback_ids"] == [fid]
    error(await api.post("/feedback", json={"trace_id": "t-a", "value": 11}), 400, "AB01", "value")
    error(await api.post("/feedback", json={"trace_id": "t-a", "value": 1, "weight": 2}), 400, "AB01", "weight")
    error(await api.put(f"/feedback/{fid}", json={}), 400, "AB01", "value")
    error(await api.put("/feedback/nope", json={"value": 1}), 404, "AB08")


# -- log exports --------------------------------------------------------------------------------


async def test_log_export_lifecycle(api):
    await _seed_logs(api)
    filters = {"time_of_generation_min": DAY["time_of_generation_min"],
               "time_of_generation_max": DAY["time_of_generation_max"]}
    created = ok(await api.post("/logs/exports", json={"filters": filters, "requested_data": ["id", "cost"]}))
    assert created["total"] == 4 and created["object"] == "export"
    eid = created["id"]
    assert ok(await api.get(f"/logs/exports/{eid}"))["status"] == "draft"
    error(await api.get(f"/logs/exports/{eid}/download"), 409, "AB07", "draft")
    changed = ok(await api.put(f"/logs/exports/{eid}", json={"filters": {**filters, "ai_model": "gpt-4o"}}))
    assert changed["total"] == 3

    assert ok(await api.post(f"/logs/exports/{eid}/start"))["object"] == "export"
    error(await api.get(f"/logs/exports/{eid}/download"), 409, "AB07", "in_progress")
    error(await api.put(f"/logs/exports/{eid}", json={"filters": filters}), 409, "AB07")
    assert ok(await api.get(f"/logs/exports/{eid}"))["status"] == "success"  # the next read finishes it
    url = ok(await api.get(f"/logs/exports/{eid}/download"))["signed_url"]
    assert url.startswith("https://") and eid in url
    assert ok(await api.get(f"/logs/exports/{eid}/download"))["signed_url"] == url  # deterministic
    error(await api.post(f"/logs/exports/{eid}/cancel"), 409, "AB07")
    error(await api.post(f"/logs/exports/{eid}/start"), 409, "AB07")


async def test_log_export_cancel_and_errors(api):
    body = {"filters": {}, "requested_data": ["trace_id"]}
    eid = ok(await api.post("/logs/exports", json=body))["id"]
    ok(await api.post(f"/logs/exports/{eid}/start"))
    assert ok(await api.post(f"/logs/exports/{eid}/cancel"))["message"]
    listed = ok(await api.get("/logs/exports"))
    assert [(e["id"], e["status"]) for e in listed["data"]] == [(eid, "stopped")]
    error(await api.get(f"/logs/exports/{eid}/download"), 409, "AB07", "stopped")
    error(await api.post("/logs/exports", json={"filters": {}, "requested_data": ["secret"]}), 400, "AB01")
    error(await api.post("/logs/exports", json={"requested_data": ["id"]}), 400, "AB01", "filters")
    bad = {"filters": {"time_of_generation_min": "soon"}, "requested_data": ["id"]}
    error(await api.post("/logs/exports", json=bad), 400, "AB01", "filters.time_of_generation_min")
    error(await api.post("/logs/exports/nope/start"), 404, "AB08")


# -- audit logs ---------------------------------------------------------------------------------


async def test_audit_log_records_writes_and_filters(sb, api):
    now = datetime.now(UTC)
    window = {"start_time": (now - timedelta(minutes=5)).isoformat(),
              "end_time": (now + timedelta(minutes=5)).isoformat(), "organisation_id": sb.organisation_id}
    label = ok(await api.post("/labels", json={"name": "canary"}))
    ok(await api.put(f"/labels/{label['id']}", json={"description": "d"}))
    await api.get("/labels")  # reads are not audited
    error(await api.post("/labels", json={"name": "latest"}), 400, "AB01")  # failures are not audited
    records = ok(await api.get("/audit-logs", params=window))
    assert records["object"] == "analytics-graph" and records["total"] == 2
    newest, oldest = records["records"]
    assert (oldest["method"], oldest["uri"], oldest["operation"]) == ("POST", "/v1/labels", "create_prompt_label")
    assert (oldest["resource_type"], oldest["action"], oldest["response_status_code"]) == ("labels", "create", 200)
    assert oldest["user_id"] == ok(await api.get("/admin/workspaces/" + sb.default_workspace_id))["users"][0]["id"]
    assert (newest["method"], newest["resource_id"]) == ("PUT", label["id"])

    assert ok(await api.get("/audit-logs", params={**window, "method": "PUT"}))["total"] == 1
    assert ok(await api.get("/audit-logs", params={**window, "action": "create"}))["records"][0] == oldest
    assert ok(await api.get("/audit-logs", params={**window, "resource_type": "prompts"}))["total"] == 0
    page = ok(await api.get("/audit-logs", params={**window, "page_size": 1, "current_page": 1}))
    assert page["records"] == [oldest] and page["total"] == 2
    past = {**window, "end_time": (now - timedelta(minutes=4)).isoformat()}
    assert ok(await api.get("/audit-logs", params=past))["total"] == 0
    error(await api.get("/audit-logs", params={"start_time": window["start_time"], "end_time": window["end_time"]}),
          400, "AB01", "organisation_id")
    error(await api.get("/audit-logs", params={**window, "organisation_id": "other"}), 400, "AB01")


# -- analytics ----------------------------------------------------------------------------------


async def test_analytics_figures_are_computed_from_the_logs(api):
    await _seed_logs(api)
    requests = await _graph(api, "graphs/requests")
    assert requests["object"] == "analytics-graph" and requests["summary"] == {"total": 4}
    assert len(requests["data_points"]) == 24  # hourly buckets for one day
    assert (_point(requests, 10)["total"], _point(requests, 11)["total"], _point(requests, 12)["total"]) == (2, 2, 0)

    cost = await _graph(api, "graphs/cost")  # 2.0 + 0.9 + 0 (error) + 0 (cache hit) cents
    assert cost["summary"] == {"total": 3, "avg": 1} and _point(cost, 10) == {**_point(cost, 10), "total": 3}
    assert (await _graph(api, "graphs/tokens"))["summary"] == {"total": 40000, "avg": 10000}
    assert (await _graph(api, "graphs/latency"))["summary"] == {"avg": 413, "p50": 200, "p90": 1000, "p99": 1000}
    users = await _graph(api, "graphs/users")
    assert users["summary"] == {"total": 2} and (_point(users, 10)["total"], _point(users, 11)["total"]) == (2, 1)
    assert (await _graph(api, "graphs/users/requests"))["summary"] == {"total": 3, "unique": 2, "avg": 2}

    assert (await _graph(api, "graphs/errors"))["summary"] == {"total": 1}
    rate = await _graph(api, "graphs/errors/rate")
    assert rate["summary"] == {"rate": 25} and _point(rate, 11)["rate"] == 50
    codes = await _graph(api, "graphs/errors/status-codes")
    assert codes["summary"] == {"total_errors": 1, "unique_error_codes": 1}
    assert codes["data_points"] == [{"status_code": 500, "count": 1}]
    stacks = await _graph(api, "graphs/errors/stacks")
    assert _point(stacks, 11)["stats"] == [{"response_status_code": 500, "count": 1}]
    rescued = await _graph(api, "graphs/requests/rescued")
    assert rescued["summary"] == {"retry": 1, "fallback": 1}
    assert _point(rescued, 10)["retry"] == [{"retry_success_count": 2, "count": 1}]

    hits = await _graph(api, "graphs/cache/hit-rate")
    assert hits["summary"] == {"total": 1, "rate": 25}
    assert (_point(hits, 11)["simple_hits"], _point(hits, 11)["rate"]) == (1, 50)
    assert _point(hits, 23)["cumulative_simple_cache_savings"] == 2
    assert (await _graph(api, "graphs/cache/latency"))["summary"] == {"avg": 50}
    summary = await _graph(api, "summary/cache")  # misses average 533.3 ms, the hit 50 ms
    assert summary == {"summary": {"hits": 1, "avg_latency": 50, "total_requests": 4, "cache_speedup": 91},
                       "object": "analytics-summary"}


async def test_analytics_filters_and_groups(api):
    await _seed_logs(api)
    assert (await _graph(api, "graphs/requests", cost_min=1))["summary"]["total"] == 1
    assert (await _graph(api, "graphs/requests", ai_org_model="openai__gpt-4o-mini"))["summary"]["total"] == 1
    assert (await _graph(api, "graphs/requests", metadata='{"team": "support"}'))["summary"]["total"] == 3
    assert (await _graph(api, "graphs/requests", status_code="500,502"))["summary"]["total"] == 1
    assert (await _graph(api, "graphs/requests", trace_id="t-a,t-b"))["summary"]["total"] == 2

    users = await _graph(api, "groups/users")
    assert users["object"] == "list" and users["total"] == 2
    assert [(u["user"], u["requests"], u["cost"]) for u in users["data"]] == [("ada", "2", "2"), ("bob", "1", "0.9")]
    models = await _graph(api, "groups/ai-models", page_size=1, current_page=1)
    assert models["total"] == 2 and [(m["ai_model"], m["requests"]) for m in models["data"]] == [("gpt-4o-mini", "1")]
    teams = (await _graph(api, "groups/metadata/team"))["data"]
    assert [(t["metadata_value"], t["requests"], t["cost"], t["avg_tokens"]) for t in teams] == [
        ("support", 3, 2, 3333), ("sales", 1, 1, 30000)]
    assert teams[0]["last_seen"] == "2025-03-01T11:30:00.000Z"


async def test_feedback_analytics(api):
    ok(await api.post("/logs", json=_log(None, "gpt-4o", (10, 10), 100, trace="t-now")))
    for value, weight in ((8, 1), (2, 0.5), (-4, 1)):
        ok(await api.post("/feedback", json={"trace_id": "t-now", "value": value, "weight": weight}))
    now = datetime.now(UTC)
    window = {"time_of_generation_min": (now - timedelta(hours=1)).isoformat(),
              "time_of_generation_max": (now + timedelta(hours=1)).isoformat()}
    assert (await _graph(api, "graphs/feedbacks", window))["summary"] == {"total": 3}
    scores = await _graph(api, "graphs/feedbacks/scores", window)
    assert scores["data_points"] == [{"score": -4, "total": 1}, {"score": 2, "total": 1}, {"score": 8, "total": 1}]
    assert (await _graph(api, "graphs/feedbacks/weighted", window))["summary"] == {"avg": 2}  # (8+1-4)/2.5
    models = await _graph(api, "graphs/feedbacks/ai-models", window)
    assert models["data_points"] == [{"ai_model": "gpt-4o", "total": 3, "avg_weighted_feedback": 2}]


@pytest.mark.parametrize("path", ["graphs/requests", "graphs/cost", "graphs/latency", "graphs/errors/rate",
                                  "graphs/cache/hit-rate", "graphs/feedbacks/weighted"])
async def test_an_empty_window_gives_zeros(api, path):
    await _seed_logs(api)
    graph = await _graph(api, path, EMPTY)
    assert set(graph["summary"].values()) == {0}
    assert len(graph["data_points"]) == 13
    assert all(v in (0, []) for p in graph["data_points"] for k, v in p.items() if k != "timestamp")


async def test_analytics_errors(api):
    error(await api.get("/analytics/graphs/cost"), 400, "AB01", "time_of_generation_min")
    error(await api.get("/analytics/graphs/cost", params={**DAY, "workspace_slug": "ws-nope"}), 400, "AB01")
    reversed_window = {"time_of_generation_min": DAY["time_of_generation_max"],
                       "time_of_generation_max": DAY["time_of_generation_min"]}
    error(await api.get("/analytics/graphs/cost", params=reversed_window), 400, "AB01")
    assert ok(await api.get("/analytics/groups/users", params=EMPTY)) == {"object": "list", "total": 0, "data": []}


# -- MCP ----------------------------------------------------------------------------------------


async def _integration(api: httpx.AsyncClient, **fields: Any) -> dict:
    body = {"name": "Docs", "url": "https://mcp.docs.example/mcp", "auth_type": "none", "transport": "http",
            **fields}
    return ok(await api.post("/mcp-integrations", json=body))


async def test_capabilities_page_from_one(sb, api):
    mid = (await _integration(api, workspace_id=sb.default_workspace_id))["id"]
    first = ok(await api.get(f"/mcp-integrations/{mid}/capabilities", params={"page": 1, "page_size": 3}))
    assert (len(first["data"]), first["total"], first["has_more"]) == (3, 10, True)
    assert first["counts"]["tools"] == {"total": 5, "enabled": 5}
    last = ok(await api.get(f"/mcp-integrations/{mid}/capabilities", params={"page": 4, "page_size": 3}))
    assert (len(last["data"]), last["has_more"]) == (1, False)
    names = []
    for number in (1, 2, 3, 4):
        names += [c["name"] for c in ok(await api.get(f"/mcp-integrations/{mid}/capabilities",
                                                      params={"page": number, "page_size": 3}))["data"]]
    assert len(set(names)) == 10
    error(await api.get(f"/mcp-integrations/{mid}/capabilities", params={"page": 0}), 400, "AB01", "page")
    tools = ok(await api.get(f"/mcp-integrations/{mid}/capabilities", params={"type": "tool"}))
    assert tools["total"] == 5 and {c["type"] for c in tools["data"]} == {"tool"}

    toggle = {"capabilities": [{"name": "delete_item", "type": "tool", "enabled": False}]}
    assert ok(await api.put(f"/mcp-integrations/{mid}/capabilities", json=toggle)) == {"success": True}
    server = ok(await api.post("/mcp-servers", json={"name": "Docs", "mcp_integration_id": mid}))
    caps = ok(await api.get(f"/mcp-servers/{server['id']}/capabilities", params={"page": 1, "page_size": 5}))
    delete = next(c for c in caps["data"] if c["name"] == "delete_item")
    assert (delete["enabled"], delete["integration_enabled"]) == (True, False)
    bad = {"capabilities": [{"name": "nope", "type": "tool", "enabled": False}]}
    error(await api.put(f"/mcp-servers/{server['id']}/capabilities", json=bad), 400, "AB01", "nope")


async def test_integration_workspace_access_gates_servers(sb, api):
    other = sb.add_workspace("Other")
    integration = await _integration(api, slug="docs")
    server = {"name": "Docs", "mcp_integration_id": "docs", "workspace_id": other["id"]}
    error(await api.post("/mcp-servers", json=server), 400, "AB01", "not enabled")
    grant = {"workspaces": [{"id": other["slug"], "enabled": True}]}
    ok(await api.put("/mcp-integrations/docs/workspaces", json=grant))
    legacy = ok(await api.get("/mcp-integrations/docs/workspaces"))
    assert set(legacy) == {"workspaces", "global_workspace_access"}
    assert {w["id"]: w["enabled"] for w in legacy["workspaces"]} == {sb.default_workspace_id: False, other["id"]: True}
    current = ok(await api.get("/mcp-integrations/docs/workspaces", params={"version": "2"}))
    assert set(current) == {"data", "global_workspace_access", "total"} and current["total"] == 2
    created = ok(await api.post("/mcp-servers", json=server))
    error(await api.delete(f"/mcp-integrations/{integration['id']}"), 409, "AB07")
    ok(await api.delete(f"/mcp-servers/{created['id']}"))
    assert ok(await api.delete(f"/mcp-integrations/{integration['id']}")) == {}
    error(await api.post("/mcp-integrations", json={"name": "x", "url": "https://a.example", "auth_type": "none",
                                                    "transport": "grpc"}), 400, "AB01", "transport")


async def test_server_test_connections_and_user_access(sb, api):
    ok_server = ok(await api.post("/mcp-servers", json={
        "name": "Docs", "mcp_integration_id": (await _integration(api, workspace_id=sb.default_workspace_id))["id"]}))
    down = ok(await api.post("/mcp-servers", json={"name": "Down", "mcp_integration_id": (await _integration(
        api, url="https://mcp.down.invalid/mcp", workspace_id=sb.default_workspace_id))["id"]}))
    first = ok(await api.post(f"/mcp-servers/{ok_server['id']}/test"))
    assert first["success"] and first["status_code"] == 200
    assert ok(await api.post(f"/mcp-servers/{ok_server['id']}/test")) == first  # deterministic
    failed = ok(await api.post(f"/mcp-servers/{down['id']}/test"))
    assert (failed["success"], failed["error"]) == (False, "getaddrinfo ENOTFOUND mcp.down.invalid")

    connections = ok(await api.get(f"/mcp-servers/{ok_server['id']}/connections"))
    assert connections["total"] == 1 and connections["has_more"] is False
    user_id = connections["data"][0]["user_id"]
    access = ok(await api.get(f"/mcp-servers/{ok_server['id']}/user-access"))
    assert access["default_user_access"] == "allow"
    assert access["data"][0] == {**access["data"][0], "user_id": user_id, "enabled": True,
                                 "connection_status": "connected", "has_override": False}
    ok(await api.put(f"/mcp-servers/{ok_server['id']}/user-access",
                     json={"default_user_access": "deny", "user_access": [{"user_id": user_id, "enabled": True}]}))
    access = ok(await api.get(f"/mcp-servers/{ok_server['id']}/user-access"))
    assert (access["default_user_access"], access["data"][0]["has_override"]) == ("deny", True)
    assert ok(await api.delete(f"/mcp-servers/{ok_server['id']}/connections",
                               params={"user_id": user_id})) == {"success": True}
    assert ok(await api.get(f"/mcp-servers/{ok_server['id']}/connections"))["total"] == 0
    bad = {"user_access": [{"user_id": "00000000-0000-4000-8000-000000000000", "enabled": True}]}
    error(await api.put(f"/mcp-servers/{ok_server['id']}/user-access", json=bad), 400, "AB01", "user_id")


async def test_integration_metadata_and_update(sb, api):
    integration = await _integration(api)
    meta = ok(await api.get(f"/mcp-integrations/{integration['slug']}/metadata"))
    assert (meta["server_name"], meta["sync_status"]) == ("mcp.docs.example MCP", "synced")
    ok(await api.put(f"/mcp-integrations/{integration['id']}", json={"url": "https://mcp.other.example/sse"}))
    meta = ok(await api.get(f"/mcp-integrations/{integration['id']}/metadata"))
    assert meta["server_name"] == "mcp.other.example MCP"
    error(await api.put(f"/mcp-integrations/{integration['id']}", json={}), 400, "AB01")
    listed = ok(await api.get("/mcp-integrations", params={"page_size": 1}))
    assert (listed["total"], listed["has_more"], listed["data"][0]["type"]) == (1, False, "organisation")
    error(await _integration_again(api, integration["slug"]), 409, "AB07")


async def _integration_again(api: httpx.AsyncClient, slug: str) -> httpx.Response:
    body = {"name": "Dup", "url": "https://a.example", "auth_type": "none", "transport": "http", "slug": slug}
    return await api.post("/mcp-integrations", json=body)


# -- pricing ------------------------------------------------------------------------------------


async def test_pricing_is_public_and_outside_v1(sb):
    async with client_for(sb, headers={}) as anon:
        price = ok(await anon.get("http://sandbox/model-configs/pricing/openai/gpt-4o"))
        assert price["pay_as_you_go"]["request_token"] == {"price": 0.00025} and price["currency"] == "USD"
        missing = await anon.get("http://sandbox/model-configs/pricing/openai/gpt-0")
        assert missing.status_code == 404 and missing.json()["data"]["errorCode"] == "AB08"
    async with client_for(sb) as api:
        error(await api.get("/model-configs/pricing/openai/gpt-4o"), 404, "SB404")  # not under /v1
