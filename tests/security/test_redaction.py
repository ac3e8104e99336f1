"""The two secret nets every output relies on: secret field names, and scrubbing of known values."""

from __future__ import annotations

import io

import pytest

from engine import redaction


@pytest.mark.parametrize(
    "name",
    ["api_key", "azure_entra_client_secret", "vertex_service_account_json", "Authorization", "x-api-key",
     "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "azure_ad_token", "credentials",
     "token", "password", "openaiApiKey", "private_key", "client_secret", "Cookie"],
)
def test_secret_names_are_recognised(name: str) -> None:
    assert redaction.is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    ["api_key_id", "token_count", "secret_references", "secret_path", "token_url",
     "virtual_key", "max_tokens", "model", "key", "cache_key", "tokenizer", "input_tokens", "prompt_key", ""],
)
def test_ordinary_names_are_not_secrets(name: str) -> None:
    assert not redaction.is_secret_key(name)


def test_mask_fields_masks_any_nesting_and_value_type_but_keeps_references() -> None:
    data = {"targets": [{"api_key": "sk-live", "virtual_key": "openai-prod",
                         "custom_headers": {"Authorization": "Bearer abc"},
                         "vertex_service_account_json": {"private_key": "x"},
                         "password": "${secret:DB_PASSWORD}"}]}
    masked = redaction.mask_fields(data)
    target = masked["targets"][0]
    assert target["api_key"] == target["vertex_service_account_json"] == redaction.MASK
    assert target["custom_headers"]["Authorization"] == redaction.MASK
    assert target["virtual_key"] == "openai-prod"
    assert target["password"] == "${secret:DB_PASSWORD}"
    assert data["targets"][0]["api_key"] == "sk-live"  # the input is untouched


def test_registered_values_are_scrubbed_from_text_data_and_streams() -> None:
    registry = redaction.Registry()
    registry.register("pk-live-0123456789")
    registry.register("ab")  # too short to scrub without mangling text
    assert registry.scrub("key=pk-live-0123456789;") == "key=[redacted];"
    assert registry.scrub("ab cd") == "ab cd"
    redaction.register('quote"d-secret')
    assert "d-secret" not in redaction.scrub('{"v": "quote\\"d-secret"}')


def test_stream_catches_a_secret_split_across_writes() -> None:
    redaction.register("split-secret-value-42")
    sink = io.StringIO()
    stream = redaction.ScrubbingStream(sink)
    stream.write("before split-secret-")
    stream.write("value-42 after\n")
    stream.write("tail split-secret-value-42")
    stream.flush()
    assert "split-secret-value-42" not in sink.getvalue()
    assert sink.getvalue().count("[redacted]") == 2


@pytest.mark.parametrize("name", ["PORTKEY_API_KEY", "MCP_AUTH_TOKEN", "GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN",
                                  "RUNNER_TEMP", "github_token"])
def test_own_credentials_and_ci_tokens_are_forbidden_secret_names(name: str) -> None:
    assert redaction.forbidden_secret_name(name)


def test_project_secret_names_are_allowed() -> None:
    assert not redaction.forbidden_secret_name("OPENAI_API_KEY")
