"""A partial's new version is found in its versions list by the id the update answered (never by the highest
number), read again while the list lags, and apply stops before publishing when it never appears.

The sandbox lists a new version at once and always as the highest, so a transport wrapper changes the
versions lists it answers: a decoy row with a higher number and another id, and rows hidden for a few reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.gitops import apply as apply_module
from engine.gitops.apply import ApplyError
from engine.gitops.workflow import apply_planned, plan_project
from sandbox import Sandbox
from tests.gitops.conftest import make_client
from tests.gitops.helpers import converge, edit

pytestmark = pytest.mark.anyio

PARTIAL = "partials/tone-of-voice.partial.md"
UPDATE = re.compile(r"/v1/prompts/partials/([^/]+)")
VERSIONS = re.compile(r"/v1/prompts/partials/([^/]+)/versions")
PUBLISH = re.compile(r"/v1/prompts/partials/([^/]+)/makeDefault")
DECOY_ID = "00000000-0000-4000-8000-0000000dec01"


class Lagging(httpx.AsyncBaseTransport):
    """The sandbox, with partial versions lists that hide a new version for ``lag`` reads and show a decoy."""

    def __init__(self, sb: Sandbox, *, lag: int = 0, decoy: bool = False) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.lag, self.decoy = lag, decoy
        self.hidden: dict[str, int] = {}  # version id -> reads that still hide it
        self.reads = 0
        self.published: list[Any] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "PUT" and PUBLISH.fullmatch(path):
            self.published.append(json.loads(request.content)["version"])
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if response.status_code >= 300:
            return response
        if request.method == "PUT" and UPDATE.fullmatch(path) and self.lag:
            self.hidden[str(response.json()["prompt_partial_version_id"])] = self.lag
        if request.method == "GET" and VERSIONS.fullmatch(path):
            self.reads += 1
            return httpx.Response(200, json=self._versions(response.json()))
        return response

    def _versions(self, answer: Any) -> Any:
        items = answer if isinstance(answer, list) else answer["data"]
        hidden = {vid for vid, left in self.hidden.items() if left > 0}
        for vid in hidden:
            self.hidden[vid] -= 1
        items = [row for row in items if str(row.get("prompt_partial_version_id", row.get("id"))) not in hidden]
        if self.decoy and items:
            decoy = {**items[0], "version": 99}
            for key in ("prompt_partial_version_id", "id"):
                if key in decoy:
                    decoy[key] = DECOY_ID
            items = [decoy, *items]
        return items if isinstance(answer, list) else {**answer, "data": items}


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply_module, "VERSION_LOOKUP_DELAYS", (0.0, 0.0, 0.0))


async def _edited(sb: Sandbox, project: Path) -> Any:
    """Apply the project, edit the partial and plan (on the sandbox as it is): the plan makes a new version."""
    async with make_client(sb) as client:
        await converge(client, project)
        edit(project / PARTIAL, "Use short sentences.", "Use short, clear sentences.")
        planned = await plan_project(client, project)
    change = next(c for c in planned.plan.changes if c.address == "partial:tone-of-voice")
    assert [a.value for a in change.actions][:1] == ["new_version"]
    return planned


async def test_the_version_published_is_the_one_the_update_made_not_the_highest(
    sandbox: Sandbox, project: Path
) -> None:
    planned = await _edited(sandbox, project)
    transport = Lagging(sandbox, decoy=True)
    async with make_client(sandbox, transport) as client:
        result = await apply_planned(client, planned)
    assert transport.published == [2]  # version 1 came with the create; the decoy says 99
    step = next(s for s in result.steps if s.address == "partial:tone-of-voice" and s.action.value == "new_version")
    assert step.detail == f"v{transport.published[0]} (unpublished)"


async def test_a_lagging_versions_list_is_read_again(sandbox: Sandbox, project: Path) -> None:
    planned = await _edited(sandbox, project)
    transport = Lagging(sandbox, lag=2)
    async with make_client(sandbox, transport) as client:
        await apply_planned(client, planned)
    assert transport.reads == 3  # two reads that hide it, then the one that shows it
    assert transport.published == [2]


async def test_a_version_never_listed_stops_before_publishing(sandbox: Sandbox, project: Path) -> None:
    planned = await _edited(sandbox, project)
    transport = Lagging(sandbox, lag=10, decoy=True)
    async with make_client(sandbox, transport) as client:
        with pytest.raises(ApplyError) as failure:
            await apply_planned(client, planned)
    message = str(failure.value)
    assert "partial:tone-of-voice" in message and "did not show it after 4 reads" in message
    assert transport.published == []
