"""The MCP ``gitops_apply`` tool plans again and applies only that fresh plan: a blocked plan gets no plan_hash,
a hash computed by the caller never lifts a safety rule (protected resources, the mass-delete threshold), and there
is no way to pass allow_mass_delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_server.gitops_tools import compute_plan_hash
from sandbox import Sandbox
from tests.mcp_server.conftest import data, gitops_mcp, text

pytestmark = pytest.mark.anyio



@pytest.fixture
async def mcp(project: Path, tmp_path: Path) -> AsyncIterator[tuple[Client, Sandbox]]:
    """An MCP client on a fresh sandbox where the example project is already applied."""
    async with gitops_mcp(tmp_path) as (client, sb):
        planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
        assert data(await client.call_tool("gitops_apply", {"project_dir": str(project),
                                                     "plan_hash": planned["plan_hash"]}))["applied"]
        yield client, sb


def writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests() if r.method != "GET"]


async def refused_apply(client: Client, sb: Sandbox, project: Path, **extra: Any) -> str:
    """Plan with prune (blocked: an error result without a plan_hash), then apply with a hash computed from
    the plan the error shows; returns the refusal text."""
    planned = await client.call_tool("gitops_plan", {"project_dir": str(project), "prune": True})
    shown = planned.structured_content or {}
    assert planned.is_error and shown["plan"]["blocked"], shown
    assert "plan_hash" not in shown and "plan_hash" not in shown["plan"]
    sb.reset_requests()
    forged = compute_plan_hash(shown["plan"])
    result = await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": forged,
                                                     "prune": True, **extra})
    assert result.is_error and writes(sb) == []
    return text(result)


async def test_a_protected_prompt_is_not_deleted_through_mcp_apply(mcp: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = mcp
    (project / "prompts/support/triage.prompt.yaml").unlink()
    refused = await refused_apply(client, sb, project)
    assert "blocked by a safety rule" in refused and "prompt:support/triage is protected" in refused


async def test_the_mass_delete_threshold_cannot_be_lifted_through_mcp(
    mcp: tuple[Client, Sandbox], project: Path
) -> None:
    client, sb = mcp
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert "allow_mass_delete" not in tools["gitops_apply"].input_schema.get("properties", {})
    project.joinpath("portkey.yaml").write_text(
        project.joinpath("portkey.yaml").read_text().replace("mass_delete_threshold: 5", "mass_delete_threshold: 1"))
    planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    assert data(await client.call_tool("gitops_apply", {"project_dir": str(project),
                                                        "plan_hash": planned["plan_hash"]}))["applied"]
    (project / "limits/per-user.rate-limit.yaml").unlink()
    (project / "limits/monthly-budget.usage-limit.yaml").unlink()
    refused = await refused_apply(client, sb, project)
    assert "mass-delete threshold of 1" in refused
    extra = await refused_apply(client, sb, project, allow_mass_delete=True)  # not an argument: refused as such
    assert "allow_mass_delete: not a parameter of gitops_apply" in extra
