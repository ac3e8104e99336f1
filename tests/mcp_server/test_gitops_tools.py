"""The gitops toolset through the MCP client: validate, plan, apply, re-plan to no changes; broken projects,
path confinement (outside the roots, symbolic links), drift and export."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_server.gitops_tools import MAX_CHANGES, compute_plan_hash, shown_plan
from mcp_server.selection import Selection
from sandbox import Sandbox
from tests.mcp_server.conftest import data, gitops_mcp, text
from tests.mcp_server.world import engine_client

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    allowed = tmp_path / "root"
    allowed.mkdir()
    return allowed


@pytest.fixture
def project(root: Path) -> Path:
    path = root / "project"
    shutil.copytree(EXAMPLE, path)
    return path


@pytest.fixture
async def fresh(root: Path) -> AsyncIterator[tuple[Client, Sandbox]]:
    """An MCP client on an empty sandbox; the only project root is ``root``."""
    async with gitops_mcp(root) as pair:
        yield pair


def writes(sb: Sandbox) -> int:
    return sum(r.method != "GET" for r in sb.requests())


def everything(result: Any) -> str:
    return json.dumps(result.model_dump(mode="json"), ensure_ascii=False)


async def test_validate_plan_apply_then_no_changes(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    valid = data(await client.call_tool("gitops_validate", {"project_dir": str(project)}))
    assert valid["valid"] and valid["resources"] > 0 and "gitops_plan" in valid["next_step"]
    result = await client.call_tool("gitops_plan", {"project_dir": "project"})  # relative to the first root
    planned = data(result)
    assert planned["has_changes"] and planned["summary"]["create"] > 0 and len(planned["plan_hash"]) == 64
    assert "gitops_apply" in planned["next_step"] and writes(sb) == 0
    assert len(result.content) == 2 and "### Portkey plan" in text(result)  # the human summary
    again = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    assert again["plan_hash"] == planned["plan_hash"]  # stable while nothing moves
    applied = data(await client.call_tool("gitops_apply", {"project_dir": str(project),
                                                           "plan_hash": planned["plan_hash"],
                                                           "lock_file": ".portkey/lock.json"}))
    # writes(sb) also counts the apply lease's three label writes (take, generation, release): bookkeeping
    assert applied["applied"] and applied["writes"] == writes(sb) - 3 > 0 and "gitops_plan" in applied["next_step"]
    assert (project / ".portkey" / "lock.json").is_file()
    after = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    assert after["has_changes"] is False and "Nothing to apply" in after["next_step"]


async def test_apply_refuses_a_plan_that_moved(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    prompt = project / "prompts" / "support" / "triage.system.md"
    prompt.write_text(prompt.read_text() + "\nAlways answer in English.\n")
    refused = await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"]})
    assert refused.is_error and "plan changed since you reviewed it" in text(refused)
    part = refused.structured_content
    assert part["code"] == "stale_plan" and part["retryable"] is False and "gitops_plan" in part["next_step"]
    assert {"status", "code", "message", "retryable", "next_step"} <= set(part)
    assert "gitops_plan again" in text(refused) and writes(sb) == 0
    wrong_env = await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"],
                                                        "env": "prod"})
    assert wrong_env.is_error and writes(sb) == 0


async def test_a_broken_project_is_an_error_without_a_hash(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    (project / "portkey.yaml").write_text("version: [1\n")
    for tool in ("gitops_validate", "gitops_plan", "gitops_drift"):
        result = await client.call_tool(tool, {"project_dir": str(project)})
        assert result.is_error, tool
        assert "portkey.yaml" in text(result).splitlines()[0], tool  # the first line names what to fix
        assert "plan_hash" not in (result.structured_content or {}), tool
        part = result.structured_content or {}  # the structured part every tool error has
        assert part["code"] in ("invalid_project", "plan_has_errors") and "portkey.yaml" in part["message"], tool
        assert part["retryable"] is False and "gitops_validate" in part["next_step"], tool
    unknown = await client.call_tool("gitops_plan", {"project_dir": str(EXAMPLE.name), "env": "staging"})
    assert unknown.is_error  # examples/prompts is not under the root: refused before anything else
    shutil.copyfile(EXAMPLE / "portkey.yaml", project / "portkey.yaml")
    unknown = await client.call_tool("gitops_plan", {"project_dir": str(project), "env": "staging"})
    assert unknown.is_error and "unknown environment 'staging'" in text(unknown) and "dev, prod" in text(unknown)
    assert "plan_hash" not in (unknown.structured_content or {}) and writes(sb) == 0


async def test_paths_outside_the_roots_or_through_links_are_refused(
    fresh: tuple[Client, Sandbox], project: Path, root: Path, tmp_path: Path
) -> None:
    client, sb = fresh
    outside = tmp_path / "outside"
    shutil.copytree(EXAMPLE, outside)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "inner-link").symlink_to(project, target_is_directory=True)  # a link that stays inside the root
    cases = {
        "/etc": "outside the allowed project roots",
        str(outside): "outside the allowed project roots",
        str(root / ".." / "outside"): "outside the allowed project roots",
        str(root / "linked"): "symbolic link",
        str(root / "inner-link"): "symbolic link",
        "linked/prompts": "symbolic link",
    }
    for project_dir, words in cases.items():
        for tool in ("gitops_validate", "gitops_plan", "gitops_drift"):
            result = await client.call_tool(tool, {"project_dir": project_dir})
            assert result.is_error and words in text(result), (tool, project_dir, text(result))
            assert "Invalid argument 'project_dir'" in text(result)
        applied = await client.call_tool("gitops_apply", {"project_dir": project_dir, "plan_hash": "0" * 64})
        assert applied.is_error and words in text(applied)
    lock_out = await client.call_tool("gitops_plan", {"project_dir": str(project), "lock_file": "../lock.json"})
    assert lock_out.is_error and "not inside the project" in text(lock_out)
    assert writes(sb) == 0 and sb.requests() == []  # refused before any Portkey request


async def test_export_writes_a_new_directory_under_a_root(
    fresh: tuple[Client, Sandbox], project: Path, root: Path, tmp_path: Path
) -> None:
    client, _ = fresh
    planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    data(await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"]}))
    exported = data(await client.call_tool("gitops_export", {"target_dir": "exported"}))
    target = root / "exported"
    assert exported["target_dir"] == str(target) and exported["files"] > 0 and (target / "portkey.yaml").is_file()
    assert "gitops_validate" in exported["next_step"]
    replanned = data(await client.call_tool("gitops_plan", {"project_dir": str(target)}))
    assert replanned["has_changes"] is False
    for target_dir, words in ((str(project), "already exists"), ("exported", "already exists"),
                              (str(tmp_path / "elsewhere"), "outside the allowed project roots"),
                              ("missing-parent/new", "parent")):
        refused = await client.call_tool("gitops_export", {"target_dir": target_dir})
        assert refused.is_error and words in text(refused), (target_dir, text(refused))
    assert not (tmp_path / "elsewhere").exists() and not (root / "missing-parent").exists()


async def test_drift_reports_an_edit_made_in_portkey(fresh: tuple[Client, Sandbox], project: Path) -> None:
    client, sb = fresh
    planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    data(await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"],
                                                 "lock_file": ".portkey/lock.json"}))
    clean = data(await client.call_tool("gitops_drift", {"project_dir": str(project),
                                                         "lock_file": ".portkey/lock.json"}))
    assert clean["drifted"] is False and "config" in clean["checked"] and clean["unchecked"] == []
    async with engine_client(sb) as portkey:
        configs, _ = await portkey.list_all("list_configs")
        managed = next(c for c in configs if "support-routing" in c["name"])
        await portkey.update_config(slug=managed["slug"], body={"config": {"retry": {"attempts": 9}}})
    sb.reset_requests()
    drifted = data(await client.call_tool("gitops_drift", {"project_dir": str(project),
                                                           "lock_file": ".portkey/lock.json"}))
    assert drifted["drifted"] and any("support-routing" in item["address"] for item in drifted["drift"])
    assert writes(sb) == 0


async def test_read_only_mode_keeps_the_reading_gitops_tools(make_server: Any) -> None:
    server = make_server(Selection(read_only=True, toolsets=("gitops",)))
    async with Client(server, raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"gitops_validate", "gitops_plan", "gitops_drift"} <= set(tools)
    assert "gitops_apply" not in tools and "gitops_export" not in tools


async def test_annotations_and_schemas(make_server: Any) -> None:
    server = make_server(Selection(toolsets=("gitops",)))
    async with Client(server, raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["gitops_apply"].annotations.destructive_hint is True
    assert tools["gitops_plan"].annotations.read_only_hint is True
    assert tools["gitops_validate"].annotations.open_world_hint is False
    assert tools["gitops_plan"].input_schema["properties"]["env"]["type"] == ["string", "null"]
    assert "plan" not in tools and "apply" not in tools


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
