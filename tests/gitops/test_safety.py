"""Safety rules that block a plan: incomplete listings, protected resources, the mass-delete threshold."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from engine.errors import PlanBlockedError
from engine.gitops.plan import Action
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import make_client
from tests.gitops.helpers import actions, converge, edit, writes

pytestmark = pytest.mark.anyio


class DropLast(httpx.AsyncBaseTransport):
    """Drops the last item of one listing while keeping its total: Portkey listed fewer than it has."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: str) -> None:
        self.inner = inner
        self.path = path
        self.dropped: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and request.url.path == self.path:
            body = json.loads(await response.aread())
            if not body["data"]:
                return httpx.Response(200, json=body)
            self.dropped.append(body["data"].pop()["name"])
            return httpx.Response(200, json=body)
        return response


async def test_an_incomplete_listing_blocks_every_delete_and_the_creates_it_could_duplicate(
    sandbox: Sandbox, client: PortkeyClient, project: Path
) -> None:
    await converge(client, project)
    (project / "partials/escalation-policy.partial.md").unlink()
    edit(project / "prompts/support/triage.system.md", "\n{{>escalation-policy}}", "")
    lossy_transport = DropLast(httpx.ASGITransport(app=sandbox.app), "/v1/prompts")
    async with make_client(sandbox, lossy_transport) as lossy:
        planned = await plan_project(lossy, project, prune=True)
    assert planned.plan.incomplete == ["prompt"]
    missing = lossy_transport.dropped[0].removeprefix("gitops:").split(" · ")[0]
    # The partial listing was complete, yet its delete is refused too: an unlisted prompt may use it.
    assert not [c for c in planned.plan.changes if Action.DELETE in c.actions]
    assert any("prompt listing was incomplete, so no delete is planned" in b for b in planned.plan.blocked)
    assert any(b.startswith(f"prompt:{missing}: the prompt listing was incomplete") and "duplicate" in b
               for b in planned.plan.blocked)
    sandbox.reset_requests()
    with pytest.raises(PlanBlockedError, match="blocked"):
        await apply_planned(client, planned)
    assert writes(sandbox) == []


async def test_a_protected_policy_is_never_replaced(client: PortkeyClient, project: Path) -> None:
    edit(project / "portkey.yaml", "protected:\n", "protected:\n  - rate_limit:per-user\n")
    await converge(client, project)
    edit(project / "limits/per-user.rate-limit.yaml", "type: requests", "type: tokens")
    planned = await plan_project(client, project)
    assert actions(planned.plan) == {"rate_limit:per-user": ["replace"]}
    assert planned.plan.blocked == [
        "rate_limit:per-user is protected and changing type would delete it and create it again; "
        "revert the change or remove the protection"
    ]
    with pytest.raises(PlanBlockedError, match="blocked"):
        await apply_planned(client, planned)


async def test_the_mass_delete_threshold_counts_deletes_exactly(client: PortkeyClient, project: Path) -> None:
    edit(project / "portkey.yaml", "mass_delete_threshold: 5", "mass_delete_threshold: 2")
    await converge(client, project)
    (project / "limits/per-user.rate-limit.yaml").unlink()
    (project / "limits/monthly-budget.usage-limit.yaml").unlink()
    at_threshold = await plan_project(client, project, prune=True)
    assert not at_threshold.plan.blocked and len(actions(at_threshold.plan)) == 2
    (project / "prompts/support/summarise.prompt.yaml").unlink()
    over = await plan_project(client, project, prune=True)
    assert over.plan.blocked == [
        "3 deletes exceed the mass-delete threshold of 2; re-run with --allow-mass-delete if this is intended"
    ]
    allowed = await plan_project(client, project, prune=True, allow_mass_delete=True)
    assert not allowed.plan.blocked
    await apply_planned(client, allowed)
    assert actions((await plan_project(client, project, prune=True)).plan) == {}
