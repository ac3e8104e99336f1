"""--read-only, --toolsets, --tools, --exclude-tools, their env vars, and enable_toolset at run time."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import ServerNotification, ToolListChangedNotification

from mcp_server.main import configure
from mcp_server.registry import build_registry
from mcp_server.selection import Selection, SelectionError, select, validate
from tests.mcp_server.conftest import data, text

pytestmark = pytest.mark.anyio

REGISTRY = build_registry()


def names(selection: Selection) -> set[str]:
    validate(selection, REGISTRY)
    return {spec.name for spec in select(REGISTRY, selection)}


def test_read_only_keeps_only_reads_and_plan() -> None:
    chosen = names(Selection(read_only=True))
    kinds = {REGISTRY.specs[n].kind for n in chosen}
    assert kinds <= {"R", "L"}
    assert {"gitops_validate", "gitops_plan", "gitops_drift"} <= chosen
    assert "gitops_apply" not in chosen and "gitops_export" not in chosen
    assert "delete_prompt" not in chosen and "run_prompt_completion" not in chosen
    assert "get_prompt" in chosen and "validate_completion_metadata" in chosen


def test_toolsets_tools_and_exclusions() -> None:
    chosen = names(Selection(toolsets=("prompts", "gitops"), tools=("get_config",), exclude_tools=("delete_prompt",)))
    assert {"get_prompt", "migrate_prompt", "gitops_plan", "gitops_apply", "get_config"} <= chosen
    assert "delete_prompt" not in chosen and "list_configs" not in chosen
    # exclusions beat --tools; read-only beats --tools
    assert "get_config" not in names(Selection(toolsets=("prompts",), tools=("get_config",),
                                               exclude_tools=("get_config",)))
    assert "delete_config" not in names(Selection(read_only=True, tools=("delete_config",)))


def test_unknown_names_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(SelectionError, match=r"unknown toolset 'nope'.*valid toolsets: all, users"):
        validate(Selection(toolsets=("nope",)), REGISTRY)
    with pytest.raises(SelectionError, match=r"unknown tool 'get_nothing'; valid tools: list_all_users, "):
        validate(Selection(tools=("get_nothing",)), REGISTRY)
    with pytest.raises(SelectionError, match=r"unknown tool 'delete_everything'.*get_prompt"):
        validate(Selection(exclude_tools=("delete_everything",)), REGISTRY)


@pytest.mark.parametrize(("argv", "env", "words"), [
    (["--tools", "get_nothing"], {}, "unknown tool 'get_nothing'"),
    (["--exclude-tools", "nope_tool"], {}, "unknown tool 'nope_tool'"),
    ([], {"PORTKEY_MCP_TOOLSETS": "prompts,bogus"}, "unknown toolset 'bogus'"),
])
def test_unknown_names_stop_start_up_from_flags_and_env(
    argv: list[str], env: dict[str, str], words: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcp_server.main import run

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        run(["--sandbox", *argv])
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and err.count("\n") == 1 and words in err and "valid tool" in err


def test_environment_variables_and_flags() -> None:
    env = {"PORTKEY_MCP_READ_ONLY": "true", "PORTKEY_MCP_TOOLSETS": "prompts, configs",
           "PORTKEY_MCP_TOOLS": "get_workspace", "PORTKEY_MCP_EXCLUDE_TOOLS": "get_config",
           "PORTKEY_REQUIRED_METADATA": "team,app", "PORTKEY_MCP_CONFIRM_DESTRUCTIVE": "1"}
    config = configure(["--sandbox"], env)
    assert config.selection == Selection(True, ("prompts", "configs"), ("get_workspace",), ("get_config",))
    assert config.options.required_metadata == ("team", "app")
    assert config.options.confirm_destructive
    flags = configure(["--sandbox", "--toolsets", "labels", "--exclude-tools", "", "--required-metadata",
                       "client_id"], env)
    assert flags.selection.toolsets == ("labels",) and flags.selection.exclude_tools == ()
    assert flags.options.required_metadata == ("client_id",)
    assert configure(["--sandbox"], {}).selection == Selection()


def test_unknown_toolset_stops_start_up(capsys: pytest.CaptureFixture[str]) -> None:
    from mcp_server.main import run

    with pytest.raises(SystemExit) as stopped:
        run(["--sandbox", "--toolsets", "nope"])
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown toolset 'nope'" in err and "prompts" in err


async def test_read_only_server_registers_no_write_at_all(make_server: Any) -> None:
    """Every toolset, --read-only: by catalogue kind, not by annotation, no W, D or W$ tool is listed."""
    server = make_server(Selection(read_only=True, tools=("delete_prompt", "gitops_apply")))
    async with Client(server, raise_exceptions=True) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    reads = {name for name, spec in REGISTRY.specs.items() if spec.kind in ("R", "L")}
    assert set(listed) == reads | {"list_toolsets", "enable_toolset"}
    assert {"gitops_plan", "get_prompt", "validate_completion_metadata"} <= set(listed)
    assert all(listed[name].annotations.read_only_hint for name in reads)
    # enable_toolset only changes this server's tool list, and honours read-only (test below)
    assert listed["enable_toolset"].annotations.open_world_hint is False


async def test_enable_toolset_adds_tools_and_notifies_legacy_clients(make_server: Any) -> None:
    server = make_server(Selection(toolsets=("collections",), exclude_tools=("delete_config",)))
    seen: list[Any] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ServerNotification):
            seen.append(message)

    async with Client(server, mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.tools is not None
        assert client.server_capabilities.tools.list_changed is True  # the legacy-era workaround
        before = {t.name for t in (await client.list_tools()).tools}
        assert "get_config" not in before
        listed = data(await client.call_tool("list_toolsets", {}))
        configs = next(t for t in listed["toolsets"] if t["toolset"] == "configs")
        assert configs["enabled"] == 0 and configs["available"] == 5  # delete_config is excluded
        outcome = data(await client.call_tool("enable_toolset", {"toolset": "configs"}))
        assert "get_config" in outcome["added"] and outcome["skipped"] == ["delete_config"]
        after = {t.name for t in (await client.list_tools(cache_mode="refresh")).tools}
        assert {"get_config", "create_config"} <= after and "delete_config" not in after
        assert any(isinstance(m, ToolListChangedNotification) for m in seen)
        unknown = await client.call_tool("enable_toolset", {"toolset": "nope"})
        assert unknown.is_error and "valid toolsets" in text(unknown)


async def test_enable_toolset_respects_read_only(make_server: Any) -> None:
    server = make_server(Selection(read_only=True, toolsets=("collections",)))
    async with Client(server, raise_exceptions=True) as client:
        outcome = data(await client.call_tool("enable_toolset", {"toolset": "configs"}))
        assert set(outcome["added"]) == {"list_configs", "get_config", "list_config_versions"}
        assert "create_config" in outcome["skipped"]
        result = await client.call_tool("list_configs", {})
        assert not result.is_error


async def test_enable_toolset_notifies_modern_listeners(make_server: Any) -> None:
    import anyio
    from mcp.server.subscriptions import ToolsListChanged

    server = make_server(Selection(toolsets=("collections",)))
    async with Client(server, raise_exceptions=True) as client, client.listen(tools_list_changed=True) as events:
        assert not (await client.call_tool("enable_toolset", {"toolset": "labels"})).is_error
        with anyio.fail_after(5):
            event = await events.__anext__()
        assert isinstance(event, ToolsListChanged) or "ToolsListChanged" in type(event).__name__
        assert "get_prompt_label" in {t.name for t in (await client.list_tools(cache_mode="refresh")).tools}
