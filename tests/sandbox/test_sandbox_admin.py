"""Sandbox behaviour of the admin resources: users and invites, workspaces and members, SCIM,
API keys, virtual keys, providers, integrations and secret references."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_testkit import error, make_prompt, ok

from sandbox import Sandbox

pytestmark = pytest.mark.anyio

AWS = {"aws_auth_type": "accessKey", "aws_access_key_id": "AKIAEXAMPLEKEY123456",
       "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_region": "eu-west-1"}


async def _workspace(api: httpx.AsyncClient, name: str = "Team B") -> dict[str, Any]:
    return ok(await api.post("/admin/workspaces", json={"name": name}))


async def _service_key(api: httpx.AsyncClient, workspace_id: str) -> dict[str, Any]:
    body = {"name": "ci", "scopes": ["prompts.read"], "workspace_id": workspace_id}
    return ok(await api.post("/api-keys/workspace/service", json=body))


# -- workspaces -------------------------------------------------------------------------


async def test_workspace_delete_refuses_dependents_until_force_delete(api, sb):
    team = await _workspace(api)
    assert team["slug"].startswith("ws-team-b-") and team["defaults"]["is_default"] == 0
    col = ok(await api.post("/collections", json={"name": "c", "workspace_id": team["id"]}))
    await make_prompt(api, "p", collection_id=col["id"])
    ok(await api.post("/configs", json={"name": "r", "config": {}, "workspace_id": team["id"]}))
    await _service_key(api, team["id"])

    body = error(await api.delete(f"/admin/workspaces/{team['id']}"), 409, "AB07", "force_delete")
    assert "1 prompt(s)" in body["message"] and "1 api key(s)" in body["message"]
    error(await api.request("DELETE", f"/admin/workspaces/{team['id']}",
                            json={"name": "wrong", "force_delete": True}), 400, "AB01", "name")
    ok(await api.request("DELETE", f"/admin/workspaces/{team['id']}",
                         json={"name": "Team B", "force_delete": True}))

    error(await api.get(f"/admin/workspaces/{team['id']}"), 404, "AB08")
    assert ok(await api.get("/api-keys"))["total"] == 0
    assert ok(await api.get("/configs"))["total"] == 0  # the default workspace had none
    error(await api.delete(f"/admin/workspaces/{sb.default_workspace_id}"), 409, "AB07", "default")


async def test_workspace_create_and_update(api, sb):
    team = ok(await api.post("/admin/workspaces", json={
        "name": "Team C", "slug": "ws-team-c", "description": "d", "defaults": {"metadata": {"env": "dev"}},
        "rate_limits": [{"type": "requests", "unit": "rpm", "value": 60}]}))
    assert team["slug"] == "ws-team-c" and team["rate_limits"][0]["value"] == 60
    error(await api.post("/admin/workspaces", json={"name": "X", "slug": "ws-team-c"}), 409, "AB07")
    guard = ok(await api.post("/guardrails", json={
        "name": "g", "checks": [{"id": "default.contains", "parameters": {"words": ["x"], "operator": "any"}}],
        "actions": {"deny": True, "async": False, "on_success": {"feedback": {}}, "on_fail": {"feedback": {}}}}))
    ok(await api.put("/admin/workspaces/ws-team-c", json={
        "name": "Team C2", "defaults": {"input_guardrails": [guard["slug"]], "metadata": {"env": "prod"}}}))
    read = ok(await api.get(f"/admin/workspaces/{team['id']}"))
    assert read["name"] == "Team C2" and read["defaults"]["metadata"] == {"env": "prod"}
    assert read["defaults"]["input_guardrails"] == [guard["slug"]]
    assert [u["org_role"] for u in read["users"]] == ["owner"]
    error(await api.put(f"/admin/workspaces/{team['id']}", json={"defaults": {"input_guardrails": ["nope"]}}),
          400, "AB01", "input_guardrails")
    error(await api.put(f"/admin/workspaces/{team['id']}", json={"defaults": {"is_default": 1}}), 400, "AB01")


# -- members and users ------------------------------------------------------------------


async def test_member_removal_keeps_the_user(api, sb):
    team = await _workspace(api)
    ada = sb.add_user("ada@example.com")
    bob = sb.add_user("bob@example.com", "admin")
    base = f"/admin/workspaces/{team['slug']}/users"
    ok(await api.post(base, json={"users": [{"id": ada["id"], "role": "member"}]}))  # spec form
    ok(await api.post(base, json={"user_id": bob["id"], "role": "manager"}))  # both MCP servers' form
    members = ok(await api.get(base))
    assert members["total"] == 3 and {m["role"] for m in members["data"]} == {"admin", "member", "manager"}
    assert ok(await api.get(f"{base}/{bob['id']}"))["org_role"] == "admin"
    ok(await api.put(f"{base}/{ada['id']}", json={"role": "admin"}))
    assert ok(await api.get(base, params={"role": "admin"}))["total"] == 2

    ok(await api.delete(f"{base}/{ada['id']}"))
    error(await api.get(f"{base}/{ada['id']}"), 404, "AB08")
    user = ok(await api.get(f"/admin/users/{ada['id']}"))
    assert user["email"] == "ada@example.com" and team["id"] not in user["workspace_ids"]
    error(await api.post(base, json={"user_id": "not-a-uuid", "role": "member"}), 400, "AB01", "UUID")
    error(await api.post(base, json={"users": [{"id": ada["id"], "role": "owner"}]}), 400, "AB01", "role")
    error(await api.get(f"{base}/nope"), 400, "AB01")


async def test_users_update_and_delete(api, sb):
    ada = sb.add_user("ada@example.com")
    ok(await api.put(f"/admin/users/{ada['id']}", json={"role": "admin", "first_name": "Ada"}))
    read = ok(await api.get(f"/admin/users/{ada['id']}"))
    assert (read["role"], read["first_name"], read["object"]) == ("admin", "Ada", "user")
    owner = ok(await api.get("/admin/users", params={"role": "owner"}))["data"][0]
    error(await api.put(f"/admin/users/{owner['id']}", json={"role": "member"}), 400, "AB01", "owner")
    error(await api.delete(f"/admin/users/{owner['id']}"), 409, "AB07")
    ok(await api.delete(f"/admin/users/{ada['id']}"))
    error(await api.get(f"/admin/users/{ada['id']}"), 404, "AB08")


async def test_users_and_invites_page_in_camel_case(api, sb):
    for n in range(4):
        sb.add_user(f"user{n}@example.com")
    page = ok(await api.get("/admin/users", params={"currentPage": 1, "pageSize": 2}))
    assert page["total"] == 5 and [u["email"] for u in page["data"]] == ["user1@example.com", "user2@example.com"]
    snake = ok(await api.get("/admin/users", params={"current_page": 2, "page_size": 2}))
    assert [u["email"] for u in snake["data"]] == ["user3@example.com"]
    for n in range(3):
        ok(await api.post("/admin/users/invites", json={"email": f"i{n}@example.com", "role": "member",
                                                       "workspaces": []}))
    params = {"status": "pending", "currentPage": 1, "pageSize": 2}  # add_user's invites are accepted
    invites = ok(await api.get("/admin/users/invites", params=params))
    assert invites["total"] == 3 and [i["email"] for i in invites["data"]] == ["i2@example.com"]


async def test_invite_lifecycle(api, sb):
    body = {"email": "Ada@Example.com", "role": "member", "first_name": "Ada",
            "workspaces": [{"id": sb.default_workspace_slug, "role": "manager"}]}
    created = ok(await api.post("/admin/users/invites", json=body))
    assert set(created) == {"id", "invite_link"} and created["invite_link"].startswith("https://")
    error(await api.post("/admin/users/invites", json=body), 409, "AB07", "pending")
    invite = ok(await api.get(f"/admin/users/invites/{created['id']}"))
    assert (invite["email"], invite["status"], invite["object"]) == ("ada@example.com", "pending", "invite")
    resent = ok(await api.post(f"/admin/users/invites/{created['id']}/resend"))
    assert set(resent) == {"inviteLink"} and resent["inviteLink"] != created["invite_link"]

    user = sb.accept_invite(created["id"])
    assert ok(await api.get(f"/admin/users/invites/{created['id']}"))["status"] == "accepted"
    member = ok(await api.get(f"/admin/workspaces/{sb.default_workspace_id}/users/{user['id']}"))
    assert member["role"] == "manager" and member["first_name"] == "Ada"
    error(await api.delete(f"/admin/users/invites/{created['id']}"), 409, "AB07", "accepted")
    error(await api.post(f"/admin/users/invites/{created['id']}/resend"), 409, "AB07")
    error(await api.post("/admin/users/invites", json=body), 409, "AB07", "already a member")

    other = ok(await api.post("/admin/users/invites", json={"email": "bob@example.com", "role": "admin",
                                                            "workspaces": []}))
    ok(await api.delete(f"/admin/users/invites/{other['id']}"))
    assert ok(await api.get(f"/admin/users/invites/{other['id']}"))["status"] == "cancelled"
    assert ok(await api.get("/admin/users/invites", params={"status": "cancelled"}))["total"] == 1
    error(await api.delete(f"/admin/users/invites/{other['id']}"), 404, "AB08")
    with pytest.raises(ValueError, match="cancelled"):
        sb.accept_invite(other["id"])
    error(await api.post("/admin/users/invites", json={"email": "nope", "role": "member", "workspaces": []}),
          400, "AB01", "email")
    error(await api.post("/admin/users/invites", json={"email": "c@example.com", "role": "member",
                                                       "workspaces": [{"id": "ws-missing", "role": "member"}]}),
          400, "AB01", "workspaces[0].id")


# -- SCIM -------------------------------------------------------------------------------


async def test_scim_mapping_names_exactly_one_group(api, sb):
    ws = sb.default_workspace_id
    both = {"workspace_id": ws, "role": "member", "scim_group_id": "x", "scim_group_name": "y"}
    error(await api.post("/scim/workspaces", json=both), 400, "AB01", "exactly one")
    error(await api.post("/scim/workspaces", json={"workspace_id": ws, "role": "member"}), 400, "AB01", "exactly one")
    groups = ok(await api.get("/scim/groups"))
    assert groups["total_count"] == 2 and {g["name"] for g in groups["groups"]} == {"Engineering", "Support"}

    by_name = ok(await api.post("/scim/workspaces", json={"workspace_id": ws, "role": "member",
                                                          "scim_group_name": "Data"}))
    assert by_name["scim_group"] == "Data" and ok(await api.get("/scim/groups"))["total_count"] == 3
    eng = next(g for g in groups["groups"] if g["name"] == "Engineering")
    by_id = ok(await api.post("/scim/workspaces", json={"workspace_id": sb.default_workspace_slug, "role": "admin",
                                                        "scim_group_id": eng["id"]}))
    assert (by_id["scim_group"], by_id["workspace_id"]) == ("Engineering", ws)
    error(await api.post("/scim/workspaces", json={"workspace_id": ws, "role": "admin",
                                                   "scim_group_name": "Engineering"}), 409, "AB07")
    listed = ok(await api.get("/scim/workspaces", params={"role": "admin"}))
    assert listed == {"mappings": [by_id], "total_count": 1}
    assert ok(await api.delete(f"/scim/workspaces/{by_id['id']}")) == {"success": True}
    assert ok(await api.get("/scim/workspaces"))["total_count"] == 1
    assert ok(await api.get("/scim/groups", params={"search": "sup"}))["groups"][0]["name"] == "Support"


# -- API keys ---------------------------------------------------------------------------


async def test_api_key_secret_is_shown_once_then_masked(api, sb):
    created = await _service_key(api, sb.default_workspace_slug)
    assert set(created) == {"id", "key", "object"} and created["object"] == "api-key"
    secret = created["key"]
    read = ok(await api.get(f"/api-keys/{created['id']}"))
    assert read["key"] != secret and "*" in read["key"] and secret not in str(read)
    assert read["type"] == "workspace-service" and read["workspace_id"] == sb.default_workspace_id
    listed = ok(await api.get("/api-keys", params={"workspace_id": sb.default_workspace_id}))
    assert listed["total"] == 1 and secret not in str(listed)

    rotated = ok(await api.post(f"/api-keys/{created['id']}/rotate", json={"key_transition_period_ms": 3_600_000}))
    assert set(rotated) == {"id", "key", "key_transition_expires_at"}
    assert rotated["key"] not in (secret, read["key"])
    assert ok(await api.get(f"/api-keys/{created['id']}"))["key"] != read["key"]
    error(await api.post(f"/api-keys/{created['id']}/rotate", json={"key_transition_period_ms": 1000}),
          400, "AB01", "1800000")
    assert "key_transition_expires_at" in ok(await api.post(f"/api-keys/{created['id']}/rotate"))


async def test_api_key_types_and_updates(api, sb):
    ws = sb.default_workspace_id
    ada = sb.add_user("ada@example.com")
    base = {"name": "k", "scopes": ["logs.list"], "workspace_id": ws}
    error(await api.post("/api-keys/workspace/user", json=base), 400, "AB01", "user_id")
    error(await api.post("/api-keys/workspace/user", json={**base, "user_id": ada["id"]}), 400, "AB01", "member")
    ok(await api.post(f"/admin/workspaces/{ws}/users", json={"user_id": ada["id"], "role": "member"}))
    user_key = ok(await api.post("/api-keys/workspace/user", json={**base, "user_id": ada["id"]}))
    assert ok(await api.get(f"/api-keys/{user_key['id']}"))["user_id"] == ada["id"]
    error(await api.post("/api-keys/organisation/user", json=base), 400, "AB01", "sub-type")
    error(await api.post("/api-keys/team/service", json=base), 400, "AB01", "type")
    error(await api.post("/api-keys/workspace/service", json={"name": "k", "scopes": ["x"]}), 400, "AB01")
    org_key = ok(await api.post("/api-keys/organisation/service", json={"name": "org", "scopes": ["workspaces.list"]}))
    assert "workspace_id" not in ok(await api.get(f"/api-keys/{org_key['id']}"))

    config = ok(await api.post("/configs", json={"name": "c", "config": {}}))
    ok(await api.put(f"/api-keys/{org_key['id']}", json={"defaults": {"config_id": config["slug"]},
                                                         "rate_limits": [{"unit": "rpm", "value": 5}]}))
    read = ok(await api.get(f"/api-keys/{org_key['id']}"))
    assert read["defaults"]["config_id"] == config["id"] and read["rate_limits"][0]["type"] == "requests"
    ok(await api.put(f"/api-keys/{org_key['id']}", json={"defaults": {"config_id": None}}))
    assert "config_id" not in ok(await api.get(f"/api-keys/{org_key['id']}"))["defaults"]
    error(await api.put(f"/api-keys/{org_key['id']}", json={"type": "workspace-user"}), 400, "AB01", "type")
    error(await api.get("/api-keys/not-a-uuid"), 404, "AB08")
    ok(await api.delete(f"/api-keys/{org_key['id']}"))
    error(await api.get(f"/api-keys/{org_key['id']}"), 404, "AB08")


# -- virtual keys, providers, integrations ---------------------------------------------


async def test_virtual_key_masks_its_secret_and_lists_rate_limits(api):
    created = ok(await api.post("/virtual-keys", json={
        "name": "Azure main", "provider": "azure-openai", "key": "sk-azure-0123456789", "apiVersion": "2024-06-01",
        "rate_limits": {"type": "requests", "unit": "rpm", "value": 30},
        "usage_limits": {"credit_limit": 100, "alert_threshold": 80, "periodic_reset": "monthly"}}))
    assert created["success"] is True and set(created["data"]) == {"slug"}
    slug = created["data"]["slug"]
    read = ok(await api.get(f"/virtual-keys/{slug}"))
    assert read["key"] == "sk-a********6789" and read["rate_limits"] == [{"type": "requests", "unit": "rpm",
                                                                          "value": 30}]
    assert read["model_config"] == {"apiVersion": "2024-06-01"} and read["object"] == "virtual-key"
    ok(await api.put(f"/virtual-keys/{slug}", json={"key": "sk-azure-new-key-999", "note": "n"}))
    assert ok(await api.get(f"/virtual-keys/{slug}"))["key"] == "sk-a********-999"
    error(await api.post("/virtual-keys", json={"name": "x", "provider": "openai",
                                                "usage_limits": {"credit_limit": 5, "alert_threshold": 9}}),
          400, "AB01", "alert_threshold")
    ok(await api.delete(f"/virtual-keys/{slug}"))
    assert ok(await api.get("/virtual-keys"))["total"] == 0


async def test_integration_default_provider_and_workspace_access(api, sb):
    created = ok(await api.post("/integrations", json={"name": "OpenAI", "ai_provider_id": "openai",
                                                       "slug": "openai-main", "key": "sk-live-0123456789"}))
    assert created["slug"] == "openai-main"
    default = ok(await api.get("/providers/openai-main", params={"workspace_id": sb.default_workspace_id}))
    assert default["integration_id"] == created["id"] and default["rate_limits"] == []
    detail = ok(await api.get("/integrations/openai-main"))
    assert detail["masked_key"] == "sk-l********6789" and detail["workspace_count"] == 1

    team = await _workspace(api)
    error(await api.get("/providers/openai-main", params={"workspace_id": team["id"]}), 404, "AB08")
    ok(await api.put("/integrations/openai-main/workspaces", json={"workspaces": [
        {"id": team["slug"], "enabled": True, "rate_limits": [{"type": "requests", "unit": "rpm", "value": 9}]}]}))
    assert ok(await api.get("/providers/openai-main", params={"workspace_id": team["id"]}))["slug"] == "openai-main"
    access = ok(await api.get("/integrations/openai-main/workspaces"))
    assert access["total"] == 2 and all(w["enabled"] for w in access["workspaces"])
    ok(await api.put("/integrations/openai-main/workspaces", json={"workspaces": [
        {"id": team["id"], "enabled": False}]}))
    error(await api.post("/providers", json={"name": "p", "integration_id": "openai-main",
                                             "workspace_id": team["id"]}), 400, "AB01", "not enabled")

    bare = ok(await api.post("/integrations", json={"name": "Anthropic", "ai_provider_id": "anthropic",
                                                    "create_default_provider": False}))
    assert ok(await api.get("/providers"))["total"] == 1
    ok(await api.delete(f"/integrations/{bare['slug']}"))
    error(await api.delete("/integrations/openai-main"), 409, "AB07", "provider")
    error(await api.post("/providers", json={"name": "p", "integration_id": "nope"}), 400, "AB01", "integration_id")


async def test_integration_models(api):
    ok(await api.post("/integrations", json={"name": "OpenAI", "ai_provider_id": "openai", "slug": "oa",
                                             "create_default_provider": False}))
    models = ok(await api.get("/integrations/oa/models"))
    assert models["total"] == 3 and all(m["enabled"] for m in models["models"])
    ok(await api.put("/integrations/oa/models", json={"models": [
        {"slug": "gpt-4o", "enabled": False}, {"slug": "ft-1", "enabled": True, "is_finetune": True,
                                               "base_model_slug": "gpt-4o-mini"}]}))
    by_slug = {m["slug"]: m for m in ok(await api.get("/integrations/oa/models"))["models"]}
    assert by_slug["gpt-4o"]["enabled"] is False and by_slug["ft-1"]["base_model_slug"] == "gpt-4o-mini"
    error(await api.put("/integrations/oa/models", json={"models": [{"slug": "mystery", "enabled": True}]}),
          400, "AB01", "is_custom")
    error(await api.delete("/integrations/oa/models", params={"slugs": "gpt-4o"}), 400, "AB01", "built-in")
    ok(await api.delete("/integrations/oa/models", params={"slugs": "ft-1"}))
    assert ok(await api.get("/integrations/oa/models"))["total"] == 3


# -- secret references ------------------------------------------------------------------


async def test_secret_reference_masks_auth_and_checks_its_variant(api, sb):
    created = ok(await api.post("/secret-references", json={
        "name": "openai key", "manager_type": "aws_sm", "auth_config": AWS, "secret_path": "prod/openai",
        "tags": {"team": "ml"}}))
    assert created["object"] == "secret-reference" and set(created) == {"id", "slug", "object"}
    read = ok(await api.get(f"/secret-references/{created['slug']}"))
    assert read["auth_config"]["aws_region"] == "eu-west-1"
    assert AWS["aws_secret_access_key"] not in str(read) and AWS["aws_access_key_id"] not in str(read)
    error(await api.post("/secret-references", json={"name": "v", "manager_type": "hashicorp_vault",
                                                     "auth_config": {"vault_auth_type": "token"},
                                                     "secret_path": "p"}), 400, "AB01", "vault_addr")
    error(await api.put(f"/secret-references/{created['id']}", json={}), 400, "AB01")
    listed = ok(await api.get("/secret-references", params={"tags": '{"team": "ml"}'}))
    assert listed["total"] == 1 and "auth_config" not in listed["data"][0]
    assert ok(await api.get("/secret-references", params={"manager_type": "azure_kv"}))["total"] == 0

    vk = ok(await api.post("/virtual-keys", json={"name": "x", "provider": "openai", "secret_mappings": [
        {"target_field": "key", "secret_reference_id": created["id"]}]}))
    error(await api.delete(f"/secret-references/{created['id']}"), 409, "AB07", "virtual key")
    ok(await api.delete(f"/virtual-keys/{vk['data']['slug']}"))
    ok(await api.delete(f"/secret-references/{created['id']}"))


def test_python_api_adds_users_through_invites(sb: Sandbox):
    user = sb.add_user("Eve@Example.com", "admin")
    assert user["email"] == "eve@example.com" and user["role"] == "admin"
    with pytest.raises(ValueError):
        sb.add_user("x@example.com", "owner")
