"""Fixtures: a world sandbox built once and copied per test, and MCP servers on it.

Servers are expensive to build (one pydantic model per tool), so the default one is shared by
the session; its client factory points at whichever sandbox the current test uses.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import CallToolResult

from engine.portkey import PortkeyClient
from mcp_server.selection import Selection
from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.world import KEY, World, build_world, engine_client


class SandboxSwitch:
    """A client factory that follows the current test's sandbox."""

    def __init__(self) -> None:
        self.current: Sandbox | None = None

    def __call__(self) -> PortkeyClient:
        assert self.current is not None, "no sandbox selected"
        return engine_client(self.current)


@asynccontextmanager
async def gitops_mcp(root: Path, db: str | Path = ":memory:") -> AsyncIterator[tuple[Client, Sandbox]]:
    """An MCP client on a server of its own over a fresh sandbox (state in ``db``), ``root`` the only project root."""
    switch = SandboxSwitch()
    with Sandbox(db=db, api_key=KEY) as sb:
        switch.current = sb
        server = build_server(switch, options=ToolOptions(project_roots=(str(root),)))
        async with Client(server, raise_exceptions=True) as client:
            yield client, sb


@pytest.fixture(autouse=True)
def _no_logging_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    """main.serve configures the process's logging; tests keep pytest's."""
    from mcp_server import main

    monkeypatch.setattr(main, "configure_logging", lambda level: None)


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    path = tmp_path_factory.mktemp("world") / "world.db"
    sb = Sandbox(db=path, api_key=KEY)
    try:
        world = anyio.run(build_world, sb)
    finally:
        sb.close()
    return path, world


@pytest.fixture
def world(world_template: tuple[Path, World]) -> World:
    return world_template[1]


@pytest.fixture
def sandbox_db(world_template: tuple[Path, World], tmp_path: Path) -> Path:
    """This test's copy of the world database."""
    copy = tmp_path / "sandbox.db"
    shutil.copyfile(world_template[0], copy)
    return copy


@pytest.fixture
def sandbox(sandbox_db: Path) -> Iterator[Sandbox]:
    sb = Sandbox(db=sandbox_db, api_key=KEY)
    yield sb
    sb.close()


def stored_objects(db: Path) -> dict[tuple[str, str], str]:
    """Every object the sandbox holds, read from its database file (audit-log entries left out: every
    request adds one)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT kind, id, doc FROM objects WHERE kind != 'audit_log'").fetchall()
    return {(kind, ident): doc for kind, ident, doc in rows}


def changed_objects(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    """Objects created, changed or removed between two :func:`stored_objects` snapshots."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


@pytest.fixture(scope="session")
def switch() -> SandboxSwitch:
    return SandboxSwitch()


@pytest.fixture(scope="session")
def default_server(switch: SandboxSwitch) -> MCPServer[Any]:
    return build_server(switch)


@pytest.fixture
def make_server(switch: SandboxSwitch, sandbox: Sandbox) -> Any:
    """Build a server with other options on this test's sandbox."""

    def make(selection: Selection | None = None, options: ToolOptions | None = None) -> MCPServer[Any]:
        switch.current = sandbox
        return build_server(switch, selection=selection, options=options)

    return make


@pytest.fixture
async def client(default_server: MCPServer[Any], switch: SandboxSwitch, sandbox: Sandbox) -> AsyncIterator[Client]:
    switch.current = sandbox
    async with Client(default_server, raise_exceptions=True) as connected:
        yield connected


@pytest.fixture
async def portkey(sandbox: Sandbox) -> AsyncIterator[PortkeyClient]:
    """An engine client on the test's sandbox, for follow-up reads."""
    async with engine_client(sandbox) as connected:
        yield connected


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def data(result: CallToolResult) -> dict[str, Any]:
    """The structured content, checked to equal the first text block's JSON."""
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content
