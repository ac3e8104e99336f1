"""--expose-prompts: Portkey prompts in prompts/list with their variables, rendered by prompts/get."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client, MCPError

from engine import redaction
from mcp_server.exposed_prompts import ExposedPrompts, PromptSource, to_messages, variables_of
from mcp_server.main import StartupError, configure
from mcp_server.server import build_server
from sandbox import Sandbox
from tests.mcp_server.world import KEY, engine_client

pytestmark = pytest.mark.anyio

CHAT = [{"role": "system", "content": "You greet {{name}} in {{lang}}."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
async def library() -> AsyncIterator[tuple[Sandbox, dict[str, Any]]]:
    """A sandbox with a chat prompt in the default collection and a text prompt in another collection."""
    with Sandbox(api_key=KEY) as sb:
        async with engine_client(sb) as portkey:
            collections, _ = await portkey.list_all("list_collections")
            default = collections[0]
            other = await portkey.create_collection(body={"name": "other", "workspace_id": default["workspace_id"]})
            greeter = await portkey.create_prompt(body={
                "name": "greeter", "collection_id": default["id"], "string": json.dumps(CHAT), "parameters": {},
                "virtual_key": "vk-1", "model": "gpt-4o-mini"})
            await portkey.create_prompt(body={
                "name": "echo", "collection_id": other["id"], "string": "Repeat {{text}}", "parameters": {},
                "virtual_key": "vk-1", "model": "gpt-4o-mini"})
        yield sb, {"greeter": greeter, "default": default, "other": other}


async def test_prompts_are_listed_and_rendered_through_portkey(library: tuple[Sandbox, dict[str, Any]]) -> None:
    sb, made = library
    server = build_server(lambda: engine_client(sb), extra_middleware=(ExposedPrompts(PromptSource()),))
    for mode in ("legacy", "modern"):
        async with Client(server, raise_exceptions=True, **({"mode": "legacy"} if mode == "legacy" else {})) as client:
            listed = {p.title: p for p in (await client.list_prompts()).prompts}
            assert set(listed) == {"greeter", "echo"}
            greeter = listed["greeter"]
            assert greeter.name == made["greeter"]["slug"]
            assert {a.name for a in greeter.arguments or []} == {"name", "lang"}
            assert all(a.required for a in greeter.arguments or [])
            sb.reset_requests()
            rendered = await client.get_prompt(greeter.name, {"name": "Ada", "lang": "French"})
            assert [m.content.text for m in rendered.messages] == ["System: You greet Ada in French.", "Hi"]
            assert any(r.path.endswith("/render") and r.method == "POST" for r in sb.requests())
            with pytest.raises(MCPError, match="lang: required"):
                await client.get_prompt(greeter.name, {"name": "Ada"})
            with pytest.raises(MCPError, match="Unknown prompt"):
                await client.get_prompt("pp-nope", {})


async def test_a_collection_limits_the_exposed_prompts(library: tuple[Sandbox, dict[str, Any]]) -> None:
    sb, made = library
    source = configure(["--sandbox", "--expose-prompts", "--prompts-collection", made["other"]["id"]], {}).prompts
    server = build_server(lambda: engine_client(sb), extra_middleware=(ExposedPrompts(source),))
    async with Client(server, raise_exceptions=True) as client:
        listed = (await client.list_prompts()).prompts
        assert [p.title for p in listed] == ["echo"]
        rendered = await client.get_prompt(listed[0].name, {"text": "this"})
        assert rendered.messages[0].content.text == "Repeat this"
        with pytest.raises(MCPError, match="Unknown prompt"):  # a prompt outside the collection is not served
            await client.get_prompt(made["greeter"]["slug"], {"name": "A", "lang": "B"})


async def test_without_the_flag_no_prompt_is_listed(library: tuple[Sandbox, dict[str, Any]]) -> None:
    sb, _ = library
    async with Client(build_server(lambda: engine_client(sb)), raise_exceptions=True) as client:
        assert (await client.list_prompts()).prompts == []
    assert configure(["--sandbox"], {}).prompts is None
    with pytest.raises(StartupError, match="need --expose-prompts"):
        configure(["--sandbox", "--prompts-collection", "x"], {})


async def test_rendered_text_is_scrubbed_of_secrets(library: tuple[Sandbox, dict[str, Any]]) -> None:
    sb, _ = library
    planted = "planted-secret-value-7f3a"
    server = build_server(lambda: engine_client(sb), extra_middleware=(ExposedPrompts(PromptSource()),))
    redaction.register(planted)
    try:
        async with Client(server, raise_exceptions=True) as client:
            echo = next(p for p in (await client.list_prompts()).prompts if p.title == "echo")
            rendered = await client.get_prompt(echo.name, {"text": planted})
        assert planted not in json.dumps(rendered.model_dump(mode="json"))
    finally:
        redaction.REGISTRY.clear()


def test_variables_and_messages() -> None:
    live = {"variable_components": {"variables": ["ticket_key", "thread"]}, "string": "{{other}}"}
    assert variables_of(live) == ["ticket_key", "thread"]  # Portkey's own list wins (prompts-get.json)
    assert variables_of({"string": "{{#items}}{{x}}{{/items}} {{who}}"}) == ["items", "who"]
    assert to_messages({"prompt": "plain"}) == [{"role": "user", "content": {"type": "text", "text": "plain"}}]
    parts = {"messages": [{"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "image_url"}]}]}
    assert to_messages(parts) == [{"role": "assistant", "content": {"type": "text", "text": "a"}}]
