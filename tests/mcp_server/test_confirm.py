"""--confirm-destructive: the user is asked through elicitation (both protocol eras) before a destructive call."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from engine.portkey import PortkeyAPIError, PortkeyClient
from mcp_server.selection import Selection
from mcp_server.state import ToolOptions
from sandbox import Sandbox
from tests.mcp_server.conftest import data, text
from tests.mcp_server.world import World

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


def answering(action: str, confirm: bool = True) -> tuple[Any, list[str]]:
    asked: list[str] = []

    async def callback(ctx: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content={"confirm": confirm} if action == "accept" else None)

    return callback, asked


@pytest.fixture
def confirming(make_server: Any) -> Any:
    return make_server(Selection(toolsets=("collections",)), ToolOptions(confirm_destructive=True))


@pytest.mark.parametrize("mode", MODES)
async def test_accepted_confirmation_runs_the_tool(
    mode: str, confirming: Any, world: World, portkey: PortkeyClient
) -> None:
    callback, asked = answering("accept")
    async with Client(confirming, mode=mode, elicitation_callback=callback) as client:
        created = data(await client.call_tool("create_collection", {"name": "Tmp", "workspace_id": world.ws}))
        assert asked == []  # not destructive: no question
        result = await client.call_tool("delete_collection", {"collection_id": world.empty_collection["id"]})
    assert not result.is_error, text(result)
    assert asked and world.empty_collection["id"] in asked[0] and "delete_collection" in asked[0]
    assert created["id"]
    with pytest.raises(PortkeyAPIError):
        await portkey.get_collection(collection_id=world.empty_collection["id"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("action", "confirm", "words"), [
    ("decline", True, "declined"), ("cancel", True, "cancelled"), ("accept", False, "did not confirm")])
async def test_refused_confirmation_changes_nothing(
    mode: str, action: str, confirm: bool, words: str, confirming: Any, world: World, sandbox: Sandbox
) -> None:
    callback, asked = answering(action, confirm)
    sandbox.reset_requests()
    async with Client(confirming, mode=mode, elicitation_callback=callback) as client:
        result = await client.call_tool("delete_collection", {"collection_id": world.empty_collection["id"]})
    assert result.is_error and words in text(result) and "nothing was changed" in text(result)
    assert asked and not any(r.method == "DELETE" for r in sandbox.requests())


@pytest.mark.parametrize("mode", MODES)
async def test_client_without_elicitation_is_told_how_to_proceed(
    mode: str, confirming: Any, world: World, sandbox: Sandbox
) -> None:
    sandbox.reset_requests()
    async with Client(confirming, mode=mode) as client:
        result = await client.call_tool("update_collection", {"collection_id": world.collection["id"], "name": "X"})
    assert result.is_error
    assert "cannot show confirmation prompts" in text(result) and "--confirm-destructive" in text(result)
    assert sandbox.requests() == []


async def test_apply_asks_with_the_plan_it_would_apply(make_server: Any, sandbox: Sandbox) -> None:
    from tests.mcp_server.cases import EXAMPLE

    server = make_server(Selection(toolsets=("gitops",)), ToolOptions(confirm_destructive=True))
    callback, asked = answering("decline")
    async with Client(server, elicitation_callback=callback) as client:
        apply = next(t for t in (await client.list_tools()).tools if t.name == "gitops_apply")
        assert "confirmation" not in apply.input_schema["properties"]
        result = await client.call_tool("gitops_apply", {"project_dir": str(EXAMPLE), "plan_hash": "ab" * 32})
    assert result.is_error and "declined" in text(result)
    assert "plan_hash='abab" in asked[0] and "project_dir=" in asked[0]
