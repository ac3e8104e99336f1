"""Seed compatibility: a seed-era call to every seed tool passes the tool's input validation.

The seed tools are the catalogue rows with ``source`` seed (``portkey_catalogue/operations.tsv``, the same
rows as ``/work/shared/catalogue/operations.tsv``); each call gives only the parameters the seed
required (the catalogue's ``required`` column), with plausible values, through the official MCP
client against the sandbox. Portkey may still refuse a made-up id (404) or a local check may
refuse a value, but no call may fail the input schema. Analytics and audit-log calls, which now
default ``workspace_slug``/``start_time``/``end_time``/``organisation_id``, must succeed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from engine.portkey import PortkeyClient
from mcp_server import defaults
from mcp_server.catalogue import Param, load_catalogue
from sandbox import Sandbox
from tests.mcp_server.conftest import text

pytestmark = pytest.mark.anyio

SEED = [row for row in load_catalogue() if row.source == "seed"]
SUCCEED = {row.tool for row in SEED if row.group == "analytics"} | {"list_audit_logs"}
SPECIAL: dict[str, Any] = {
    "time_of_generation_min": "2026-01-01T00:00:00Z",
    "time_of_generation_max": "2026-12-31T00:00:00Z",
    "metadata_key": "team",
}


def plausible(param: Param) -> Any:
    """A value of the parameter's catalogue type that a seed client could have sent."""
    if param.name in SPECIAL:
        return SPECIAL[param.name]
    ptype = param.type
    value: Any
    if ptype.base == "enum":
        value = ptype.choices[0]
    elif ptype.base in ("int", "number"):
        value = 1
    elif ptype.base == "bool":
        value = False
    elif ptype.base == "object":
        value = {"role": "admin", "id": "ws-seed"} if ptype.array else {"note": "seed"}
    elif ptype.base == "email":
        value = "seed@example.com"
    elif ptype.base == "uuid":
        value = "00000000-0000-4000-8000-000000000000"
    elif ptype.base == "date-time":
        value = "2026-01-01T00:00:00Z"
    elif ptype.base == "hex-color":
        value = "#336699"
    else:
        value = f"seed-{param.name.replace('_', '-')}"
    return [value] if ptype.array else value


def seed_call(tool: str) -> dict[str, Any]:
    row = next(r for r in SEED if r.tool == tool)
    return {p.name: plausible(p) for p in row.params if p.required}


def test_the_seed_set_is_the_catalogue_seed_rows() -> None:
    assert len(SEED) == 117
    assert {"list_audit_logs", "get_cost_analytics", "get_user_stats"} <= {r.tool for r in SEED}


@pytest.mark.parametrize("tool", [row.tool for row in SEED])
async def test_a_seed_style_call_validates(tool: str, client: Client) -> None:
    result = await client.call_tool(tool, seed_call(tool))
    problem = result.structured_content or {}
    assert problem.get("code") != "invalid_arguments", text(result)
    assert "Invalid arguments for" not in text(result)
    if tool in SUCCEED:
        assert not result.is_error, text(result)


async def test_analytics_default_to_the_key_workspace(portkey: PortkeyClient, sandbox: Sandbox) -> None:
    filled = await defaults.fill("get_cost_analytics", "analytics", portkey, {"time_of_generation_min": "x"})
    assert filled["workspace_slug"] == sandbox.default_workspace_slug


async def test_audit_logs_default_window_and_organisation(client: Client, portkey: PortkeyClient) -> None:
    filled = await defaults.fill("list_audit_logs", "audit", portkey, {})
    start = datetime.fromisoformat(filled["start_time"])
    end = datetime.fromisoformat(filled["end_time"])
    assert end - start == timedelta(days=defaults.AUDIT_WINDOW_DAYS)
    assert filled["organisation_id"]
    # the sandbox refuses /audit-logs without all three (as Portkey's spec says): the call succeeds
    result = await client.call_tool("list_audit_logs", {})
    assert not result.is_error, text(result)


async def test_the_defaults_are_documented(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    audit = tools["list_audit_logs"]
    assert "required" not in audit.input_schema or not audit.input_schema["required"]
    assert "30 days" in audit.description
    cost = tools["get_cost_analytics"]
    assert "workspace_slug" not in cost.input_schema.get("required", [])
    assert "default" in cost.input_schema["properties"]["workspace_slug"]["description"]
