"""Bounded lists in every paging dialect, all=true with its cap, and dry runs that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from mcp_server.selection import Selection
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import data
from tests.mcp_server.world import World

pytestmark = pytest.mark.anyio


async def test_offset_pages_and_all(client: Client, world: World) -> None:
    first = data(await client.call_tool("list_collections", {"workspace_id": world.ws, "page_size": 1}))
    assert first["returned"] == 1 and first["total"] == 3 and first["has_more"] and not first["complete"]
    assert "current_page=1" in first["note"]
    last = data(await client.call_tool("list_collections", {"workspace_id": world.ws, "page_size": 1,
                                                            "current_page": 2}))
    assert last["returned"] == 1 and not last["has_more"]
    every = data(await client.call_tool("list_collections", {"workspace_id": world.ws, "all": True}))
    assert every["returned"] == 3 and every["complete"] and every["current_page"] is None
    assert {c["name"] for c in every["data"]} == {"Default", "Support", "Empty"} or len(every["data"]) == 3


async def test_unpaged_lists_are_sliced(client: Client, world: World) -> None:
    one = data(await client.call_tool("list_prompt_versions", {"prompt_id": world.prompt["id"], "page_size": 1}))
    assert one["returned"] == 1 and one["total"] == 2 and one["has_more"]
    two = data(await client.call_tool("list_prompt_versions", {"prompt_id": world.prompt["id"], "page_size": 1,
                                                               "current_page": 1}))
    assert two["returned"] == 1 and not two["has_more"]
    # sliced in Portkey's order (live: newest first): the two pages hold both versions, each once
    assert {one["data"][0]["prompt_version"], two["data"][0]["prompt_version"]} == {1, 2}


async def test_zero_based_page_dialect_and_its_alias(client: Client) -> None:
    first = data(await client.call_tool("list_scim_groups", {"page_size": 1}))
    assert first["returned"] == 1 and first["has_more"] and first["total"] == 2
    second = data(await client.call_tool("list_scim_groups", {"page_size": 1, "page": 1}))
    assert second["data"][0]["name"] != first["data"][0]["name"] and not second["has_more"]
    every = data(await client.call_tool("list_scim_groups", {"all": True}))
    assert every["returned"] == 2 and every["complete"]


async def test_all_stops_at_the_cap(make_server: Any, world: World) -> None:
    server = make_server(Selection(toolsets=("collections", "prompts")), ToolOptions(list_cap=2))
    async with Client(server, raise_exceptions=True) as client:
        capped = data(await client.call_tool("list_collections", {"workspace_id": world.ws, "all": True}))
        unpaged = data(await client.call_tool("list_prompt_versions", {"prompt_id": world.prompt["id"],
                                                                       "all": True}))
    assert capped["returned"] == 2 and capped["has_more"] and not capped["complete"] and "2 items" in capped["note"]
    assert unpaged["returned"] == 2 and unpaged["complete"]


async def test_prompt_dry_runs_write_nothing(client: Client, world: World, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    created = data(await client.call_tool("create_prompt", {
        "name": "x", "collection_id": world.collection["id"], "parameters": {}, "virtual_key": "vk",
        "string": "Hi", "dry_run": True}))
    assert created["written"] is False and created["request"]["method"] == "POST"
    assert created["request"]["body"]["string"] == "Hi" and sandbox.requests() == []
    updated = data(await client.call_tool("update_prompt", {
        "prompt_id": world.prompt["id"], "string": "Hello {{name}}", "model": "gpt-4o", "dry_run": True}))
    assert [c["field"] for c in updated["changes"]] == ["model"] and updated["unchanged"] == ["string"]
    # Portkey echoes {"name": "", "model": "gpt-4o-mini"} into the stored parameters: that is no change
    same = data(await client.call_tool("update_prompt", {
        "prompt_id": world.prompt["id"], "parameters": {"temperature": 0.1}, "dry_run": True}))
    assert same["changes"] == [] and same["would_change"] is False and same["unchanged"] == ["parameters"]
    hotter = data(await client.call_tool("update_prompt", {
        "prompt_id": world.prompt["id"], "parameters": {"temperature": 0.9}, "dry_run": True}))
    assert [c["field"] for c in hotter["changes"]] == ["parameters"], hotter["request"]
    assert not any(r.method != "GET" for r in sandbox.requests())
