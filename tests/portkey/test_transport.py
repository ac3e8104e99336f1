"""The client's own connection pool over real HTTP: connections are reused, bounded, and survive failures."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import httpx
import pytest

from engine.portkey import PortkeyAPIError, PortkeyClient, RetryPolicy, Secret, Settings
from engine.portkey.transport import Answer, PooledTransport
from tests.portkey.servers import serve

pytestmark = pytest.mark.anyio

KEY = "pool-test-key-77aa"


class Counting:
    """An ASGI app answering ``{"id": <path>}`` after ``delay`` seconds; records each request's client port.

    A path ending in ``/fail`` answers 400 with a message.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.ports: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        self.ports.append(scope["client"][1])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await anyio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        failing = scope["path"].endswith("/fail")
        body = {"message": "no such prompt"} if failing else {"id": scope["path"].rsplit("/", 1)[-1]}
        await send(
            {
                "type": "http.response.start",
                "status": 400 if failing else 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def client_for(base_url: str) -> PortkeyClient:
    policy = RetryPolicy(max_retries=0)
    return PortkeyClient(Settings(api_key=Secret(KEY), base_url=base_url, retry=policy))


async def test_sequential_calls_reuse_one_connection() -> None:
    app = Counting()
    with serve(app) as url:
        async with client_for(url) as client:
            answers = [await client.get_prompt(prompt_id=f"p{i}") for i in range(20)]
    assert answers == [{"id": f"p{i}"} for i in range(20)]
    assert len(set(app.ports)) == 1


async def test_concurrent_calls_get_their_own_connections_and_then_reuse_them() -> None:
    app = Counting(delay=0.2)
    with serve(app) as url:
        async with client_for(url) as client:
            found: dict[int, Any] = {}

            async def read(i: int) -> None:
                found[i] = await client.get_prompt(prompt_id=f"p{i}")

            async with anyio.create_task_group() as tasks:
                for i in range(8):
                    tasks.start_soon(read, i)
            first_round = set(app.ports)
            app.delay = 0
            for i in range(8, 16):
                found[i] = await client.get_prompt(prompt_id=f"p{i}")
    assert found == {i: {"id": f"p{i}"} for i in range(16)}
    assert app.most_in_flight == 8  # nobody queued behind a busy connection
    assert len(first_round) == 8
    assert set(app.ports) == first_round  # the second round opened no new connection


async def test_error_answers_hand_their_connection_back() -> None:
    app = Counting()
    with serve(app) as url:
        async with client_for(url) as client:
            for _ in range(5):
                with pytest.raises(PortkeyAPIError, match="no such prompt"):
                    await client.get_prompt(prompt_id="fail")
            assert await client.get_prompt(prompt_id="ok") == {"id": "ok"}
    assert len(set(app.ports)) == 1


async def test_a_refused_connection_leaves_the_pool_usable() -> None:
    pool = PooledTransport(max_connections=2)
    async with httpx.AsyncClient(transport=pool) as http:
        for _ in range(4):
            with pytest.raises(httpx.ConnectError):
                await http.get("http://127.0.0.1:9/")  # discard port: nothing listens
        app = Counting()
        with serve(app) as url:
            assert (await http.get(url + "/prompts/a")).json() == {"id": "a"}
    assert pool.connections <= 2


async def test_beyond_the_connection_limit_requests_wait_instead_of_failing() -> None:
    app = Counting(delay=0.1)
    pool = PooledTransport(max_connections=2, max_idle=1)
    with serve(app) as url:
        async with httpx.AsyncClient(transport=pool) as http:
            answers: list[Any] = []

            async def read(i: int) -> None:
                answers.append((await http.get(f"{url}/prompts/p{i}")).json())

            async with anyio.create_task_group() as tasks:
                for i in range(6):
                    tasks.start_soon(read, i)
            idle_after = pool.connections
    assert sorted(a["id"] for a in answers) == [f"p{i}" for i in range(6)]
    assert app.most_in_flight <= 2 and len(set(app.ports)) == 2
    assert idle_after == 1  # idle connections beyond max_idle were closed


def test_answer_text_follows_the_declared_charset() -> None:
    latin = Answer(400, httpx.Headers({"content-type": "text/plain; charset=latin-1"}), "café".encode("latin-1"))
    unknown = Answer(400, httpx.Headers({"content-type": "text/plain; charset=nonsense"}), "café".encode())
    assert latin.text == "café"
    assert unknown.text == "café"
    with pytest.raises(ValueError):
        Answer(200, httpx.Headers(), b"<html>").json()


async def test_a_proxy_named_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy, behind = Counting(), Counting()
    with serve(proxy) as proxy_url, serve(behind) as url:
        monkeypatch.setenv("HTTP_PROXY", proxy_url.removesuffix("/v1"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with client_for(url) as client:
            assert await client.get_prompt(prompt_id="p1") == {"id": "p1"}
    assert len(proxy.ports) == 1 and not behind.ports  # the request went to the proxy, not straight on
