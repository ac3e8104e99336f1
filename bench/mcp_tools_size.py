"""Benchmark: how much model context `tools/list` costs, per selection.

    python bench/mcp_tools_size.py

Prints the tool count, the JSON size of tools/list and a rough token estimate (bytes / 4) for
the full catalogue, read-only mode and a few toolset selections, plus the largest tools. The
seed servers' full list was about 397 KB for 171 tools (reference/seed-servers.md §6 item 18).
"""

from __future__ import annotations

import json

import anyio
import httpx
from mcp import Client

from engine.portkey import PortkeyClient, Secret, Settings
from mcp_server.selection import Selection
from mcp_server.server import build_server
from sandbox import Sandbox

SELECTIONS: dict[str, Selection] = {
    "all": Selection(),
    "read-only": Selection(read_only=True),
    "prompts,partials,labels,gitops": Selection(toolsets=("prompts", "partials", "labels", "gitops")),
    "analytics": Selection(toolsets=("analytics",)),
}


async def measure(selection: Selection) -> tuple[int, int, list[tuple[int, str]]]:
    sandbox = Sandbox(db=":memory:", api_key="bench")
    settings = Settings(api_key=Secret("bench"), base_url="http://127.0.0.1/v1")

    def factory() -> PortkeyClient:
        return PortkeyClient(settings, transport=httpx.ASGITransport(app=sandbox.app))

    async with Client(build_server(factory, selection=selection)) as client:
        tools = (await client.list_tools()).tools
    sandbox.close()
    sizes = [(len(json.dumps(t.model_dump(by_alias=True, exclude_none=True))), t.name) for t in tools]
    return len(tools), sum(size for size, _ in sizes), sorted(sizes, reverse=True)[:5]


def main() -> None:
    baseline = None
    print(f"{'selection':<34} {'tools':>5} {'bytes':>9} {'~tokens':>8} {'vs all':>7}")
    largest: list[tuple[int, str]] = []
    for label, selection in SELECTIONS.items():
        count, size, top = anyio.run(measure, selection)
        baseline = baseline or size
        largest = largest or top
        print(f"{label:<34} {count:>5} {size:>9,} {size // 4:>8,} {size / baseline:>7.2f}")
    print("largest tools:", ", ".join(f"{name} ({size:,} B)" for size, name in largest))


if __name__ == "__main__":
    main()
