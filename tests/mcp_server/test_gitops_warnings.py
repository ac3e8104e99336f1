"""Warnings and errors in the gitops tools' structured results are the plan JSON's diagnostics: each with its
code, a loader's with its file and line; the sentences are those of the CLI; a secret in a warning's text
reaches the agent in no block of any result."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from engine import redaction
from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import SandboxSwitch, data, text
from tests.mcp_server.world import KEY

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
REFUND = "prompts/support/billing/refund.prompt.yaml"
CONFIG = "configs/support-routing.config.yaml"
DECLARED = "variables: [order_id, customer_message, refund_window_days"
SECRET = "sk-live-MCP-WARNING-DO-NOT-LEAK-8e2c"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    path = tmp_path / "root" / "project"
    shutil.copytree(EXAMPLE, path)
    source = path / REFUND
    source.write_text(source.read_text().replace(f"{DECLARED}]", f"{DECLARED}, ticket]"))
    return path


@pytest.fixture
async def client(project: Path) -> AsyncIterator[Client]:
    switch = SandboxSwitch()
    with Sandbox(api_key=KEY) as sb:
        switch.current = sb
        server = build_server(switch, options=ToolOptions(project_roots=(str(project.parent),)))
        async with Client(server, raise_exceptions=True) as mcp:
            yield mcp


@pytest.fixture
def _clean_registry() -> Iterator[None]:
    redaction.REGISTRY.clear()
    yield
    redaction.REGISTRY.clear()


def loader_warning(warnings: list[dict[str, Any]]) -> dict[str, Any]:
    [found] = [w for w in warnings if w["code"] == "project_warning"]
    return found


async def test_validate_plan_and_drift_carry_warning_codes(client: Client, project: Path) -> None:
    args = {"project_dir": str(project)}
    results = {
        tool: data(await client.call_tool(tool, args)) for tool in ("gitops_validate", "gitops_plan", "gitops_drift")
    }
    warnings = {tool: loader_warning(result["warnings"]) for tool, result in results.items()}
    first = warnings["gitops_validate"]
    assert (first["file"], first["line"]) == (REFUND, 12)
    assert first["text"] == f"{REFUND}:12:{first['column']}: warning: {first['message']}"
    assert first["message"].startswith("variable ticket is declared but not used")
    assert warnings["gitops_plan"] == warnings["gitops_drift"] == first  # one shape everywhere


async def test_validate_errors_are_diagnostics(client: Client, project: Path) -> None:
    source = project / CONFIG
    source.write_text("colour: red\n" + source.read_text())
    result = await client.call_tool("gitops_validate", {"project_dir": str(project)})
    assert result.is_error
    part = result.structured_content or {}
    [error] = part["errors"]
    assert error["code"] == "invalid_project" and (error["file"], error["line"]) == (CONFIG, 1)
    assert error["text"] in text(result)  # the first line quotes the sentence
    assert loader_warning(part["warnings"])["line"] == 12
    drift = await client.call_tool("gitops_drift", {"project_dir": str(project)})
    assert drift.is_error
    [error] = (drift.structured_content or {})["errors"]
    assert error["code"] == "invalid_project" and error["file"] == CONFIG


@pytest.mark.usefixtures("_clean_registry")
async def test_a_secret_in_a_warning_reaches_no_result(
    client: Client, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_KEY", SECRET)
    portkey = project / "portkey.yaml"
    portkey.write_text(portkey.read_text().replace("version: 1\n", "version: 1\nsecrets: [OPENAI_KEY]\n"))
    config = project / CONFIG
    config.write_text(
        config.read_text().replace(
            "      override_params: {model: gpt-4o}\n",
            "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n",
        )
    )
    (project / SECRET).mkdir()  # a stray folder: "unknown folder '<its name>' is ignored"
    for tool in ("gitops_validate", "gitops_plan", "gitops_drift"):
        result = await client.call_tool(tool, {"project_dir": str(project)})
        everything = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
        assert SECRET not in everything, tool
        [stray] = [w for w in data(result)["warnings"] if "unknown folder" in w["text"]]
        assert stray["code"] == "project_warning" and stray["file"] == f"{redaction.SCRUBBED}/", tool
