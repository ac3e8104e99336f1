"""Listings that cannot be trusted whole count as incomplete, so prune and create stay blocked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.gitops.live import Reader
from engine.gitops.model import DesiredState, Location, Project, Resource, ResourceKind
from engine.gitops.planner import PlanOptions, build_plan
from tests.live.recorded import load
from tests.portkey.helpers import Recorder, make_client, reply

pytestmark = pytest.mark.anyio

ITEMS = [{"id": f"id-{i}", "name": f"n{i}"} for i in range(5)]


def serve(pages: list[Any]) -> Recorder:
    """Answer the n-th request with ``pages[n]`` (the last one repeats)."""
    queue = list(pages)
    return Recorder(lambda request: reply(200, queue.pop(0) if len(queue) > 1 else queue[0]))


async def walk(rec: Recorder, operation: str, page_size: int = 3) -> tuple[list[Any], bool | None]:
    client, _ = make_client(rec)
    async with client:
        pager = client.paginate(operation, page_size=page_size)
        items = [item async for item in pager]
    return items, pager.complete


async def test_a_page_that_repeats_ids_is_incomplete_and_stops() -> None:
    # a server that ignores the paging parameters and has no total: the same full page again and again
    items, complete = await walk(serve([{"data": ITEMS[:3]}]), "list_prompts")
    assert complete is False and [i["id"] for i in items] == ["id-0", "id-1", "id-2"]


async def test_a_page_repeating_one_id_of_an_earlier_page_is_incomplete() -> None:
    pages = [{"data": ITEMS[:3], "total": 5}, {"data": [ITEMS[2], ITEMS[3]], "total": 5}]
    _, complete = await walk(serve(pages), "list_prompts")
    assert complete is False


@pytest.mark.parametrize("total", [7, 3])
async def test_an_unpaged_list_whose_total_differs_from_its_items_is_incomplete(total: int) -> None:
    _, complete = await walk(serve([{"object": "list", "total": total, "data": ITEMS}]), "list_prompt_partials")
    assert complete is False


async def test_a_walk_that_overshoots_the_total_is_incomplete() -> None:
    pages = [{"data": ITEMS[:3], "total": 4}, {"data": ITEMS[3:5], "total": 4}]
    _, complete = await walk(serve(pages), "list_prompts")
    assert complete is False
    pages = [{"data": ITEMS[:3], "total": 2}, {"data": [], "total": 2}]
    _, complete = await walk(serve(pages), "list_prompts")
    assert complete is False


async def test_the_recorded_unpaged_answer_of_102_prompts_is_complete() -> None:
    recorded = load("prompts-list.json")
    items, complete = await walk(serve([recorded]), "list_prompts", page_size=100)
    assert complete is True and len(items) == recorded["total"] == 102


async def test_an_incomplete_listing_blocks_create_and_prune() -> None:
    client, _ = make_client(serve([{"data": [{"id": "x", "name": "gitops:gone"}] * 2}]))
    async with client:
        live = await Reader(client, None, "gitops:").read({ResourceKind.LABEL})
    assert live.complete[ResourceKind.LABEL] is False
    fresh = Resource(ResourceKind.COLLECTION, "fresh", {}, Location("c.collection.yaml"))
    state = DesiredState(project=Project(root=Path("."), prune=True), resources={fresh.address: fresh})
    live.objects[ResourceKind.COLLECTION][0].key = "old"  # a managed collection that left the repository
    plan = build_plan(state, live, PlanOptions(prune=True))
    assert any("collection:fresh" in b and "no create" in b for b in plan.blocked)
    assert any("no delete is planned" in b for b in plan.blocked)
