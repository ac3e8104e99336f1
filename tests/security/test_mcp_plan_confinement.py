"""The MCP ``gitops_plan`` tool on a project whose partial links to the server's own environment.

Issue 7's critical case: a partial replaced by a link to ``/proc/self/environ`` made ``plan`` return
the MCP server's environment (``MCP_AUTH_TOKEN`` included). Now the file is refused by name and no
environment value reaches the result.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from sandbox import Sandbox
from tests.mcp_server.conftest import gitops_mcp
from tests.mcp_server.world import KEY

pytestmark = pytest.mark.anyio

PLANTED = "mcp-planted-environ-token-8d1c"


@pytest.fixture
def project(project: Path) -> Path:
    """The example project with its partial linked to /proc/self/environ."""
    partial = project / "partials" / "tone-of-voice.partial.md"
    partial.unlink()
    partial.symlink_to("/proc/self/environ")
    return project


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[Client, Sandbox]]:
    async with gitops_mcp(tmp_path) as pair:
        yield pair


async def test_plan_refuses_a_partial_linked_to_proc_environ(
    client: tuple[Client, Sandbox], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mcp_client, sb = client
    monkeypatch.setenv("MCP_AUTH_TOKEN", PLANTED)  # in this process's /proc/self/environ from now on
    result = await mcp_client.call_tool("gitops_plan", {"project_dir": str(project)})
    everything = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    assert "partials/tone-of-voice.partial.md is a symbolic link to a path outside the project" in everything
    shown = result.structured_content or {}
    assert result.is_error and "plan_hash" not in shown and "plan_hash" not in shown["plan"]  # errors: no hash
    assert PLANTED not in everything and KEY not in everything
    assert not any(r.method != "GET" for r in sb.requests())
