"""Fixtures for sandbox tests: an in-memory sandbox and an httpx client bound to it in process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sandbox_testkit import API_KEY, client_for

from sandbox import Sandbox


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """An in-memory sandbox, under the quirks a test module names in ``SANDBOX_QUIRKS`` if it does."""
    sandbox = Sandbox(db=":memory:", api_key=API_KEY, quirks=getattr(request.module, "SANDBOX_QUIRKS", None))
    yield sandbox
    sandbox.close()


@pytest.fixture
async def api(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sb) as client:
        yield client
