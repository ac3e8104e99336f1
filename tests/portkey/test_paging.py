"""Paging across dialects and envelopes, and honest completeness."""

from __future__ import annotations

import httpx
import pytest

from engine.portkey import PortkeyError, PortkeyUsageError
from tests.portkey.helpers import Recorder, make_client, reply

pytestmark = pytest.mark.anyio


def paged(items: list[dict], *, total: int | None = None, key: str = "data") -> Recorder:
    """Serve ``items`` with current_page/page_size, reporting ``total`` (default: the real count)."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("current_page", 0))
        size = int(request.url.params.get("page_size", 100))
        chunk = items[page * size : (page + 1) * size]
        body: dict = {key: chunk}
        body["total"] = len(items) if total is None else total
        return reply(200, body)

    return Recorder(handler)


async def test_walks_every_page_from_page_zero() -> None:
    items = [{"id": str(i)} for i in range(23)]
    rec = paged(items)
    client, _ = make_client(rec)
    pager = client.paginate("list_prompts", page_size=10, workspace_id="ws")
    got = [item async for item in pager]
    assert got == items
    assert pager.complete is True and pager.total == 23 and pager.pages == 3
    assert [r.url.params["current_page"] for r in rec.requests] == ["0", "1", "2"]
    assert all(r.url.params["workspace_id"] == "ws" for r in rec.requests)


async def test_listing_that_stops_short_of_total_is_incomplete() -> None:
    rec = paged([{"id": "1"}, {"id": "2"}], total=5)
    client, _ = make_client(rec)
    items, complete = await client.list_all("list_prompt_labels")
    assert len(items) == 2 and complete is False


async def test_limit_stops_early_and_says_more_remain() -> None:
    client, _ = make_client(paged([{"id": str(i)} for i in range(10)]))
    pager = client.paginate("list_guardrails", page_size=3, limit=4)
    assert len([i async for i in pager]) == 4
    assert pager.complete is False


@pytest.mark.parametrize(
    "body",
    [
        [{"id": "a"}, {"id": "b"}],
        {"data": [{"id": "a"}, {"id": "b"}]},
        {"success": True, "data": [{"id": "a"}, {"id": "b"}]},
        {"object": "list", "total": 2, "data": [{"id": "a"}, {"id": "b"}]},
    ],
)
async def test_unpaged_lists_accept_every_envelope(body: object) -> None:
    rec = Recorder(lambda request: reply(200, body))
    client, _ = make_client(rec)
    items, complete = await client.list_all("list_prompt_partials")
    assert [i["id"] for i in items] == ["a", "b"] and complete is True
    assert "current_page" not in rec.requests[0].url.params


async def test_config_list_envelopes_and_string_configs_are_normalised() -> None:
    body = {"success": True, "data": [{"slug": "pc-1", "config": '{"retry": {"attempts": 3}}'}]}
    client, _ = make_client(Recorder(lambda request: reply(200, body)))
    items, complete = await client.list_all("list_configs")
    assert items == [{"slug": "pc-1", "config": {"retry": {"attempts": 3}}}] and complete


async def test_paginate_refuses_non_lists_and_manual_pages() -> None:
    client, _ = make_client(paged([]))
    with pytest.raises(PortkeyUsageError):
        client.paginate("get_prompt", prompt_id="p")
    with pytest.raises(PortkeyUsageError, match="page_size="):
        client.paginate("list_prompts", current_page=2)


async def test_empty_listing_is_complete() -> None:
    client, _ = make_client(paged([]))
    items, complete = await client.list_all("list_collections", workspace_id="ws")
    assert items == [] and complete is True


async def test_an_answer_without_a_list_names_the_operation() -> None:
    client, _ = make_client(Recorder(lambda request: reply(200, {"message": "maintenance"})))
    with pytest.raises(PortkeyError, match=r"list_prompts \(GET /prompts\): no list of items"):
        await client.list_all("list_prompts")
