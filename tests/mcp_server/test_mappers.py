"""The flat-parameter conventions of the existing servers (seed-servers.md §3), mapper by mapper."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.portkey import PortkeyUsageError
from engine.portkey.operations import BY_NAME
from mcp_server.mappers import MapContext, map_arguments
from mcp_server.operation_tools import route


def mapped(tool: str, **args: Any) -> dict[str, Any]:
    op = BY_NAME.get(tool)
    ctx = MapContext(tool, op, ("client_id", "app", "env"), frozenset(op.query) if op else frozenset())
    return map_arguments(tool, args, ctx)


def refused(tool: str, argument: str, **args: Any) -> None:
    with pytest.raises(PortkeyUsageError) as caught:
        mapped(tool, **args)
    assert caught.value.argument == argument


def test_config_fields_keep_zero_and_false() -> None:
    out = mapped("create_config", name="c", cache_mode="simple", cache_max_age=0, retry_attempts=0,
                 retry_on_status_codes=[429], strategy_mode="fallback", targets=[{"virtual_key": "vk"}])
    assert out["config"] == {"cache": {"mode": "simple", "max_age": 0}, "retry": {"attempts": 0, "on_status_codes":
                             [429]}, "strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "vk"}]}
    assert "config" not in mapped("update_config", slug="pc-1", status="inactive")
    refused("create_config", "retry_attempts", name="c", retry_attempts=6)
    refused("create_config", "targets[0]", name="c", targets=[{"weight": 1}])


def test_limit_shorthands() -> None:
    vk = mapped("create_virtual_key", name="v", provider="azure-openai", key="k", api_version="2024",
                resource_name="r", deployment_name="d", credit_limit=10, alert_threshold=0, rate_limit_rpm=5)
    assert vk["apiVersion"] == "2024" and vk["resourceName"] == "r" and vk["deploymentName"] == "d"
    assert vk["usage_limits"] == {"periodic_reset": "monthly", "credit_limit": 10, "alert_threshold": 0}
    assert vk["rate_limits"] == {"type": "requests", "unit": "rpm", "value": 5}
    key = mapped("create_api_key", type="organisation", sub_type="service", name="n", scopes=["a"], rate_limit_rpm=1,
                 default_config_id="pc-1", default_metadata={"a": "b"})
    assert key["rate_limits"] == [{"type": "requests", "unit": "rpm", "value": 1}]
    assert key["defaults"] == {"config_id": "pc-1", "metadata": {"a": "b"}}
    refused("create_api_key", "workspace_id", type="workspace", sub_type="service", name="n", scopes=[])
    refused("create_api_key", "user_id", type="organisation", sub_type="user", name="n", scopes=[])
    provider = mapped("create_provider", name="p", integration_id="i", credit_limit=5, usage_limit_type="tokens",
                      periodic_reset="weekly", rate_limit_value=10, rate_limit_unit="rph")
    assert provider["usage_limits"] == {"periodic_reset": "weekly", "credit_limit": 5, "type": "tokens"}
    assert provider["rate_limits"] == {"type": "requests", "unit": "rph", "value": 10}
    refused("update_provider", "rate_limit_unit", slug="s", rate_limit_value=10)  # never dropped silently


def test_workspace_and_member_shapes() -> None:
    assert mapped("create_workspace", name="w", is_default=0, metadata={"a": "b"})["defaults"] == {
        "is_default": 0, "metadata": {"a": "b"}}
    assert "defaults" not in mapped("update_workspace", workspace_id="w", name="x")
    assert mapped("add_workspace_member", workspace_id="w", user_id="u", role="admin") == {
        "workspace_id": "w", "users": [{"id": "u", "role": "admin"}]}


def test_prompt_shapes() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    created = mapped("create_prompt", name="p", collection_id="c", parameters={}, virtual_key="v", messages=messages,
                     tool_choice={"mode": "function", "function_name": "f"})
    assert json.loads(created["string"]) == messages and "messages" not in created
    assert created["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    refused("create_prompt", "string", name="p", collection_id="c", parameters={}, virtual_key="v")
    refused("create_prompt", "messages", name="p", collection_id="c", parameters={}, virtual_key="v", string="s",
            messages=messages)
    updated = mapped("update_prompt", prompt_id="p", template_metadata={"a": 1}, tool_choice={"mode": "auto"})
    assert updated == {"prompt_id": "p", "prompt_metadata": {"a": 1}, "tool_choice": "auto", "patch": True}


def test_prompt_runs() -> None:
    ran = mapped("run_prompt_completion", prompt_id="p", variables={}, metadata={"client_id": "c", "app": "a",
                                                                                 "env": "e"},
                 hyperparameters={"temperature": 0, "max_tokens": 5})
    assert ran["stream"] is False and ran["hyperparameters"] == {"temperature": 0, "max_tokens": 5}
    refused("run_prompt_completion", "metadata.client_id", prompt_id="p", variables={}, metadata={"app": "a"})
    refused("render_prompt", "hyperparameters.temperature", prompt_id="p", variables={},
            hyperparameters={"temperature": 3})
    refused("render_prompt", "hyperparameters.max_tokens", prompt_id="p", variables={},
            hyperparameters={"max_tokens": 0})


def test_policies_and_guardrails() -> None:
    policy = mapped("create_rate_limit", conditions=[{"field": "workspace_id", "operator": "eq", "value": "w"}],
                    group_by=["api_key"], type="requests", unit="rpm", value=1)
    assert policy["conditions"] == [{"key": "workspace_id", "value": "w"}]
    assert policy["group_by"] == [{"key": "api_key"}]
    refused("create_usage_limit", "conditions[0].operator", conditions=[{"field": "x", "operator": "gt",
                                                                         "value": "1"}], group_by=[])
    guard = mapped("create_guardrail", name="g", checks=[], actions={
        "deny": True, "on_success": {"value": 1, "weight": 0.5}, "on_fail": {"feedback": {"value": -1}}})
    assert guard["actions"]["on_success"] == {"feedback": {"value": 1, "weight": 0.5}}
    assert guard["actions"]["on_fail"] == {"feedback": {"value": -1}}


def test_logs_exports_and_analytics() -> None:
    log = mapped("insert_log", request_url="u", request_body={}, response_body={}, metadata_trace_id="t",
                 metadata_custom={"team": "x"})
    assert log["request"] == {"url": "u", "method": "post", "body": {}}
    assert log["response"] == {"status": 200, "body": {}, "streamingMode": False}
    assert log["metadata"] == {"traceId": "t", "team": "x"}
    export = mapped("create_log_export", time_min="a", time_max="b", requested_fields=["id"], ai_model=["m1", "m2"])
    assert export == {"filters": {"time_of_generation_min": "a", "time_of_generation_max": "b",
                                  "ai_model": "m1,m2"}, "requested_data": ["id"]}
    graph = mapped("get_cost_analytics", time_of_generation_min="a", time_of_generation_max="b",
                   status_codes=[200, 500], status_code="404", metadata_filter={"team": "x"})
    assert graph["status_code"] == "404,200,500" and graph["metadata"] == '{"team":"x"}'


def test_integrations_mcp_and_others() -> None:
    created = mapped("create_integration", name="n", ai_provider_id="azure-openai", resource_name="r",
                     api_version="v")
    assert created["configurations"] == {"api_version": "v", "resource_name": "r"}
    models = mapped("update_integration_models", slug="s", models=[{"model_id": "m", "enabled": True, "custom": True}])
    assert models["models"] == [{"slug": "m", "enabled": True, "is_custom": True}]
    spaces = mapped("update_integration_workspaces", slug="s", workspaces=[{"workspace_id": "w", "enabled": True,
                                                                            "credit_limit": 5}],
                    global_workspace_access_enabled=True, global_rate_limit_rpm=3)
    assert spaces["workspaces"] == [{"id": "w", "enabled": True, "usage_limits": [
        {"periodic_reset": "monthly", "credit_limit": 5}]}]
    assert spaces["global_workspace_access"] == {"enabled": True, "rate_limits": [
        {"type": "requests", "unit": "rpm", "value": 3}]}
    assert mapped("delete_integration_model", slug="s", model_slug="m") == {"slug": "s", "slugs": "m"}
    mcp = mapped("create_mcp_integration", name="n", url="u", auth_type="headers", transport="http",
                 custom_headers={"X": "1"})
    assert mcp["configurations"] == {"custom_headers": {"X": "1"}}
    refused("create_mcp_integration", "custom_headers", name="n", url="u", auth_type="headers", transport="http")
    assert mapped("update_mcp_server_user_access", id="i", users=[{"user_id": "u", "enabled": False}]) == {
        "id": "i", "user_access": [{"user_id": "u", "enabled": False}]}
    refused("create_scim_workspace_mapping", "scim_group_id", workspace_id="w", role="admin")
    refused("create_prompt_label", "workspace_id", name="l")
    assert mapped("list_audit_logs", actor_id="u")["user_id"] == "u"


def test_routing() -> None:
    params, body = route(BY_NAME["get_cost_analytics"], {"cost_min": 0.5, "total_units_min": 3.0,
                                                         "status_code": 200, "workspace_slug": "w"})
    assert params == {"cost_min": 0.5, "total_units_min": 3, "status_code": "200", "workspace_slug": "w"}
    assert body is None
    with pytest.raises(PortkeyUsageError) as caught:
        route(BY_NAME["get_prompt"], {"prompt_id": "p", "string": "x"})
    assert caught.value.argument == "string"
    with pytest.raises(PortkeyUsageError, match="nothing to change"):
        route(BY_NAME["update_collection"], {"collection_id": "c"})


@pytest.mark.anyio
async def test_explicit_null_reaches_nullable_fields_only(client: Any, world: Any, portkey: Any) -> None:
    labelled = await client.call_tool("update_prompt_version", {"prompt_id": world.prompt["id"],
                                                                "version_id": world.version_id,
                                                                "label_id": world.label["id"]})
    version = await portkey.get_prompt_version(prompt_id=world.prompt["id"], version_id=world.version_id)
    assert version["prompt_version_label_id"] == world.label["id"]
    cleared = await client.call_tool("update_prompt_version", {"prompt_id": world.prompt["id"],
                                                               "version_id": world.version_id, "label_id": None})
    assert not labelled.is_error and not cleared.is_error
    version = await portkey.get_prompt_version(prompt_id=world.prompt["id"], version_id=world.version_id)
    assert version.get("prompt_version_label_id") is None
    ignored = await client.call_tool("list_prompts", {"collection_id": None, "workspace_id": world.ws})
    assert not ignored.is_error  # null for an optional, non-nullable argument means "not given"
