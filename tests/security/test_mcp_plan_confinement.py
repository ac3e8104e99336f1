"""The MCP ``gitops_plan`` tool on a project whose partial links to the server's own environment.

Issue 7's critical case: a partial replaced by a link to ``/proc/self/environ`` made ``plan`` return
the MCP server's environment (``MCP_AUTH_TOKEN`` included). Now the file is refused by name and no
environment value reaches the result.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import SandboxSwitch
from tests.mcp_server.world import KEY

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
PLANTED = "mcp-planted-environ-token-8d1c"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    partial = root / "partials" / "tone-of-voice.partial.md"
    partial.unlink()
    partial.symlink_to("/proc/self/environ")
    return root


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[Client, Sandbox]]:
    switch = SandboxSwitch()
    with Sandbox(api_key=KEY) as sb:
        switch.current = sb
        server = build_server(switch, options=ToolOptions(project_roots=(str(tmp_path),)))
        async with Client(server, raise_exceptions=True) as mcp_client:
            yield mcp_client, sb


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
