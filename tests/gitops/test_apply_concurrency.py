"""Apply writes one dependency level side by side, pauses everyone on a 429, keeps going past a failed write
(what depends on it waits), never changes the plan it runs, and reports in plan order."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import anyio
import httpx
import pytest

from engine.gitops.apply import ApplyError
from engine.gitops.workflow import Planned, apply_planned, plan_project
from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import FaultRule, Faults, Sandbox
from tests.gitops.conftest import KEY, make_client
from tests.gitops.helpers import account, converge, inventory

pytestmark = pytest.mark.anyio


def with_prompts(root: Path, count: int) -> Path:
    """The example project ``root`` with ``count`` independent prompts added to its support collection."""
    extra = root / "prompts" / "support" / "many"
    extra.mkdir()
    for index in range(count):
        (extra / f"p{index:02d}.prompt.yaml").write_text(
            "collection: support\nmodel: gpt-4o-mini\ntemplate: |\n"
            f"  Answer question {index}. {{{{question}}}}\nvariables: [question]\n"
        )
    return root


class InFlight(httpx.AsyncBaseTransport):
    """Counts the requests under way at once (each held a moment, as a real network would)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await anyio.sleep(0.005)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_writes_of_one_level_run_side_by_side_within_the_bound_and_report_the_same(project: Path) -> None:
    """At --parallelism 1 one request at a time; at 8 several, never more than 8 (+1: the lease's renewal).
    The steps are reported in the same order either way (plan order within each level), not as they finish."""
    root = with_prompts(project, 20)
    reports = []
    for parallelism in (1, 8):
        with Sandbox(db=":memory:", api_key=KEY) as sb:
            async with make_client(sb) as client:
                planned = await plan_project(client, root)
                counting = InFlight(httpx.ASGITransport(app=sb.app))
                async with make_client(sb, counting) as watched:
                    result = await apply_planned(watched, planned, parallelism=parallelism)
                assert (counting.most > 1) is (parallelism > 1) and counting.most <= parallelism + 1
                reports.append([(s.address, s.action.value, s.ok) for s in result.steps])
                assert not (await plan_project(client, root)).plan.has_changes
    assert reports[0] == reports[1]
    generated = [address for address, action, _ in reports[1] if action == "create" and "/many/" in address]
    assert len(generated) == 20 and generated == sorted(generated)  # one level, in plan (name) order


async def test_the_plan_is_not_changed_by_apply(project: Path, client: PortkeyClient) -> None:
    """Apply keeps the ids, slugs and versions it learns in its own record (the plan stays what was reviewed)."""
    planned = await plan_project(client, project)
    before = copy.deepcopy(planned.plan.to_json())
    result = await apply_planned(client, planned)
    assert json.dumps(planned.plan.to_json(), sort_keys=True, default=str) == json.dumps(
        before, sort_keys=True, default=str)
    created = [c.address for c in planned.plan.changes if "create" in c.actions]
    assert created and set(created) <= set(result.record.ids)


async def test_a_429_pauses_every_writer(project: Path) -> None:
    """One write answered 429 (Retry-After 0.5 s): the other writers hold off too, once, for at most that long."""
    root = with_prompts(project, 16)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await anyio.sleep(seconds)

    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            planned = await plan_project(client, root)
        settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1",
                            retry=RetryPolicy(max_retries=2, backoff_base=0, backoff_max=0, retry_after_max=5))
        counting = InFlight(httpx.ASGITransport(app=sb.app))
        async with PortkeyClient(settings, transport=counting, sleep=sleep) as paced:
            sb.faults = Faults(per_operation={"create_prompt": FaultRule(script=("ok", "ok", "429"),
                                                                         retry_after_s=0.5)})
            await apply_planned(paced, planned, parallelism=8)
        sb.faults = None
        waits = [s for s in slept if s > 0]
        assert len(waits) >= 2, slept  # the writer that got the 429, and others at the shared pause
        assert all(s <= 0.5 for s in waits), slept


async def test_a_failed_write_does_not_stop_the_independent_ones(
    project: Path, sandbox: Sandbox, client: PortkeyClient
) -> None:
    """The guardrail cannot be created: the config that uses it waits, the limits (independent) are written,
    and the error says how far the run got; the next run finishes with nothing doubled."""
    with Sandbox(db=":memory:", api_key=KEY) as clean_sb:
        async with make_client(clean_sb) as clean:
            await converge(clean, project)
            expected = inventory(await account(clean))
    planned = await plan_project(client, project)
    sandbox.faults = Faults(per_operation={"create_guardrail": FaultRule(script=("503",) * 3)})
    with pytest.raises(ApplyError) as caught:
        await apply_planned(client, planned)
    sandbox.faults = None
    result = caught.value.result
    by_address = {(s.address, s.action.value): s for s in [*result.steps, *result.skipped]}
    guardrail = next(a for a, _ in by_address if a.startswith("guardrail"))
    config = next(a for a, _ in by_address if a.startswith("config"))
    assert not by_address[(guardrail, "create")].ok and not by_address[(guardrail, "create")].skipped
    assert by_address[(config, "create")].skipped and guardrail in by_address[(config, "create")].detail
    limits = [s for s in result.steps if s.address.startswith(("rate_limit", "usage_limit"))]
    assert limits and all(s.ok for s in limits)
    message = str(caught.value)
    assert f"{result.applied} of {result.changes} change(s) applied, 1 failed" in message
    assert "run apply again" in message and result.applied == result.changes - 2
    await converge(client, project)
    assert inventory(await account(client)) == expected


def creates(planned: Planned, kind: str) -> int:
    """How many objects of ``kind`` the plan creates."""
    return sum(1 for c in planned.plan.changes if c.kind == kind and "create" in c.actions)


async def test_a_create_whose_answer_was_an_error_is_read_for_then_sent_again(
    project: Path, sandbox: Sandbox, client: PortkeyClient
) -> None:
    """A 500 to a create (it may have arrived): apply reads the listing, does not find it, sends it again."""
    planned = await plan_project(client, project)
    sandbox.faults = Faults(per_operation={"create_prompt_partial": FaultRule(script=("500",))})
    result = await apply_planned(client, planned)
    sandbox.faults = None
    assert any("sent 2 times" in s.detail for s in result.steps if s.action.value == "create")
    assert [r.operation for r in sandbox.requests()].count("create_prompt_partial") == creates(planned, "partial") + 1
    assert not (await plan_project(client, project)).plan.has_changes


async def test_a_create_whose_answer_was_lost_is_found_by_name_and_not_sent_again(
    project: Path, sandbox: Sandbox, client: PortkeyClient
) -> None:
    """The create arrived but its answer was lost: apply reads the listing, finds it, and goes on (labels too)."""
    from tests.gitops.test_apply_faults import LoseAnswer

    planned = await plan_project(client, project)
    lossy = LoseAnswer(httpx.ASGITransport(app=sandbox.app), "create_prompt")
    async with make_client(sandbox, lossy) as flaky:
        result = await apply_planned(flaky, planned)
    assert lossy.lost == 1
    assert [s.detail for s in result.steps if "found by name" in s.detail]
    assert [r.operation for r in sandbox.requests()].count("create_prompt") == creates(planned, "prompt")
    assert not (await plan_project(client, project)).plan.has_changes


async def test_the_re_check_before_creates_is_one_listing_per_kind_and_level(
    project: Path, sandbox: Sandbox, client: PortkeyClient
) -> None:
    """20 new prompts in one level: the prompts are listed once right before they are created, not 20 times;
    a kind with nothing to create is not listed again at all."""
    root = with_prompts(project, 20)
    await converge(client, root)
    for index in range(20, 40):
        (root / "prompts" / "support" / "many" / f"p{index:02d}.prompt.yaml").write_text(
            f"collection: support\nmodel: gpt-4o-mini\ntemplate: 'Question {index}'\n")
    planned = await plan_project(client, root)
    sandbox.reset_requests()
    await apply_planned(client, planned, parallelism=8)
    listed = [str(r.operation) for r in sandbox.requests() if str(r.operation).startswith("list_")]
    assert listed.count("list_prompts") == 1 and "list_guardrails" not in listed, listed
    assert [str(r.operation) for r in sandbox.requests()].count("create_prompt") == 20
