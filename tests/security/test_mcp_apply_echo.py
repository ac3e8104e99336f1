"""The MCP ``apply`` tool when Portkey answers a write with a 400 that quotes the request body.

The body carries the resolved ``${secret:AZ}``; the tool result (text and structured content) must
show Portkey's message without the secret value.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mcp import Client

from engine import redaction
from engine.portkey import PortkeyClient
from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import SandboxSwitch, data
from tests.mcp_server.world import KEY, settings
from tests.security.test_secrets_cli import add_target, declare

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
AZURE = "az-mcp-secret-PLANTED-0b7e44"


class Echoing(httpx.AsyncBaseTransport):
    """The sandbox, except that creating a config answers 400 quoting the request body."""

    def __init__(self, sb: Sandbox) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.echoed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/configs"):
            body = (await request.aread()).decode()
            self.echoed += AZURE in body
            targets = json.loads(body)["config"]["targets"]
            quoted = next(t for t in targets if "azure_entra_client_secret" in t)  # the value first, then the body
            message = f"invalid config: value {quoted['azure_entra_client_secret']} rejected, in {body}"
            return httpx.Response(400, json={"success": False, "data": {"message": message}})
        return await self.inner.handle_async_request(request)


class EchoSwitch(SandboxSwitch):
    def __init__(self, transport: Echoing) -> None:
        super().__init__()
        self.transport = transport

    def __call__(self) -> PortkeyClient:
        return PortkeyClient(settings(), transport=self.transport)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    declare(root, "AZ")
    add_target(root, "    - provider: azure-openai\n      azure_entra_client_secret: ${secret:AZ}\n")
    monkeypatch.setenv("AZ", AZURE)
    return root


@pytest.fixture
async def mcp(tmp_path: Path) -> AsyncIterator[tuple[Client, Echoing]]:
    redaction.REGISTRY.clear()
    with Sandbox(api_key=KEY) as sb:
        transport = Echoing(sb)
        server = build_server(EchoSwitch(transport), options=ToolOptions(project_roots=(str(tmp_path),)))
        async with Client(server, raise_exceptions=True) as client:
            yield client, transport
    redaction.REGISTRY.clear()


async def test_apply_result_shows_the_echo_without_the_secret(mcp: tuple[Client, Echoing], project: Path) -> None:
    client, transport = mcp
    planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
    result = await client.call_tool("gitops_apply", {"project_dir": str(project), "plan_hash": planned["plan_hash"]})
    everything = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    assert transport.echoed == 1  # the secret really was sent and echoed back
    assert result.is_error or data(result).get("applied") is False
    assert "invalid config" in everything and "azure_entra_client_secret" in everything
    assert AZURE not in everything
