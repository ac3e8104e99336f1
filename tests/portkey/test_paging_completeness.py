"""The two completeness rules of a listing (engine/portkey/paging.py), which a prune relies on.

An unpaged answer is complete only when it holds every item it counts (and does not say more remain);
a paged walk that reads past the server's ``total`` is not complete: the count, or the list, is wrong.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.portkey.helpers import Recorder, make_client, reply

pytestmark = pytest.mark.anyio

UNPAGED = "list_prompt_partials"  # Portkey answers it in one piece, without paging parameters
PAGED = "list_prompts"  # current_page / page_size


def items(count: int) -> list[dict[str, str]]:
    return [{"id": f"i{n}"} for n in range(count)]


async def listed(operation: str, recorder: Recorder, **params: Any) -> tuple[list[Any], bool]:
    client, _ = make_client(recorder)
    return await client.list_all(operation, **params)


@pytest.mark.parametrize(
    ("body", "complete"),
    [
        ({"data": items(2), "total": 2}, True),
        ({"data": items(2)}, True),
        ({"data": items(2), "total": 3}, False),  # Portkey counts an item it did not send
        ({"data": items(3), "total": 2}, False),  # or sends one it does not count
        ({"data": items(2), "total": 2, "has_more": True}, False),
        ({"data": items(2), "has_more": True}, False),
        ({"data": items(2), "has_more": False}, True),
    ],
    ids=["counted", "uncounted", "total-above-items", "total-below-items", "has-more-and-total", "has-more", "no-more"],
)
async def test_an_unpaged_list_is_complete_only_when_it_holds_every_item_it_counts(
    body: dict[str, Any], complete: bool
) -> None:
    recorder = Recorder(lambda request: reply(200, body))
    got, was_complete = await listed(UNPAGED, recorder)
    assert got == body["data"]  # every item is still returned; only the verdict differs
    assert was_complete is complete
    assert len(recorder.requests) == 1 and "current_page" not in recorder.requests[0].url.params


def pages(served: list[list[dict[str, str]]], total: int) -> Recorder:
    """Answer page N with ``served[N]`` (empty past the end), always reporting ``total``."""

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["current_page"])
        chunk = served[page] if page < len(served) else []
        return reply(200, {"data": chunk, "total": total})

    return Recorder(handler)


async def test_a_walk_that_reads_past_total_is_not_complete() -> None:
    # total says 3, but the pages hold 4 distinct items: an item was added while reading, or the count is wrong
    recorder = pages([items(4)[:2], items(4)[2:]], total=3)
    got, complete = await listed(PAGED, recorder, page_size=2)
    assert [item["id"] for item in got] == ["i0", "i1", "i2", "i3"]
    assert complete is False


async def test_a_walk_that_overshoots_within_its_first_page_is_not_complete() -> None:
    recorder = pages([items(3)], total=2)
    _, complete = await listed(PAGED, recorder, page_size=10)
    assert complete is False


async def test_a_walk_that_meets_total_exactly_is_complete() -> None:
    recorder = pages([items(4)[:2], items(4)[2:]], total=4)
    got, complete = await listed(PAGED, recorder, page_size=2)
    assert len(got) == 4 and complete is True and len(recorder.requests) == 2
