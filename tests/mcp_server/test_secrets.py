"""One-time secrets: shown once in the result and marked, never in a log line; the Portkey key neither."""

from __future__ import annotations

import logging

import pytest
from mcp import Client

from mcp_server.logs import REDACTED, install_redaction, redact, remember_secret
from tests.mcp_server.conftest import data, text
from tests.mcp_server.world import KEY, World

pytestmark = pytest.mark.anyio


async def test_new_and_rotated_keys_are_marked_and_kept_out_of_logs(
    client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await client.call_tool("create_api_key", {
        "type": "workspace", "sub_type": "service", "name": "bot", "scopes": ["prompts.read"],
        "workspace_id": world.ws})
    new_key = data(created)["key"]
    assert data(created)["secret_fields"] == ["key"]
    assert "shown only once" in text(created)
    rotated = await client.call_tool("rotate_api_key", {"id": data(created)["id"]})
    rotated_key = data(rotated)["key"]
    assert rotated_key != new_key and data(rotated)["secret_fields"] == ["key"]
    logging.getLogger("anything").warning("echo %s and api_key=%s", new_key, "sk-other-123456")
    for secret in (new_key, rotated_key, KEY, "sk-other-123456"):
        assert secret not in caplog.text
    assert REDACTED in caplog.text


def test_redaction_rules() -> None:
    install_redaction()
    remember_secret("pk-live-0123456789")
    assert redact("got pk-live-0123456789 back") == f"got {REDACTED} back"
    assert redact('{"key": "abc123", "name": "x"}') == f'{{"key": {REDACTED}, "name": "x"}}'
    assert redact("x-portkey-api-key: secretvalue") == f"x-portkey-api-key: {REDACTED}"
    assert redact("Authorization: Bearer tok123") == f"Authorization: {REDACTED}"
    assert redact("monkey: 5") == "monkey: 5"


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
