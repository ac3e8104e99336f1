"""Every failure is an isError result that names the status, Portkey's errorCode and message, and the next step."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client

from engine.portkey import PortkeyAPIError, PortkeyClient, PortkeyRequestError, RetryPolicy, Secret, Settings
from mcp_server.errors import api_error_text, to_tool_error
from mcp_server.selection import Selection
from mcp_server.server import build_server
from sandbox import FaultRule, Faults, Sandbox
from tests.mcp_server.conftest import text
from tests.mcp_server.world import BASE_URL, KEY, MISSING, World

pytestmark = pytest.mark.anyio

SMALL = Selection(toolsets=("prompts", "collections", "analytics", "integrations"))


def error(status: int, code: str | None = "AB01", message: str = "nope", **kw: Any) -> PortkeyAPIError:
    return PortkeyAPIError("get_prompt", "GET", "/prompts/x", status, message, code, **kw)


@pytest.mark.parametrize(("exc", "expected"), [
    (error(401, "AB00", "Invalid API key"), ["HTTP 401 AB00: Invalid API key.", "PORTKEY_API_KEY"]),
    (error(403, "AB03", "forbidden", enterprise_gated=True), ["HTTP 403 AB03", "Enterprise plans only"]),
    (error(403, "AB03", "forbidden"), ["scope", "no longer exists", "list_prompts"]),
    (error(404, "AB08", "prompt not found"), ["HTTP 404 AB08: prompt not found.", "call list_prompts"]),
    (error(409, "AB07", "in use"), ["HTTP 409 AB07", "depend on this one"]),
    (error(429, None, "Too many requests", attempts=5), ["HTTP 429: Too many requests.", "5 attempt(s)"]),
    (error(500, None, "boom", attempts=3), ["HTTP 500", "after 3 attempt(s)"]),
    (error(400, "AB01", "name: required"), ["HTTP 400 AB01: name: required.", "fix the field"]),
    (error(405, None, "Method not allowed"), ["HTTP 405", "retrying will not help", "neighbouring tool"]),
    (error(418, None, "teapot"), ["HTTP 418: teapot.", "correct the call"]),
])
def test_api_error_texts(exc: PortkeyAPIError, expected: list[str]) -> None:
    message = api_error_text(exc, "get_prompt", ("list_prompts",))
    for part in expected:
        assert part in message


def test_request_error_text() -> None:
    exc = PortkeyRequestError("create_prompt", "POST", "/prompts", "ReadTimeout", sent=True, attempts=2)
    message = str(to_tool_error(exc, "create_prompt"))
    assert "unreachable" in message and "PORTKEY_BASE_URL" in message and "may have reached Portkey" in message


@pytest.mark.parametrize(("tool", "args", "argument"), [
    ("get_prompt", {"prompt_id": ".."}, "prompt_id"),
    ("delete_collection", {"collection_id": "a/b"}, "collection_id"),
    ("remove_workspace_member", {"workspace_id": "..", "user_id": MISSING}, "workspace_id"),
    ("get_config", {"slug": "x?y=1"}, "slug"),
])
async def test_unsafe_ids_are_refused_before_any_request(
    tool: str, args: dict[str, Any], argument: str, client: Client, sandbox: Sandbox
) -> None:
    sandbox.reset_requests()
    result = await client.call_tool(tool, args)
    assert result.is_error
    assert f"Invalid argument '{argument}'" in text(result)
    assert sandbox.requests() == []


async def test_not_found_names_the_list_tool(client: Client, world: World) -> None:
    result = await client.call_tool("get_prompt_version", {"prompt_id": world.prompt["id"], "version_id": MISSING})
    assert result.is_error and "HTTP 404" in text(result) and "list_prompt_versions" in text(result)


async def test_conflict_says_dependents_exist(client: Client, world: World) -> None:
    result = await client.call_tool("delete_integration", {"slug": world.integration["slug"]})
    assert result.is_error and "HTTP 409 AB07" in text(result) and "depend" in text(result)


async def test_argument_errors_name_the_argument(client: Client, world: World) -> None:
    schema = await client.call_tool("list_prompts", {"page_size": 500})
    assert schema.is_error and "page_size" in text(schema)
    mapped = await client.call_tool("create_config", {"name": "c", "retry_attempts": 9})
    assert mapped.is_error and "Invalid argument 'retry_attempts'" in text(mapped)
    empty = await client.call_tool("update_collection", {"collection_id": world.collection["id"]})
    assert empty.is_error and "nothing to change" in text(empty)


def _server(factory: Any) -> Any:
    return build_server(factory, selection=SMALL)


async def test_rate_limit_reports_the_attempts(sandbox: Sandbox) -> None:
    sandbox.faults = Faults(per_operation={"list_prompts": FaultRule(rate_429=1.0, retry_after_s=0)})
    settings = Settings(api_key=Secret(KEY), base_url=BASE_URL,
                        retry=RetryPolicy(max_retries=2, backoff_base=0, backoff_max=0, retry_after_max=0))
    server = _server(lambda: PortkeyClient(settings, transport=httpx.ASGITransport(app=sandbox.app)))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("list_prompts", {})
    assert result.is_error and "HTTP 429 AB06" in text(result) and "3 attempt(s)" in text(result)


async def test_wrong_key_and_unreachable_portkey(sandbox: Sandbox) -> None:
    wrong = Settings(api_key=Secret("not-the-key"), base_url=BASE_URL, retry=RetryPolicy(max_retries=0))
    server = _server(lambda: PortkeyClient(wrong, transport=httpx.ASGITransport(app=sandbox.app)))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("list_collections", {})
    assert result.is_error and "HTTP 401" in text(result) and "PORTKEY_API_KEY" in text(result)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = Settings(api_key=Secret(KEY), base_url=BASE_URL, retry=RetryPolicy(max_retries=0))
    server = _server(lambda: PortkeyClient(down, transport=httpx.MockTransport(refuse)))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("get_prompt", {"prompt_id": "pp-x"})
    assert result.is_error and "Portkey is unreachable" in text(result)


async def test_enterprise_gated_403() -> None:
    def gated(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"success": False, "data": {"message": "Upgrade your plan",
                                                                    "errorCode": "AB03"}})

    settings = Settings(api_key=Secret(KEY), base_url=BASE_URL, retry=RetryPolicy(max_retries=0))
    server = _server(lambda: PortkeyClient(settings, transport=httpx.MockTransport(gated)))
    window = {"workspace_slug": "ws-x", "time_of_generation_min": "2026-01-01T00:00:00Z",
              "time_of_generation_max": "2026-01-02T00:00:00Z"}
    async with Client(server, raise_exceptions=True) as client:
        gated_result = await client.call_tool("get_cost_analytics", window)
        plain = await client.call_tool("get_prompt", {"prompt_id": "pp-x"})
    assert "HTTP 403 AB03: Upgrade your plan." in text(gated_result) and "Enterprise plans only" in text(gated_result)
    assert "Enterprise" not in text(plain) and "scope" in text(plain)
