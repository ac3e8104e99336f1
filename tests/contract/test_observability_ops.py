"""The MCP and observability operations, called with our client against the sandbox and checked
against the spec (with the reasoned deviations in deviations*.yaml).

Each operation gets a success call (no request or response violation) and an error call (a
PortkeyAPIError 400/404/409 whose answer conforms). `list_traces` is the exception: the live
API answers `GET /logs` with 405 (portkey-api.md §10), and so does the sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from engine.portkey import OPERATIONS, PortkeyAPIError, PortkeyClient, RetryPolicy, Secret, Settings
from engine.portkey.ops_observability import ROOT_PATH_OPERATIONS
from sandbox import Sandbox
from tests.contract.openapi_contract import check_request, check_response
from tests.contract.recorder import ContractTransport

pytestmark = pytest.mark.anyio

KEY = "contract-key"
MISSING = "00000000-0000-4000-8000-000000000000"
GROUPS = {"mcp", "logging", "tracing", "audit", "analytics", "pricing"}
MINE = {op.name for op in OPERATIONS if op.group in GROUPS}
LIVE_405 = {"list_traces"}  # GET /logs: 405 live (portkey-api.md §10, last paragraph)
CHAT = {
    "request": {"url": "https://api.openai.com/v1/chat/completions", "method": "POST",
                "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}},
    "response": {"status": 200, "response_time": 320,
                 "body": {"model": "gpt-4o", "usage": {"prompt_tokens": 1200, "completion_tokens": 300}}},
    "metadata": {"trace_id": "trace-contract", "_user": "ada", "team": "support"},
}


@dataclass
class World:
    """One object of every kind, created through the client."""

    client: PortkeyClient
    recorder: ContractTransport
    sandbox: Sandbox
    ws: str
    ws_slug: str
    org: str
    user_id: str
    integration: dict[str, Any]
    spare_integration: dict[str, Any]
    server: dict[str, Any]
    log_id: str
    feedback_id: str
    export: dict[str, Any]
    finished_export: dict[str, Any]
    t0: str
    t1: str

    def window(self, **extra: Any) -> dict[str, Any]:
        return {"workspace_slug": self.ws_slug, "time_of_generation_min": self.t0,
                "time_of_generation_max": self.t1, **extra}


def _settings(base_url: str) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=base_url, retry=RetryPolicy(max_retries=0))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    sb = Sandbox(db=":memory:", api_key=KEY)
    recorder = ContractTransport(httpx.ASGITransport(app=sb.app))
    client = PortkeyClient(_settings("http://127.0.0.1/v1"), transport=recorder)
    ws = sb.default_workspace_id
    now = datetime.now(UTC)
    t0, t1 = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    integration = await client.create_mcp_integration(body={
        "name": "Linear", "url": "https://mcp.linear.example/mcp", "auth_type": "headers", "transport": "http",
        "configurations": {"custom_headers": {"Authorization": "Bearer x"}},
    })
    await client.update_mcp_integration_workspaces(id=integration["id"], body={
        "workspaces": [{"id": ws, "enabled": True}]})
    spare = await client.create_mcp_integration(body={
        "name": "Spare", "url": "https://mcp.spare.example/sse", "auth_type": "none", "transport": "sse",
        "workspace_id": ws})
    server = await client.create_mcp_server(body={"name": "Linear", "mcp_integration_id": integration["slug"],
                                                  "workspace_id": ws})
    await client.test_mcp_server(id=server["id"])
    access = await client.list_mcp_server_user_access(id=server["id"])
    inserted = await client.insert_log(body=CHAT)
    feedback = await client.create_feedback(body={"trace_id": "trace-contract", "value": 5})
    export_body = {"workspace_id": ws, "filters": {"time_of_generation_min": t0, "time_of_generation_max": t1},
                   "requested_data": ["id", "cost", "ai_model"]}
    export = await client.create_log_export(body=export_body)
    finished = await client.create_log_export(body=export_body)
    await client.start_log_export(export_id=finished["id"])
    await client.get_log_export(export_id=finished["id"])
    recorder.clear()
    yield World(client, recorder, sb, ws, sb.default_workspace_slug, sb.organisation_id,
                access["data"][0]["user_id"], integration, spare, server, inserted["log_ids"][0],
                feedback["feedback_ids"][0], export, finished, t0, t1)
    await client.aclose()
    sb.close()


Call = Callable[[World], tuple[dict[str, Any], Any]]  # -> (arguments, body)

ANALYTICS = sorted(op.name for op in OPERATIONS if op.group == "analytics")
SUCCESS: dict[str, Call] = {name: (lambda w: (w.window(), None)) for name in ANALYTICS}
SUCCESS.update({
    # MCP integrations
    "list_mcp_integrations": lambda w: ({"workspace_id": w.ws, "current_page": 0, "page_size": 10}, None),
    "create_mcp_integration": lambda w: ({}, {"name": "GitHub", "url": "https://mcp.github.example/mcp",
                                              "auth_type": "oauth_auto", "transport": "http", "slug": "github"}),
    "get_mcp_integration": lambda w: ({"id": w.integration["slug"]}, None),
    "update_mcp_integration": lambda w: ({"id": w.integration["id"]}, {"name": "Linear 2", "transport": "sse"}),
    "delete_mcp_integration": lambda w: ({"id": w.spare_integration["id"]}, None),
    "get_mcp_integration_metadata": lambda w: ({"id": w.integration["id"]}, None),
    "list_mcp_integration_capabilities": lambda w: ({"id": w.integration["id"], "page": 1, "page_size": 4}, None),
    "update_mcp_integration_capabilities": lambda w: (
        {"id": w.integration["id"]}, {"capabilities": [{"name": "delete_item", "type": "tool", "enabled": False}]}),
    "list_mcp_integration_workspaces": lambda w: ({"id": w.integration["id"], "version": "2"}, None),
    "update_mcp_integration_workspaces": lambda w: (
        {"id": w.integration["id"]}, {"workspaces": [{"id": w.ws, "enabled": True}],
                                      "global_workspace_access": {"enabled": False}}),
    # MCP servers
    "list_mcp_servers": lambda w: ({"workspace_id": w.ws, "page_size": 5}, None),
    "create_mcp_server": lambda w: ({}, {"name": "Linear ops", "mcp_integration_id": w.integration["id"],
                                         "workspace_id": w.ws, "slug": "linear-ops"}),
    "get_mcp_server": lambda w: ({"id": w.server["slug"]}, None),
    "update_mcp_server": lambda w: ({"id": w.server["id"]}, {"description": "Tickets"}),
    "delete_mcp_server": lambda w: ({"id": w.server["id"]}, None),
    "test_mcp_server": lambda w: ({"id": w.server["id"]}, None),
    "list_mcp_server_capabilities": lambda w: ({"id": w.server["id"], "page": 2, "page_size": 3, "type": "tool"},
                                               None),
    "update_mcp_server_capabilities": lambda w: (
        {"id": w.server["id"]}, {"capabilities": [{"name": "search", "type": "tool", "enabled": False}]}),
    "list_mcp_server_user_access": lambda w: ({"id": w.server["id"], "page": 1}, None),
    "update_mcp_server_user_access": lambda w: (
        {"id": w.server["id"]}, {"user_access": [{"user_id": w.user_id, "enabled": False}],
                                 "default_user_access": "deny"}),
    "list_mcp_server_connections": lambda w: ({"id": w.server["id"], "user_id": w.user_id}, None),
    "disconnect_mcp_server_connection": lambda w: ({"id": w.server["id"], "user_id": w.user_id}, None),
    # logs, traces, feedback
    "insert_log": lambda w: ({}, CHAT),
    "get_log": lambda w: ({"log_id": w.log_id, "path_format": "v1"}, None),
    "get_trace": lambda w: ({"id": w.log_id}, None),
    "create_feedback": lambda w: ({}, {"trace_id": "trace-contract", "value": -3, "weight": 0.5,
                                       "metadata": {"reason": "slow"}}),
    "update_feedback": lambda w: ({"id": w.feedback_id}, {"value": 7}),
    # log exports
    "create_log_export": lambda w: ({}, {"workspace_id": w.ws, "filters": {"cost_min": 0},
                                         "requested_data": ["trace_id"], "description": "all"}),
    "list_log_exports": lambda w: ({"workspace_id": w.ws}, None),
    "get_log_export": lambda w: ({"export_id": w.export["id"]}, None),
    "update_log_export": lambda w: ({"export_id": w.export["id"]}, {"filters": {"total_units_min": 10}}),
    "start_log_export": lambda w: ({"export_id": w.export["id"]}, None),
    "cancel_log_export": lambda w: ({"export_id": w.export["id"]}, None),
    "download_log_export": lambda w: ({"export_id": w.finished_export["id"]}, None),
    "get_log_export_field_restrictions": lambda w: ({"workspace_id": w.ws}, None),
    # audit, pricing
    "list_audit_logs": lambda w: ({"start_time": w.t0, "end_time": w.t1, "organisation_id": w.org,
                                   "method": "POST", "page_size": 10}, None),
    "get_model_pricing": lambda w: ({"provider": "openai", "model": "gpt-4o"}, None),
})
SUCCESS.update({
    "get_cost_analytics": lambda w: (w.window(cost_min=0, ai_org_model="openai__gpt-4o"), None),
    "get_analytics_group_users": lambda w: (w.window(current_page=0, page_size=10), None),
    "get_analytics_group_metadata": lambda w: ({**w.window(), "metadata_key": "team"}, None),
})
for _name in LIVE_405:
    SUCCESS.pop(_name, None)


def _path_params(name: str) -> tuple[str, ...]:
    return next(op for op in OPERATIONS if op.name == name).path_params


# Error calls: an unknown id (404) or input Portkey rejects (400/409).
FAILURE: dict[str, Call] = {}
for _name, _call in SUCCESS.items():
    if _path_params(_name):
        def _fail(w: World, call: Call = _call, name: str = _name) -> tuple[dict[str, Any], Any]:
            args, body = call(w)
            return {**args, **{p: MISSING for p in _path_params(name)}}, body
        FAILURE[_name] = _fail
FAILURE.update({name: (lambda w: (w.window(workspace_slug="ws-missing-000000"), None)) for name in ANALYTICS})
FAILURE.update({
    "list_mcp_integrations": lambda w: ({"workspace_id": MISSING}, None),
    "create_mcp_integration": lambda w: ({}, {"name": "x", "url": "ftp://files.example", "auth_type": "none",
                                              "transport": "http"}),
    "list_mcp_servers": lambda w: ({"workspace_id": MISSING}, None),
    "create_mcp_server": lambda w: ({}, {"name": "x", "mcp_integration_id": MISSING}),
    "insert_log": lambda w: ({}, {**CHAT, "response": {**CHAT["response"], "status": 42}}),
    "create_feedback": lambda w: ({}, {"trace_id": "trace-contract", "value": 11}),
    "create_log_export": lambda w: ({}, {"filters": {"time_of_generation_min": "yesterday"},
                                         "requested_data": ["id"]}),
    "list_log_exports": lambda w: ({"workspace_id": MISSING}, None),
    "get_log_export_field_restrictions": lambda w: ({"workspace_id": MISSING}, None),
    "list_audit_logs": lambda w: ({"start_time": w.t0, "end_time": w.t1, "organisation_id": MISSING}, None),
    "get_analytics_group_metadata": lambda w: ({**w.window(workspace_slug="ws-missing-000000"),
                                                "metadata_key": "team"}, None),
})
NO_ERROR_PATH: set[str] = set()  # every operation here has input Portkey can reject


def _client(w: World, name: str) -> PortkeyClient:
    """Every operation goes through the one client; public ones leave /v1 and the key out."""
    return w.client


def _in_v1(url: str) -> str:
    """A root-path URL as the checker addresses spec paths (below /v1; the spec gives these
    operations their own server, https://api.portkey.ai)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/v1" + parts.path))


def _violations(w: World, name: str, kind: str | None = None) -> list[str]:
    if name not in ROOT_PATH_OPERATIONS:
        return w.recorder.violations(kind)  # type: ignore[arg-type]
    out: list[str] = []
    for e in w.recorder.exchanges:
        if kind in (None, "request"):
            out += check_request(e.method, _in_v1(e.url), e.request_headers, e.request_body)
        if kind in (None, "response"):
            out += check_response(e.method, _in_v1(e.url), e.request_body, e.status, e.response_headers,
                                  e.response_body)
    return out


def test_every_operation_of_these_groups_has_a_success_and_an_error_call() -> None:
    assert len(MINE) >= 60
    assert set(SUCCESS) | LIVE_405 == MINE
    assert set(FAILURE) | NO_ERROR_PATH | LIVE_405 >= MINE


@pytest.mark.parametrize("name", sorted(SUCCESS))
async def test_success_conforms_to_the_spec(world: World, name: str) -> None:
    args, body = SUCCESS[name](world)
    answer = await _client(world, name).call(name, body=body, **args)
    assert answer is not None
    assert world.recorder.exchanges, "no request was made"
    assert all(200 <= e.status < 300 for e in world.recorder.exchanges)
    assert _violations(world, name) == []


@pytest.mark.parametrize("name", sorted(set(FAILURE) - NO_ERROR_PATH))
async def test_error_is_an_api_error_that_conforms(world: World, name: str) -> None:
    args, body = FAILURE[name](world)
    with pytest.raises(PortkeyAPIError) as caught:
        await _client(world, name).call(name, body=body, **args)
    assert caught.value.status in (400, 404, 409), str(caught.value)
    assert caught.value.message and caught.value.operation == name
    assert _violations(world, name, "response") == []


async def test_list_traces_is_405_as_live(world: World) -> None:
    with pytest.raises(PortkeyAPIError) as caught:
        await world.client.list_traces()
    assert caught.value.status == 405
    assert world.recorder.violations("response") == []


async def test_paginate_walks_one_based_and_records_pages(world: World) -> None:
    pager = world.client.paginate("list_mcp_integration_capabilities", id=world.integration["id"], page_size=3)
    names = [item["name"] async for item in pager]
    assert (len(set(names)), pager.pages, pager.complete) == (10, 4, True)
    assert [e.url.split("?")[1].split("&")[0] for e in world.recorder.exchanges] == [f"page={n}" for n in (1, 2, 3, 4)]
    audit = world.client.paginate("list_audit_logs", page_size=2, start_time=world.t0, end_time=world.t1,
                                  organisation_id=world.org)
    records = [record async for record in audit]
    assert len(records) == audit.total and audit.complete and audit.pages > 1
    assert world.recorder.violations() == []


async def test_both_workspace_shapes_normalise_alike(world: World) -> None:
    legacy = await world.client.list_mcp_integration_workspaces(id=world.integration["id"])
    current = await world.client.list_mcp_integration_workspaces(id=world.integration["id"], version="2")
    assert legacy == current and current["total"] == len(current["data"]) == 1
    assert [e.status for e in world.recorder.exchanges] == [200, 200]
    assert world.recorder.violations() == []
