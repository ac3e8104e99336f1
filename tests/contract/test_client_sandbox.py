"""Every in-scope operation, called with our client against the sandbox, checked against the spec.

Each operation gets a success call and an error call. The recorder validates the
client's request and the sandbox's response against the official OpenAPI spec
(with the reasoned deviations in deviations*.yaml); any violation fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from engine.portkey import OPERATIONS, PortkeyUsageError
from sandbox.routes import OPERATIONS as ROUTES
from sandbox.routes import PUBLIC_OPERATIONS, UNSERVED
from tests import worlds
from tests.contract import harness
from tests.contract.harness import MISSING, Call
from tests.worlds import GUARD_ACTIONS

CORE_GROUPS = {"prompts", "partials", "labels", "collections", "configs", "guardrails", "limits"}
CORE = tuple(op for op in OPERATIONS if op.group in CORE_GROUPS or op.name in {"list_workspaces", "get_workspace"})

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class World(harness.World, worlds.DefaultWorkspace, worlds.CoreObjects):
    """One object of every kind, created through the client."""


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with harness.connect() as (sb, recorder, client):
        core = await worlds.create_core_objects(client, sb, first_version_includes_partial=True)
        recorder.clear()
        yield World(client=client, recorder=recorder, sandbox=sb, **vars(worlds.default_workspace(sb)), **vars(core))


SUCCESS: dict[str, Call] = {
    "create_prompt": lambda w: ({}, {"name": "p2", "collection_id": w.collection["id"], "string": "x",
                                     "parameters": {}, "virtual_key": "vk"}),
    "list_prompts": lambda w: ({"workspace_id": w.ws, "page_size": 5, "current_page": 0}, None),
    "get_prompt": lambda w: ({"prompt_id": w.prompt["id"]}, None),
    "update_prompt": lambda w: ({"prompt_id": w.prompt["id"]}, {"string": "y", "patch": True}),
    "delete_prompt": lambda w: ({"prompt_id": w.prompt["id"]}, None),
    "publish_prompt": lambda w: ({"prompt_id": w.prompt["id"]}, {"version": 2}),
    "list_prompt_versions": lambda w: ({"prompt_id": w.prompt["id"]}, None),
    "get_prompt_version": lambda w: ({"prompt_id": w.prompt["id"], "version_id": w.version_id}, None),
    "update_prompt_version": lambda w: ({"prompt_id": w.prompt["id"], "version_id": w.version_id},
                                        {"label_id": w.label["id"]}),
    "render_prompt": lambda w: ({"prompt_id": w.prompt["id"]}, {"variables": {"name": "Ada"}}),
    "run_prompt_completion": lambda w: ({"prompt_id": w.prompt["id"]}, {"variables": {"name": "Ada"}}),
    "create_prompt_partial": lambda w: ({}, {"name": "p", "string": "s", "workspace_id": w.ws}),
    "list_prompt_partials": lambda w: ({"workspace_id": w.ws}, None),
    "get_prompt_partial": lambda w: ({"prompt_partial_id": w.partial["id"]}, None),
    "update_prompt_partial": lambda w: ({"prompt_partial_id": w.partial["id"]}, {"string": "Be kinder."}),
    "delete_prompt_partial": lambda w: ({"prompt_partial_id": w.partial["id"]}, None),
    "list_partial_versions": lambda w: ({"prompt_partial_id": w.partial["id"]}, None),
    "publish_partial": lambda w: ({"prompt_partial_id": w.partial["id"]}, {"version": 1}),
    "create_prompt_label": lambda w: ({}, {"name": "beta", "workspace_id": w.ws}),
    "list_prompt_labels": lambda w: ({"workspace_id": w.ws, "page_size": 2}, None),
    "get_prompt_label": lambda w: ({"label_id": w.label["id"]}, None),
    "update_prompt_label": lambda w: ({"label_id": w.label["id"]}, {"description": "d"}),
    "delete_prompt_label": lambda w: ({"label_id": w.label["id"]}, None),
    "list_collections": lambda w: ({"workspace_id": w.ws}, None),
    "create_collection": lambda w: ({}, {"name": "c2", "workspace_id": w.ws}),
    "get_collection": lambda w: ({"collection_id": w.collection["id"]}, None),
    "update_collection": lambda w: ({"collection_id": w.collection["id"]}, {"name": "Renamed"}),
    "delete_collection": lambda w: ({"collection_id": w.empty_collection["id"]}, None),
    "list_configs": lambda w: ({"workspace_id": w.ws}, None),
    "get_config": lambda w: ({"slug": w.config["slug"]}, None),
    "create_config": lambda w: ({}, {"name": "c", "config": {"cache": {"mode": "simple"}}, "workspace_id": w.ws}),
    "update_config": lambda w: ({"slug": w.config["slug"]}, {"config": {"retry": {"attempts": 4}}}),
    "delete_config": lambda w: ({"slug": w.config["slug"]}, None),
    "list_config_versions": lambda w: ({"slug": w.config["slug"]}, None),
    "list_guardrails": lambda w: ({"workspace_id": w.ws}, None),
    "get_guardrail": lambda w: ({"guardrail_id": w.guardrail["id"]}, None),
    "create_guardrail": lambda w: ({}, {"name": "g", "workspace_id": w.ws, "actions": GUARD_ACTIONS,
                                        "checks": [{"id": "portkey.pii", "parameters": {"categories": ["SSN"]}}]}),
    "update_guardrail": lambda w: ({"guardrail_id": w.guardrail["id"]}, {"name": "pii-2"}),
    "delete_guardrail": lambda w: ({"guardrail_id": w.guardrail["id"]}, None),
    "get_organisation_defaults": lambda w: ({}, None),
    "update_organisation_defaults": lambda w: ({}, {"input_guardrails": [w.guardrail["slug"]]}),
    "list_input_guardrail_workspace_exclusions": lambda w: ({"organisation_id": w.org}, None),
    "update_input_guardrail_workspace_exclusions": lambda w: (
        {}, {"organisation_id": w.org, "workspaces": [{"workspace_id": w.ws, "excluded": True}]}),
    "list_output_guardrail_workspace_exclusions": lambda w: ({"organisation_id": w.org}, None),
    "update_output_guardrail_workspace_exclusions": lambda w: (
        {}, {"organisation_id": w.org, "workspaces": [{"workspace_id": w.ws, "excluded": False}]}),
    "list_usage_limits": lambda w: ({"workspace_id": w.ws}, None),
    "get_usage_limit": lambda w: ({"id": w.usage["id"]}, None),
    "create_usage_limit": lambda w: ({}, {"conditions": [{"key": "api_key", "value": "k"}],
                                          "group_by": [{"key": "api_key"}], "type": "tokens",
                                          "credit_limit": 1000, "workspace_id": w.ws}),
    "update_usage_limit": lambda w: ({"id": w.usage["id"]}, {"credit_limit": 200, "alert_threshold": 150}),
    "delete_usage_limit": lambda w: ({"id": w.usage["id"]}, None),
    "list_rate_limits": lambda w: ({"workspace_id": w.ws}, None),
    "get_rate_limit": lambda w: ({"id": w.rate["id"]}, None),
    "create_rate_limit": lambda w: ({}, {"conditions": [{"key": "api_key", "value": "k"}],
                                         "group_by": [{"key": "api_key"}], "type": "tokens", "unit": "rph",
                                         "value": 500, "workspace_id": w.ws}),
    "update_rate_limit": lambda w: ({"id": w.rate["id"]}, {"value": 20}),
    "delete_rate_limit": lambda w: ({"id": w.rate["id"]}, None),
    "list_usage_limit_entities": lambda w: ({"limit_id": w.usage["id"]}, None),
    "reset_usage_limit_entity": lambda w: ({"limit_id": w.usage["id"], "entity_id": w.entity_id}, None),
    "list_workspaces": lambda w: ({"page_size": 10}, None),
    "get_workspace": lambda w: ({"workspace_id": w.ws}, None),
}

# Error calls: an unknown id (404) or a body or query Portkey rejects (400/409).
FAILURE: dict[str, Call] = harness.unknown_ids(SUCCESS)
FAILURE.update({
    "create_prompt": lambda w: ({}, {"name": "p", "collection_id": MISSING, "string": "x", "parameters": {},
                                     "virtual_key": "vk"}),
    "list_prompts": lambda w: ({"workspace_id": MISSING}, None),
    "create_prompt_partial": lambda w: ({}, {"name": "p", "string": "s", "workspace_id": MISSING}),
    "list_prompt_partials": lambda w: ({"workspace_id": MISSING}, None),
    "create_prompt_label": lambda w: ({}, {"name": "latest", "workspace_id": w.ws}),
    "list_prompt_labels": lambda w: ({"workspace_id": MISSING}, None),
    "list_collections": lambda w: ({"workspace_id": MISSING}, None),
    "create_collection": lambda w: ({}, {"name": "c", "workspace_id": MISSING}),
    "list_configs": lambda w: ({"workspace_id": MISSING}, None),
    "create_config": lambda w: ({}, {"name": "c", "config": {}, "workspace_id": MISSING}),
    "list_guardrails": lambda w: ({"workspace_id": MISSING}, None),
    "create_guardrail": lambda w: ({}, {"name": "g", "workspace_id": w.ws, "actions": GUARD_ACTIONS,
                                        "checks": [{"id": "default.noSuchCheck"}]}),
    "update_organisation_defaults": lambda w: ({}, {"input_guardrails": ["guard_missing"]}),
    "list_input_guardrail_workspace_exclusions": lambda w: ({"organisation_id": MISSING}, None),
    "update_input_guardrail_workspace_exclusions": lambda w: (
        {}, {"organisation_id": w.org, "workspaces": [{"workspace_id": MISSING, "excluded": True}]}),
    "list_output_guardrail_workspace_exclusions": lambda w: ({"organisation_id": MISSING}, None),
    "update_output_guardrail_workspace_exclusions": lambda w: (
        {}, {"organisation_id": w.org, "workspaces": [{"workspace_id": MISSING, "excluded": True}]}),
    "list_usage_limits": lambda w: ({"workspace_id": MISSING}, None),
    "create_usage_limit": lambda w: ({}, {"conditions": [], "group_by": [], "type": "cost", "credit_limit": 10,
                                          "alert_threshold": 50, "workspace_id": w.ws}),
    "list_rate_limits": lambda w: ({"workspace_id": MISSING}, None),
    "create_rate_limit": lambda w: ({}, {"conditions": [], "group_by": [], "type": "requests", "unit": "rpm",
                                         "value": 1, "workspace_id": MISSING}),
    "list_workspaces": lambda w: ({"status": "no-such-status"}, None),
})
NO_ERROR_PATH = {"get_organisation_defaults"}  # takes no input that can be wrong


def test_every_client_operation_has_a_sandbox_route() -> None:
    served = {name for route in ROUTES + PUBLIC_OPERATIONS for name in route.names}
    assert {op.name for op in OPERATIONS} - served == set(UNSERVED) == {"list_traces"}  # 405, as live


def test_every_core_operation_has_a_success_and_an_error_call() -> None:
    names = {op.name for op in CORE}
    assert set(SUCCESS) == names
    assert set(FAILURE) | NO_ERROR_PATH >= names


@pytest.mark.parametrize("name", sorted(SUCCESS))
async def test_success_conforms_to_the_spec(world: World, name: str) -> None:
    await harness.assert_success(world, name, SUCCESS[name])


@pytest.mark.parametrize("name", sorted(set(FAILURE) - NO_ERROR_PATH))
async def test_error_is_an_api_error_that_conforms(world: World, name: str) -> None:
    await harness.assert_error(world, name, FAILURE[name])


@pytest.mark.parametrize("bad", ["..", ".", "", "a/b", "x?y=1", "x#top"])
async def test_unsafe_ids_are_refused_before_reaching_the_sandbox(world: World, bad: str) -> None:
    """A dot segment, an empty id or a separator in any id is refused before a request is made."""
    world.sandbox.reset_requests()
    for op in CORE:
        if not op.path_params:
            continue
        unsafe = op.path_params[-1]
        args = {**dict.fromkeys(op.path_params, world.prompt["id"]), unsafe: bad}
        with pytest.raises(PortkeyUsageError) as caught:
            await world.client.call(op.name, **args)
        assert caught.value.argument == unsafe, op.name
    assert world.sandbox.requests() == []
