"""Hostile tool arguments: giant ids and path tricks are refused before any request, and arbitrary
JSON arguments never crash the server nor, when refused, write to Portkey."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ElicitResult

from mcp_server.schema import MAX_ID_LENGTH
from mcp_server.selection import Selection
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server import conftest as mcp
from tests.mcp_server.conftest import SandboxSwitch, text
from tests.mcp_server.world import MISSING, World

world_template, world, sandbox_db, sandbox = mcp.world_template, mcp.world, mcp.sandbox_db, mcp.sandbox
switch, make_server, default_server, client = mcp.switch, mcp.make_server, mcp.default_server, mcp.client

GIANT = "a" * 100_000
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def giant_cases(w: World) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, the argument holding the giant id) over path, query and hand-written ids."""
    return [
        ("get_prompt", {"prompt_id": GIANT}, "prompt_id"),
        ("get_config", {"slug": GIANT}, "slug"),
        ("delete_collection", {"collection_id": GIANT}, "collection_id"),
        ("update_workspace", {"workspace_id": GIANT, "name": "x"}, "workspace_id"),
        ("remove_workspace_member", {"workspace_id": w.ws, "user_id": GIANT}, "user_id"),
        ("get_api_key", {"id": GIANT}, "id"),
        ("list_prompts", {"collection_id": GIANT}, "collection_id"),
        ("get_cost_analytics", w.window(trace_id=GIANT), "trace_id"),
        ("promote_prompt", {"source_prompt_id": GIANT, "target_collection_id": w.collection["id"],
                            "target_env": "prod"}, "source_prompt_id"),
    ]


@pytest.mark.anyio
async def test_a_100000_character_id_is_refused_before_any_request(
    client: Client, world: World, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    names = {t.name for t in (await client.list_tools()).tools}
    for tool, args, argument in giant_cases(world):
        assert tool in names, tool
        sandbox.reset_requests()
        result = await client.call_tool(tool, args)
        message = text(result)
        assert result.is_error, tool
        assert f"\n{argument}: " in message and f"at most {MAX_ID_LENGTH} characters" in message, message
        assert len(message) < 1_000, tool  # the value is not echoed back whole
        assert sandbox.requests() == [], tool
    assert GIANT not in caplog.text


@pytest.mark.anyio
async def test_a_giant_toolset_name_is_refused(client: Client) -> None:
    result = await client.call_tool("enable_toolset", {"toolset": GIANT})
    assert result.is_error and "at most 64 characters" in text(result) and len(text(result)) < 1_000


@pytest.mark.anyio
async def test_the_longest_allowed_id_is_sent(client: Client, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    result = await client.call_tool("get_config", {"slug": "a" * MAX_ID_LENGTH})
    assert result.is_error and "HTTP 404" in text(result)  # validated, sent, not found
    assert [r.method for r in sandbox.requests()] == ["GET"]


@pytest.mark.anyio
@pytest.mark.parametrize("bad", ["..", ".", "a/b", "../users", "x?y=1", "x#y", "a\\b", "a\x00b", "a\nb", "a\x7fb",
                                 " "])
async def test_path_tricks_are_refused_before_any_request(bad: str, client: Client, sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    for tool, argument in (("get_prompt", "prompt_id"), ("delete_collection", "collection_id")):
        result = await client.call_tool(tool, {argument: bad})
        assert result.is_error and f"Invalid argument '{argument}'" in text(result), text(result)
    assert sandbox.requests() == []


@pytest.mark.anyio
async def test_a_giant_id_is_refused_before_the_user_is_asked(make_server: Any, sandbox: Sandbox) -> None:
    asked: list[str] = []

    async def callback(ctx: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    server = make_server(Selection(toolsets=("collections",)), ToolOptions(confirm_destructive=True))
    sandbox.reset_requests()
    async with Client(server, elicitation_callback=callback) as connected:
        result = await connected.call_tool("delete_collection", {"collection_id": GIANT})
    assert result.is_error and "collection_id" in text(result)
    assert asked == [] and sandbox.requests() == []


# Tools reached by the property test: reads and writes, generic and hand-written.
SAMPLE = ("get_prompt", "list_prompts", "get_config", "list_configs", "create_config", "update_config",
          "delete_collection", "create_api_key", "update_workspace", "render_prompt", "migrate_prompt",
          "enable_toolset", "get_cost_analytics", "create_guardrail")

tricky_text = st.one_of(st.text(max_size=20), st.sampled_from(["..", "a/b", "?", "#x", "\x00", "a" * 300, MISSING,
                                                                "${secret:PORTKEY_API_KEY}", "null", ""]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def calls(draw: st.DrawFn, schemas: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    tool = draw(st.sampled_from(SAMPLE))
    known = sorted(schemas[tool].get("properties", {}))
    names = st.sampled_from(known) | st.text(max_size=10) if known else st.text(max_size=10)
    return tool, draw(st.dictionaries(names, json_values, max_size=5))


def _schemas(server: MCPServer[Any], sb: Sandbox, sw: SandboxSwitch) -> dict[str, dict[str, Any]]:
    async def listing() -> dict[str, dict[str, Any]]:
        sw.current = sb
        async with Client(server) as connected:
            return {t.name: t.input_schema for t in (await connected.list_tools()).tools}

    return anyio.run(listing)


def test_arbitrary_arguments_never_crash_the_server_nor_write_when_refused(
    default_server: MCPServer[Any], sandbox: Sandbox, switch: SandboxSwitch
) -> None:
    schemas = _schemas(default_server, sandbox, switch)
    assert set(SAMPLE) <= set(schemas)

    async def call(tool: str, args: dict[str, Any]) -> None:
        sandbox.reset_requests()
        async with Client(default_server) as connected:
            result = await connected.call_tool(tool, args)
            alive = await connected.call_tool("list_toolsets", {})  # the server still answers
        assert not alive.is_error
        message = text(result)
        part = result.structured_content or {}
        # every error result carries the structured part; a crash would say internal_error
        assert not result.is_error or {"status", "code", "message", "retryable", "next_step"} <= set(part)
        refused = result.is_error and "Invalid argument" in message
        event("refused" if refused else "failed upstream" if result.is_error else "served")
        if refused:
            writes = [r for r in sandbox.requests() if r.method in WRITES]
            assert writes == [], (tool, args, message)
        if result.is_error:
            assert part["code"] != "internal_error", (tool, args, message)  # a crash, not a clear error
            assert len(message) < 5_000, (tool, args)

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(calls(schemas))
    def property_holds(drawn: tuple[str, dict[str, Any]]) -> None:
        anyio.run(call, *drawn)

    property_holds()


@pytest.mark.anyio
@pytest.mark.parametrize(("project_dir", "words"), [
    ("p" * 100_000, "at most 4096 characters"),
    ("p" * 4_000, "Invalid argument 'project_dir'"),
    ("/tmp/\x00project", "Invalid argument 'project_dir'"),
    ("~no-such-user-here/project", "Invalid argument 'project_dir'"),
])
async def test_hostile_project_dirs_get_a_clear_error(project_dir: str, words: str, client: Client,
                                                      sandbox: Sandbox) -> None:
    sandbox.reset_requests()
    for tool, args in (("gitops_plan", {}), ("gitops_apply", {"plan_hash": "0" * 64})):
        result = await client.call_tool(tool, {"project_dir": project_dir, **args})
        assert result.is_error and words in text(result), text(result)[:300]
    assert sandbox.requests() == []
