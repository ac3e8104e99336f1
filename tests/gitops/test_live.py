"""Reading live state: bounded concurrency, and what each resource costs."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import make_client
from tests.gitops.helpers import converge

pytestmark = pytest.mark.anyio


class InFlight(httpx.AsyncBaseTransport):
    """Holds every request a moment and records how many were in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await anyio.sleep(0.01)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_reads_run_concurrently_up_to_the_bound(
    sandbox: Sandbox, client: PortkeyClient, project: Path, concurrency: int
) -> None:
    await converge(client, project)
    counter = InFlight(httpx.ASGITransport(app=sandbox.app))
    async with make_client(sandbox, counter) as watched:
        planned = await plan_project(watched, project, concurrency=concurrency)
    assert not planned.plan.has_changes
    assert counter.most == concurrency, "reads use the whole bound and never more"
    # One list per kind (8), then one detail read per managed prompt (3), partial (2), guardrail and config.
    assert planned.plan.requests == 8 + 3 + 2 + 1 + 1
