"""Issue 9: an export of an account of 1,000 prompts takes one list pass plus one read per object, concurrently.

Counted at the HTTP layer (every request the export sends, and how many were in flight at once); no timing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio
import httpx
import pytest

from engine.gitops.export import Exporter
from engine.gitops.live import Reader
from engine.gitops.model import ResourceKind
from engine.portkey import PortkeyClient, Secret, Settings
from sandbox import Sandbox

pytestmark = pytest.mark.anyio

PROMPTS = 1000
PAGE = 100  # the sandbox's (and Portkey's) page of prompts


class Counting(httpx.AsyncBaseTransport):
    """The sandbox's ASGI transport, counting requests by path shape and the most in flight at once."""

    def __init__(self, sb: Sandbox) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.seen: Counter[str] = Counter()
        self.in_flight = self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        self.seen[f"{request.method} {'/prompts/{id}/versions' if path.endswith('/versions') else path}"] += 1
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await anyio.sleep(0)  # let the other requests of a concurrent batch start
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


class Everything(set[str]):
    """Every name is a candidate: the export reads unmanaged objects whole (as ``export`` does)."""

    def __contains__(self, item: object) -> bool:
        return True


async def test_an_export_of_1000_prompts_lists_once_and_reads_each_once_concurrently(tmp_path: Path) -> None:
    settings = Settings(api_key=Secret("k"), base_url="http://127.0.0.1/v1")
    with Sandbox(api_key="k") as sb:
        async with PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app)) as maker:
            listed = await maker.list_collections()
            collection = (listed["data"] if isinstance(listed, dict) else listed)[0]["id"]
            for n in range(PROMPTS):
                await maker.create_prompt(
                    body={
                        "name": f"prompt {n}",
                        "collection_id": collection,
                        "string": f"Answer {{{{question}}}} ({n})",
                        "parameters": {},
                        "model": "gpt-4o",
                        "virtual_key": "vk-1",
                    }
                )
        counting = Counting(sb)
        async with PortkeyClient(settings, transport=counting) as client:
            live = await Reader(client, None, "gitops:", candidates={k: Everything() for k in ResourceKind}).read(
                set(ResourceKind)
            )
        written = Exporter(live, tmp_path / "exported", "gitops:", None).write()
    assert len([f for f in written.files if f.endswith(".prompt.yaml")]) == PROMPTS
    assert counting.seen["GET /prompts"] == PROMPTS // PAGE  # one pass over the pages
    assert counting.seen["GET /prompts/{id}/versions"] == PROMPTS  # one read per prompt
    assert sum(counting.seen.values()) == PROMPTS + PROMPTS // PAGE + len(ResourceKind) - 1, counting.seen
    assert counting.most > 1, "the reads were sent one at a time"
