"""stdio as a subprocess, streamable HTTP on 127.0.0.1 with a bearer token, and start-up errors."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from mcp_server.http_transport import http_app
from mcp_server.main import configure, run
from mcp_server.selection import Selection
from mcp_server.server import build_server
from sandbox import Sandbox
from tests.mcp_server.conftest import data
from tests.mcp_server.world import engine_client

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789-abcdefghijklmnop"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


async def test_stdio_subprocess_with_embedded_sandbox() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PORTKEY_API_KEY"}
    params = StdioServerParameters(command=sys.executable, cwd=str(ROOT), env=env,
                                   args=["-m", "mcp_server", "--sandbox", "--toolsets", "collections"])
    async with Client(params) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"list_collections", "create_collection", "list_toolsets"} <= names
        listed = data(await client.call_tool("list_collections", {}))
        assert listed["data"][0]["is_default"] is True


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port; yields the MCP URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        assert thread.is_alive() and time.monotonic() < deadline, "HTTP server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        runner.should_exit = True
        thread.join(5)
        sock.close()


def _server(sandbox: Sandbox) -> Any:
    return build_server(lambda: engine_client(sandbox), selection=Selection(toolsets=("collections",)))


@pytest.fixture
def http_url(sandbox: Sandbox) -> Iterator[str]:
    with serving(http_app(_server(sandbox), host="127.0.0.1", token=TOKEN)) as url:
        yield url


async def test_http_with_token(http_url: str) -> None:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with Client(streamable_http_client(http_url, http_client=http)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "list_collections" in names
        assert not (await client.call_tool("list_collections", {})).is_error


class StatusRecorder(httpx2.Auth):
    """Sends no credentials; records the status of every response the MCP client gets."""

    def __init__(self) -> None:
        self.statuses: list[int] = []

    def auth_flow(self, request: httpx2.Request) -> Iterator[httpx2.Request]:
        response = yield request
        self.statuses.append(response.status_code)


async def test_http_official_client_without_the_token_is_refused(http_url: str) -> None:
    recorder = StatusRecorder()
    with pytest.raises(BaseException, match="unhandled errors"):  # the SDK raises its errors in a task group
        async with Client(streamable_http_client(http_url, http_client=create_mcp_http_client(auth=recorder))):
            pass
    assert recorder.statuses and set(recorder.statuses) == {401}


async def test_http_insecure_no_auth_serves_loopback_without_a_token(sandbox: Sandbox) -> None:
    config = configure(["--transport", "http", "--insecure-no-auth"], {})
    assert config.token is None and config.args.host == "127.0.0.1"
    with serving(http_app(_server(sandbox), host=config.args.host, token=config.token)) as url:
        async with Client(streamable_http_client(url, http_client=create_mcp_http_client())) as client:
            assert not (await client.call_tool("list_collections", {})).is_error


def test_http_binds_loopback_unless_told_otherwise() -> None:
    config = configure(["--transport", "http"], {"MCP_AUTH_TOKEN": TOKEN})
    assert config.args.host == "127.0.0.1" and config.token == TOKEN
    wide = configure(["--transport", "http", "--host", "0.0.0.0"], {"MCP_AUTH_TOKEN": TOKEN})
    assert wide.args.host == "0.0.0.0" and wide.token == TOKEN  # with a token, any host the operator names


def test_http_refuses_missing_or_wrong_token_and_foreign_hosts(http_url: str) -> None:
    with httpx.Client() as http:
        missing = http.post(http_url, json=INIT, headers=MCP_HEADERS)
        wrong = http.post(http_url, json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer nope"})
        foreign = http.post(http_url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}",
                                                          "Host": "evil.example:80"})
        cross_site = http.post(http_url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}",
                                                             "Origin": "https://evil.example"})
        good = http.post(http_url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"bearer {TOKEN}",
                                                       "Origin": f"http://localhost:{httpx.URL(http_url).port}"})
        prefix = http.post(http_url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN[:-1]}"})
    assert missing.status_code == wrong.status_code == prefix.status_code == 401
    assert "www-authenticate" in missing.headers
    assert foreign.status_code in (400, 403, 421)
    assert cross_site.status_code == 403
    assert good.status_code == 200


def start_up_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The server started with ``argv`` stops with exit code 1 and one stderr line (returned), no traceback."""
    with pytest.raises(SystemExit) as stopped:
        run(argv)
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_start_up_errors_are_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    monkeypatch.delenv("MCP_AUTH_TOKEN", raising=False)
    assert "PORTKEY_API_KEY" in start_up_error([], capsys)
    assert "MCP_AUTH_TOKEN" in start_up_error(["--transport", "http", "--sandbox"], capsys)
    assert "loopback" in start_up_error(["--transport", "http", "--sandbox", "--insecure-no-auth", "--host", "0.0.0.0"],
                                capsys)
    assert "--sandbox-db needs --sandbox" in start_up_error(["--sandbox-db", "x.db"], capsys)
    assert "log level 'LOUD'" in start_up_error(["--sandbox", "--log-level", "loud"], capsys)


def test_sandbox_db_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp_server import main

    served: dict[str, Any] = {}
    monkeypatch.setattr(main.anyio, "run", lambda fn: served.setdefault("fn", fn))
    main.serve(["--sandbox", "--sandbox-db", str(tmp_path / "state.db"), "--toolsets", "labels"], env={})
    assert (tmp_path / "state.db").exists() and served["fn"].__name__ == "run_stdio_async"
