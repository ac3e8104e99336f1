"""Rules every tool obeys, checked over the registry and the whole tools/list (each tool's snapshot: test_toolsnaps)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mcp import Client

from engine.portkey import OPERATIONS, Paging
from mcp_server.catalogue import load_catalogue
from mcp_server.kinds import annotations_for
from mcp_server.listing import dialect_of
from mcp_server.mappers import MAPPED_TARGETS, MAPPERS
from mcp_server.registry import build_registry
from mcp_server.server import META_TOOLS

pytestmark = pytest.mark.anyio

HINTS = ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint")


def _walk(schema: Any) -> list[str]:
    """Every key used anywhere in a JSON schema."""
    if isinstance(schema, dict):
        return [*schema, *(k for v in schema.values() for k in _walk(v))]
    if isinstance(schema, list):
        return [k for item in schema for k in _walk(item)]
    return []


def test_every_catalogue_row_has_a_tool() -> None:
    registry = build_registry()
    assert registry.missing == ()  # rows without a declaration (none left)
    assert [row.tool for row in load_catalogue()] == [n for n in registry.specs if not n.startswith("gitops_")]


def test_missing_declarations_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    registry = build_registry(operations=[op for op in OPERATIONS if op.name != "get_prompt"])
    assert registry.missing == ("get_prompt",)
    assert "get_prompt" not in registry.specs
    assert "get_prompt" in caplog.text


def test_annotations_follow_the_catalogue_kind() -> None:
    registry = build_registry()
    for row in load_catalogue():
        spec = registry.specs[row.tool]
        hints = spec.annotations
        if row.kind in ("R", "L"):
            assert hints.read_only_hint and not hints.destructive_hint, row.tool
            assert hints.open_world_hint is (row.kind == "R"), row.tool
        elif row.kind == "D":
            assert hints.destructive_hint and not hints.read_only_hint, row.tool
        elif row.kind == "W$":
            assert not (hints.read_only_hint or hints.destructive_hint or hints.idempotent_hint), row.tool
        elif row.tool in ("migrate_prompt", "promote_prompt"):  # they can publish over the live version
            assert not hints.read_only_hint and hints.destructive_hint, row.tool
        else:
            put = row.method == "PUT"
            assert not hints.read_only_hint and hints.destructive_hint is put and hints.idempotent_hint is put, row.tool
    assert registry.specs["gitops_plan"].annotations.read_only_hint
    assert registry.specs["gitops_apply"].annotations.destructive_hint
    assert annotations_for("rotate_api_key", "D", "POST", "t").idempotent_hint is False


def test_enterprise_tools_say_so() -> None:
    registry = build_registry()
    for op in OPERATIONS:
        if op.name in registry.specs:
            assert ("Enterprise plans only." in registry.specs[op.name].description) is op.enterprise, op.name


def test_every_description_says_which_neighbour_to_use() -> None:
    """What it does and when to use which neighbour: each description names at least one other tool."""
    specs = build_registry().specs
    lonely = [name for name, spec in specs.items()
              if not (set(re.findall(r"[a-z][a-z_]+", spec.description)) & (set(specs) - {name}))]
    assert lonely == []


def test_every_parameter_reaches_the_request() -> None:
    """Without a mapper, a parameter must be a path or query parameter, or the operation must take a body."""
    problems = []
    for name, binding in build_registry().bindings.items():
        if name in MAPPERS:
            continue
        op = binding.op
        for param in binding.params:
            routed = param.name in op.path_params or param.name in op.query or op.body is not None
            if not routed and param.name not in MAPPED_TARGETS.get(name, ()):
                problems.append(f"{name}.{param.name}")
    assert problems == []


def test_every_list_pages_in_a_known_dialect() -> None:
    """list_page can serve current_page/page_size for every list tool (or slices an unpaged answer)."""
    lists = [b.op for b in build_registry().bindings.values() if b.op.is_list]
    assert lists and [op.name for op in lists if dialect_of(op) is None and op.paging is not Paging.NONE] == []


async def test_tools_list_rules(client: Client) -> None:
    tools = (await client.list_tools()).tools
    names = [t.name for t in tools]
    assert names == [*build_registry().specs, *META_TOOLS]  # the catalogue's order (toolsets together), meta last
    for tool in tools:
        assert tool.title, tool.name
        assert tool.description and len(tool.description) <= 1024, tool.name
        hints = tool.annotations
        assert hints is not None and all(getattr(hints, h) is not None for h in HINTS), tool.name
        assert not (hints.read_only_hint and hints.destructive_hint), tool.name
        keys = set(_walk(tool.input_schema))
        assert not keys & {"anyOf", "oneOf", "allOf"}, tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name}"
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name
        if tool.name.startswith("list_") and tool.name != "list_toolsets":
            assert set(tool.output_schema["properties"]) >= {"data", "has_more", "total", "complete"}, tool.name
