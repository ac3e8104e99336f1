"""Every recorded live answer read through the client operation it answers, and its normaliser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.gitops.workflow import resolve_workspace
from tests.live.recorded import FILES, RESPONSES, RecordedAccount, load

pytestmark = pytest.mark.anyio

SHARED = Path("/work/shared/portkey-live/responses")

# file -> (operation, its arguments): SOURCE.md names the request each body answers.
READS: dict[str, tuple[str, dict[str, Any]]] = {
    "prompts-get.json": ("get_prompt", {"prompt_id": "pp-gira-summa-5cd6b6"}),
    "configs-get.json": ("get_config", {"slug": "pc-cencor-250449"}),
    "virtual-keys-get.json": ("get_virtual_key", {"slug": "voyageai-prod"}),
    "api-keys-get.json": ("get_api_key", {"id": "60571396-bd81-4e58-8c82-4858930ede0b"}),
    "workspaces-get.json": ("get_workspace", {"workspace_id": "ws-shared-e2a85b"}),
}
LISTS: dict[str, str] = {
    "prompts-list.json": "list_prompts",
    "configs-list.json": "list_configs",
    "virtual-keys-list.json": "list_virtual_keys",
    "api-keys-list.json": "list_api_keys",
    "workspaces-list.json": "list_workspaces",
}


def test_every_recorded_file_is_covered_and_is_the_shared_copy() -> None:
    assert sorted({*READS, *LISTS}) == FILES and len(FILES) == 10
    if SHARED.is_dir():
        for name in FILES:
            assert (RESPONSES / name).read_bytes() == (SHARED / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_each_recorded_list_is_read_whole_and_complete(name: str) -> None:
    recorded = load(name)
    account = RecordedAccount(marked=False)
    async with account.client() as client:
        items, complete = await client.list_all(LISTS[name])
    assert complete is True, "an answer whose total equals its items is complete"
    assert [i["id"] for i in items] == [i["id"] for i in recorded["data"]]
    assert len(account.recorder.requests) == 1, "GET /prompts answered all 102 at once: no second page"


@pytest.mark.parametrize("name", sorted(READS))
async def test_each_recorded_read_goes_through_its_normaliser(name: str) -> None:
    operation, arguments = READS[name]
    async with RecordedAccount(marked=False).client() as client:
        answer = await client.call(operation, **arguments)
    recorded = load(name)
    assert answer["id"] == recorded["id"]
    if name == "prompts-get.json":
        assert answer["is_raw_template"] is False, "the integer 0 is a boolean"
        assert answer["parameters"]["model"] == answer["model"]
        assert json.loads(answer["string"])[0]["content"][0]["type"] == "text"
    if name == "configs-get.json":
        assert answer["config"] == {"cache": {"mode": "simple", "max_age": 3600},
                                    "retry": {"attempts": 2, "on_status_codes": [429, 500, 502, 503]}}
        assert answer["is_default"] is False
    if name == "virtual-keys-get.json":
        assert answer["rate_limits"] == [] and answer["slug"] == "voyageai-prod"


async def test_the_recorded_workspace_resolves_to_its_id() -> None:
    async with RecordedAccount(marked=False).client() as client:
        assert await resolve_workspace(client, "ws-shared-e2a85b") == load("workspaces-get.json")["id"]
