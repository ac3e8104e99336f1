"""Partials, render (variables, partials, chat prompts) and fake completions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_testkit import SPEC_SHAPES, error, make_prompt, ok

pytestmark = pytest.mark.anyio


# These tests pin the spec's shapes (bare versions lists oldest first, parameters as sent, spec prompt reads),
# which the sandbox (the ``sb`` fixture) serves under these quirks; the live defaults are tested in
# test_sandbox_quirks.py and test_sandbox_live_shapes.py.
SANDBOX_QUIRKS = SPEC_SHAPES


async def test_partial_versions_and_publish(api):
    created = ok(
        await api.post(
            "/prompts/partials",
            json={"name": "Tone Guide", "string": "Be kind.", "version_description": "first"},
        )
    )
    assert set(created) == {"id", "slug", "version_id"}
    pid = created["slug"]
    partial = ok(await api.get(f"/prompts/partials/{pid}"))
    assert partial["version"] == 1 and partial["string"] == "Be kind."
    assert partial["prompt_partial_version_id"] == created["version_id"]

    answer = ok(
        await api.put(
            f"/prompts/partials/{pid}", json={"string": "Be very kind.", "description": "second"}
        )
    )
    assert set(answer) == {"prompt_partial_version_id"}
    assert ok(await api.get(f"/prompts/partials/{pid}"))["string"] == "Be kind."  # unpublished
    ok(
        await api.put(
            f"/prompts/partials/{pid}", json={"string": "v3", "version_description": "third"}
        )
    )
    versions = ok(await api.get(f"/prompts/partials/{pid}/versions"))
    assert [(v["version"], v["description"]) for v in versions] == [
        ("1", "first"),
        ("2", "second"),
        ("3", "third"),
    ]
    assert versions[1]["prompt_partial_version_id"] == answer["prompt_partial_version_id"]

    assert ok(await api.put(f"/prompts/partials/{pid}", json={"name": "Tone"})) == {}
    ok(await api.put(f"/prompts/partials/{pid}/makeDefault", json={"version": 2}))
    partial = ok(await api.get(f"/prompts/partials/{created['id']}"))
    assert (partial["name"], partial["version"], partial["string"]) == ("Tone", 2, "Be very kind.")
    error(await api.put(f"/prompts/partials/{pid}/makeDefault", json={"version": 5}), 404, "AB08")
    listed = ok(await api.get("/prompts/partials"))
    assert isinstance(listed, list) and [p["slug"] for p in listed] == [pid]
    ok(await api.delete(f"/prompts/partials/{pid}"))
    error(await api.get(f"/prompts/partials/{pid}"), 404, "AB08")


async def test_render_substitutes_variables_and_partials(api):
    partial = ok(await api.post("/prompts/partials", json={"name": "sig", "string": "-- {{team}}"}))
    slug = partial["slug"]
    ok(await api.put(f"/prompts/partials/{slug}", json={"string": "Regards, {{team}}"}))
    template = "Hi {{name}}{{missing}}. {{>" + slug + "}} | {{>" + slug + "@2}}"
    pid = (await make_prompt(api, string=template))["slug"]
    body = {"variables": {"name": "Ann", "team": "Support"}}
    data = ok(await api.post(f"/prompts/{pid}/render", json=body))
    assert data["success"] is True
    assert data["data"]["prompt"] == "Hi Ann. -- Support | Regards, Support"
    assert data["data"]["model"] == "gpt-4o-mini" and data["data"]["temperature"] == 0.2

    # publishing a partial version changes every prompt that uses it unpinned
    ok(await api.put(f"/prompts/partials/{slug}/makeDefault", json={"version": 2}))
    data = ok(await api.post(f"/prompts/{pid}/render", json=body))
    assert data["data"]["prompt"] == "Hi Ann. Regards, Support | Regards, Support"

    error(await api.post(f"/prompts/{pid}/render", json={}), 400, "AB01", "variables")


async def test_render_unknown_partial_is_400_naming_it(api):
    pid = (await make_prompt(api, string="x {{>no-such-partial}}"))["id"]
    error(
        await api.post(f"/prompts/{pid}/render", json={"variables": {}}),
        400,
        "AB01",
        "no-such-partial",
    )
    pid2 = (await make_prompt(api, "p2", string="x {{>" + "nope@3}}"))["id"]
    error(await api.post(f"/prompts/{pid2}/render", json={"variables": {}}), 400, "AB01", "nope")


async def test_render_chat_prompt_and_hyperparameters(api):
    messages = [
        {"role": "system", "content": "You help {{company}}."},
        {"role": "user", "content": [{"type": "text", "text": "{{question}}"}]},
    ]
    pid = (await make_prompt(api, string=json.dumps(messages)))["id"]
    body = {
        "variables": {"company": "Acme", "question": "Where is my order?"},
        "hyperparameters": {"max_tokens": 50},
        "temperature": 0.9,
    }
    data = ok(await api.post(f"/prompts/{pid}/render", json=body))["data"]
    assert data["messages"] == [
        {"role": "system", "content": "You help Acme."},
        {"role": "user", "content": [{"type": "text", "text": "Where is my order?"}]},
    ]
    assert data["max_tokens"] == 50 and data["temperature"] == 0.9


async def test_completion_is_deterministic_with_usage(api):
    pid = (
        await make_prompt(
            api, string=json.dumps([{"role": "user", "content": "Say hi to {{name}}"}])
        )
    )["slug"]
    body = {"variables": {"name": "Bob"}}
    first = ok(await api.post(f"/prompts/{pid}/completions", json=body))
    second = ok(await api.post(f"/prompts/{pid}/completions", json=body))
    other = ok(await api.post(f"/prompts/{pid}/completions", json={"variables": {"name": "Eve"}}))
    reply = first["body"]["choices"][0]["message"]["content"]
    assert reply == second["body"]["choices"][0]["message"]["content"]
    assert reply != other["body"]["choices"][0]["message"]["content"]
    assert "Say hi to Bob" in reply
    usage = first["body"]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    short = ok(await api.post(f"/prompts/{pid}/completions", json={**body, "max_tokens": 2}))
    assert short["body"]["choices"][0]["finish_reason"] == "length"
    assert short["body"]["usage"]["completion_tokens"] == 2
    assert ok(await api.get(f"/prompts/{pid}/versions"))[0]["prompt_version"] == 1  # no writes


async def test_completions_are_logged_and_counted_by_analytics(api):
    created = await make_prompt(api, "Logged")
    answer = ok(await api.post(f"/prompts/{created['id']}/completions",
                               json={"variables": {"name": "Ada"}, "metadata": {"team": "support"}}))
    usage = answer["body"]["usage"]
    now = datetime.now(UTC)
    window = {"time_of_generation_min": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "time_of_generation_max": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    slug = ok(await api.get("/admin/workspaces"))["data"][0]["slug"]
    requests = ok(await api.get("/analytics/graphs/requests", params={**window, "workspace_slug": slug}))
    assert requests["summary"]["total"] == 1
    tokens = ok(await api.get("/analytics/graphs/tokens", params={**window, "workspace_slug": slug}))
    assert tokens["summary"]["total"] == usage["total_tokens"]
