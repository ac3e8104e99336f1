"""The tool contract seen through the official MCP client: closed, described schemas with output
schemas; structured errors; validation errors as ``field: problem`` lines; confirmation that asks
exactly when live content can be published over or deleted, never on a dry run."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from mcp_server import schema_cache
from mcp_server.registry import build_registry
from mcp_server.selection import Selection
from mcp_server.state import ToolOptions
from mcp_server.tool_spec import PortkeyTool
from sandbox import Sandbox
from tests.mcp_server.conftest import text
from tests.mcp_server.test_composites import migrate_args, writes
from tests.mcp_server.test_confirm import answering
from tests.mcp_server.world import MISSING, World

pytestmark = pytest.mark.anyio

ERROR_KEYS = {"status", "code", "message", "retryable", "next_step"}


async def test_a_misspelt_argument_is_an_error_naming_the_valid_ones(client: Client, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    result = await client.call_tool("list_prompts", {"colection_id": "x"})
    assert result.is_error
    first = text(result).splitlines()[0]
    assert first == "Invalid arguments for list_prompts:"
    assert "colection_id: not a parameter of list_prompts" in text(result)
    assert "collection_id" in result.structured_content["next_step"]
    assert set(result.structured_content) == ERROR_KEYS and result.structured_content["code"] == "invalid_arguments"
    assert sandbox.requests() == []


async def test_validation_errors_are_field_problem_lines_without_links(client: Client) -> None:
    result = await client.call_tool("list_prompts", {"page_size": 500, "current_page": "first"})
    assert result.is_error
    message = text(result)
    assert "page_size: Input should be less than or equal to 100" in message
    assert "current_page: Input should be a valid integer" in message
    assert "pydantic" not in message and "https://" not in message and "input_value" not in message


async def test_a_portkey_error_has_a_first_line_and_a_structured_part(client: Client, world: World) -> None:
    result = await client.call_tool("get_prompt_version", {"prompt_id": world.prompt["id"], "version_id": MISSING})
    assert result.is_error
    assert text(result).startswith("HTTP 404")
    part = result.structured_content
    assert set(part) == ERROR_KEYS
    assert part["status"] == 404 and part["retryable"] is False and "list_prompt_versions" in part["next_step"]
    assert json.loads(result.content[1].text) == part  # type: ignore[union-attr]


async def test_schemas_are_closed_described_and_nullable_as_type_lists(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["update_prompt_version"].input_schema["properties"]["label_id"]["type"] == ["string", "null"]
    assert tools["update_api_key"].input_schema["properties"]["expires_at"]["type"] == ["string", "null"]
    for tool in tools.values():
        assert tool.input_schema["additionalProperties"] is False, tool.name
        assert all(p.get("description") for p in tool.input_schema["properties"].values()), tool.name
        assert tool.output_schema is not None, tool.name
    size = len(json.dumps([t.model_dump(by_alias=True, exclude_none=True) for t in tools.values()]))
    assert size <= 300_000


async def test_partials_are_described_as_portkey_resolves_them(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    text_ = tools["create_prompt_partial"].description
    assert "{{>name}}" not in text_ and "{{>partial-slug}}" in text_


async def test_an_explicit_null_clears_a_nullable_field(client: Client, world: World) -> None:
    result = await client.call_tool("update_api_key", {"id": MISSING, "expires_at": None})
    assert (result.structured_content or {}).get("code") != "invalid_arguments", text(result)


def test_every_argument_model_matches_the_advertised_schema() -> None:
    """The schema built without pydantic names the same parameters, required the same, as the model that
    validates calls (built at the first call)."""
    options = ToolOptions()
    for spec in build_registry().specs.values():
        tool = spec.tool(options)
        assert isinstance(tool, PortkeyTool), spec.name
        tool._load()
        model = tool.fn_metadata.arg_model.model_json_schema()
        advertised = tool.parameters
        assert set(model.get("properties", {})) == set(advertised["properties"]), spec.name
        assert set(model.get("required", [])) == set(advertised.get("required", [])), spec.name


@pytest.fixture
def confirming_prompts(make_server: Any) -> Any:
    return make_server(Selection(toolsets=("prompts",)), ToolOptions(confirm_destructive=True))


async def test_a_dry_run_never_asks(confirming_prompts: Any, world: World, sandbox: Sandbox) -> None:
    callback, asked = answering("decline")
    async with Client(confirming_prompts, elicitation_callback=callback) as client:
        dry = await client.call_tool("update_prompt", {"prompt_id": world.prompt["id"], "string": "Hi {{x}}",
                                                       "dry_run": True})
        assert not dry.is_error, text(dry)
        assert asked == []
        real = await client.call_tool("update_prompt", {"prompt_id": world.prompt["id"], "string": "Hi {{x}}"})
    assert real.is_error and "declined" in text(real) and len(asked) == 1


async def test_migrate_and_promote_ask_when_they_publish(
    confirming_prompts: Any, world: World, sandbox: Sandbox
) -> None:
    callback, asked = answering("decline")
    async with Client(confirming_prompts, elicitation_callback=callback) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["migrate_prompt"].annotations.destructive_hint
        assert tools["promote_prompt"].annotations.destructive_hint
        unpublished = await client.call_tool("migrate_prompt", migrate_args(world, string="New {{x}}"))
        assert not unpublished.is_error, text(unpublished)
        assert asked == []  # a new unpublished version changes nothing live
        dry = await client.call_tool("migrate_prompt", migrate_args(world, string="Newer {{x}}", publish=True,
                                                                     dry_run=True))
        assert not dry.is_error and asked == []
        sandbox.reset_requests()
        publishing = await client.call_tool("migrate_prompt", migrate_args(world, string="Newer {{x}}",
                                                                            publish=True))
        assert publishing.is_error and "declined" in text(publishing)
        assert len(asked) == 1 and "migrate_prompt" in asked[0] and "publish=True" in asked[0]
        assert writes(sandbox) == []
        promoting = await client.call_tool("promote_prompt", {
            "source_prompt_id": world.prompt["id"], "target_collection_id": world.collection["id"],
            "target_env": "prod", "publish": True})
        assert promoting.is_error and "declined" in text(promoting) and len(asked) == 2


def test_the_schema_file_is_current() -> None:
    """mcp_server/schemas.json holds every hand-written tool's schema for the current code (a stale entry is
    only slower: the tool is then built at start)."""
    fresh = schema_cache.build_entries()
    stored = json.loads(schema_cache.FILE.read_text())
    assert stored == fresh, "mcp_server/schemas.json is stale: run python -m mcp_server.schema_cache"


def test_a_stale_schema_entry_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    assert schema_cache.lookup("gitops_plan", "mcp_server.gitops_tools") is not None
    monkeypatch.setattr(schema_cache, "fingerprint", lambda module: "changed")
    assert schema_cache.lookup("gitops_plan", "mcp_server.gitops_tools") is None


def test_the_gitops_engine_loads_at_the_first_gitops_call_not_at_start() -> None:
    """A fresh interpreter builds the full server without importing the GitOps engine or the gitops tools."""
    import subprocess
    import sys

    code = ("import sys\nfrom mcp_server.server import build_server\nbuild_server(lambda: None)\n"
            "print(sorted(m for m in sys.modules if m.startswith(('engine.gitops', 'mcp_server.gitops_tools'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert run.stdout.strip() == "[]", run.stdout


async def test_a_crash_is_a_structured_internal_error_without_its_text() -> None:
    from mcp.server import MCPServer
    from mcp.types import ToolAnnotations

    from mcp_server.tool_spec import ToolSpec, make_tool

    async def broken() -> dict[str, Any]:
        raise RuntimeError("inner-detail-xyz")

    spec = ToolSpec("broken", "meta", "M", "Broken", "Always fails.", ToolAnnotations(), lambda s, o: None)
    server = MCPServer("t", tools=[make_tool(spec, broken, ToolOptions(), output_schema={"type": "object"})])
    async with Client(server) as connected:
        result = await connected.call_tool("broken", {})
    assert result.is_error and result.structured_content["code"] == "internal_error"
    assert "inner-detail-xyz" not in text(result)
