"""Labels, collections, configs, guardrails, policies, workspaces and org guardrail settings."""

from __future__ import annotations

import json
import re

import pytest
from sandbox_testkit import default_collection, error, make_prompt, ok

pytestmark = pytest.mark.anyio

RATE = {
    "conditions": [{"key": "workspace_id", "value": "ws-x"}],
    "group_by": [{"key": "api_key"}],
    "type": "requests",
    "unit": "rpm",
    "value": 100,
}
USAGE = {
    "conditions": [{"key": "metadata.team", "value": "support"}],
    "group_by": [{"key": "metadata._user"}],
    "type": "cost",
    "credit_limit": 10,
    "alert_threshold": 8,
    "periodic_reset": "monthly",
    "name": "Support budget",
}
CHECKS = [{"id": "default.regexMatch", "parameters": {"rule": "\\d{16}"}}]
ACTIONS = {
    "deny": True,
    "async": False,
    "on_success": {"feedback": {"value": 5, "weight": 1, "metadata": ""}},
    "on_fail": {"feedback": {"value": -5, "weight": 1, "metadata": ""}},
}


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_creates_answer_ids_only_in_portkey_formats_and_reads_are_full(api, sb):
    prompt = await make_prompt(api, "Support Bot")
    config = ok(await api.post("/configs", json={"name": "Fallback", "config": {"retry": {"attempts": 2}}}))
    guardrail = ok(await api.post("/guardrails", json={"name": "PII", "checks": CHECKS, "actions": ACTIONS}))
    label = ok(await api.post("/labels", json={"name": "canary"}))
    collection = ok(await api.post("/collections", json={"name": "Team"}))
    rate = ok(await api.post("/policies/rate-limits", json=RATE))
    assert set(prompt) == {"id", "slug", "version_id", "object"} and set(config) == {*prompt}
    assert set(guardrail) == {"id", "slug", "version_id"} and set(collection) == {"id", "slug"}
    assert set(label) == {"id"} and set(rate) == {"id", "object"}
    for answer in (prompt, config, guardrail, label, collection, rate):
        assert UUID.fullmatch(answer["id"]), answer
    workspace = ok(await api.get(f"/admin/workspaces/{sb.default_workspace_id}"))
    for slug, pattern in (
        (prompt["slug"], r"pp-support-[0-9a-f]{6}"),
        (config["slug"], r"pc-fallba-[0-9a-f]{6}"),
        (guardrail["slug"], r"guard_pii-[0-9a-f]{6}"),
        (workspace["slug"], r"ws-shared-[0-9a-f]{6}"),
    ):
        assert re.fullmatch(pattern, slug), slug
    for path in (
        f"/prompts/{prompt['slug']}",
        f"/configs/{config['slug']}",
        f"/guardrails/{guardrail['slug']}",
        f"/labels/{label['id']}",
        f"/collections/{collection['id']}",
        f"/policies/rate-limits/{rate['id']}",
    ):
        read = ok(await api.get(path))
        assert read["id"] in {a["id"] for a in (prompt, config, guardrail, label, collection, rate)}, path
        assert TIMESTAMP.fullmatch(read["created_at"]) and TIMESTAMP.fullmatch(read["last_updated_at"]), path
        assert len(read) > 6, path  # the full object, not the create's ids


async def test_label_names_reserved_unique_and_universal_protected(api):
    for name in ("latest", "default", "42"):
        error(await api.post("/labels", json={"name": name}), 400, "AB01", "name")
    created = ok(await api.post("/labels", json={"name": "canary", "color_code": "#fff"}))
    error(await api.post("/labels", json={"name": "canary"}), 409, "AB07", "canary")
    error(await api.post("/labels", json={"name": "production"}), 409, "AB07")
    label = ok(await api.get(f"/labels/{created['id']}"))
    assert label["is_universal"] is False and label["name"] == "canary"
    error(await api.put(f"/labels/{created['id']}", json={"name": "latest"}), 400, "AB01", "name")
    ok(await api.put(f"/labels/{created['id']}", json={"name": "beta", "description": "d"}))
    assert ok(await api.get(f"/labels/{created['id']}"))["name"] == "beta"

    universal = {
        lb["name"]: lb for lb in ok(await api.get("/labels"))["data"] if lb["is_universal"]
    }
    assert set(universal) == {"production", "staging", "development"}
    prod = universal["production"]["id"]
    error(await api.delete(f"/labels/{prod}"), 403, "AB03")
    error(await api.put(f"/labels/{prod}", json={"name": "prod"}), 403, "AB03")
    assert ok(await api.get(f"/labels/{prod}"))["name"] == "production"
    assert ok(await api.get("/labels", params={"search": "BET"}))["total"] == 1
    ok(await api.delete(f"/labels/{created['id']}"))
    error(await api.get(f"/labels/{created['id']}"), 404, "AB08")


async def test_collections_nest_and_protect_default(api):
    default = await default_collection(api)
    error(await api.delete(f"/collections/{default['id']}"), 404, "AB08")
    parent = ok(await api.post("/collections", json={"name": "Support"}))
    child = ok(
        await api.post(
            "/collections", json={"name": "Billing", "parent_collection_id": parent["slug"]}
        )
    )
    got = ok(await api.get(f"/collections/{parent['id']}"))
    assert [c["id"] for c in got["child_collections"]] == [child["id"]]
    assert (
        ok(await api.get(f"/collections/{child['slug']}"))["parent_collection_id"] == parent["id"]
    )
    error(
        await api.post("/collections", json={"name": "x", "parent_collection_id": "nope"}),
        400,
        "AB01",
        "parent_collection_id",
    )
    error(await api.delete(f"/collections/{parent['id']}"), 409, "AB07")  # has a child
    pid = (await make_prompt(api, collection_id=child["id"]))["id"]
    error(await api.delete(f"/collections/{child['id']}"), 409, "AB07", "prompt")
    ok(await api.put(f"/collections/{child['id']}", json={"name": "Billing 2"}))
    listed = ok(await api.get("/collections", params={"search": "billing"}))
    assert listed["total"] == 1 and listed["data"][0]["collection_details"]["prompts_count"] == 1
    ok(await api.delete(f"/prompts/{pid}"))
    ok(await api.delete(f"/collections/{child['id']}"))
    ok(await api.delete(f"/collections/{parent['id']}"))
    assert ok(await api.get("/collections"))["total"] == 1


async def test_config_versions_hold_json_strings(api, sb):
    created = ok(
        await api.post(
            "/configs",
            json={
                "name": "Fallback",
                "config": {"retry": {"attempts": 3}},
                "isDefault": 1,
                "workspace_id": sb.default_workspace_slug,
            },
        )
    )
    assert created["object"] == "config" and created["slug"].startswith("pc-fallba-")
    slug = created["slug"]
    update = ok(await api.put(f"/configs/{slug}", json={"config": {"retry": {"attempts": 5}}}))
    assert update["object"] == "config" and update["version_id"] != created["version_id"]
    config = ok(await api.get(f"/configs/{slug}"))
    # the new version is live at once; `config` is a JSON string, as live configs-get.json shows
    assert json.loads(config["config"]) == {"retry": {"attempts": 5}}
    assert config["version_id"] == update["version_id"] and config["is_default"] == 1
    versions = ok(await api.get(f"/configs/{created['id']}/versions"))
    assert versions["object"] == "list" and versions["total"] == 2
    assert [json.loads(v["config"]) for v in versions["data"]] == [
        {"retry": {"attempts": 3}},
        {"retry": {"attempts": 5}},
    ]
    assert {v["format"] for v in versions["data"]} == {"json"}
    assert {v["type"] for v in versions["data"]} == {"ORG_CONFIG"}
    renamed = ok(await api.put(f"/configs/{slug}", json={"name": "Renamed"}))
    versions = ok(await api.get(f"/configs/{slug}/versions"))["data"]
    assert [v["version_id"] for v in versions][1:] == [update["version_id"], renamed["version_id"]]
    assert json.loads(versions[-1]["config"]) == {"retry": {"attempts": 5}}  # a rename keeps the content
    listed = ok(await api.get("/configs", params={"workspace_id": sb.default_workspace_id}))
    assert listed["object"] == "list" and listed["total"] == 1
    assert listed["data"][0]["name"] == "Renamed"
    error(await api.post("/configs", json={"name": "x", "config": [1]}), 400, "AB01", "config")
    ok(await api.delete(f"/configs/{slug}"))
    error(await api.get(f"/configs/{slug}"), 404, "AB08")


async def test_guardrail_checks_validated_and_updates_version(api):
    bad = [*CHECKS, {"id": "default.noSuchCheck"}]
    error(
        await api.post("/guardrails", json={"name": "g", "checks": bad, "actions": ACTIONS}),
        400,
        "AB01",
        "checks[1].id",
        "default.noSuchCheck",
    )
    error(
        await api.post("/guardrails", json={"name": "g", "checks": CHECKS}), 400, "AB01", "actions"
    )
    created = ok(
        await api.post(
            "/guardrails", json={"name": "Card numbers", "checks": CHECKS, "actions": ACTIONS}
        )
    )
    assert created["slug"].startswith("guard_")
    g = ok(await api.get(f"/guardrails/{created['slug']}"))
    assert g["checks"][0]["is_enabled"] is True and g["actions"] == ACTIONS
    updated = ok(await api.put(f"/guardrails/{created['id']}", json={"name": "Cards"}))
    assert updated["id"] == created["id"] and updated["version_id"] != created["version_id"]
    assert ok(await api.get(f"/guardrails/{created['id']}"))["name"] == "Cards"
    assert ok(await api.get("/guardrails"))["total"] == 1
    ok(await api.delete(f"/guardrails/{created['id']}"))
    error(await api.get(f"/guardrails/{created['id']}"), 404, "AB08")


async def test_rate_limit_immutable_fields_and_delete(api, sb):
    created = ok(await api.post("/policies/rate-limits", json=RATE))
    pid = created["id"]
    for field, value in (("group_by", []), ("type", "tokens")):
        error(
            await api.put(f"/policies/rate-limits/{pid}", json={field: value}), 400, "AB01", field
        )
    sb.quirks = {"policy_conditions_put": "refused"}
    error(await api.put(f"/policies/rate-limits/{pid}", json={"conditions": RATE["conditions"]}), 400, "AB01",
          "conditions")
    sb.quirks = None
    error(
        await api.put(f"/policies/rate-limits/{pid}", json={"credit_limit": 5}),
        400,
        "AB01",
        "credit_limit",
    )
    ok(await api.put(f"/policies/rate-limits/{pid}", json={"value": 5, "unit": "rph"}))
    policy = ok(await api.get(f"/policies/rate-limits/{pid}"))
    assert (policy["value"], policy["unit"], policy["type"]) == (5, "rph", "requests")
    error(
        await api.post(
            "/policies/rate-limits", json={**RATE, "conditions": [{"field": "x", "value": "y"}]}
        ),
        400,
        "AB01",
        "conditions[0].key",
    )
    ok(await api.delete(f"/policies/rate-limits/{pid}"))
    error(await api.get(f"/policies/rate-limits/{pid}"), 404, "AB08")
    assert ok(await api.get("/policies/rate-limits"))["total"] == 0


async def test_usage_limit_delete_archives(api):
    pid = ok(await api.post("/policies/usage-limits", json=USAGE))["id"]
    error(
        await api.put(f"/policies/usage-limits/{pid}", json={"group_by": []}),
        400,
        "AB01",
        "group_by",
    )
    error(
        await api.put(f"/policies/usage-limits/{pid}", json={"alert_threshold": 20}),
        400,
        "AB01",
        "alert_threshold",
    )
    ok(await api.put(f"/policies/usage-limits/{pid}", json={"credit_limit": 50}))
    assert ok(await api.get(f"/policies/usage-limits/{pid}"))["credit_limit"] == 50
    ok(await api.delete(f"/policies/usage-limits/{pid}"))
    assert ok(await api.get("/policies/usage-limits"))["total"] == 0
    archived = ok(await api.get("/policies/usage-limits", params={"status": "archived"}))
    assert [p["id"] for p in archived["data"]] == [pid]
    assert ok(await api.get(f"/policies/usage-limits/{pid}"))["status"] == "archived"
    error(await api.put(f"/policies/usage-limits/{pid}", json={"name": "x"}), 403, "AB03")


async def test_usage_limit_entities_and_reset(api, sb):
    pid = ok(await api.post("/policies/usage-limits", json=USAGE))["id"]
    sb.record_usage(pid, "user:ann", 4)
    sb.record_usage(pid, "user:ann", 7)
    bob = sb.record_usage(pid, "user:bob", 2.5)
    listed = ok(await api.get(f"/policies/usage-limits/{pid}/entities"))
    assert listed["object"] == "list" and listed["total"] == 2
    usage = {e["value_key"]: (e["current_usage"], e["status"]) for e in listed["data"]}
    assert usage == {"user:ann": (11, "exhausted"), "user:bob": (2.5, "active")}
    exhausted = ok(
        await api.get(f"/policies/usage-limits/{pid}/entities", params={"status": "exhausted"})
    )
    ann = exhausted["data"][0]
    assert exhausted["total"] == 1 and ann["value_key"] == "user:ann"
    ok(await api.put(f"/policies/usage-limits/{pid}/entities/{ann['id']}/reset"))
    ok(
        await api.post(
            f"/policies/usage-limits/{pid}/entities/reset", json={"entity_id": bob["id"]}
        )
    )
    listed = ok(await api.get(f"/policies/usage-limits/{pid}/entities"))
    assert {e["current_usage"] for e in listed["data"]} == {0}
    page = ok(
        await api.get(
            f"/policies/usage-limits/{pid}/entities", params={"page_size": 1, "current_page": 1}
        )
    )
    assert page["total"] == 2 and [e["value_key"] for e in page["data"]] == ["user:bob"]
    with_usage = ok(
        await api.get(f"/policies/usage-limits/{pid}", params={"include_usage": "true"})
    )
    assert with_usage["value_key_usage_map"]["user:ann"]["current_usage"] == 0
    error(await api.put(f"/policies/usage-limits/{pid}/entities/nope/reset"), 404, "AB08")


async def test_workspaces_and_workspace_selection(api, sb):
    listed = ok(await api.get("/admin/workspaces"))
    assert listed["total"] == 1 and listed["data"][0]["id"] == sb.default_workspace_id
    by_slug = ok(await api.get(f"/admin/workspaces/{sb.default_workspace_slug}"))
    assert by_slug["id"] == sb.default_workspace_id and by_slug["defaults"]["is_default"] == 1
    assert by_slug["users"][0]["role"] == "admin"
    other = sb.add_workspace("Team B")
    assert other["slug"].startswith("ws-team-b-")
    ok(await api.post("/labels", json={"name": "blue", "workspace_id": other["slug"]}))
    names = {
        lb["name"]
        for lb in ok(await api.get("/labels", params={"workspace_id": other["id"]}))["data"]
    }
    assert "blue" in names and "production" in names
    assert "blue" not in {lb["name"] for lb in ok(await api.get("/labels"))["data"]}
    error(
        await api.get("/labels", params={"workspace_id": "ws-missing"}), 400, "AB01", "workspace_id"
    )
    error(await api.get("/admin/workspaces/ws-missing"), 404, "AB08")


async def test_org_guardrail_defaults_and_exclusions(api, sb):
    gid = ok(
        await api.post("/guardrails", json={"name": "g", "checks": CHECKS, "actions": ACTIONS})
    )["slug"]
    ok(await api.put("/admin/organisation/defaults", json={"input_guardrails": [gid]}))
    defaults = ok(await api.get("/admin/organisation/defaults"))
    assert defaults["input_guardrails"] == [gid] and defaults["output_guardrails"] == []
    error(
        await api.put("/admin/organisation/defaults", json={"output_guardrails": ["nope"]}),
        400,
        "AB01",
        "output_guardrails[0]",
    )
    path = "/workspace-exclusions/input-guardrails"
    ok(
        await api.put(
            path,
            json={
                "organisation_id": sb.organisation_id,
                "workspaces": [{"workspace_id": sb.default_workspace_slug, "excluded": True}],
            },
        )
    )
    listed = ok(await api.get(path, params={"organisation_id": sb.organisation_id}))
    assert listed["data"][0]["excluded"] is True
    out = ok(await api.get("/workspace-exclusions/output-guardrails"))
    assert out["data"][0]["excluded"] is False
    ok(await api.put(path, json={"workspaces": [], "override_existing": True}))
    assert ok(await api.get(path))["data"][0]["excluded"] is False
