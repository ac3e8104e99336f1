"""A sandbox holding one object of every kind, built once per session and copied per test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import Sandbox
from tests import worlds

KEY = "mcp-test-key"
BASE_URL = "http://127.0.0.1/v1"
MISSING = "00000000-0000-4000-8000-000000000000"


def settings(base_url: str = BASE_URL) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=base_url,
                    retry=RetryPolicy(max_retries=0, backoff_base=0, backoff_max=0, retry_after_max=0))


def engine_client(sb: Sandbox) -> PortkeyClient:
    return PortkeyClient(settings(), transport=httpx.ASGITransport(app=sb.app))


@dataclass(frozen=True)
class World(worlds.DefaultWorkspace, worlds.CoreObjects, worlds.AdminObjects, worlds.LogObjects):
    """Ids of the objects the tool calls use (identical in every copy of the database).

    The MCP objects are named ``mcp_*`` here: ``integration`` and ``user_id`` are the admin objects.
    """

    mcp_integration: dict[str, Any]
    spare_mcp_integration: dict[str, Any]
    mcp_server: dict[str, Any]
    mcp_user_id: str

    def window(self, **extra: Any) -> dict[str, Any]:
        """Arguments of an analytics call over the last and next hour."""
        return {"workspace_slug": self.ws_slug, "time_of_generation_min": self.t0,
                "time_of_generation_max": self.t1, **extra}


async def build_world(sb: Sandbox) -> World:
    """Create every object through the engine client (not through the tools under test)."""
    async with engine_client(sb) as client:
        core = await worlds.create_core_objects(client, sb, first_version_includes_partial=False)
        admin = await worlds.create_admin_objects(client, sb)
        mcp = await worlds.create_mcp_objects(client, sb)
        logs = await worlds.create_log_objects(client, sb, trace_id="trace-world")
    return World(**vars(worlds.default_workspace(sb)), **vars(core), **vars(admin), **vars(logs),
                 mcp_integration=mcp.integration, spare_mcp_integration=mcp.spare_integration,
                 mcp_server=mcp.server, mcp_user_id=mcp.user_id)
