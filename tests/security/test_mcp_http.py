"""The MCP server over real HTTP (uvicorn on 127.0.0.1): one Authorization header, exact Host and
Origin, a long token registered as a secret, a session cap and idle expiry."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from engine import redaction
from mcp_server.http_transport import HostGuard, http_app
from mcp_server.main import configure
from mcp_server.selection import Selection
from mcp_server.server import build_server
from sandbox import Sandbox
from tests.mcp_server import conftest as mcp
from tests.mcp_server.test_transports import INIT, MCP_HEADERS, serving, start_up_error
from tests.mcp_server.world import engine_client

world_template, sandbox_db, sandbox = mcp.world_template, mcp.sandbox_db, mcp.sandbox  # the MCP tests' fixtures

TOKEN = "mcp-token-" + "q" * 22 + "-planted"  # 40 characters
WRONG = "mcp-token-" + "w" * 30


def _server(sandbox: Sandbox) -> Any:
    return build_server(lambda: engine_client(sandbox), selection=Selection(toolsets=("collections",)))


@pytest.fixture
def url(sandbox: Sandbox) -> Iterator[str]:
    with serving(http_app(_server(sandbox), host="127.0.0.1", token=TOKEN)) as served:
        yield served


def _post(url: str, headers: Any) -> httpx.Response:
    with httpx.Client() as http:
        return http.post(url, json=INIT, headers=headers)


def _auth(token: str = TOKEN) -> tuple[str, str]:
    return ("Authorization", f"Bearer {token}")


@pytest.mark.parametrize("pair", [(TOKEN, TOKEN), (WRONG, TOKEN), (TOKEN, WRONG)])
def test_two_authorization_headers_are_refused(url: str, pair: tuple[str, str]) -> None:
    response = _post(url, [*MCP_HEADERS.items(), _auth(pair[0]), _auth(pair[1])])
    assert response.status_code == 400
    assert response.json() == {"error": "duplicate_header", "message": "send exactly one Authorization header"}
    assert "mcp-session-id" not in response.headers and TOKEN not in response.text


def test_one_authorization_header_is_served(url: str) -> None:
    response = _post(url, [*MCP_HEADERS.items(), _auth()])
    assert response.status_code == 200 and "mcp-session-id" in response.headers


def test_host_must_name_this_server_and_port_exactly(url: str) -> None:
    port = httpx.URL(url).port
    for host in (f"127.0.0.1:{port}.evil.com", f"localhost:{port}.evil.com", f"127.0.0.1:{port}@evil.com",
                 "127.0.0.1:1", f"evil.com:{port}", "127.0.0.1", f"127.0.0.1:{port}:1"):
        response = _post(url, {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": host})
        assert response.status_code == 421, host
        assert response.json()["error"] == "invalid_host"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        response = _post(url, {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": host})
        assert response.status_code == 200, host


def test_origin_must_name_this_server_and_port_exactly(url: str) -> None:
    port = httpx.URL(url).port
    for origin in (f"http://localhost:{port}.evil.com", f"http://127.0.0.1:{port}.evil.com", "http://localhost:3000",
                   f"http://evil.com:{port}", f"ftp://localhost:{port}", "null", f"http://localhost:{port}/x"):
        response = _post(url, {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": origin})
        assert response.status_code == 403, origin
        assert response.json()["error"] == "invalid_origin"
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}", f"https://localhost:{port}"):
        response = _post(url, {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Origin": origin})
        assert response.status_code == 200, origin


def test_duplicate_host_or_origin_headers_are_refused(url: str) -> None:
    port = httpx.URL(url).port
    origin = ("Origin", f"http://localhost:{port}")
    response = _post(url, [*MCP_HEADERS.items(), _auth(), origin, ("Origin", "http://evil.com")])
    assert response.status_code == 400 and response.json()["error"] == "duplicate_header"


def test_explicitly_allowed_hosts_and_origins_match_exactly() -> None:
    guard = HostGuard(None, ["127.0.0.1"], 8000, allowed_hosts=["mcp.example:443", "proxy.example:*"],  # type: ignore[arg-type]
                      allowed_origins=["https://app.example", "https://ui.example:*"])
    assert guard.host_ok("mcp.example:443", 8000) and guard.host_ok("proxy.example:8443", 8000)
    for host in ("mcp.example:443.evil.com", "mcp.example", "proxy.example:1.evil.com", "proxy.example:",
                 "xproxy.example:1", "proxy.example:123456"):
        assert not guard.host_ok(host, 8000), host
    assert guard.origin_ok("https://app.example", 8000) and guard.origin_ok("https://ui.example:3000", 8000)
    for origin in ("https://app.example.evil.com", "https://app.example:1", "https://ui.example:3000.evil.com"):
        assert not guard.origin_ok(origin, 8000), origin


def test_a_short_token_is_refused_at_start(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    short = "short-token-1234567890"
    monkeypatch.setenv("MCP_AUTH_TOKEN", short)
    err = start_up_error(["--transport", "http", "--sandbox"], capsys)
    assert "MCP_AUTH_TOKEN is too short (22 characters)" in err and "at least 32" in err
    assert short not in err
    with pytest.raises(ValueError, match="at least 32"):
        http_app(build_server(lambda: None, selection=Selection(toolsets=("labels",))),  # type: ignore[arg-type,return-value]
                 host="127.0.0.1", token=short)


@pytest.mark.parametrize(("argv", "message"), [
    (["--max-sessions", "0"], "--max-sessions must be a positive whole number, not '0'"),
    (["--max-sessions", "many"], "--max-sessions must be a positive whole number"),
    (["--session-idle-timeout", "-5"], "--session-idle-timeout must be a positive number"),
    (["--session-idle-timeout", "inf"], "--session-idle-timeout must be a positive number"),
])
def test_bad_session_limits_are_refused_at_start(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_AUTH_TOKEN", TOKEN)
    assert message in start_up_error(["--transport", "http", "--sandbox", *argv], capsys)


def test_session_limits_from_flags_and_environment() -> None:
    env = {"MCP_AUTH_TOKEN": TOKEN, "PORTKEY_MCP_MAX_SESSIONS": "7", "PORTKEY_MCP_SESSION_IDLE_TIMEOUT": "90"}
    config = configure(["--transport", "http"], env)
    assert (config.max_sessions, config.session_idle_timeout) == (7, 90.0)
    config = configure(["--transport", "http", "--max-sessions", "3", "--session-idle-timeout", "2.5"], env)
    assert (config.max_sessions, config.session_idle_timeout) == (3, 2.5)
    default = configure(["--transport", "http"], {"MCP_AUTH_TOKEN": TOKEN})
    assert (default.max_sessions, default.session_idle_timeout) == (100, 1800.0)


def test_the_token_is_registered_as_a_secret(url: str, caplog: pytest.LogCaptureFixture) -> None:
    configure(["--transport", "http"], {"MCP_AUTH_TOKEN": TOKEN})
    assert redaction.scrub(f"token {TOKEN} here") == "token [redacted] here"
    caplog.set_level(logging.DEBUG)
    logging.getLogger("anything").warning("client sent %s", TOKEN)
    _post(url, [*MCP_HEADERS.items(), _auth()])
    assert TOKEN not in caplog.text and "[redacted]" in caplog.text


def _open_session(http: httpx.Client, url: str) -> httpx.Response:
    return http.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"})


def test_sessions_beyond_the_cap_get_a_503_json_error(sandbox: Sandbox) -> None:
    app = http_app(_server(sandbox), host="127.0.0.1", token=TOKEN, max_sessions=2)
    with serving(app) as url, httpx.Client() as http:
        first, second = _open_session(http, url), _open_session(http, url)
        assert first.status_code == second.status_code == 200
        refused = _open_session(http, url)
        assert refused.status_code == 503 and "mcp-session-id" not in refused.headers
        assert refused.json()["error"]["message"] == "Too many open sessions"
        closed = http.delete(url, headers={"Authorization": f"Bearer {TOKEN}",
                                           "mcp-session-id": first.headers["mcp-session-id"]})
        assert closed.status_code == 200
        assert _open_session(http, url).status_code == 200  # a closed session frees its place


def test_idle_sessions_expire_and_free_their_place(sandbox: Sandbox) -> None:
    app = http_app(_server(sandbox), host="127.0.0.1", token=TOKEN, max_sessions=1, session_idle_timeout=0.5)
    with serving(app) as url, httpx.Client() as http:
        opened = _open_session(http, url)
        session = opened.headers["mcp-session-id"]
        assert _open_session(http, url).status_code == 503  # the one place is taken
        deadline = time.monotonic() + 10
        ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "mcp-session-id": session,
                   "mcp-protocol-version": "2025-06-18"}
        status = 200
        while status != 404 and time.monotonic() < deadline:
            time.sleep(1.0)  # longer than the idle timeout: each ping is a request that restarts the clock
            status = http.post(url, json=ping, headers=headers).status_code
        assert status == 404  # expired: the session id is unknown now
        assert _open_session(http, url).status_code == 200  # and its place is free again
