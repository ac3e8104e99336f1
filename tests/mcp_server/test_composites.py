"""migrate_prompt, promote_prompt and the metadata check: each bug of the existing servers pinned by a test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from engine.portkey import PortkeyClient
from mcp_server.composites import common
from mcp_server.selection import Selection
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import data, text
from tests.mcp_server.world import World

pytestmark = pytest.mark.anyio

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def migrate_args(w: World, **extra: Any) -> dict[str, Any]:
    return {"name": "triage", "app": "support", "env": "dev", "collection_id": w.collection["id"],
            "parameters": {"temperature": 0.1}, "virtual_key": "vk-1", "string": "Hello {{name}}", **extra}


def writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.operation}" for r in sb.requests() if r.method != "GET"]


async def named(p: PortkeyClient, w: World, name: str) -> list[dict[str, Any]]:
    items, _ = await p.list_all("list_prompts", collection_id=w.collection["id"])
    return [i for i in items if i["name"] == name]


async def test_migrate_pages_through_every_match(
    client: Client, portkey: PortkeyClient, world: World, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "SEARCH_PAGE_SIZE", 2)
    base = {"collection_id": world.collection["id"], "string": "x", "parameters": {}, "virtual_key": "vk"}
    for name in ("greet-a", "greet-b", "greet-c"):
        await portkey.create_prompt(body={**base, "name": name})
    await portkey.create_prompt(body={**base, "name": "Greet", "string": "Hi"})
    for name in ("greet-d", "greet-e", "greet-f"):
        await portkey.create_prompt(body={**base, "name": name})
    sandbox.reset_requests()
    result = data(await client.call_tool("migrate_prompt", {**migrate_args(world), "name": "greet", "string": "Hi",
                                                            "parameters": {}, "virtual_key": "vk"}))
    assert result["action"] == "unchanged"
    assert sum(r.operation == "list_prompts" for r in sandbox.requests()) >= 3  # more than one page read
    assert len([p for p in await named(portkey, world, "Greet")]) == 1
    assert writes(sandbox) == []


async def test_migrate_compares_every_supplied_field(client: Client, world: World, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    same = data(await client.call_tool("migrate_prompt", migrate_args(world)))
    assert same["action"] == "unchanged" and writes(sandbox) == []
    tools_only = data(await client.call_tool("migrate_prompt", migrate_args(world, tools=TOOLS)))
    assert tools_only["action"] == "updated" and tools_only["changed_fields"] == ["tools"]
    again = data(await client.call_tool("migrate_prompt", migrate_args(world, tools=TOOLS)))
    assert again["action"] == "unchanged"  # compared against the newest (unpublished) version


async def test_migrate_ignores_key_order_and_json_whitespace(
    client: Client, portkey: PortkeyClient, world: World, sandbox: Sandbox
) -> None:
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "{{q}}"}]
    await portkey.create_prompt(body={"name": "faq", "collection_id": world.collection["id"], "virtual_key": "vk-1",
                                      "string": json.dumps(messages, indent=2),
                                      "parameters": {"temperature": 0.2, "max_tokens": 50}})
    sandbox.reset_requests()
    reordered = [{"content": "Be brief", "role": "system"}, {"content": "{{q}}", "role": "user"}]
    result = data(await client.call_tool("migrate_prompt", {
        **migrate_args(world), "name": "faq", "string": None, "messages": reordered,
        "parameters": {"max_tokens": 50, "temperature": 0.2}}))
    assert result["action"] == "unchanged" and writes(sandbox) == []


async def test_migrate_dry_run_writes_nothing(client: Client, world: World, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    update = data(await client.call_tool("migrate_prompt", migrate_args(world, model="gpt-4o", dry_run=True)))
    create = data(await client.call_tool("migrate_prompt", migrate_args(world, name="brand-new", dry_run=True)))
    assert update["action"] == "updated" and update["changed_fields"] == ["model"] and update["dry_run"]
    assert create["action"] == "created" and create["prompt_id"] == ""
    assert writes(sandbox) == []


async def test_migrate_publishes_only_when_asked(client: Client, portkey: PortkeyClient, world: World) -> None:
    published = (await portkey.get_prompt(prompt_id=world.prompt["id"]))["prompt_version"]
    quiet = data(await client.call_tool("migrate_prompt", migrate_args(world, string="v3")))
    assert quiet["action"] == "updated" and quiet["published"] is False
    assert (await portkey.get_prompt(prompt_id=world.prompt["id"]))["prompt_version"] == published
    loud = data(await client.call_tool("migrate_prompt", migrate_args(world, string="v4", publish=True)))
    assert loud["published"] is True
    live = await portkey.get_prompt(prompt_id=world.prompt["id"])
    assert live["string"] == "v4" and live["template_metadata"]["app"] == "support"
    assert live["template_metadata"]["env"] == "dev" and "migrated_at" in live["template_metadata"]
    created = data(await client.call_tool("migrate_prompt", migrate_args(world, name="fresh", publish=True)))
    assert created["action"] == "created" and created["published"] is True


async def test_promote_honours_the_virtual_key_override_on_update(
    client: Client, portkey: PortkeyClient, world: World
) -> None:
    target = await portkey.create_prompt(body={"name": "triage-prod", "collection_id": world.empty_collection["id"],
                                               "string": "old", "parameters": {}, "virtual_key": "vk-old"})
    result = data(await client.call_tool("promote_prompt", {
        "source_prompt_id": world.prompt["id"], "target_collection_id": world.empty_collection["id"],
        "target_env": "prod", "virtual_key": "vk-prod"}))
    assert result["action"] == "updated" and result["target_prompt_id"] == target["id"]
    versions = await portkey.list_prompt_versions(prompt_id=target["id"])
    newest = await portkey.get_prompt(prompt_id=target["id"], version=versions[-1]["prompt_version"])
    assert newest["virtual_key"] == "vk-prod"
    assert newest["template_metadata"]["promoted_from"] == world.prompt["slug"]
    assert result["published"] is False


async def test_promote_refuses_the_source_as_target(client: Client, world: World, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    result = await client.call_tool("promote_prompt", {
        "source_prompt_id": world.prompt["id"], "target_collection_id": world.collection["id"],
        "target_env": "dev", "target_name": "triage"})
    assert result.is_error and "is the source prompt itself" in text(result)
    assert writes(sandbox) == []


async def test_promote_dry_run_and_publish(client: Client, portkey: PortkeyClient, world: World,
                                           sandbox: Sandbox) -> None:
    args = {"source_prompt_id": world.prompt["slug"], "target_collection_id": world.empty_collection["id"],
            "target_env": "staging"}
    sandbox.reset_requests()
    dry = data(await client.call_tool("promote_prompt", {**args, "dry_run": True}))
    assert dry["action"] == "created" and dry["target_name"] == "triage-staging" and writes(sandbox) == []
    done = data(await client.call_tool("promote_prompt", {**args, "publish": True}))
    again = data(await client.call_tool("promote_prompt", {**args, "publish": True}))
    assert done["action"] == "created" and again["action"] == "updated" and again["published"] is True
    live = await portkey.get_prompt(prompt_id=again["target_prompt_id"])
    assert live["prompt_version"] == 2


async def test_required_metadata_is_configurable(make_server: Any, world: World) -> None:
    server = make_server(Selection(toolsets=("prompts",)), ToolOptions(required_metadata=("team", "app")))
    async with Client(server, raise_exceptions=True) as client:
        checked = data(await client.call_tool("validate_completion_metadata", {"app": "support"}))
        assert checked["valid"] is False and checked["errors"] == ["Missing required field: team"]
        assert checked["warnings"] == ["Missing recommended field: project_id"]
        ok = data(await client.call_tool("validate_completion_metadata", {"metadata": {"team": "ml", "app": "a"}}))
        assert ok["valid"] is True
        args = {"prompt_id": world.prompt["id"], "variables": {"name": "Ada"}}
        refused = await client.call_tool("run_prompt_completion", {**args, "metadata": {"app": "a"}})
        assert refused.is_error and "metadata.team" in text(refused)
        ran = await client.call_tool("run_prompt_completion", {**args, "metadata": {"app": "a", "team": "ml"}})
        assert not ran.is_error, text(ran)
