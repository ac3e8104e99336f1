"""Retries: 429 with Retry-After, 5xx, dropped connections, and never a duplicate create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from engine.portkey import PortkeyAPIError, PortkeyRequestError
from tests.portkey.helpers import make_client, reply, scripted

pytestmark = pytest.mark.anyio

PROMPT_BODY = {"name": "p", "collection_id": "c", "string": "hi", "parameters": {}, "virtual_key": "vk"}


async def test_429_is_retried_after_the_servers_delay() -> None:
    rec = scripted(reply(429, {"message": "slow down"}, {"retry-after": "7"}), reply(200, {"id": "1"}))
    client, sleeps = make_client(rec)
    assert await client.get_prompt(prompt_id="p") == {"id": "1"}
    assert len(rec.requests) == 2
    assert sleeps == [7.0]


async def test_retry_after_is_capped() -> None:
    rec = scripted(reply(429, {}, {"retry-after": "3600"}), reply(200, {}))
    client, sleeps = make_client(rec)
    await client.get_prompt(prompt_id="p")
    assert sleeps == [30]


async def test_create_is_retried_on_429_because_portkey_did_not_act() -> None:
    rec = scripted(reply(429, {}, {"retry-after": "0"}), reply(200, {"id": "1", "slug": "pp-1"}))
    client, _ = make_client(rec)
    assert (await client.create_prompt(body=PROMPT_BODY))["slug"] == "pp-1"
    assert [r.method for r in rec.requests] == ["POST", "POST"]


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried_for_reads(status: int) -> None:
    rec = scripted(reply(status, {}), reply(status, {}), reply(200, {"ok": True}))
    client, sleeps = make_client(rec)
    assert await client.get_config(slug="pc-1") == {"ok": True}
    assert len(rec.requests) == 3
    assert len(sleeps) == 2 and all(0 <= s <= 4.0 for s in sleeps)


async def test_create_is_not_retried_on_503() -> None:
    rec = scripted(reply(503, {"message": "unavailable"}), reply(200, {"id": "dup"}))
    client, _ = make_client(rec)
    with pytest.raises(PortkeyAPIError) as caught:
        await client.create_prompt(body=PROMPT_BODY)
    assert caught.value.status == 503
    assert len(rec.requests) == 1


async def test_new_version_update_is_not_retried_after_a_dropped_connection() -> None:
    rec = scripted(httpx.RemoteProtocolError("peer closed connection"), reply(200, {}))
    client, _ = make_client(rec)
    with pytest.raises(PortkeyRequestError) as caught:
        await client.update_prompt(prompt_id="p", body={"string": "x", "patch": True})
    assert caught.value.sent is True
    assert len(rec.requests) == 1


async def test_create_is_retried_when_the_connection_never_opened() -> None:
    rec = scripted(httpx.ConnectError("refused"), reply(200, {"id": "1"}))
    client, _ = make_client(rec)
    assert await client.create_prompt(body=PROMPT_BODY) == {"id": "1"}
    assert len(rec.requests) == 2


async def test_read_is_retried_after_a_dropped_connection() -> None:
    rec = scripted(httpx.ReadError("reset"), reply(200, {"data": [], "total": 0}))
    client, _ = make_client(rec)
    assert await client.list_prompts() == {"data": [], "total": 0}


async def test_retries_are_bounded_and_counted() -> None:
    rec = scripted(reply(429, {"message": "Too many requests"}, {"retry-after": "1"}))
    client, sleeps = make_client(rec, retries=2)
    with pytest.raises(PortkeyAPIError) as caught:
        await client.list_prompts()
    assert sleeps == [1.0, 1.0]
    assert len(rec.requests) == 3
    assert caught.value.attempts == 3
    assert "after 3 attempts" in str(caught.value)
    assert client.request_count == 3


async def test_connection_failure_gives_a_request_error() -> None:
    rec = scripted(httpx.ConnectError("connection refused"))
    client, _ = make_client(rec, retries=1)
    with pytest.raises(PortkeyRequestError) as caught:
        await client.get_prompt(prompt_id="p")
    assert caught.value.sent is False
    assert "no answer from Portkey after 2 attempts" in str(caught.value)


async def test_client_errors_are_not_retried() -> None:
    rec = scripted(reply(400, {"errorCode": "AB01", "message": "name: required"}))
    client, sleeps = make_client(rec)
    with pytest.raises(PortkeyAPIError):
        await client.get_prompt(prompt_id="p")
    assert len(rec.requests) == 1 and sleeps == []


async def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    rec = scripted(reply(429, {}, {"retry-after": when}), reply(200, {}))
    client, sleeps = make_client(rec)
    await client.get_prompt(prompt_id="p")
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 20


async def test_delete_retried_after_a_lost_answer_that_finds_nothing_succeeded() -> None:
    """The first attempt deleted the prompt but its answer was lost; the retry's 404 means done."""
    rec = scripted(reply(503, {}), reply(404, {"errorCode": "AB08", "message": "prompt not found"}))
    client, _ = make_client(rec)
    assert await client.delete_prompt(prompt_id="pp-1") == {}
    assert len(rec.requests) == 2


async def test_delete_of_a_missing_object_still_fails_when_nothing_was_lost() -> None:
    rec = scripted(reply(429, {}, {"retry-after": "0"}), reply(404, {"errorCode": "AB08", "message": "not found"}))
    client, _ = make_client(rec)
    with pytest.raises(PortkeyAPIError) as caught:
        await client.delete_prompt(prompt_id="pp-1")
    assert caught.value.status == 404 and caught.value.not_found
