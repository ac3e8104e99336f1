"""Tests of ContractTransport, the recording and checking httpx transport."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from .recorder import ContractTransport

UUID1 = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
PROMPT = {
    "name": "greeter",
    "collection_id": "default",
    "string": "Hello",
    "parameters": {},
    "virtual_key": "vk",
}


async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    """A minimal ASGI stand-in for the sandbox."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/v1/prompts" and scope["method"] == "POST":
        status, payload = 200, {"id": UUID1, "slug": "pp-greeter", "version_id": UUID1}
    elif scope["path"] == "/v1/labels":
        status, payload = 200, {"total": "one", "data": []}  # wrong type on purpose
    else:
        status, payload = 404, {"errorCode": "AB08", "message": "not found"}
    raw = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json")]
    if scope["path"] == "/v1/prompts":
        raw = gzip.compress(raw)
        headers.append((b"content-encoding", b"gzip"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _exercise() -> ContractTransport:
    transport = ContractTransport(httpx.ASGITransport(app=app))
    headers = {"x-portkey-api-key": "pk-test"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox/v1", headers=headers
    ) as client:
        created = await client.post("/prompts", json=PROMPT)
        assert created.status_code == 200
        assert created.json()["slug"] == "pp-greeter"  # body still readable after recording
        async with client.stream("GET", "/prompts/pp-missing") as streamed:
            assert json.loads(await streamed.aread())["errorCode"] == "AB08"
        await client.get("/labels")
        await client.post("/prompts", json={k: v for k, v in PROMPT.items() if k != "name"})
    return transport


@pytest.mark.anyio
async def test_contract_transport_records_and_checks() -> None:
    transport = await _exercise()
    assert [e.status for e in transport.exchanges] == [200, 404, 200, 200]
    assert transport.exchanges[0].response_body.startswith(b'{"id"')  # decoded, not gzip
    [request_violation] = transport.violations("request")
    assert "POST /prompts" in request_violation and "'name'" in request_violation
    [response_violation] = transport.violations("response")
    assert "GET /labels" in response_violation and "$.total" in response_violation
    assert len(transport.violations()) == 2
    transport.clear()
    assert transport.violations() == []
