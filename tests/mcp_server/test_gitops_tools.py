"""plan and apply against examples/prompts on an empty sandbox: review, hash, refuse a moved plan."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_server.gitops_tools import MAX_CHANGES, compute_plan_hash, shown_plan
from mcp_server.selection import Selection
from sandbox import Sandbox
from tests.mcp_server.conftest import SandboxSwitch, data, text
from tests.mcp_server.world import KEY

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    return root


@pytest.fixture
async def fresh(default_server: Any, switch: SandboxSwitch) -> AsyncIterator[tuple[Client, Sandbox]]:
    with Sandbox(api_key=KEY) as sb:
        switch.current = sb
        async with Client(default_server, raise_exceptions=True) as client:
            yield client, sb


def writes(sb: Sandbox) -> int:
    return sum(r.method != "GET" for r in sb.requests())


async def test_plan_then_apply_converges(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    result = await client.call_tool("plan", {"project_dir": str(project)})
    planned = data(result)
    assert planned["format_version"] and planned["has_changes"] and planned["summary"]["create"] > 0
    assert "plan_hash" in planned["next_step"] and writes(sb) == 0
    assert len(result.content) == 2 and "### Portkey plan" in text(result)  # the markdown summary
    again = data(await client.call_tool("plan", {"project_dir": str(project)}))
    assert again["plan_hash"] == planned["plan_hash"]  # stable while nothing moves
    applied = data(await client.call_tool("apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"]}))
    assert applied["applied"] and applied["writes"] == writes(sb) > 0
    after = data(await client.call_tool("plan", {"project_dir": str(project)}))
    assert after["has_changes"] is False and "Nothing to apply" in after["next_step"]


async def test_apply_refuses_a_plan_that_moved(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    planned = data(await client.call_tool("plan", {"project_dir": str(project)}))
    prompt = project / "prompts" / "support" / "triage.system.md"
    prompt.write_text(prompt.read_text() + "\nAlways answer in English.\n")
    refused = await client.call_tool("apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"]})
    assert refused.is_error and "plan changed since you reviewed it" in text(refused)
    assert "call plan again" in text(refused) and writes(sb) == 0
    wrong_env = await client.call_tool("apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"],
                                                 "env": "prod"})
    assert wrong_env.is_error and writes(sb) == 0


async def test_read_only_mode_keeps_plan_only(make_server: Any, project: Path) -> None:
    server = make_server(Selection(read_only=True, toolsets=("gitops",)))
    async with Client(server, raise_exceptions=True) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert "plan" in names and "apply" not in names


def test_huge_plans_are_cut_with_a_note() -> None:
    change = {"address": "prompt:x", "actions": ["create"], "payload": {"string": "x" * 2000}, "before": None,
              "after": {"string": "x" * 2000}}
    plan = {"format_version": "1.0", "changes": [dict(change, address=f"prompt:{i}") for i in range(200)],
            "created_at": "now", "requests": 3}
    shown = shown_plan(plan)
    assert len(shown["changes"]) == MAX_CHANGES and "payload" not in shown["changes"][0]
    assert "Showing 50 of 200 changes" in shown["truncated"]
    assert compute_plan_hash(plan) == compute_plan_hash({**plan, "created_at": "later", "requests": 9})
    assert compute_plan_hash(plan) != compute_plan_hash({**plan, "changes": plan["changes"][:-1]})
