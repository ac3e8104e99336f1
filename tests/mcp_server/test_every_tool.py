"""Every registered tool, called through the official MCP client against the sandbox.

For each tool: one call with valid arguments (result shape, the request it made, and the sandbox
state: a write changes at least one stored object, a read changes none; many writes also read the
changed object back), and one call with a bad id (or other bad input) that must be ``isError``,
say what went wrong, and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from engine.gitops.kinds import live_parameters
from engine.portkey import OPERATIONS, PortkeyAPIError, PortkeyClient
from mcp_server.registry import build_registry
from mcp_server.server import META_TOOLS
from sandbox import Sandbox
from tests.mcp_server.cases import BAD, EXPECTED_ERRORS, NO_BAD_CALL, PENDING, VALID
from tests.mcp_server.conftest import SandboxSwitch, changed_objects, data, stored_objects, text
from tests.mcp_server.test_composites import version_numbers
from tests.mcp_server.world import KEY, MISSING, World

pytestmark = pytest.mark.anyio

OPS = {op.name: op for op in OPERATIONS}
SPECS = build_registry().specs
TOOLS = [*SPECS, *META_TOOLS]
WRITE_KINDS = ("W", "D", "W$")
# reads that legitimately change stored state, and why
READ_SIDE_EFFECTS = {"get_log_export": "polling advances the export job (created → started → finished)"}
# writes after which the sandbox stores nothing new, and why
STATELESS_WRITES: dict[str, str] = {}
# tools whose route the sandbox logs under another catalogue name (same method and path)
SAME_ROUTE = {"get_trace": {"get_log"}, "get_user_stats": {"get_analytics_group_users"}}
# public routes outside /v1, which the sandbox does not log
UNLOGGED = {"get_model_pricing"}
Check = Callable[[PortkeyClient, World, dict[str, Any]], Awaitable[None]]


async def _gone(call: Awaitable[Any]) -> None:
    with pytest.raises(PortkeyAPIError) as caught:
        await call
    assert caught.value.status in (403, 404)


async def _created_config(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    config = (await p.get_config(slug=out["slug"]))["config"]
    assert config["cache"] == {"mode": "simple", "max_age": 0}  # 0 is kept
    assert config["retry"] == {"attempts": 0}
    assert config["strategy"] == {"mode": "fallback"}


async def _updated_config(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    config = (await p.get_config(slug=w.config["slug"]))["config"]
    assert config["retry"] == {"attempts": 4, "on_status_codes": [429]}


async def _created_prompt(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    prompt = await p.get_prompt(prompt_id=out["id"])
    assert json.loads(prompt["string"]) == [{"role": "user", "content": "Sum {{t}}"}]


async def _updated_prompt(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    latest = await p.get_prompt(prompt_id=w.prompt["id"], version=3)
    assert latest["string"] == "Hey {{name}}"
    # patch: true kept the other fields (Portkey also echoes the template's variables as "" and the model)
    assert live_parameters(latest) == {"temperature": 0.1} and latest["parameters"]["temperature"] == 0.1
    assert latest["template_metadata"] == {"owner": "ops"}  # template_metadata → prompt_metadata


async def _created_vk(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    vk = await p.get_virtual_key(slug=out["slug"])
    assert vk["usage_limits"]["credit_limit"] == 10
    assert vk["usage_limits"]["alert_threshold"] == 8
    assert vk["rate_limits"][0]["value"] == 30


async def _created_key(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    key = await p.get_api_key(id=out["id"])
    assert key["defaults"]["metadata"] == {"team": "ml"}
    assert key["usage_limits"]["credit_limit"] == 50


async def _created_workspace(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    workspace = await p.get_workspace(workspace_id=out["id"])
    assert workspace["defaults"]["metadata"] == {"env": "dev"}


async def _added_member(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    member = await p.get_workspace_member(workspace_id=w.ws, user_id=w.user_id)
    assert member["role"] == "manager"


async def _created_guardrail(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    guardrail = await p.get_guardrail(guardrail_id=out["id"])
    assert guardrail["actions"]["on_success"]["feedback"]["value"] == 1
    assert guardrail["actions"]["on_fail"]["feedback"]["value"] == -1


async def _created_usage_limit(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    policy = await p.get_usage_limit(id=out["id"])
    assert policy["conditions"] == [{"key": "api_key", "value": "k"}]
    assert policy["group_by"] == [{"key": "api_key"}]


async def _created_provider(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    provider = await p.get_provider(slug=out["slug"], workspace_id=w.ws)
    limits = provider["rate_limits"]
    assert (limits[0] if isinstance(limits, list) else limits)["unit"] == "rph"


async def _created_mcp_integration(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    integration = await p.get_mcp_integration(id=out["id"])
    assert "Authorization" in str(integration.get("configurations"))


async def _user_access(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    access = await p.list_mcp_server_user_access(id=w.mcp_server["id"])
    assert next(u for u in access["data"] if u["user_id"] == w.mcp_user_id)["enabled"] is False


async def _published(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    assert (await p.get_prompt(prompt_id=w.prompt["id"]))["prompt_version"] == 2


async def _renamed_collection(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    assert (await p.get_collection(collection_id=w.collection["id"]))["name"] == "Renamed"


async def _created_collection(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    assert (await p.get_collection(collection_id=out["id"]))["name"] == "Billing"


async def _migrated(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    assert out["action"] == "updated" and out["changed_fields"] == ["string"] and out["published"] is False
    versions = await p.list_prompt_versions(prompt_id=w.prompt["id"])
    newest = await p.get_prompt(prompt_id=w.prompt["id"], version=max(version_numbers(versions)))
    assert newest["string"] == "Hello again {{name}}"
    assert {"app": "support", "env": "dev"}.items() <= newest["template_metadata"].items()


async def _promoted(p: PortkeyClient, w: World, out: dict[str, Any]) -> None:
    target = await p.get_prompt(prompt_id=out["target_prompt_id"])
    assert target["name"] == "triage-prod"
    assert target["template_metadata"]["env"] == "prod"


FOLLOW_UPS: dict[str, Check] = {
    "create_config": _created_config,
    "update_config": _updated_config,
    "create_prompt": _created_prompt,
    "update_prompt": _updated_prompt,
    "publish_prompt": _published,
    "create_virtual_key": _created_vk,
    "create_api_key": _created_key,
    "create_workspace": _created_workspace,
    "add_workspace_member": _added_member,
    "create_guardrail": _created_guardrail,
    "create_usage_limit": _created_usage_limit,
    "create_provider": _created_provider,
    "create_mcp_integration": _created_mcp_integration,
    "update_mcp_server_user_access": _user_access,
    "update_collection": _renamed_collection,
    "create_collection": _created_collection,
    "promote_prompt": _promoted,
    "migrate_prompt": _migrated,
    "delete_collection": lambda p, w, out: _gone(p.get_collection(collection_id=w.empty_collection["id"])),
    "delete_prompt": lambda p, w, out: _gone(p.get_prompt(prompt_id=w.prompt["id"])),
    "delete_config": lambda p, w, out: _gone(p.get_config(slug=w.config["slug"])),
    "delete_virtual_key": lambda p, w, out: _gone(p.get_virtual_key(slug=w.virtual_key)),
    "delete_api_key": lambda p, w, out: _gone(p.get_api_key(id=w.api_key["id"])),
    "delete_guardrail": lambda p, w, out: _gone(p.get_guardrail(guardrail_id=w.guardrail["id"])),
    "delete_prompt_label": lambda p, w, out: _gone(p.get_prompt_label(label_id=w.label["id"])),
    "delete_prompt_partial": lambda p, w, out: _gone(p.get_prompt_partial(prompt_partial_id=w.partial["id"])),
    "delete_secret_reference": lambda p, w, out: _gone(p.get_secret_reference(id=w.secret["id"])),
    "delete_mcp_server": lambda p, w, out: _gone(p.get_mcp_server(id=w.mcp_server["id"])),
}


def bad_arguments(name: str, w: World) -> dict[str, Any] | None:
    if name in BAD:
        return BAD[name](w)
    op = OPS.get(name)
    if op is None or not op.path_params:
        return None
    return {**VALID[name](w), **{p: MISSING for p in op.path_params}}


def test_every_tool_has_a_case() -> None:
    assert sorted(set(TOOLS) - set(VALID) - {"gitops_apply", "gitops_export"}) == []
    has_ids = {name for name, op in OPS.items() if op.path_params}
    assert sorted(set(TOOLS) - set(BAD) - has_ids - set(NO_BAD_CALL)) == []


async def _free_integration(p: PortkeyClient, w: World) -> None:
    await p.delete_provider(slug=w.provider["slug"], workspace_id=w.ws)


async def _custom_model(p: PortkeyClient, w: World) -> None:
    await p.update_integration_models(slug=w.integration["slug"],
                                      body={"models": [{"slug": "my-ft", "enabled": True, "is_custom": True}]})


PREPARE: dict[str, Callable[[PortkeyClient, World], Awaitable[None]]] = {
    "delete_integration": _free_integration, "delete_integration_model": _custom_model}


async def _gitops(name: str, server: MCPServer[Any], switch: SandboxSwitch, world: World) -> None:
    """gitops_plan/apply/drift on an empty sandbox (the world's objects would clash with the example project)."""
    with Sandbox(api_key=KEY) as fresh:
        switch.current = fresh
        async with Client(server, raise_exceptions=True) as connected:
            planned = data(await connected.call_tool("gitops_plan", VALID["gitops_plan"](world)))
            assert planned["has_changes"] and len(planned["plan_hash"]) == 64
            assert not any(r.method != "GET" for r in fresh.requests())
            if name == "gitops_apply":
                applied = data(await connected.call_tool("gitops_apply", {**VALID["gitops_plan"](world),
                                                                   "plan_hash": planned["plan_hash"]}))
                assert applied["applied"] and applied["writes"] > 0
                assert any(r.method == "POST" and r.operation == "create_prompt" for r in fresh.requests())
            if name == "gitops_drift":
                drift = data(await connected.call_tool(name, VALID[name](world)))
                assert drift["drifted"] is False and drift["count"] == 0
            extra = {"plan_hash": "0" * 64} if name == "gitops_apply" else {}
            failed = await connected.call_tool(name, {**BAD.get(name, BAD["gitops_plan"])(world), **extra})
            assert failed.is_error and "project_dir" in text(failed)


def _check_state_change(name: str, changed: set[tuple[str, str]]) -> None:
    """A write changed some stored object; a read (or a failed call) changed none."""
    kind = SPECS[name].kind if name in SPECS else "L"
    if name in EXPECTED_ERRORS or (kind not in WRITE_KINDS and name not in READ_SIDE_EFFECTS):
        assert changed == set(), f"{name} changed {sorted(changed)}"
    elif kind in WRITE_KINDS and name not in STATELESS_WRITES:
        assert changed, f"{name} ({kind}) changed nothing in the sandbox"


@pytest.mark.parametrize("name", TOOLS)
async def test_tool(name: str, client: Client, sandbox: Sandbox, sandbox_db: Path, world: World,
                    portkey: PortkeyClient, default_server: MCPServer[Any], switch: SandboxSwitch) -> None:
    if name in PENDING:
        pytest.xfail(PENDING[name])
    if name == "gitops_export":
        pytest.skip("covered by tests/mcp_server/test_gitops_tools.py (writes a new directory under a project root)")
    if name in ("gitops_plan", "gitops_apply", "gitops_drift"):
        await _gitops(name, default_server, switch, world)
        return
    if name in PREPARE:
        await PREPARE[name](portkey, world)
    args = VALID[name](world)
    sandbox.reset_requests()
    before = stored_objects(sandbox_db)
    result = await client.call_tool(name, args)
    _check_state_change(name, changed_objects(before, stored_objects(sandbox_db)))
    if name in EXPECTED_ERRORS:
        assert result.is_error and EXPECTED_ERRORS[name] in text(result)
    else:
        payload = data(result)
        op = OPS.get(name)
        if op is not None and name not in UNLOGGED:
            names = {op.name, *SAME_ROUTE.get(op.name, ())}
            assert any(r.operation in names and r.status < 400 for r in sandbox.requests()), sandbox.requests()
        if op is not None and op.is_list:
            assert isinstance(payload["data"], list)
            assert {"returned", "total", "has_more", "complete"} <= set(payload)
        if name in FOLLOW_UPS:
            await FOLLOW_UPS[name](portkey, world, payload)
    bad = bad_arguments(name, world)
    if bad is None:
        assert name in NO_BAD_CALL, f"{name} needs a bad-argument case"
        return
    before = stored_objects(sandbox_db)
    failed = await client.call_tool(name, bad)
    assert failed.is_error, text(failed)
    message = text(failed)
    # the text says what failed: Portkey's status, the argument at fault, or a local refusal
    assert "HTTP 4" in message or "Invalid argument" in message or "validation error" in message, message
    if "HTTP 404" in message:  # the next step names the list tool that finds a valid id
        assert "call list_" in message or "check the id" in message, message
    assert changed_objects(before, stored_objects(sandbox_db)) == set(), f"failed {name} still wrote"


@pytest.mark.parametrize(("tool", "arguments"), [
    ("get_config", lambda w: {"slug": w.config["slug"]}),
    ("get_prompt", lambda w: {"prompt_id": w.prompt["id"]}),
    ("get_guardrail", lambda w: {"guardrail_id": w.guardrail["id"]}),
    ("get_integration", lambda w: {"slug": w.integration["slug"]}),
])
async def test_answers_pass_through_unchanged(tool: str, arguments: Callable[[World], dict[str, Any]],
                                              client: Client, portkey: PortkeyClient, world: World) -> None:
    """Every field Portkey returns reaches the client (the seed's get_config kept four)."""
    args = arguments(world)
    assert data(await client.call_tool(tool, args)) == await portkey.call(tool, **args)
