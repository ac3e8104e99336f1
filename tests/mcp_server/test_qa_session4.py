"""Exploratory QA findings (session 4), each pinned through the official MCP client."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from sandbox import Sandbox
from tests.mcp_server.conftest import text
from tests.mcp_server.world import World

pytestmark = pytest.mark.anyio


def writes_and_reads(sb: Sandbox) -> int:
    return len(sb.requests())


async def test_an_overlong_query_argument_is_refused_with_its_name(
    client: Client, world: World, sandbox: Sandbox
) -> None:
    """A date-time filter of 200,000 characters (no maxLength in the catalogue) made httpx refuse the URL: the
    agent saw only 'failed unexpectedly' and the log a traceback. It is now an argument error naming the field."""
    before = writes_and_reads(sandbox)
    result = await client.call_tool("get_cost_analytics", world.window(time_of_generation_min="x" * 200_000))
    assert result.is_error
    structured: dict[str, Any] = result.structured_content or {}
    assert structured.get("code") == "invalid_argument", text(result)
    assert "time_of_generation_min" in structured["message"] and "too long" in structured["message"]
    assert writes_and_reads(sandbox) == before  # nothing was sent
