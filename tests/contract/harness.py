"""What the client-against-sandbox contract tests share.

Each test module builds a :class:`World` subclass (a sandbox, our client wired to it through a
:class:`ContractTransport`, plus the objects the module creates first with the builders of
:mod:`tests.worlds`) inside :func:`connect`, and gives every operation a success call and an
error call. :func:`unknown_ids` derives the error call of each operation with path parameters;
:func:`assert_success` and :func:`assert_error` hold each outcome to the spec.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from engine.portkey import PortkeyAPIError, PortkeyClient, RetryPolicy, Secret, Settings, operations
from sandbox import Sandbox
from tests.contract.recorder import ContractTransport

KEY = "contract-key"
MISSING = "00000000-0000-4000-8000-000000000000"

Call = Callable[[Any], tuple[dict[str, Any], Any]]  # world -> (arguments, body)


@dataclass(frozen=True)
class World:
    """The client, its recording transport and the sandbox behind them."""

    client: PortkeyClient
    recorder: ContractTransport
    sandbox: Sandbox


@asynccontextmanager
async def connect() -> AsyncIterator[tuple[Sandbox, ContractTransport, PortkeyClient]]:
    """A fresh in-memory sandbox and a client without retries that records every exchange."""
    sandbox = Sandbox(db=":memory:", api_key=KEY)
    recorder = ContractTransport(httpx.ASGITransport(app=sandbox.app))
    settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1", retry=RetryPolicy(max_retries=0))
    client = PortkeyClient(settings, transport=recorder)
    try:
        yield sandbox, recorder, client
    finally:
        await client.aclose()
        sandbox.close()


def unknown_ids(success: Mapping[str, Call]) -> dict[str, Call]:
    """For every operation with path parameters: its success call with each id unknown (a 404)."""

    def failing(name: str, call: Call) -> Call:
        missing = dict.fromkeys(operations.get(name).path_params, MISSING)

        def fail(world: Any) -> tuple[dict[str, Any], Any]:
            args, body = call(world)
            return {**args, **missing}, body

        return fail

    return {name: failing(name, call) for name, call in success.items() if operations.get(name).path_params}


async def assert_success(world: World, name: str, call: Call) -> Any:
    """Run the call: every exchange must succeed and conform to the spec on both sides."""
    args, body = call(world)
    answer = await world.client.call(name, body=body, **args)
    assert world.recorder.exchanges, "no request was made"
    assert [e.status for e in world.recorder.exchanges if not 200 <= e.status < 300] == []
    violations = world.recorder.violations()
    assert violations == [], violations
    return answer


async def assert_error(world: World, name: str, call: Call) -> PortkeyAPIError:
    """Run the call: it must fail with a 400/404/409 naming the operation, in a conforming answer.

    Error calls may send deliberately invalid input, so only the response side is checked.
    """
    args, body = call(world)
    with pytest.raises(PortkeyAPIError) as caught:
        await world.client.call(name, body=body, **args)
    assert caught.value.status in (400, 404, 409), str(caught.value)
    assert caught.value.message and caught.value.operation == name
    violations = world.recorder.violations("response")
    assert violations == [], violations
    return caught.value
