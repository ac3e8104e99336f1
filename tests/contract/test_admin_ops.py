"""Every admin operation (users, workspaces, SCIM, API keys, virtual keys, providers,
integrations, secrets), called with our client against the sandbox and checked against the spec.

Same pattern as test_client_sandbox.py: one success call and one error call per operation;
the recorder validates both sides against the official spec plus deviations*.yaml.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import portkey_catalogue
from engine.portkey import OPERATIONS, PortkeyAPIError, PortkeyUsageError
from tests import worlds
from tests.contract import harness
from tests.contract.harness import MISSING, Call
from tests.worlds import AWS_AUTH

pytestmark = pytest.mark.anyio

GROUPS = {"users", "workspaces", "scim", "api_keys", "virtual_keys", "providers", "integrations", "secrets"}
CORE = {"list_workspaces", "get_workspace"}  # covered by test_client_sandbox.py


@dataclass(frozen=True)
class World(harness.World, worlds.DefaultWorkspace, worlds.AdminObjects):
    """One object of every admin kind, created through the client."""


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with harness.connect() as (sb, recorder, client):
        admin = await worlds.create_admin_objects(client, sb)
        recorder.clear()
        yield World(client=client, recorder=recorder, sandbox=sb, **vars(worlds.default_workspace(sb)), **vars(admin))


SUCCESS: dict[str, Call] = {
    # users and invites
    "list_all_users": lambda w: ({"currentPage": 0, "pageSize": 10, "role": "member"}, None),
    "get_user": lambda w: ({"user_id": w.user_id}, None),
    "update_user": lambda w: ({"user_id": w.user_id}, {"role": "admin", "first_name": "Ada"}),
    "delete_user": lambda w: ({"user_id": w.user_id}, None),
    "invite_user": lambda w: ({}, {"email": "cy@example.com", "role": "member",
                                   "workspaces": [{"id": w.team["slug"], "role": "manager"}],
                                   "workspace_api_key_details": {"scopes": ["completions.write"]}}),
    "list_user_invites": lambda w: ({"status": "pending", "pageSize": 5}, None),
    "get_user_invite": lambda w: ({"invite_id": w.invite["id"]}, None),
    "delete_user_invite": lambda w: ({"invite_id": w.invite["id"]}, None),
    "resend_user_invite": lambda w: ({"invite_id": w.invite["id"]}, None),
    # workspaces and members
    "create_workspace": lambda w: ({}, {"name": "Team C", "defaults": {"metadata": {"env": "dev"}},
                                        "usage_limits": [{"credit_limit": 100, "type": "cost"}]}),
    "update_workspace": lambda w: ({"workspace_id": w.team["id"]},
                                   {"name": "Team B2", "defaults": {"metadata": {"env": "prod"}},
                                    "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60}]}),
    "delete_workspace": lambda w: ({"workspace_id": w.team["id"]}, None),
    "add_workspace_member": lambda w: ({"workspace_id": w.ws}, {"user_id": w.user_id, "role": "manager"}),
    "list_workspace_members": lambda w: ({"workspace_id": w.team["slug"], "current_page": 0, "page_size": 10},
                                         None),
    "get_workspace_member": lambda w: ({"workspace_id": w.team["id"], "user_id": w.user_id}, None),
    "update_workspace_member": lambda w: ({"workspace_id": w.team["id"], "user_id": w.user_id}, {"role": "admin"}),
    "remove_workspace_member": lambda w: ({"workspace_id": w.team["id"], "user_id": w.user_id}, None),
    # SCIM
    "list_scim_workspace_mappings": lambda w: ({"workspace_id": w.ws, "role": "member"}, None),
    "create_scim_workspace_mapping": lambda w: ({}, {"workspace_id": w.team["id"], "role": "admin",
                                                     "scim_group_id": w.mapping["scim_group_id"]}),
    "delete_scim_workspace_mapping": lambda w: ({"mapping_id": w.mapping["id"]}, None),
    "list_scim_groups": lambda w: ({"search": "eng", "page": 0, "page_size": 10}, None),
    # API keys
    "create_api_key": lambda w: ({"type": "workspace", "sub_type": "user"},
                                 {"name": "ada", "scopes": ["prompts.read"], "workspace_id": w.ws,
                                  "user_id": w.user_id, "usage_limits": {"credit_limit": 50, "alert_threshold": 40},
                                  "rate_limits": [{"type": "requests", "unit": "rpm", "value": 10}]}),
    "list_api_keys": lambda w: ({"workspace_id": w.ws, "page_size": 10}, None),
    "get_api_key": lambda w: ({"id": w.api_key["id"]}, None),
    "update_api_key": lambda w: ({"id": w.api_key["id"]}, {"name": "ci-2", "scopes": ["prompts.read", "logs.list"],
                                                           "reset_usage": True}),
    "delete_api_key": lambda w: ({"id": w.api_key["id"]}, None),
    "rotate_api_key": lambda w: ({"id": w.api_key["id"]}, {"key_transition_period_ms": 3_600_000}),
    # virtual keys
    "list_virtual_keys": lambda w: ({"current_page": 0, "page_size": 10}, None),
    "create_virtual_key": lambda w: ({}, {"name": "claude", "provider": "anthropic", "key": "sk-ant-0123456789",
                                          "rate_limits": {"type": "requests", "unit": "rpm", "value": 30},
                                          "usage_limits": {"credit_limit": 10, "periodic_reset": "monthly"}}),
    "get_virtual_key": lambda w: ({"slug": w.virtual_key}, None),
    "update_virtual_key": lambda w: ({"slug": w.virtual_key}, {"note": "rotated", "key": "sk-test-987654321"}),
    "delete_virtual_key": lambda w: ({"slug": w.virtual_key}, None),
    # providers
    "list_providers": lambda w: ({"workspace_id": w.ws}, None),
    "create_provider": lambda w: ({}, {"name": "openai-2", "integration_id": w.integration["slug"],
                                       "workspace_id": w.ws, "rate_limits": {"type": "requests", "unit": "rph",
                                                                             "value": 100}}),
    "get_provider": lambda w: ({"slug": w.provider["slug"], "workspace_id": w.ws}, None),
    "update_provider": lambda w: ({"slug": w.provider["slug"], "workspace_id": w.ws},
                                  {"note": "main", "usage_limits": {"credit_limit": 20}}),
    "delete_provider": lambda w: ({"slug": w.provider["slug"], "workspace_id": w.ws}, None),
    # integrations
    "list_integrations": lambda w: ({"type": "organisation", "workspace_id": w.ws}, None),
    "create_integration": lambda w: ({}, {"name": "Bedrock", "ai_provider_id": "bedrock", "slug": "bedrock-eu",
                                          "configurations": {"aws_auth_type": "accessKey", "aws_region": "eu-west-1",
                                                             "aws_secret_access_key": "secret-abcdefghijkl"}}),
    "get_integration": lambda w: ({"slug": w.integration["slug"]}, None),
    "update_integration": lambda w: ({"slug": w.integration["slug"]}, {"description": "prod account"}),
    "delete_integration": lambda w: ({"slug": w.integration["slug"]}, None),  # see _free_integration
    "list_integration_models": lambda w: ({"slug": w.integration["slug"]}, None),
    "update_integration_models": lambda w: ({"slug": w.integration["slug"]},
                                            {"models": [{"slug": "gpt-4o", "enabled": False},
                                                        {"slug": "my-ft", "enabled": True, "is_custom": True}],
                                             "allow_all_models": False}),
    "delete_integration_model": lambda w: ({"slug": w.integration["slug"], "slugs": "my-ft"}, None),
    "list_integration_workspaces": lambda w: ({"slug": w.integration["slug"]}, None),
    "update_integration_workspaces": lambda w: ({"slug": w.integration["slug"]},
                                                {"workspaces": [{"id": w.team["id"], "enabled": True,
                                                                 "usage_limits": [{"credit_limit": 5}]}]}),
    # secret references
    "create_secret_reference": lambda w: ({}, {"name": "vault", "manager_type": "hashicorp_vault",
                                               "auth_config": {"vault_auth_type": "token",
                                                               "vault_addr": "https://vault.example.com",
                                                               "vault_token": "hvs.0123456789abcdef"},
                                               "secret_path": "kv/openai", "tags": {"team": "ml"}}),
    "list_secret_references": lambda w: ({"manager_type": "aws_sm", "tags": '{"team": "ml"}', "search": "openai",
                                          "page_size": 20}, None),
    "get_secret_reference": lambda w: ({"id": w.secret["id"]}, None),
    "update_secret_reference": lambda w: ({"id": w.secret["id"]}, {"description": "rotated", "tags": {"team": "ml"}}),
    "delete_secret_reference": lambda w: ({"id": w.secret["id"]}, None),
}

# Calls that need state the shared world lacks, prepared just before the call.
PREPARE: dict[str, Callable[[World], Any]] = {}


async def _free_integration(w: World) -> None:
    await w.client.delete_provider(slug=w.provider["slug"], workspace_id=w.ws)


async def _custom_model(w: World) -> None:
    await w.client.update_integration_models(slug=w.integration["slug"],
                                             body={"models": [{"slug": "my-ft", "enabled": True, "is_custom": True}]})


PREPARE.update(delete_integration=_free_integration, delete_integration_model=_custom_model)


# Error calls: an unknown id (404) or input Portkey rejects (400/409).
FAILURE: dict[str, Call] = harness.unknown_ids(SUCCESS)
FAILURE.update({
    "list_all_users": lambda w: ({"role": "superuser"}, None),
    "invite_user": lambda w: ({}, {"email": "ada@example.com", "role": "member", "workspaces": []}),
    "list_user_invites": lambda w: ({"status": "lost"}, None),
    "create_workspace": lambda w: ({}, {"name": "Dup", "slug": w.team["slug"]}),
    "list_scim_workspace_mappings": lambda w: ({"role": "owner"}, None),
    "create_scim_workspace_mapping": lambda w: ({}, {"workspace_id": w.ws, "role": "admin", "scim_group_id": MISSING}),
    "list_scim_groups": lambda w: ({"page_size": 0}, None),
    "create_api_key": lambda w: ({"type": "workspace", "sub_type": "user"},
                                 {"name": "no user", "scopes": ["prompts.read"], "workspace_id": w.ws}),
    "list_api_keys": lambda w: ({"workspace_id": MISSING}, None),
    "rotate_api_key": lambda w: ({"id": MISSING}, None),
    "list_virtual_keys": lambda w: ({"current_page": 0, "page_size": 0}, None),
    "create_virtual_key": lambda w: ({}, {"name": "x", "provider": "openai", "key": "k", "workspace_id": MISSING}),
    "list_providers": lambda w: ({"workspace_id": MISSING}, None),
    "create_provider": lambda w: ({}, {"name": "x", "integration_id": MISSING, "workspace_id": w.ws}),
    "list_integrations": lambda w: ({"type": "personal"}, None),
    "create_integration": lambda w: ({}, {"name": "dup", "ai_provider_id": "openai", "slug": w.integration["slug"]}),
    "delete_integration": lambda w: ({"slug": w.integration["slug"]}, None),  # a provider still uses it: 409
    "delete_integration_model": lambda w: ({"slug": w.integration["slug"], "slugs": "no-such-model"}, None),
    "create_secret_reference": lambda w: ({}, {"name": "bad", "manager_type": "azure_kv", "auth_config": AWS_AUTH,
                                               "secret_path": "p"}),
    "list_secret_references": lambda w: ({"tags": "{not json"}, None),
})


def _catalogue_names() -> set[str]:
    return {r.tool for r in portkey_catalogue.load() if r.group in GROUPS and r.route} - CORE


def test_every_admin_catalogue_row_is_declared_and_covered() -> None:
    declared = {op.name for op in OPERATIONS if op.group in GROUPS} - CORE
    assert declared == _catalogue_names()
    assert set(SUCCESS) == declared
    assert set(FAILURE) == declared


@pytest.mark.parametrize("name", sorted(SUCCESS))
async def test_success_conforms_to_the_spec(world: World, name: str) -> None:
    if name in PREPARE:
        await PREPARE[name](world)
        world.recorder.clear()
    await harness.assert_success(world, name, SUCCESS[name])


@pytest.mark.parametrize("name", sorted(FAILURE))
async def test_error_is_an_api_error_that_conforms(world: World, name: str) -> None:
    await harness.assert_error(world, name, FAILURE[name])


async def test_client_normalises_admin_deviations(world: World) -> None:
    """Virtual-key create is unwrapped, reads list rate limits, resend also says invite_link."""
    created = await world.client.create_virtual_key(body={
        "name": "limited", "provider": "openai", "key": "sk-abcdefghijklmnop",
        "rate_limits": {"type": "requests", "unit": "rpm", "value": 5}})
    assert set(created) == {"slug"}
    read = await world.client.get_virtual_key(slug=created["slug"])
    assert read["rate_limits"] == [{"type": "requests", "unit": "rpm", "value": 5}]
    assert read["key"] != "sk-abcdefghijklmnop"
    resent = await world.client.resend_user_invite(invite_id=world.invite["id"])
    assert resent["invite_link"] == resent["inviteLink"]


async def test_paginate_walks_camel_case_users(world: World) -> None:
    for n in range(3):
        world.sandbox.add_user(f"user{n}@example.com")
    pager = world.client.paginate("list_all_users", page_size=2)
    emails = [u["email"] async for u in pager]
    assert len(emails) == 5 and len(set(emails)) == 5 and pager.complete
    assert {"currentPage=2", "pageSize=2"} <= set(world.recorder.exchanges[-1].url.split("?")[1].split("&"))


async def test_force_delete_body_conforms_through_its_deviation(world: World) -> None:
    """The live API takes {name, force_delete} on workspace delete ([tf], §3); the spec has no
    request body there, so deviation workspace-delete-force-body admits exactly that body."""
    await world.client.create_api_key(type="workspace", sub_type="service",
                                      body={"name": "k", "scopes": ["logs.list"], "workspace_id": world.team["id"]})
    with pytest.raises(PortkeyAPIError) as caught:
        await world.client.delete_workspace(workspace_id=world.team["id"])
    assert caught.value.status == 409 and caught.value.error_code == "AB07"
    world.recorder.clear()
    await world.client.delete_workspace(workspace_id=world.team["id"],
                                        body={"name": "Team B", "force_delete": True})
    assert world.recorder.violations() == []


@pytest.mark.parametrize("name", ["create_api_key", "rotate_api_key"])
async def test_api_key_secrets_are_shown_once(world: World, name: str) -> None:
    """Creating or rotating an API key answers with the secret; a later read masks it. (A virtual key's
    create answer holds no secret in Portkey; it declares ``key`` only so a surprise is still marked.)"""
    op = next(o for o in OPERATIONS if o.name == name)
    assert op.secret_fields == ("key",)
    answer = await harness.assert_success(world, name, SUCCESS[name])
    secrets = {field: answer[field] for field in op.secret_fields}
    assert all(isinstance(value, str) and len(value) >= 20 for value in secrets.values()), secrets
    read = await world.client.get_api_key(id=answer["id"])
    assert not set(secrets.values()) & {str(value) for value in read.values()}


async def test_dot_dot_member_id_cannot_remove_a_user_from_the_organisation(world: World) -> None:
    """``/admin/workspaces/{ws}/users/..`` would resolve to ``/admin/workspaces/{ws}``: refused unsent."""
    world.sandbox.reset_requests()
    with pytest.raises(PortkeyUsageError, match="user_id"):
        await world.client.remove_workspace_member(workspace_id=world.team["id"], user_id="..")
    assert world.sandbox.requests() == []
    assert (await world.client.get_user(user_id=world.user_id))["id"] == world.user_id
    members = await world.client.list_workspace_members(workspace_id=world.team["id"])
    assert world.user_id in {m["id"] for m in members["data"]}
