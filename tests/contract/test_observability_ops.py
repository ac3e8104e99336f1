"""The MCP and observability operations, called with our client against the sandbox and checked
against the spec (with the reasoned deviations in deviations*.yaml).

Each operation gets a success call (no request or response violation) and an error call (a
PortkeyAPIError 400/404/409 whose answer conforms). `list_traces` is the exception: the live
API answers `GET /logs` with 405 (portkey-api.md §10), and so does the sandbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from engine.portkey import OPERATIONS, PortkeyAPIError
from tests import worlds
from tests.contract import harness
from tests.contract.harness import MISSING, Call

pytestmark = pytest.mark.anyio

GROUPS = {"mcp", "logging", "tracing", "audit", "analytics", "pricing"}
MINE = {op.name for op in OPERATIONS if op.group in GROUPS}
LIVE_405 = {"list_traces"}  # GET /logs: 405 live (portkey-api.md §10, last paragraph)
CHAT = worlds.chat_log("trace-contract")


@dataclass(frozen=True)
class World(harness.World, worlds.DefaultWorkspace, worlds.McpObjects, worlds.LogObjects):
    """One object of every kind, created through the client."""

    def window(self, **extra: Any) -> dict[str, Any]:
        return {"workspace_slug": self.ws_slug, "time_of_generation_min": self.t0,
                "time_of_generation_max": self.t1, **extra}


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with harness.connect() as (sb, recorder, client):
        mcp = await worlds.create_mcp_objects(client, sb)
        logs = await worlds.create_log_objects(client, sb, trace_id="trace-contract")
        recorder.clear()
        yield World(client=client, recorder=recorder, sandbox=sb, **vars(worlds.default_workspace(sb)),
                    **vars(mcp), **vars(logs))


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


# Error calls: an unknown id (404) or input Portkey rejects (400/409).
FAILURE: dict[str, Call] = harness.unknown_ids(SUCCESS)
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


def test_every_operation_of_these_groups_has_a_success_and_an_error_call() -> None:
    assert len(MINE) >= 60
    assert set(SUCCESS) | LIVE_405 == MINE
    assert set(FAILURE) | NO_ERROR_PATH | LIVE_405 >= MINE


@pytest.mark.parametrize("name", sorted(SUCCESS))
async def test_success_conforms_to_the_spec(world: World, name: str) -> None:
    await harness.assert_success(world, name, SUCCESS[name])


@pytest.mark.parametrize("name", sorted(set(FAILURE) - NO_ERROR_PATH))
async def test_error_is_an_api_error_that_conforms(world: World, name: str) -> None:
    await harness.assert_error(world, name, FAILURE[name])


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


async def test_request_log_names_the_request_by_the_row_the_sandbox_serves(world: World) -> None:
    """Two tools that send one request (get_trace and get_log; get_user_stats and get_analytics_group_users) are
    logged under the name of the one the sandbox serves: the client sends nothing that names the tool."""
    world.sandbox.reset_requests()
    await world.client.get_trace(id=world.log_id)
    await world.client.get_log(log_id=world.log_id)
    await world.client.get_user_stats(**world.window())
    await world.client.get_analytics_group_users(**world.window())
    await world.client.get_model_pricing(provider="openai", model="gpt-4o")
    assert [r.operation for r in world.sandbox.requests()] == [
        "get_log", "get_log", "get_analytics_group_users", "get_analytics_group_users", "get_model_pricing"]
