"""One-time secrets: shown once in the result and marked, never in a log line; provider keys and the
Portkey key neither."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from mcp import Client

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from mcp_server.logs import REDACTED, install_redaction, redact, remember_secret
from mcp_server.selection import Selection
from mcp_server.server import build_server
from tests.mcp_server.conftest import data, text
from tests.mcp_server.world import BASE_URL, KEY, World

pytestmark = pytest.mark.anyio

PROVIDER_KEY = "sk-ant-provider-0123456789"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_new_and_rotated_keys_are_marked_once_and_kept_out_of_logs(
    mode: str, make_server: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_server(Selection(toolsets=("api_keys", "virtual_keys")))
    async with Client(server, mode=mode) as client:
        created = await client.call_tool("create_api_key", {
            "type": "workspace", "sub_type": "service", "name": "bot", "scopes": ["prompts.read"],
            "workspace_id": world.ws})
        new_key = data(created)["key"]
        assert data(created)["secret_fields"] == ["key"] and "shown only once" in text(created)
        rotated = await client.call_tool("rotate_api_key", {"id": data(created)["id"]})
        rotated_key = data(rotated)["key"]
        assert rotated_key != new_key and data(rotated)["secret_fields"] == ["key"]
        read_back = data(await client.call_tool("get_api_key", {"id": data(created)["id"]}))
        listed = text(await client.call_tool("list_api_keys", {"workspace_id": world.ws}))
        virtual = await client.call_tool("create_virtual_key", {"name": "claude", "provider": "anthropic",
                                                                "key": PROVIDER_KEY})
    assert "secret_fields" not in read_back  # only the creating and rotating calls carry a secret
    for secret in (new_key, rotated_key):
        assert secret not in str(read_back) and secret not in listed
    assert PROVIDER_KEY not in text(virtual)  # the provider key goes in, never comes back
    for secret in (new_key, rotated_key, PROVIDER_KEY, KEY):
        assert secret not in caplog.text


async def test_a_virtual_key_secret_in_portkeys_answer_is_marked() -> None:
    """Portkey's create answer is {success, data{slug}}; should it ever carry the key, it is marked as secret."""
    answer = {"success": True, "data": {"slug": "claude-1a2b", "key": "vk-secret-9f8e7d6c5b4a"}}
    settings = Settings(api_key=Secret(KEY), base_url=BASE_URL, retry=RetryPolicy(max_retries=0))
    server = build_server(lambda: PortkeyClient(settings, transport=httpx.MockTransport(
        lambda request: httpx.Response(200, json=answer))), selection=Selection(toolsets=("virtual_keys",)))
    async with Client(server, raise_exceptions=True) as client:
        result = await client.call_tool("create_virtual_key", {"name": "claude", "provider": "anthropic",
                                                               "key": PROVIDER_KEY})
    assert data(result)["secret_fields"] == ["key"] and "SECRET: key" in text(result)
    assert redact("leaked vk-secret-9f8e7d6c5b4a") == f"leaked {REDACTED}"  # registered with the redactor


def test_redaction_rules() -> None:
    install_redaction()
    remember_secret("pk-live-0123456789")
    assert redact("got pk-live-0123456789 back") == f"got {REDACTED} back"
    assert redact('{"key": "abc123", "name": "x"}') == f'{{"key": {REDACTED}, "name": "x"}}'
    assert redact("x-portkey-api-key: secretvalue") == f"x-portkey-api-key: {REDACTED}"
    assert redact("Authorization: Bearer tok123") == f"Authorization: {REDACTED}"
    assert redact('"aws_secret_access_key": "wJalr/K7"') == f'"aws_secret_access_key": {REDACTED}'
    assert redact("vault_token=hvs.abc client_secret=s3 password: pw") == (
        f"vault_token={REDACTED} client_secret={REDACTED} password: {REDACTED}")
    for harmless in ("monkey: 5", "max_tokens: 50", "secret_path: prod/openai", "key_transition_period_ms=9"):
        assert redact(harmless) == harmless


def test_echoed_secrets_are_redacted_in_every_record(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction()
    remember_secret("sk-once-5555-abcdef")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("anything").warning("echo %s and api_key=%s", "sk-once-5555-abcdef", "sk-other-123456")
    assert "sk-once-5555-abcdef" not in caplog.text and "sk-other-123456" not in caplog.text
    assert REDACTED in caplog.text


def test_configure_logging_writes_redacted_lines_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from mcp_server.logs import configure_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("info")
        configure_logging("info")  # idempotent: one handler of ours
        ours = [h for h in root.handlers if getattr(h, "_portkey_admin_mcp", False)]
        assert len(ours) == 1
        logging.getLogger("portkey_admin_mcp.test").info("x-portkey-api-key: %s", "abcdef123")
        err = capsys.readouterr().err
        assert "abcdef123" not in err and REDACTED in err
    finally:
        root.handlers, root.level = saved
