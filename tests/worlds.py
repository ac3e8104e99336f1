"""Builders of the Portkey objects the client-against-sandbox tests start from.

Each builder creates one group of objects through a :class:`PortkeyClient` (not through the code
under test) and returns them as a frozen dataclass. A test module's world inherits the groups it
needs and is built from their fields, e.g. ``World(**vars(default_workspace(sb)), **vars(core))``:

- :func:`default_workspace`: the sandbox's default workspace and organisation (nothing created);
- :func:`create_core_objects`: prompts, partials, labels, collections, configs, guardrails, limits;
- :func:`create_admin_objects`: a workspace, users, invites, SCIM, API and virtual keys, providers,
  integrations, secret references;
- :func:`create_mcp_objects`: MCP integrations and a server;
- :func:`create_log_objects`: a log, feedback and log exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.portkey import PortkeyClient
from sandbox import Sandbox

GUARD_ACTIONS = {
    "deny": True, "async": False,
    "on_success": {"feedback": {"value": 5, "weight": 1, "metadata": ""}},
    "on_fail": {"feedback": {"value": -5, "weight": 1, "metadata": ""}},
}
AWS_AUTH = {"aws_auth_type": "accessKey", "aws_access_key_id": "AKIAEXAMPLEKEY123456",
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_region": "eu-west-1"}


def chat_log(trace_id: str) -> dict[str, Any]:
    """A chat-completion log (1,200 + 300 tokens of gpt-4o) under ``trace_id``, as ``insert_log`` takes it."""
    return {
        "request": {"url": "https://api.openai.com/v1/chat/completions", "method": "POST",
                    "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}},
        "response": {"status": 200, "response_time": 320,
                     "body": {"model": "gpt-4o", "usage": {"prompt_tokens": 1200, "completion_tokens": 300}}},
        "metadata": {"trace_id": trace_id, "_user": "ada", "team": "support"},
    }


@dataclass(frozen=True)
class DefaultWorkspace:
    """The sandbox's default workspace (id and slug) and its organisation."""

    ws: str
    ws_slug: str
    org: str


def default_workspace(sb: Sandbox) -> DefaultWorkspace:
    """The default workspace every sandbox starts with."""
    return DefaultWorkspace(sb.default_workspace_id, sb.default_workspace_slug, sb.organisation_id)


@dataclass(frozen=True)
class CoreObjects:
    """One object of every core kind (prompts, configs, guardrails, limits) in the default workspace."""

    collection: dict[str, Any]
    empty_collection: dict[str, Any]
    prompt: dict[str, Any]
    version_id: str  # the prompt's newest version
    partial: dict[str, Any]
    label: dict[str, Any]
    config: dict[str, Any]
    guardrail: dict[str, Any]
    rate: dict[str, Any]
    usage: dict[str, Any]
    entity_id: str  # an entity of the usage limit, with usage recorded


async def create_core_objects(client: PortkeyClient, sb: Sandbox, *,
                              first_version_includes_partial: bool) -> CoreObjects:
    """Create the core objects; the prompt gets a second version "Hello {{name}}".

    Its first version is "Hi {{name}}", followed by an include of the partial when
    ``first_version_includes_partial``.
    """
    ws = sb.default_workspace_id
    collection = await client.create_collection(body={"name": "Support", "workspace_id": ws})
    empty = await client.create_collection(body={"name": "Empty", "workspace_id": ws})
    partial = await client.create_prompt_partial(body={"name": "tone", "string": "Be kind.", "workspace_id": ws})
    first = "Hi {{name}} {{>" + partial["slug"] + "}}" if first_version_includes_partial else "Hi {{name}}"
    prompt = await client.create_prompt(body={
        "name": "triage", "collection_id": collection["id"], "string": first,
        "parameters": {"temperature": 0.1}, "virtual_key": "vk-1", "model": "gpt-4o-mini",
    })
    await client.update_prompt(prompt_id=prompt["id"], body={"string": "Hello {{name}}", "patch": True})
    listed = await client.list_prompt_versions(prompt_id=prompt["id"])
    versions = sorted(listed["data"] if isinstance(listed, dict) else listed, key=lambda v: v["prompt_version"])
    label = await client.create_prompt_label(body={"name": "canary", "workspace_id": ws, "color_code": "#aabbcc"})
    config = await client.create_config(body={"name": "routing", "config": {"retry": {"attempts": 2}},
                                              "workspace_id": ws})
    guardrail = await client.create_guardrail(body={
        "name": "pii", "workspace_id": ws, "actions": GUARD_ACTIONS,
        "checks": [{"id": "default.regexMatch", "parameters": {"rule": "\\d+"}}],
    })
    limit = {"conditions": [{"key": "workspace_id", "value": ws}], "group_by": [{"key": "api_key"}]}
    rate = await client.create_rate_limit(body={**limit, "type": "requests", "unit": "rpm", "value": 10,
                                                "workspace_id": ws})
    usage = await client.create_usage_limit(body={**limit, "type": "cost", "credit_limit": 100, "workspace_id": ws})
    entity = sb.record_usage(usage["id"], "key-1", 3.5)
    return CoreObjects(collection=collection, empty_collection=empty, prompt=prompt, version_id=versions[-1]["id"],
                       partial=partial, label=label, config=config, guardrail=guardrail, rate=rate, usage=usage,
                       entity_id=str(entity["id"]))


@dataclass(frozen=True)
class AdminObjects:
    """One object of every admin kind."""

    team: dict[str, Any]  # a second workspace
    user_id: str  # a member of the default workspace and of ``team``
    invite: dict[str, Any]  # a pending invite
    mapping: dict[str, Any]  # a SCIM group mapped to the default workspace
    api_key: dict[str, Any]
    virtual_key: str  # its slug
    integration: dict[str, Any]
    provider: dict[str, Any]  # of ``integration``, in the default workspace
    secret: dict[str, Any]  # a secret reference


async def create_admin_objects(client: PortkeyClient, sb: Sandbox) -> AdminObjects:
    """Create the admin objects; the user is invited through the client and accepts in the sandbox."""
    ws = sb.default_workspace_id
    team = await client.create_workspace(body={"name": "Team B", "description": "second team"})
    joined = await client.invite_user(body={"email": "ada@example.com", "role": "member",
                                            "workspaces": [{"id": sb.default_workspace_slug, "role": "member"}]})
    user = sb.accept_invite(joined["id"])
    await client.add_workspace_member(workspace_id=team["id"], body={"users": [{"id": user["id"], "role": "member"}]})
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
    return AdminObjects(team=team, user_id=user["id"], invite=invite, mapping=mapping, api_key=api_key,
                        virtual_key=vk["slug"], integration=integration, provider=provider, secret=secret)


@dataclass(frozen=True)
class McpObjects:
    """MCP gateway objects."""

    integration: dict[str, Any]  # enabled for the default workspace
    spare_integration: dict[str, Any]  # used by nothing
    server: dict[str, Any]  # of ``integration``, in the default workspace, tested once
    user_id: str  # a user with access to ``server``


async def create_mcp_objects(client: PortkeyClient, sb: Sandbox) -> McpObjects:
    """Create two MCP integrations and a server of the first."""
    ws = sb.default_workspace_id
    integration = await client.create_mcp_integration(body={
        "name": "Linear", "url": "https://mcp.linear.example/mcp", "auth_type": "headers", "transport": "http",
        "configurations": {"custom_headers": {"Authorization": "Bearer x"}},
    })
    await client.update_mcp_integration_workspaces(id=integration["id"],
                                                   body={"workspaces": [{"id": ws, "enabled": True}]})
    spare = await client.create_mcp_integration(body={
        "name": "Spare", "url": "https://mcp.spare.example/sse", "auth_type": "none", "transport": "sse",
        "workspace_id": ws})
    server = await client.create_mcp_server(body={"name": "Linear", "mcp_integration_id": integration["slug"],
                                                  "workspace_id": ws})
    await client.test_mcp_server(id=server["id"])
    access = await client.list_mcp_server_user_access(id=server["id"])
    return McpObjects(integration=integration, spare_integration=spare, server=server,
                      user_id=access["data"][0]["user_id"])


@dataclass(frozen=True)
class LogObjects:
    """A logged request with feedback, and two log exports over the window ``t0``..``t1``."""

    log_id: str
    feedback_id: str
    export: dict[str, Any]  # a draft
    finished_export: dict[str, Any]  # started and read once
    t0: str  # an hour ago (ISO 8601)
    t1: str  # in an hour


async def create_log_objects(client: PortkeyClient, sb: Sandbox, *, trace_id: str) -> LogObjects:
    """Insert :func:`chat_log` under ``trace_id`` with feedback, and create two exports of the window."""
    now = datetime.now(UTC)
    t0, t1 = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    inserted = await client.insert_log(body=chat_log(trace_id))
    feedback = await client.create_feedback(body={"trace_id": trace_id, "value": 5})
    export_body = {"workspace_id": sb.default_workspace_id,
                   "filters": {"time_of_generation_min": t0, "time_of_generation_max": t1},
                   "requested_data": ["id", "cost", "ai_model"]}
    export = await client.create_log_export(body=export_body)
    finished = await client.create_log_export(body=export_body)
    await client.start_log_export(export_id=finished["id"])
    await client.get_log_export(export_id=finished["id"])
    return LogObjects(log_id=inserted["log_ids"][0], feedback_id=feedback["feedback_ids"][0], export=export,
                      finished_export=finished, t0=t0, t1=t1)
