"""Helpers shared by the sandbox tests (imported by name: tests/sandbox is on sys.path)."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox import Sandbox

API_KEY = "sandbox-key"
BASE_URL = "http://sandbox/v1"
# The spec's shapes, which the sandbox still serves under these quirks (its defaults are the live shapes).
SPEC_SHAPES = {
    "versions_envelope": "bare",
    "config_encoding": "object",
    "parameters_echo": "off",
    "prompt_shape": "spec",
}


def client_for(sandbox: Sandbox, **kwargs: Any) -> httpx.AsyncClient:
    """An in-process client for `sandbox`, authenticated unless headers are given."""
    kwargs.setdefault("headers", {"x-portkey-api-key": API_KEY})
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE_URL, **kwargs
    )


def ok(response: httpx.Response) -> Any:
    """The JSON body of a 200 answer (fails the test with the body otherwise)."""
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def error_data(response: httpx.Response) -> dict[str, Any]:
    """The `{message, errorCode}` of an error answer, checking the live envelope
    `{success: false, data: {message, errorCode}}` around it."""
    body = response.json()
    assert body["success"] is False and set(body) == {"success", "data"}, body
    assert set(body["data"]) == {"message", "errorCode"}, body
    return body["data"]


def error(response: httpx.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    """Check an error answer: status, errorCode and words its message must contain; returns
    `{message, errorCode}`."""
    assert response.status_code == status, (response.status_code, response.text)
    body = error_data(response)
    assert body["errorCode"] == code, body
    for word in words:
        assert word in body["message"], (word, body)
    return body


async def default_collection(api: httpx.AsyncClient) -> dict[str, Any]:
    """The seeded default collection of the default workspace."""
    data = ok(await api.get("/collections"))["data"]
    return next(c for c in data if c["is_default"])


async def make_prompt(api: httpx.AsyncClient, name: str = "Welcome", **fields: Any) -> dict:
    """Create a prompt in the default collection; returns the create answer."""
    body = {
        "name": name,
        "collection_id": (await default_collection(api))["id"],
        "string": "Hello {{name}}",
        "parameters": {"temperature": 0.2},
        "virtual_key": "vk-openai",
        "model": "gpt-4o-mini",
        **fields,
    }
    return ok(await api.post("/prompts", json=body))
