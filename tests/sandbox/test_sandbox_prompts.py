"""Prompts: versions, publishing, patch semantics, labels on versions."""

from __future__ import annotations

import pytest
from sandbox_testkit import SPEC_SHAPES, default_collection, error, make_prompt, ok

pytestmark = pytest.mark.anyio


# These tests pin the spec's shapes (bare versions lists oldest first, parameters as sent, spec prompt reads),
# which the sandbox (the ``sb`` fixture) serves under these quirks; the live defaults are tested in
# test_sandbox_quirks.py and test_sandbox_live_shapes.py.
SANDBOX_QUIRKS = SPEC_SHAPES


async def test_create_makes_version_one_and_publishes_it(api):
    created = await make_prompt(api, "Support Answer", template_metadata={"owner": "gitops"})
    assert created["object"] == "prompt"
    assert created["slug"].startswith("pp-support-")
    prompt = ok(await api.get(f"/prompts/{created['slug']}"))
    assert prompt["id"] == created["id"]
    assert prompt["prompt_version"] == 1
    assert prompt["prompt_version_id"] == created["version_id"]
    assert prompt["template_metadata"] == {"owner": "gitops"}
    assert ok(await api.get(f"/prompts/{created['id']}"))["slug"] == created["slug"]
    versions = ok(await api.get(f"/prompts/{created['id']}/versions"))
    assert [v["prompt_version"] for v in versions] == [1]


async def test_update_makes_unpublished_version_and_get_still_serves_published(api):
    created = await make_prompt(api)
    pid = created["id"]
    answer = ok(
        await api.put(
            f"/prompts/{pid}",
            json={
                "string": "Hi {{name}}",
                "parameters": {"temperature": 0.5},
                "virtual_key": "vk-openai",
                "version_description": "friendlier",
            },
        )
    )
    assert answer["id"] == pid and answer["slug"] == created["slug"]
    assert answer["prompt_version_id"] != created["version_id"]
    current = ok(await api.get(f"/prompts/{pid}"))
    assert current["prompt_version"] == 1 and current["string"] == "Hello {{name}}"
    v2 = ok(await api.get(f"/prompts/{pid}", params={"version": 2}))
    assert v2["string"] == "Hi {{name}}"
    assert v2["prompt_version_id"] == answer["prompt_version_id"]
    assert v2["prompt_version_description"] == "friendlier"
    by_id = ok(await api.get(f"/prompts/{pid}/versions/{answer['prompt_version_id']}"))
    assert by_id["prompt_version"] == 2
    versions = ok(await api.get(f"/prompts/{pid}/versions"))
    assert [v["prompt_version"] for v in versions] == [1, 2]
    error(await api.get(f"/prompts/{pid}", params={"version": 9}), 404, "AB08")


async def test_update_without_patch_needs_all_version_fields(api):
    pid = (await make_prompt(api))["id"]
    error(
        await api.put(f"/prompts/{pid}", json={"string": "x", "virtual_key": "vk"}),
        400,
        "AB01",
        "parameters",
    )
    error(await api.put(f"/prompts/{pid}", json={"model": "gpt-4o"}), 400, "AB01", "string")
    assert len(ok(await api.get(f"/prompts/{pid}/versions"))) == 1


async def test_patch_copies_omitted_fields_from_latest_version(api):
    pid = (await make_prompt(api, template_metadata={"marker": "m1"}))["id"]
    ok(
        await api.put(
            f"/prompts/{pid}",
            json={
                "string": "v2 {{name}}",
                "parameters": {"top_p": 1},
                "virtual_key": "vk-2",
                "model": "gpt-4o",
                "prompt_metadata": {"marker": "m2"},
            },
        )
    )
    answer = ok(await api.put(f"/prompts/{pid}", json={"patch": True, "string": "v3 {{name}}"}))
    v3 = ok(await api.get(f"/prompts/{pid}", params={"version": 3}))
    assert v3["prompt_version_id"] == answer["prompt_version_id"]
    assert v3["string"] == "v3 {{name}}"
    assert v3["parameters"] == {"top_p": 1}  # from v2, the latest, not v1 (published)
    assert v3["virtual_key"] == "vk-2" and v3["model"] == "gpt-4o"
    assert v3["template_metadata"] == {"marker": "m2"}


async def test_name_only_update_changes_prompt_in_place(api):
    pid = (await make_prompt(api))["id"]
    assert ok(await api.put(f"/prompts/{pid}", json={"name": "Renamed"})) == {}
    prompt = ok(await api.get(f"/prompts/{pid}"))
    assert prompt["name"] == "Renamed" and prompt["prompt_version"] == 1
    assert len(ok(await api.get(f"/prompts/{pid}/versions"))) == 1


async def test_make_default_publishes_a_version_number(api):
    pid = (await make_prompt(api))["id"]
    ok(await api.put(f"/prompts/{pid}", json={"patch": True, "string": "second"}))
    assert ok(await api.put(f"/prompts/{pid}/makeDefault", json={"version": 2})) == {}
    assert ok(await api.get(f"/prompts/{pid}"))["string"] == "second"
    error(await api.put(f"/prompts/{pid}/makeDefault", json={}), 400, "AB01", "version")
    error(
        await api.put(f"/prompts/{pid}/makeDefault", json={"version": "2"}), 400, "AB01", "version"
    )
    error(await api.put(f"/prompts/{pid}/makeDefault", json={"version": 7}), 404, "AB08")
    ok(await api.put(f"/prompts/{pid}/makeDefault", json={"version": 1}))
    assert ok(await api.get(f"/prompts/{pid}"))["prompt_version"] == 1


async def test_label_moves_between_versions_of_one_prompt(api):
    pid = (await make_prompt(api))["id"]
    ok(await api.put(f"/prompts/{pid}", json={"patch": True, "string": "second"}))
    v1, v2 = ok(await api.get(f"/prompts/{pid}/versions"))
    labels = {lb["name"]: lb["id"] for lb in ok(await api.get("/labels"))["data"]}
    staging, production = labels["staging"], labels["production"]

    ok(await api.put(f"/prompts/{pid}/versions/{v1['id']}", json={"label_id": staging}))
    ok(await api.put(f"/prompts/{pid}/versions/{v1['id']}", json={"label_id": production}))
    first, second = ok(await api.get(f"/prompts/{pid}/versions"))
    assert set(first["label_ids"]) == {staging, production} and "label_id" not in second

    ok(await api.put(f"/prompts/{pid}/versions/{v2['id']}", json={"label_id": staging}))
    first, second = ok(await api.get(f"/prompts/{pid}/versions"))
    assert first["label_ids"] == [production]
    assert second["label_id"] == staging
    rendered = ok(await api.post(f"/prompts/{pid}@staging/render", json={"variables": {}}))
    assert rendered["data"]["prompt"] == "second"

    ok(await api.put(f"/prompts/{pid}/versions/{v2['id']}", json={"label_id": None}))
    assert "label_id" not in ok(await api.get(f"/prompts/{pid}/versions"))[1]
    error(
        await api.put(
            f"/prompts/{pid}/versions/{v2['id']}",
            json={"label_id": "00000000-0000-4000-8000-000000000000"},
        ),
        400,
        "AB01",
        "label_id",
    )


async def test_label_on_other_prompt_is_independent(api):
    a = (await make_prompt(api, "A"))["id"]
    b = (await make_prompt(api, "B"))["id"]
    production = next(
        lb["id"] for lb in ok(await api.get("/labels"))["data"] if lb["name"] == "production"
    )
    for pid in (a, b):
        version = ok(await api.get(f"/prompts/{pid}/versions"))[0]
        ok(await api.put(f"/prompts/{pid}/versions/{version['id']}", json={"label_id": production}))
    assert ok(await api.get(f"/prompts/{a}/versions"))[0]["label_id"] == production


async def test_list_filters_and_delete(api):
    col = await default_collection(api)
    other = ok(await api.post("/collections", json={"name": "Other"}))
    await make_prompt(api, "Billing FAQ")
    await make_prompt(api, "Refund helper", collection_id=other["id"])
    listed = ok(await api.get("/prompts", params={"search": "BILLING"}))
    assert listed["total"] == 1 and listed["data"][0]["name"] == "Billing FAQ"
    in_other = ok(await api.get("/prompts", params={"collection_id": other["slug"]}))
    assert [p["name"] for p in in_other["data"]] == ["Refund helper"]
    in_default = ok(await api.get("/prompts", params={"collection_id": col["id"]}))
    assert in_default["total"] == 1
    pid = in_other["data"][0]["id"]
    assert ok(await api.delete(f"/prompts/{pid}")) == {}
    error(await api.get(f"/prompts/{pid}"), 404, "AB08")
    error(await api.get(f"/prompts/{pid}/versions"), 404, "AB08")
    assert ok(await api.get("/prompts"))["total"] == 1


async def test_create_validates_fields(api):
    col = (await default_collection(api))["id"]
    base = {"name": "x", "collection_id": col, "string": "s", "parameters": {}, "virtual_key": "v"}
    for missing in ("name", "collection_id", "string", "parameters", "virtual_key"):
        body = {k: v for k, v in base.items() if k != missing}
        error(await api.post("/prompts", json=body), 400, "AB01", f"{missing}: field required")
    error(
        await api.post("/prompts", json={**base, "collection_id": "nope"}),
        400,
        "AB01",
        "collection_id",
    )
    error(await api.post("/prompts", json={**base, "parameters": "hot"}), 400, "AB01", "parameters")
    error(
        await api.post("/prompts", json={**base, "workspace_id": "ws-nope"}),
        400,
        "AB01",
        "workspace_id",
    )
    assert ok(await api.get("/prompts"))["total"] == 0


async def test_versions_list_marks_the_published_version_active(api):
    pid = (await make_prompt(api))["id"]
    ok(await api.put(f"/prompts/{pid}", json={"string": "v2", "patch": True}))
    versions = ok(await api.get(f"/prompts/{pid}/versions"))
    assert [(v["prompt_version"], v["status"]) for v in versions] == [(1, "active"), (2, "archived")]
    ok(await api.put(f"/prompts/{pid}/makeDefault", json={"version": 2}))
    versions = ok(await api.get(f"/prompts/{pid}/versions"))
    assert [(v["prompt_version"], v["status"]) for v in versions] == [(1, "archived"), (2, "active")]
    assert ok(await api.get(f"/prompts/{pid}", params={"version": 1}))["prompt_version_status"] == "archived"
