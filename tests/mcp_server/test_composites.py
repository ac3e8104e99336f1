"""migrate_prompt, promote_prompt and the metadata check: each bug of the existing servers pinned by a test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from engine.gitops.kinds import live_parameters
from engine.portkey import PortkeyClient
from mcp_server import prompt_versions
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


def version_numbers(answer: Any) -> list[int]:
    """The version numbers of a versions list, bare or ``{data: [...]}`` (live: newest first)."""
    items = answer.get("data", []) if isinstance(answer, dict) else answer
    return [item["prompt_version"] for item in items]


async def newest_version(p: PortkeyClient, prompt_id: str) -> dict[str, Any]:
    versions = await p.list_prompt_versions(prompt_id=prompt_id)
    return await p.get_prompt(prompt_id=prompt_id, version=max(version_numbers(versions)))


async def test_migrate_pages_through_every_match(
    client: Client, portkey: PortkeyClient, world: World, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompt_versions, "SEARCH_PAGE_SIZE", 2)
    base = {"collection_id": world.collection["id"], "string": "x", "parameters": {}, "virtual_key": "vk"}
    for name in ("greet-a", "greet-b", "greet-c"):
        await portkey.create_prompt(body={**base, "name": name})
    await portkey.create_prompt(body={**base, "name": "Greet", "string": "Hi"})
    for name in ("greet-d", "greet-e", "greet-f"):
        await portkey.create_prompt(body={**base, "name": name})
    first_page = await portkey.list_prompts(collection_id=world.collection["id"], search="greet", current_page=0,
                                            page_size=2)
    assert "Greet" not in {p["name"] for p in first_page["data"]}  # the exact match is beyond page one
    sandbox.reset_requests()
    result = data(await client.call_tool("migrate_prompt", {**migrate_args(world), "name": "greet", "string": "Hi",
                                                            "parameters": {}, "virtual_key": "vk"}))
    assert result["action"] == "unchanged"
    assert sum(r.operation == "list_prompts" for r in sandbox.requests()) >= 3  # more than one page read
    assert len(await named(portkey, world, "Greet")) == 1
    assert writes(sandbox) == []


# field → (the value migrated first, an equal value with its keys in another order)
FIELD_CHANGES: dict[str, tuple[Any, Any]] = {
    "tools": (TOOLS, [{"function": {"parameters": {"type": "object"}, "name": "lookup"}, "type": "function"}]),
    "functions": ([{"name": "lookup", "parameters": {"type": "object", "properties": {}}}],
                  [{"parameters": {"properties": {}, "type": "object"}, "name": "lookup"}]),
    "tool_choice": ({"type": "function", "function": {"name": "lookup"}},
                    {"function": {"name": "lookup"}, "type": "function"}),
    "model": ("gpt-4o", "gpt-4o"),
    "virtual_key": ("vk-2", "vk-2"),
    "parameters": ({"temperature": 0.1, "max_tokens": 50}, {"max_tokens": 50, "temperature": 0.1}),
    "template_metadata": ({"owner": "ops", "tier": 1}, {"tier": 1, "owner": "ops"}),
}


@pytest.mark.parametrize("field", list(FIELD_CHANGES))
async def test_migrate_compares_every_version_field_canonically(
    field: str, client: Client, portkey: PortkeyClient, world: World, sandbox: Sandbox
) -> None:
    first, reordered = FIELD_CHANGES[field]
    changed = data(await client.call_tool("migrate_prompt", migrate_args(world, **{field: first})))
    assert changed["action"] == "updated" and changed["changed_fields"] == [field]
    version = await newest_version(portkey, world.prompt["id"])
    # Portkey echoes the template's variables ("") and the model in parameters: compare what the caller set
    stored = live_parameters(version) if field == "parameters" else version.get(field)
    if field == "template_metadata":
        assert stored.items() >= first.items() and stored["app"] == "support"
    else:
        assert stored == first
    sandbox.reset_requests()
    again = data(await client.call_tool("migrate_prompt", migrate_args(world, **{field: reordered})))
    assert again["action"] == "unchanged" and writes(sandbox) == []  # compared with the newest, unpublished version


async def test_migrate_ignores_key_order_and_json_whitespace_of_the_template(
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


async def test_migrate_takes_any_app_and_env_and_stamps_them(
    client: Client, portkey: PortkeyClient, world: World
) -> None:
    schema = next(t for t in (await client.list_tools()).tools if t.name == "migrate_prompt").input_schema
    assert "enum" not in schema["properties"]["app"] and "enum" not in schema["properties"]["env"]
    result = data(await client.call_tool("migrate_prompt", migrate_args(
        world, name="billing-bot", app="acme-billing", env="qa-eu", template_metadata={"app": "ignored", "x": 1})))
    stamped = (await portkey.get_prompt(prompt_id=result["prompt_id"]))["template_metadata"]
    assert stamped["app"] == "acme-billing" and stamped["env"] == "qa-eu" and stamped["x"] == 1
    assert "migrated_at" in stamped


async def test_migrate_dry_run_writes_nothing_on_any_path(client: Client, world: World, sandbox: Sandbox,
                                                          portkey: PortkeyClient) -> None:
    sandbox.reset_requests()
    update = data(await client.call_tool("migrate_prompt", migrate_args(world, model="gpt-4o", dry_run=True,
                                                                        publish=True)))
    create = data(await client.call_tool("migrate_prompt", migrate_args(world, name="brand-new", dry_run=True)))
    # the world prompt's newest version (2) is unpublished: publishing it is all a real run would do
    unchanged = data(await client.call_tool("migrate_prompt", migrate_args(world, dry_run=True, publish=True)))
    assert update["action"] == "updated" and update["changed_fields"] == ["model"] and update["dry_run"]
    assert update["would_publish"] is True and update["published"] is False
    assert create["action"] == "created" and create["prompt_id"] == "" and create["would_publish"] is False
    assert unchanged["action"] == "unchanged" and unchanged["would_publish"] is True
    assert unchanged["published"] is False and "would publish" in unchanged["message"]
    assert writes(sandbox) == []
    assert (await portkey.get_prompt(prompt_id=world.prompt["id"]))["prompt_version"] == 1


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
    assert (await portkey.get_prompt(prompt_id=created["prompt_id"]))["prompt_version"] == 1


def promote_args(w: World, **extra: Any) -> dict[str, Any]:
    return {"source_prompt_id": w.prompt["id"], "target_collection_id": w.empty_collection["id"],
            "target_env": "prod", **extra}


@pytest.mark.parametrize("target_exists", [False, True], ids=["create", "update"])
async def test_promote_honours_every_override_on_both_paths(
    target_exists: bool, client: Client, portkey: PortkeyClient, world: World
) -> None:
    existing = None
    if target_exists:
        existing = await portkey.create_prompt(body={
            "name": "triage-live", "collection_id": world.empty_collection["id"], "string": "old", "parameters": {},
            "virtual_key": "vk-old", "model": "gpt-3.5-turbo"})
    result = data(await client.call_tool("promote_prompt", promote_args(
        world, target_name="triage-live", virtual_key="vk-prod", model="gpt-4o")))
    assert result["action"] == ("updated" if target_exists else "created")
    if existing is not None:
        assert result["target_prompt_id"] == existing["id"]
    target = await newest_version(portkey, result["target_prompt_id"])
    assert target["name"] == "triage-live"
    assert target["virtual_key"] == "vk-prod" and target["model"] == "gpt-4o"
    assert target["string"] == "Hi {{name}}"  # the source's published version (1), not its newest draft
    assert target["template_metadata"]["promoted_from"] == world.prompt["slug"]
    assert target["template_metadata"]["env"] == "prod"
    assert result["published"] is False
    # the source's parameters as its author set them: Portkey's copy of the source model (gpt-4o-mini) is not
    # carried over to contradict the model override
    assert live_parameters(target) == {"temperature": 0.1} and target["parameters"].get("model") != "gpt-4o-mini"


async def test_promote_refuses_the_source_as_target(client: Client, world: World, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    result = await client.call_tool("promote_prompt", {
        "source_prompt_id": world.prompt["id"], "target_collection_id": world.collection["id"],
        "target_env": "dev", "target_name": "triage"})
    assert result.is_error and "is the source prompt itself" in text(result)
    assert "target_name" in text(result) and writes(sandbox) == []


async def test_promote_dry_run_and_publish(client: Client, portkey: PortkeyClient, world: World,
                                           sandbox: Sandbox) -> None:
    args = promote_args(world, source_prompt_id=world.prompt["slug"], target_env="staging")
    sandbox.reset_requests()
    dry = data(await client.call_tool("promote_prompt", {**args, "dry_run": True, "publish": True}))
    assert dry["action"] == "created" and dry["target_name"] == "triage-staging" and dry["would_publish"] is True
    done = data(await client.call_tool("promote_prompt", {**args, "publish": True}))
    assert done["action"] == "created" and done["published"] is True
    sandbox.reset_requests()
    dry_update = data(await client.call_tool("promote_prompt", {**args, "dry_run": True}))
    assert dry_update["action"] == "updated" and writes(sandbox) == []
    again = data(await client.call_tool("promote_prompt", {**args, "publish": True}))
    assert again["action"] == "updated" and again["published"] is True
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


def test_default_required_metadata_is_the_seeds() -> None:
    from mcp_server.main import configure

    assert configure(["--sandbox"], {}).options.required_metadata == ("client_id", "app", "env")
