"""Fixtures for engine tests: a sandbox and a client on it (the copy of the example project, ``project``, is in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from sandbox import Sandbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
KEY = "engine-test-key"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(db=":memory:", api_key=KEY)
    yield sb
    sb.close()


def make_client(sb: Sandbox, transport: httpx.AsyncBaseTransport | None = None) -> PortkeyClient:
    settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1",
                        retry=RetryPolicy(max_retries=2, backoff_base=0, backoff_max=0, retry_after_max=0))
    return PortkeyClient(settings, transport=transport or httpx.ASGITransport(app=sb.app))


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[PortkeyClient]:
    async with make_client(sandbox) as portkey:
        yield portkey
