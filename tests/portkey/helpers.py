"""Builders for client tests: a client over a scripted mock transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings

KEY = "pk-test-SECRET-0123456789"
BASE = "https://api.portkey.ai/v1"


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


class Recorder:
    """A mock transport that answers from a handler and keeps every request."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response | Exception]) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self._handler(request)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def scripted(*outcomes: httpx.Response | Exception) -> Recorder:
    """Answer each request with the next outcome; the last one repeats."""
    queue = list(outcomes)

    def handler(request: httpx.Request) -> httpx.Response | Exception:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return Recorder(handler)


def make_client(recorder: Recorder, *, retries: int = 3) -> tuple[PortkeyClient, list[float]]:
    """A client on the recorder whose sleeps are recorded instead of waited."""
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    settings = Settings(
        api_key=Secret(KEY),
        base_url=BASE,
        retry=RetryPolicy(max_retries=retries, backoff_base=0.5, backoff_max=4.0, retry_after_max=30),
    )
    return PortkeyClient(settings, transport=recorder.transport, sleep=fake_sleep), sleeps
