"""A write failing at any step of apply: what callers are served stays put until phase two, and
planning and applying again converges with no duplicate objects or versions."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from engine.gitops.apply import ApplyError
from engine.gitops.lease import ApplyLease
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient
from sandbox import FaultRule, Faults, Sandbox
from sandbox.routes import Router
from tests.gitops.conftest import EXAMPLE, make_client
from tests.gitops.helpers import account, converge, edit, inventory, served, writes

pytestmark = pytest.mark.anyio

# More failures than the test client's retries (2), so even retry-safe requests fail for good.
FAIL = FaultRule(script=("500",) * 3)


async def nothing(client: PortkeyClient, root: Path) -> None:
    """First apply: the account is empty and everything is created."""


async def every_kind_of_change(client: PortkeyClient, root: Path) -> None:
    """Apply the example, then change it so that apply uses every write operation it has."""
    await converge(client, root)
    edit(root / "partials/tone-of-voice.partial.md", "Use short sentences.", "Use short, kind sentences.")
    (root / "partials/sign-off.partial.md").write_text("Sign as the Acme support team.\n")
    edit(root / "prompts/support/triage.system.md", "{{>escalation-policy}}", "{{>escalation-policy}}\n{{>sign-off}}")
    (root / "labels/beta.label.yaml").write_text("description: Beta testers\n")
    (root / "prompts/support/handoff.prompt.yaml").write_text(
        "collection: support\nmodel: gpt-4o-mini\nmessages:\n  - role: system\n"
        "    content: \"Hand the case over. {{>sign-off}}\"\nrelease: {default: true, labels: [beta]}\n"
    )
    edit(root / "labels/canary.label.yaml", "under canary evaluation", "in canary")
    edit(root / "collections/support/billing.collection.yaml", "Billing and refunds", "Billing")
    (root / "guardrails/no-keys.guardrail.yaml").write_text(
        "checks:\n  - id: default.regexMatch\n    parameters: {rule: 'sk-[a-z0-9]+'}\nactions: {deny: true}\n"
    )
    edit(root / "configs/support-routing.config.yaml", "attempts: 3", "attempts: 5")
    edit(root / "configs/support-routing.config.yaml", "  input_guardrails:",
         "  output_guardrails: [guardrail:no-keys]\n  input_guardrails:")
    edit(root / "guardrails/pii-redaction.guardrail.yaml", "PHONE_NUMBER, ", "")
    edit(root / "limits/per-user.rate-limit.yaml", "type: requests", "type: tokens")
    edit(root / "limits/monthly-budget.usage-limit.yaml", "credit_limit: 500", "credit_limit: 750")
    (root / "prompts/support/summarise.prompt.yaml").unlink()
    edit(root / "portkey.yaml", "prune: false", "prune: true")


Scenario = Callable[[PortkeyClient, Path], Awaitable[None]]

# (scenario, operation, True when a failure there must leave what callers are served untouched)
CASES: list[tuple[Scenario, str, bool]] = [
    (nothing, "list_prompt_labels", True),  # the listing read again right before each create
    (nothing, "list_collections", True),
    (nothing, "list_prompt_partials", True),
    (nothing, "list_prompts", True),
    (nothing, "list_guardrails", False),
    (nothing, "list_configs", False),
    (nothing, "list_rate_limits", False),
    (nothing, "list_usage_limits", False),
    (every_kind_of_change, "list_prompt_labels", True),
    (every_kind_of_change, "list_prompt_partials", True),
    (every_kind_of_change, "list_prompts", True),
    (every_kind_of_change, "list_guardrails", False),
    (nothing, "create_prompt_label", True),
    (nothing, "create_collection", True),
    (nothing, "create_prompt_partial", True),
    (nothing, "create_prompt", True),
    (nothing, "update_prompt_version", False),
    (nothing, "create_guardrail", False),
    (nothing, "create_config", False),
    (nothing, "create_rate_limit", False),
    (nothing, "create_usage_limit", False),
    (every_kind_of_change, "create_prompt_label", True),
    (every_kind_of_change, "update_prompt_label", True),
    (every_kind_of_change, "update_collection", True),
    (every_kind_of_change, "create_prompt_partial", True),
    (every_kind_of_change, "update_prompt_partial", True),
    (every_kind_of_change, "list_partial_versions", True),
    (every_kind_of_change, "create_prompt", True),
    (every_kind_of_change, "update_prompt", True),
    (every_kind_of_change, "list_prompt_versions", True),
    (every_kind_of_change, "publish_partial", False),
    (every_kind_of_change, "publish_prompt", False),
    (every_kind_of_change, "update_prompt_version", False),
    (every_kind_of_change, "create_guardrail", False),
    (every_kind_of_change, "update_guardrail", False),
    (every_kind_of_change, "update_config", False),
    (every_kind_of_change, "delete_rate_limit", False),
    (every_kind_of_change, "create_rate_limit", False),
    (every_kind_of_change, "update_usage_limit", False),
    (every_kind_of_change, "delete_prompt", False),
]


def test_the_cases_cover_every_request_apply_makes(tmp_path: Path) -> None:
    """Guards the list above: it must name every operation the two scenarios' applies use."""
    import anyio

    async def used(scenario: Scenario) -> set[str]:
        root = tmp_path / scenario.__name__
        shutil.copytree(EXAMPLE, root)
        with Sandbox(db=":memory:", api_key="engine-test-key") as sb:
            async with make_client(sb) as client:
                await scenario(client, root)
                planned = await plan_project(client, root)
                assert not planned.plan.errors, planned.plan.errors
                lease = await taken(client, planned.workspace_id)  # the apply lease is not under test here
                sb.reset_requests()
                await apply_planned(client, planned, lease=lease)
                return {str(r.operation) for r in sb.requests() if str(lease.label_id) not in r.path}

    for scenario in (nothing, every_kind_of_change):
        listed = {op for s, op, _ in CASES if s is scenario}
        assert anyio.run(used, scenario) == listed, scenario.__name__


async def taken(client: PortkeyClient, workspace: str | None) -> ApplyLease:
    """The apply lease, taken before faults are injected (tests/lease covers the lease itself)."""
    lease = ApplyLease(client, workspace)
    await lease.acquire()
    return lease


class LoseAnswer(httpx.AsyncBaseTransport):
    """Lets the first request to one operation reach Portkey, then loses its answer (a timeout after
    the write happened): the case where a blind retry would duplicate what was written."""

    def __init__(self, inner: httpx.AsyncBaseTransport, operation: str) -> None:
        self.inner = inner
        self.operation = operation
        self.lost = 0
        self.router = Router()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        route = self.router.match(request.method, request.url.path.removeprefix("/v1")).operation
        if route is not None and self.operation in route.names and not self.lost:
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


_EXPECTED: dict[str, list[tuple[str, str, int]]] = {}


async def expected_inventory(tmp_path: Path, scenario: Scenario) -> list[tuple[str, str, int]]:
    """The account a fault-free apply of ``scenario`` leaves (computed once per scenario)."""
    if scenario.__name__ not in _EXPECTED:
        root = tmp_path / "clean"
        shutil.copytree(EXAMPLE, root)
        with Sandbox(db=":memory:", api_key="engine-test-key") as sb:
            async with make_client(sb) as client:
                await scenario(client, root)
                await converge(client, root)
                _EXPECTED[scenario.__name__] = inventory(await account(client))
    return _EXPECTED[scenario.__name__]


@contextlib.asynccontextmanager
async def scenario_world(tmp_path: Path, scenario: Scenario) -> AsyncIterator[tuple[Sandbox, PortkeyClient, Path]]:
    """A sandbox and client with ``scenario`` set up in a copy of the example project."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    with Sandbox(db=":memory:", api_key="engine-test-key") as sb:
        async with make_client(sb) as client:
            await scenario(client, root)
            yield sb, client, root


async def assert_converges(sb: Sandbox, client: PortkeyClient, root: Path, expected: object) -> None:
    """Planning and applying again finishes the job; then nothing is left to do and nothing is doubled."""
    await converge(client, root)
    sb.reset_requests()
    final = await plan_project(client, root)
    assert not final.plan.has_changes, final.plan.changes
    assert writes(sb) == []
    assert inventory(await account(client)) == expected


@pytest.mark.parametrize(("scenario", "operation", "stage"), CASES,
                         ids=[f"{s.__name__}-{op}" for s, op, _ in CASES])
async def test_failure_at_any_step_converges_without_duplicates(
    tmp_path: Path, scenario: Scenario, operation: str, stage: bool
) -> None:
    expected = await expected_inventory(tmp_path, scenario)
    async with scenario_world(tmp_path, scenario) as (sb, client, root):
        planned = await plan_project(client, root)
        assert planned.plan.has_changes and not planned.plan.blocked
        before = await account(client)
        lease = await taken(client, planned.workspace_id)
        sb.faults = Faults(per_operation={operation: FAIL})
        sb.reset_requests()
        with pytest.raises(ApplyError) as caught:
            await apply_planned(client, planned, lease=lease)
        assert any(r.operation == operation and r.fault for r in sb.requests()), "the fault was not hit"
        sb.faults = None
        await lease.release()
        if stage:
            assert "before anything callers are served changed" in str(caught.value)
            after = served(await account(client))
            assert {key: after[key] for key in before} == served(before)
        await assert_converges(sb, client, root, expected)


@pytest.mark.parametrize(("scenario", "operation", "stage"), CASES,
                         ids=[f"{s.__name__}-{op}" for s, op, _ in CASES])
async def test_lost_answer_at_any_step_converges_without_duplicates(
    tmp_path: Path, scenario: Scenario, operation: str, stage: bool
) -> None:
    expected = await expected_inventory(tmp_path, scenario)
    async with scenario_world(tmp_path, scenario) as (sb, client, root):
        planned = await plan_project(client, root)
        lossy = LoseAnswer(httpx.ASGITransport(app=sb.app), operation)
        lease = await taken(client, planned.workspace_id)
        # A request that is not safe to repeat is not retried: apply stops there.
        async with make_client(sb, lossy) as flaky:
            with contextlib.suppress(ApplyError):
                await apply_planned(flaky, planned, lease=lease)
        await lease.release()
        assert lossy.lost == 1, "the answer was not lost"
        await assert_converges(sb, client, root, expected)
