"""HTTP items: enable_toolset scoped to the calling session, --per-session-key isolation, --generate-token,
the non-loopback start-up warning; plus a GitOps smoke path over stdio and HTTP."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from engine.portkey import PortkeyClient, Secret, Settings
from mcp_server.http_transport import check_token, http_app
from mcp_server.main import StartupError, configure, run
from mcp_server.selection import Selection
from mcp_server.server import build_server
from mcp_server.state import KEY_HEADER, ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import data, text
from tests.mcp_server.test_transports import TOKEN, serving
from tests.mcp_server.world import BASE_URL, KEY, engine_client

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
KEY_A = "session-a-portkey-key-1f0c"
KEY_B = "session-b-portkey-key-9e2d"


def _connect(url: str, **headers: str) -> Any:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}", **headers})
    return Client(streamable_http_client(url, http_client=http), mode="legacy")


async def test_enable_toolset_changes_only_the_calling_session(sandbox: Sandbox) -> None:
    server = build_server(lambda: engine_client(sandbox), selection=Selection(toolsets=("collections",)))
    with serving(http_app(server, host="127.0.0.1", token=TOKEN)) as url:
        async with _connect(url) as a, _connect(url) as b:
            outcome = data(await a.call_tool("enable_toolset", {"toolset": "configs"}))
            assert "get_config" in outcome["added"]
            seen_a = {t.name for t in (await a.list_tools(cache_mode="refresh")).tools}
            seen_b = {t.name for t in (await b.list_tools(cache_mode="refresh")).tools}
            assert "get_config" in seen_a and "get_config" not in seen_b and "list_collections" in seen_b
            refused = await b.call_tool("list_configs", {})
            assert refused.is_error and "not enabled in this session" in text(refused)
            assert not (await a.call_tool("list_configs", {})).is_error
            counts_b = data(await b.call_tool("list_toolsets", {}))["toolsets"]
            assert next(t for t in counts_b if t["toolset"] == "configs")["enabled"] == 0


class KeyRecorder(httpx.AsyncBaseTransport):
    """The sandbox behind a transport that records the Portkey key of every request, then swaps in the
    sandbox's own key (the sandbox knows one key only)."""

    def __init__(self, sb: Sandbox) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.keys: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get("x-portkey-api-key", ""))
        request.headers["x-portkey-api-key"] = KEY
        return await self.inner.handle_async_request(request)


async def test_per_session_keys_are_used_only_by_their_session(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = KeyRecorder(sandbox)

    def per_key(key: str) -> PortkeyClient:
        return PortkeyClient(Settings(api_key=Secret(key), base_url=BASE_URL), transport=recorder)

    def no_shared() -> PortkeyClient:
        raise AssertionError("no shared client in --per-session-key mode")

    server = build_server(no_shared, selection=Selection(toolsets=("collections",)),
                          options=ToolOptions(per_session_key=True), session_client=per_key)
    caplog.set_level(logging.DEBUG)
    with serving(http_app(server, host="127.0.0.1", token=TOKEN)) as url:
        async with _connect(url, **{KEY_HEADER: KEY_A}) as a, _connect(url, **{KEY_HEADER: KEY_B}) as b:
            assert not (await a.call_tool("list_collections", {})).is_error
            assert set(recorder.keys) == {KEY_A}
            recorder.keys.clear()
            assert not (await b.call_tool("list_collections", {})).is_error
            assert set(recorder.keys) == {KEY_B}
            recorder.keys.clear()
            assert not (await a.call_tool("list_collections", {})).is_error
            assert set(recorder.keys) == {KEY_A}
        async with _connect(url) as keyless:
            refused = await keyless.call_tool("list_collections", {})
            assert refused.is_error and KEY_HEADER in text(refused)
    outputs = caplog.text + repr(refused.model_dump())
    assert KEY_A not in outputs and KEY_B not in outputs


def test_per_session_key_needs_http_and_no_server_key() -> None:
    with pytest.raises(StartupError, match="needs --transport http"):
        configure(["--per-session-key"], {})
    config = configure(["--transport", "http", "--per-session-key"], {"MCP_AUTH_TOKEN": TOKEN})
    assert config.options.per_session_key  # PORTKEY_API_KEY is not needed


def test_generate_token_prints_a_strong_token(capsys: pytest.CaptureFixture[str]) -> None:
    run(["--generate-token"])
    first = capsys.readouterr().out.strip()
    run(["--generate-token"])
    second = capsys.readouterr().out.strip()
    assert first != second and len(first) >= 43 and first.replace("-", "").replace("_", "").isalnum()
    check_token(first)  # long enough for MCP_AUTH_TOKEN


def test_non_loopback_bind_without_allowed_hosts_warns(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    import uvicorn

    from mcp_server import main

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    caplog.set_level(logging.WARNING)
    main.serve(["--transport", "http", "--sandbox", "--host", "0.0.0.0"], env={"MCP_AUTH_TOKEN": TOKEN})
    assert "not a loopback address, without --allowed-hosts" in caplog.text and "421" in caplog.text
    caplog.clear()
    main.serve(["--transport", "http", "--sandbox", "--host", "0.0.0.0", "--allowed-hosts", "mcp.example:*"],
               env={"MCP_AUTH_TOKEN": TOKEN})
    main.serve(["--transport", "http", "--sandbox"], env={"MCP_AUTH_TOKEN": TOKEN})
    assert "loopback" not in caplog.text


async def test_gitops_plan_over_stdio_and_http(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "prompts", project)
    env = {k: v for k, v in os.environ.items() if k != "PORTKEY_API_KEY"}
    params = StdioServerParameters(command=sys.executable, cwd=str(ROOT), env=env,
                                   args=["-m", "mcp_server", "--sandbox", "--toolsets", "gitops",
                                         "--project-root", str(tmp_path)])
    async with Client(params) as client:
        planned = data(await client.call_tool("gitops_plan", {"project_dir": "project"}))
        assert planned["has_changes"] and len(planned["plan_hash"]) == 64
        outside = await client.call_tool("gitops_plan", {"project_dir": str(ROOT / "examples" / "prompts")})
        assert outside.is_error and "outside the allowed project roots" in text(outside)
    with Sandbox(api_key=KEY) as sb:
        server = build_server(lambda: engine_client(sb), selection=Selection(toolsets=("gitops",)),
                              options=ToolOptions(project_roots=(str(tmp_path),)))
        with serving(http_app(server, host="127.0.0.1", token=TOKEN)) as url:
            async with _connect(url) as client:
                planned = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
                applied = data(await client.call_tool("gitops_apply", {"project_dir": str(project),
                                                                       "plan_hash": planned["plan_hash"]}))
                assert applied["applied"]
                again = data(await client.call_tool("gitops_plan", {"project_dir": str(project)}))
                assert again["has_changes"] is False
