"""A sandbox holding one object of every kind, built once per session and copied per test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import Sandbox

KEY = "mcp-test-key"
BASE_URL = "http://127.0.0.1/v1"
MISSING = "00000000-0000-4000-8000-000000000000"
GUARD_ACTIONS = {
    "deny": True, "async": False,
    "on_success": {"feedback": {"value": 5, "weight": 1, "metadata": ""}},
    "on_fail": {"feedback": {"value": -5, "weight": 1, "metadata": ""}},
}
AWS_AUTH = {"aws_auth_type": "accessKey", "aws_access_key_id": "AKIAEXAMPLEKEY123456",
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_region": "eu-west-1"}
CHAT_LOG = {
    "request": {"url": "https://api.openai.com/v1/chat/completions", "method": "POST",
                "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}},
    "response": {"status": 200, "response_time": 320,
                 "body": {"model": "gpt-4o", "usage": {"prompt_tokens": 1200, "completion_tokens": 300}}},
    "metadata": {"trace_id": "trace-world", "_user": "ada", "team": "support"},
}


def settings(base_url: str = BASE_URL) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=base_url,
                    retry=RetryPolicy(max_retries=0, backoff_base=0, backoff_max=0, retry_after_max=0))


def engine_client(sb: Sandbox) -> PortkeyClient:
    return PortkeyClient(settings(), transport=httpx.ASGITransport(app=sb.app))


@dataclass(frozen=True)
class World:
    """Ids of the objects the tool calls use (identical in every copy of the database)."""

    ws: str
    ws_slug: str
    org: str
    collection: dict[str, Any]
    empty_collection: dict[str, Any]
    prompt: dict[str, Any]
    version_id: str
    partial: dict[str, Any]
    label: dict[str, Any]
    config: dict[str, Any]
    guardrail: dict[str, Any]
    rate: dict[str, Any]
    usage: dict[str, Any]
    entity_id: str
    team: dict[str, Any]
    user_id: str
    invite: dict[str, Any]
    mapping: dict[str, Any]
    api_key: dict[str, Any]
    virtual_key: str
    integration: dict[str, Any]
    provider: dict[str, Any]
    secret: dict[str, Any]
    mcp_integration: dict[str, Any]
    spare_mcp_integration: dict[str, Any]
    mcp_server: dict[str, Any]
    mcp_user_id: str
    log_id: str
    feedback_id: str
    export: dict[str, Any]
    finished_export: dict[str, Any]
    t0: str
    t1: str

    def window(self, **extra: Any) -> dict[str, Any]:
        """Arguments of an analytics call over the last and next hour."""
        return {"workspace_slug": self.ws_slug, "time_of_generation_min": self.t0,
                "time_of_generation_max": self.t1, **extra}


async def build_world(sb: Sandbox) -> World:
    """Create every object through the engine client (not through the tools under test)."""
    async with engine_client(sb) as client:
        ws = sb.default_workspace_id
        collection = await client.create_collection(body={"name": "Support", "workspace_id": ws})
        empty = await client.create_collection(body={"name": "Empty", "workspace_id": ws})
        partial = await client.create_prompt_partial(body={"name": "tone", "string": "Be kind.", "workspace_id": ws})
        prompt = await client.create_prompt(body={
            "name": "triage", "collection_id": collection["id"], "string": "Hi {{name}}",
            "parameters": {"temperature": 0.1}, "virtual_key": "vk-1", "model": "gpt-4o-mini"})
        await client.update_prompt(prompt_id=prompt["id"], body={"string": "Hello {{name}}", "patch": True})
        versions = await client.list_prompt_versions(prompt_id=prompt["id"])
        label = await client.create_prompt_label(body={"name": "canary", "workspace_id": ws,
                                                       "color_code": "#aabbcc"})
        config = await client.create_config(body={"name": "routing", "config": {"retry": {"attempts": 2}},
                                                  "workspace_id": ws})
        guardrail = await client.create_guardrail(body={
            "name": "pii", "workspace_id": ws, "actions": GUARD_ACTIONS,
            "checks": [{"id": "default.regexMatch", "parameters": {"rule": "\\d+"}}]})
        limit = {"conditions": [{"key": "workspace_id", "value": ws}], "group_by": [{"key": "api_key"}]}
        rate = await client.create_rate_limit(body={**limit, "type": "requests", "unit": "rpm", "value": 10,
                                                    "workspace_id": ws})
        usage = await client.create_usage_limit(body={**limit, "type": "cost", "credit_limit": 100,
                                                      "workspace_id": ws})
        entity = sb.record_usage(usage["id"], "key-1", 3.5)
        # admin objects
        team = await client.create_workspace(body={"name": "Team B", "description": "second team"})
        joined = await client.invite_user(body={"email": "ada@example.com", "role": "member",
                                                "workspaces": [{"id": sb.default_workspace_slug, "role": "member"}]})
        user = sb.accept_invite(joined["id"])
        await client.add_workspace_member(workspace_id=team["id"],
                                          body={"users": [{"id": user["id"], "role": "member"}]})
        invite = await client.invite_user(body={"email": "bob@example.com", "role": "admin", "workspaces": []})
        mapping = await client.create_scim_workspace_mapping(body={"workspace_id": ws, "role": "member",
                                                                   "scim_group_name": "Engineering"})
        api_key = await client.create_api_key(type="workspace", sub_type="service",
                                              body={"name": "ci", "scopes": ["prompts.read"], "workspace_id": ws})
        vk = await client.create_virtual_key(body={"name": "openai main", "provider": "openai",
                                                   "key": "sk-test-123456789", "workspace_id": ws})
        integration = await client.create_integration(body={
            "name": "OpenAI prod", "ai_provider_id": "openai", "key": "sk-live-abcdefghijkl",
            "create_default_provider": False})
        provider = await client.create_provider(body={"name": "openai-prod", "integration_id": integration["id"],
                                                      "workspace_id": ws})
        secret = await client.create_secret_reference(body={"name": "openai key", "manager_type": "aws_sm",
                                                            "auth_config": AWS_AUTH, "secret_path": "prod/openai"})
        # MCP gateway, logs, exports
        mcp_integration = await client.create_mcp_integration(body={
            "name": "Linear", "url": "https://mcp.linear.example/mcp", "auth_type": "headers", "transport": "http",
            "configurations": {"custom_headers": {"Authorization": "Bearer x"}}})
        await client.update_mcp_integration_workspaces(id=mcp_integration["id"],
                                                       body={"workspaces": [{"id": ws, "enabled": True}]})
        spare = await client.create_mcp_integration(body={
            "name": "Spare", "url": "https://mcp.spare.example/sse", "auth_type": "none", "transport": "sse",
            "workspace_id": ws})
        server = await client.create_mcp_server(body={"name": "Linear", "mcp_integration_id": mcp_integration["slug"],
                                                      "workspace_id": ws})
        await client.test_mcp_server(id=server["id"])
        access = await client.list_mcp_server_user_access(id=server["id"])
        inserted = await client.insert_log(body=CHAT_LOG)
        feedback = await client.create_feedback(body={"trace_id": "trace-world", "value": 5})
        now = datetime.now(UTC)
        t0, t1 = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
        export_body = {"workspace_id": ws, "filters": {"time_of_generation_min": t0, "time_of_generation_max": t1},
                       "requested_data": ["id", "cost", "ai_model"]}
        export = await client.create_log_export(body=export_body)
        finished = await client.create_log_export(body=export_body)
        await client.start_log_export(export_id=finished["id"])
        await client.get_log_export(export_id=finished["id"])
    return World(
        ws, sb.default_workspace_slug, sb.organisation_id, collection, empty, prompt, versions[-1]["id"], partial,
        label, config, guardrail, rate, usage, str(entity["id"]), team, user["id"], invite, mapping, api_key,
        vk["slug"], integration, provider, secret, mcp_integration, spare, server, access["data"][0]["user_id"],
        inserted["log_ids"][0], feedback["feedback_ids"][0], export, finished, t0, t1,
    )
