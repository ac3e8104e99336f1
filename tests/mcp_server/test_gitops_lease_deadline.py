"""gitops_apply over MCP plans under the apply lease's generation as the CLI does, and the gitops tools are bounded
by the per-command deadline (PORTKEY_DEADLINE) although the server's client lives for many commands."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from engine.gitops import lease as lease_module
from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import FaultRule, Faults, Sandbox
from tests.mcp_server.conftest import data, gitops_mcp, text
from tests.mcp_server.world import BASE_URL, KEY, engine_client

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"


def content_writes(sb: Sandbox) -> list[str]:
    """Writes other than the apply lease's label bookkeeping."""
    return [str(r.operation) for r in sb.requests() if r.method != "GET" and "label" not in str(r.operation)]


async def test_apply_refuses_when_another_apply_moved_the_account_after_its_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "project")
    async with gitops_mcp(tmp_path) as (client, sb):
        take = lease_module.ApplyLease.acquire

        async def another_apply_first(self: Any, timeout: float = 0.0) -> None:
            """Between gitops_apply's plan and its take, another apply takes the lease and moves the generation."""
            async with engine_client(sb) as other:
                await other.call("create_prompt_label", body={"name": lease_module.GENERATION_NAME,
                                                              "description": "another apply"})
            await take(self, timeout)

        planned = data(await client.call_tool("gitops_plan", {"project_dir": "project"}))
        monkeypatch.setattr(lease_module.ApplyLease, "acquire", another_apply_first)
        sb.reset_requests()
        refused = await client.call_tool("gitops_apply", {"project_dir": "project", "plan_hash": planned["plan_hash"]})
        assert refused.is_error and "another apply changed the account" in text(refused)
        assert content_writes(sb) == []


async def test_gitops_tools_stop_at_the_command_deadline(tmp_path: Path) -> None:
    """Each request is within its own limits (PORTKEY_TIMEOUT, the retry deadline) but runs past PORTKEY_DEADLINE."""
    shutil.copytree(EXAMPLE, tmp_path / "project")
    with Sandbox(api_key=KEY) as sb:
        sb.faults = Faults(default=FaultRule(latency_ms=1500))

        def slow_client() -> PortkeyClient:
            settings = Settings(api_key=Secret(KEY), base_url=BASE_URL, deadline=1.0,
                                retry=RetryPolicy(max_retries=0, backoff_base=0, backoff_max=0, retry_after_max=0))
            return PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app))

        server = build_server(slow_client, options=ToolOptions(project_roots=(str(tmp_path),)))
        async with Client(server, raise_exceptions=True) as client:
            calls = (("gitops_plan", {"project_dir": "project"}),
                     ("gitops_apply", {"project_dir": "project", "plan_hash": "0" * 64}),
                     ("gitops_drift", {"project_dir": "project"}),
                     ("gitops_export", {"target_dir": "exported"}))
            for tool, arguments in calls:
                result = await client.call_tool(tool, arguments)
                assert result.is_error, tool
                assert "1 s passed" in text(result), text(result)
        assert content_writes(sb) == []
        assert not (tmp_path / "exported").exists()  # the export stopped before writing anything


async def test_a_held_lease_is_its_own_error_kind_not_a_portkey_failure(tmp_path: Path) -> None:
    """Another apply holding the lease: code lease_held (retryable, no HTTP status), the holder named, nothing
    written. Raised as a PortkeyError it would read as a failure of Portkey (code ``failed``, not retryable)."""
    from tests.lease.test_lease import plant_lease

    shutil.copytree(EXAMPLE, tmp_path / "project")
    async with gitops_mcp(tmp_path) as (client, sb):
        planned = data(await client.call_tool("gitops_plan", {"project_dir": "project"}))
        async with engine_client(sb) as other:
            await plant_lease(other, "ivan@ci pid 11", expired=False)
        sb.reset_requests()
        refused = await client.call_tool("gitops_apply", {"project_dir": "project",
                                                          "plan_hash": planned["plan_hash"]})
        assert refused.is_error and "another apply holds the apply lease" in text(refused)
        part = refused.structured_content or {}
        assert part["code"] == "lease_held" and part["retryable"] is True and part["status"] is None
        assert "ivan@ci pid 11" in part["message"] and "wait until it finishes" in part["next_step"]
        assert "--lock-timeout" not in text(refused)  # a CLI flag an agent cannot pass
        assert [r for r in sb.requests() if r.method != "GET"] == []


async def test_a_wrong_lease_ttl_is_a_structured_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "project")
    monkeypatch.setenv("PORTKEY_GITOPS_LEASE_TTL", "soon")
    async with gitops_mcp(tmp_path) as (client, sb):
        refused = await client.call_tool("gitops_apply", {"project_dir": "project", "plan_hash": "0" * 64})
        assert refused.is_error and "PORTKEY_GITOPS_LEASE_TTL must be a number of seconds" in text(refused)
        part = refused.structured_content or {}
        assert part["code"] == "lease_failed" and part["retryable"] is False and part["status"] is None
        assert sb.requests() == []  # refused before any request
