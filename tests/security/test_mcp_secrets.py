"""Secrets never leave the MCP server: secret-named fields are masked in results, registered values
(the Portkey key, the MCP token, one-time secrets after their one showing) are scrubbed from
results, errors and log lines; a new API key is still shown once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mcp import Client

from engine import redaction
from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from mcp_server.main import configure
from mcp_server.selection import Selection
from mcp_server.server import build_server
from tests.mcp_server import conftest as mcp
from tests.mcp_server.conftest import data, text
from tests.mcp_server.world import BASE_URL, World

pytestmark = pytest.mark.anyio

world_template, world, sandbox_db, sandbox = mcp.world_template, mcp.world, mcp.sandbox_db, mcp.sandbox
switch, make_server, portkey = mcp.switch, mcp.make_server, mcp.portkey

PORTKEY_KEY = "pk-planted-portkey-key-0123456789"
MCP_TOKEN = "mcp-planted-token-" + "t" * 24
PROVIDER_KEY = "sk-planted-provider-key-abcdef"
HEADER_VALUE = "Bearer planted-header-token-xyz"
KEY_ID = "0b7c9a52-1111-4222-8333-444455556666"


def mocked_server(handler: Callable[[httpx.Request], httpx.Response], toolsets: tuple[str, ...]) -> Any:
    """A server whose Portkey client (key PORTKEY_KEY) talks to ``handler``."""
    settings = Settings(api_key=Secret(PORTKEY_KEY), base_url=BASE_URL, retry=RetryPolicy(max_retries=0))
    return build_server(lambda: PortkeyClient(settings, transport=httpx.MockTransport(handler)),
                        selection=Selection(toolsets=toolsets))


def everything(result: Any) -> str:
    """Every text block and the structured content of a result, as one string."""
    return text(result) + json.dumps(result.structured_content)


async def test_get_config_masks_api_keys_and_authorization_headers(
    make_server: Any, portkey: PortkeyClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"name": "keyed", "config": {
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": PROVIDER_KEY,
                     "custom_headers": {"Authorization": HEADER_VALUE, "x-trace": "kept"}}]}}
    created = await portkey.create_config(body=body)
    async with Client(make_server(Selection(toolsets=("configs",)))) as client:
        got = await client.call_tool("get_config", {"slug": created["slug"]})
        listed = await client.call_tool("list_configs", {"all": True})
    config = json.loads(data(got)["config"]) if isinstance(data(got)["config"], str) else data(got)["config"]
    target = config["targets"][0]
    assert target["api_key"] == redaction.MASK
    assert target["custom_headers"] == {"Authorization": redaction.MASK, "x-trace": "kept"}
    assert target["provider"] == "openai" and config["strategy"] == {"mode": "fallback"}
    for result in (got, listed):
        assert not result.is_error
        for planted in (PROVIDER_KEY, HEADER_VALUE, "planted-header-token-xyz"):
            assert planted not in everything(result)
    for planted in (PROVIDER_KEY, "planted-header-token-xyz"):
        assert planted not in caplog.text


async def test_an_upstream_error_echoing_the_portkey_key_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    configure(["--transport", "http"], {"MCP_AUTH_TOKEN": MCP_TOKEN})  # start-up registers the token

    def echo(request: httpx.Request) -> httpx.Response:
        key = request.headers["x-portkey-api-key"]
        return httpx.Response(400, json={"success": False, "data": {"errorCode": "AB01",
                                                                    "message": f"invalid key {key} for {MCP_TOKEN}"}})

    async with Client(mocked_server(echo, ("configs",))) as client:
        result = await client.call_tool("get_config", {"slug": "anything"})
    assert result.is_error
    assert "HTTP 400 AB01: invalid key [redacted] for [redacted]." in text(result)
    for planted in (PORTKEY_KEY, MCP_TOKEN):
        assert planted not in text(result) and planted not in caplog.text


async def test_a_success_answer_echoing_secrets_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """Portkey (or a proxy) echoing the key or the MCP token in a free-text field: scrubbed by value."""
    caplog.set_level(logging.DEBUG)
    configure(["--transport", "http"], {"MCP_AUTH_TOKEN": MCP_TOKEN})  # start-up registers the token

    def answer(request: httpx.Request) -> httpx.Response:
        note = f"called with {request.headers['x-portkey-api-key']} via {MCP_TOKEN}"
        item = {"id": "c1", "slug": "c1", "name": "echo", "note": note}
        if request.url.path.endswith("/configs"):
            return httpx.Response(200, json={"success": True, "data": [item], "total": 1})
        return httpx.Response(200, json={"success": True, "data": item, PORTKEY_KEY: "as a key"})

    async with Client(mocked_server(answer, ("configs",))) as client:
        got = await client.call_tool("get_config", {"slug": "c1"})
        listed = await client.call_tool("list_configs", {})
    for result in (got, listed):
        assert not result.is_error and "called with [redacted] via [redacted]" in everything(result)
        for planted in (PORTKEY_KEY, MCP_TOKEN):
            assert planted not in everything(result)
    for planted in (PORTKEY_KEY, MCP_TOKEN):
        assert planted not in caplog.text


async def test_a_new_api_key_is_shown_once_then_scrubbed_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    new_key = "pk-new-one-time-secret-999888777"

    def portkey_api(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"id": KEY_ID, "key": new_key, "name": "bot"})
        return httpx.Response(404, json={"success": False, "data": {"message": f"no key {new_key} here"}})

    async with Client(mocked_server(portkey_api, ("api_keys",))) as client:
        created = await client.call_tool("create_api_key", {"type": "workspace", "sub_type": "service",
                                                            "name": "bot", "scopes": ["prompts.read"],
                                                            "workspace_id": "ws-1"})
        later = await client.call_tool("get_api_key", {"id": KEY_ID})
    assert data(created)["key"] == new_key and data(created)["secret_fields"] == ["key"]
    assert new_key in text(created) and "shown only once" in text(created)
    assert later.is_error and new_key not in text(later) and "[redacted]" in text(later)
    assert new_key not in caplog.text


async def test_a_known_secret_returned_as_a_new_key_is_not_shown() -> None:
    """An answer that hands back the Portkey key as the 'new' key shows it to nobody."""
    def portkey_api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": KEY_ID, "key": PORTKEY_KEY})

    async with Client(mocked_server(portkey_api, ("api_keys",))) as client:
        rotated = await client.call_tool("rotate_api_key", {"id": KEY_ID})
    assert not rotated.is_error and "secret_fields" not in data(rotated)
    assert data(rotated)["key"] == "[redacted]" and PORTKEY_KEY not in everything(rotated)


async def test_planted_values_reach_no_result_and_no_log_line(
    make_server: Any, world: World, portkey: PortkeyClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A tour of reads, writes, a dry run and failures with every planted value in play."""
    caplog.set_level(logging.DEBUG)
    configure(["--transport", "http"], {"MCP_AUTH_TOKEN": MCP_TOKEN})
    redaction.register(PORTKEY_KEY)
    body = {"name": "planted", "config": {"api_key": PROVIDER_KEY,
                                          "custom_headers": {"authorization": HEADER_VALUE}}}
    planted_config = await portkey.create_config(body=body)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_config", {"slug": planted_config["slug"]}),
        ("list_configs", {"all": True}),
        ("update_config", {"slug": planted_config["slug"], "config": {"api_key": PROVIDER_KEY, "retry": {}}}),
        ("get_config", {"slug": planted_config["slug"]}),
        ("create_config", {"name": "again", "config": {"api_key": PROVIDER_KEY,
                                                       "custom_headers": {"Authorization": HEADER_VALUE}}}),
        ("get_config", {"slug": f"missing-{PORTKEY_KEY}"}),
        ("get_config", {"slug": MCP_TOKEN}),
        ("get_integration", {"slug": world.integration["slug"]}),
        ("update_config", {"slug": planted_config["slug"], "name": PORTKEY_KEY}),
    ]
    server = make_server(Selection(toolsets=("configs", "integrations")))
    seen = []
    async with Client(server) as client:
        for name, args in calls:
            seen.append(everything(await client.call_tool(name, args)))
    for planted in (PORTKEY_KEY, MCP_TOKEN, PROVIDER_KEY, "planted-header-token-xyz"):
        assert all(planted not in shown for shown in seen), planted
        assert planted not in caplog.text, planted
    assert any(redaction.MASK in shown for shown in seen) and any("[redacted]" in shown for shown in seen)
