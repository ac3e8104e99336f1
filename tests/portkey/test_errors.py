"""Error answers become one exception that keeps status, errorCode, message and operation."""

from __future__ import annotations

import logging

import httpx
import pytest

from engine.portkey import PortkeyAPIError, PortkeyConfigError, Secret, Settings
from tests.portkey.helpers import KEY, make_client, reply, scripted

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"errorCode": "AB08", "message": "Prompt not found"}, "Prompt not found", "AB08"),
        ({"success": False, "data": {"message": "Nope", "errorCode": "AB03"}}, "Nope", "AB03"),
        ({"error": {"code": "not_found", "message": "Label missing", "type": "x"}}, "Label missing",
         "not_found"),
        ({"error": "plain text error"}, "plain text error", None),
    ],
)
async def test_error_envelopes_are_all_read(body: dict, message: str, code: str | None) -> None:
    client, _ = make_client(scripted(reply(404, body)))
    with pytest.raises(PortkeyAPIError) as caught:
        await client.get_prompt_label(label_id="l-1")
    error = caught.value
    assert (error.status, error.message, error.error_code) == (404, message, code)
    assert error.operation == "get_prompt_label"
    assert str(error).startswith("get_prompt_label (GET /labels/l-1): HTTP 404")


async def test_non_json_error_keeps_the_status() -> None:
    client, _ = make_client(scripted(httpx.Response(500, text="<html>boom</html>")))
    with pytest.raises(PortkeyAPIError) as caught:
        await client.delete_prompt(prompt_id="p")
    assert caught.value.status == 500
    assert "Internal Server Error" in str(caught.value)


async def test_enterprise_gated_403_says_so() -> None:
    client, _ = make_client(scripted(reply(403, {"message": "Forbidden"})))
    with pytest.raises(PortkeyAPIError, match="Enterprise-gated"):
        await client.get_organisation_defaults()


async def test_ordinary_403_does_not_claim_enterprise() -> None:
    client, _ = make_client(scripted(reply(403, {"errorCode": "AB03", "message": "gone"})))
    with pytest.raises(PortkeyAPIError) as caught:
        await client.get_guardrail(guardrail_id="g")
    assert "Enterprise" not in str(caught.value)
    assert caught.value.not_found


async def test_key_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    echo = reply(401, {"message": f"Invalid API key {KEY}"})
    client, _ = make_client(scripted(echo))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PortkeyAPIError) as caught:
        await client.list_prompts()
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert KEY not in caplog.text
    assert KEY not in repr(client) and KEY not in repr(client.settings)


def test_settings_refuse_plain_http_except_loopback() -> None:
    with pytest.raises(PortkeyConfigError, match="plain http"):
        Settings(api_key=Secret("k"), base_url="http://api.portkey.ai/v1")
    assert Settings(api_key=Secret("k"), base_url="http://127.0.0.1:8787/v1/").base_url.endswith("/v1")
    assert Settings(api_key=Secret("k"), base_url="http://localhost:1/v1")


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(PortkeyConfigError, match="PORTKEY_API_KEY is not set"):
        Settings.from_env({})
    with pytest.raises(PortkeyConfigError, match="PORTKEY_TIMEOUT must be a number"):
        Settings.from_env({"PORTKEY_API_KEY": "k", "PORTKEY_TIMEOUT": "soon"})
    settings = Settings.from_env({"PORTKEY_API_KEY": "k", "PORTKEY_MAX_RETRIES": "0"})
    assert settings.retry.max_retries == 0
    assert settings.base_url == "https://api.portkey.ai/v1"
