"""The sandbox's default answers have the shape of the recorded live answers
(/work/shared/portkey-live/responses, SOURCE.md there): for the same request, the same keys with
values of the same JSON types, key for key, at every level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sandbox_testkit import client_for, make_prompt, ok

from sandbox import Sandbox

pytestmark = pytest.mark.anyio
LIVE = Path("/work/shared/portkey-live/responses")
# Maps whose keys are data (template variables, config content), not shape.
OPAQUE = {"parameters", "config", "template_metadata"}
# Admin objects the sandbox does not yet answer key for key (issue 8, left for a later change): the
# keys each one lacks or adds today. The test fails if a gap grows or a listed gap is closed
# (then remove it here).
KNOWN_GAPS: dict[str, set[str]] = {
    "virtual-keys-get": {"$.ai_provider_name", "$.expires_at", "$.integration_id", "$.last_reset_at",
                         "$.masked_api_key", "$.provider", "$.reset_usage", "$.secret_mappings", "$.tags",
                         "$.usage_limits", "$.workspace_id"},
    "virtual-keys-list": {"$.data[0].expires_at", "$.data[0].integration_id", "$.data[0].key",
                          "$.data[0].last_reset_at", "$.data[0].organisation_id", "$.data[0].secret_mappings",
                          "$.data[0].tags", "$.data[0].usage_limits", "$.data[0].workspace_name"},
    "api-keys-get": {"$.api_key_defaults_id", "$.defaults.allow_config_override", "$.defaults.config_id",
                     "$.description", "$.expires_at", "$.expiry_enforced", "$.last_reset_at",
                     "$.next_usage_reset_at", "$.reset_usage", "$.usage_limits", "$.user_id"},
    "api-keys-list": {"$.data[0].api_key_defaults_id", "$.data[0].defaults.config_id", "$.data[0].description",
                      "$.data[0].expires_at", "$.data[0].expiry_enforced", "$.data[0].last_reset_at",
                      "$.data[0].reset_usage", "$.data[0].usage_limits", "$.data[0].user_id"},
    "workspaces-get": {"$.created_by", "$.creation_source", "$.icon", "$.is_default", "$.last_reset_at",
                       "$.organisation_id", "$.security_settings", "$.settings", "$.status", "$.users[0].email",
                       "$.users[0].object", "$.users[0].settings"},
    "workspaces-list": {"$.data[0].icon", "$.data[0].is_default", "$.data[0].scim_source_id",
                        "$.data[0].security_settings"},
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {type(None): "null", str: "string", list: "array", dict: "object"}[type(value)]


def shape_differences(recorded: Any, answered: Any, path: str = "$") -> list[str]:
    """Where `answered` differs from `recorded` in keys or value types (null matches any type: whether a
    field is set depends on the data, not the shape)."""
    if recorded is None or answered is None:
        return []
    if _kind(recorded) != _kind(answered):
        return [f"{path}: live {_kind(recorded)}, sandbox {_kind(answered)}"]
    out: list[str] = []
    if isinstance(recorded, dict):
        for key in sorted(set(recorded) | set(answered)):
            where = f"{path}.{key}"
            if key not in answered or key not in recorded:
                out.append(where)
            elif key not in OPAQUE:
                out += shape_differences(recorded[key], answered[key], where)
    elif isinstance(recorded, list) and recorded and answered:
        out += shape_differences(recorded[0], answered[0], f"{path}[0]")
    return out


@pytest.fixture
async def answers() -> dict[str, Any]:
    """The sandbox's default answers to the requests the live files recorded, with one object of each kind."""
    with Sandbox(quirks={}) as sb:
        async with client_for(sb) as api:
            chat = json.dumps([{"role": "user", "content": [{"type": "text", "text": "Summarise {{thread}}"}]}])
            await make_prompt(api, string=chat, parameters={})
            ok(await api.post("/configs", json={"name": "c", "config": {"retry": {"attempts": 2}}}))
            ok(await api.post("/virtual-keys", json={"name": "openai main", "provider": "openai", "key": "sk-x"}))
            ok(await api.post("/api-keys/workspace/service", json={"name": "ci", "scopes": ["prompts.read"],
                                                                   "workspace_id": sb.default_workspace_id}))
            prompt = ok(await api.get("/prompts"))["data"][0]
            config = ok(await api.get("/configs"))["data"][0]
            vk = ok(await api.get("/virtual-keys"))["data"][0]
            key = ok(await api.get("/api-keys"))["data"][0]
            urls = {
                "prompts-get": f"/prompts/{prompt['slug']}", "prompts-list": "/prompts",
                "configs-get": f"/configs/{config['slug']}", "configs-list": "/configs",
                "virtual-keys-get": f"/virtual-keys/{vk['slug']}", "virtual-keys-list": "/virtual-keys",
                "api-keys-get": f"/api-keys/{key['id']}", "api-keys-list": "/api-keys",
                "workspaces-get": f"/admin/workspaces/{sb.default_workspace_id}",
                "workspaces-list": "/admin/workspaces",
            }
            return {name: ok(await api.get(url)) for name, url in urls.items()}


def test_every_live_file_is_compared() -> None:
    assert {p.stem for p in LIVE.glob("*.json")} == {
        "prompts-get", "prompts-list", "configs-get", "configs-list", *KNOWN_GAPS}


@pytest.mark.parametrize("name", sorted(p.stem for p in LIVE.glob("*.json")))
async def test_default_answer_has_the_live_shape(answers: dict[str, Any], name: str) -> None:
    recorded = json.loads((LIVE / f"{name}.json").read_text())
    assert set(shape_differences(recorded, answers[name])) == KNOWN_GAPS.get(name, set())


async def test_prompt_read_echoes_like_live(answers: dict[str, Any]) -> None:
    """prompts-get.json: variables as empty strings plus `model`; content parts kept; 0/1 flag."""
    got = answers["prompts-get"]
    assert got["parameters"] == {"thread": "", "model": got["model"]}
    assert json.loads(got["string"])[0]["content"] == [{"type": "text", "text": "Summarise {{thread}}"}]
    assert got["is_raw_template"] == 0 and got["variable_components"]["variables"] == ["thread"]


def test_the_comparison_can_fail() -> None:
    found = shape_differences({"a": 1, "b": {"c": "x"}}, {"a": "1", "b": {"d": "x"}})
    assert found == ["$.a: live number, sandbox string", "$.b.c", "$.b.d"]
