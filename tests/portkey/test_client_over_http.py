"""The client against the sandbox over real HTTP (uvicorn on 127.0.0.1), with injected faults."""

from __future__ import annotations

import logging
import time

import pytest

from engine.portkey import PortkeyAPIError, PortkeyClient, PortkeyRequestError, RetryPolicy, Secret, Settings
from sandbox import FaultRule, Faults, Sandbox

pytestmark = pytest.mark.anyio

KEY = "http-test-key-5f1e"


def client_for(base_url: str, retries: int = 3) -> PortkeyClient:
    policy = RetryPolicy(max_retries=retries, backoff_base=0.01, backoff_max=0.05, retry_after_max=0.1)
    return PortkeyClient(Settings(api_key=Secret(KEY), base_url=base_url, retry=policy))


async def create_prompt(client: PortkeyClient, sb: Sandbox, name: str) -> dict:
    collections = (await client.list_collections(workspace_id=sb.default_workspace_id))["data"]
    return await client.create_prompt(body={
        "name": name, "collection_id": collections[0]["id"], "string": "hi", "parameters": {}, "virtual_key": "vk",
    })


async def prompt_names(client: PortkeyClient) -> list[str]:
    items, complete = await client.list_all("list_prompts")
    assert complete
    return [p["name"] for p in items]


async def test_429s_are_retried_and_create_once(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    sb.faults = Faults(per_operation={"create_prompt": FaultRule(script=("429", "429"), retry_after_s=0)})
    async with client_for(base_url) as client:
        await create_prompt(client, sb, "once")
        assert await prompt_names(client) == ["once"]
    attempts = [r.status for r in sb.requests() if r.operation == "create_prompt"]
    assert attempts == [429, 429, 200]


async def test_dropped_create_is_not_repeated(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    sb.faults = Faults(per_operation={"create_prompt": FaultRule(script=("drop",))})
    async with client_for(base_url) as client:
        with pytest.raises(PortkeyRequestError) as caught:
            await create_prompt(client, sb, "dropped")
        assert caught.value.sent is True
        assert await prompt_names(client) == []
    assert [r.operation for r in sb.requests()].count("create_prompt") == 1


async def test_reads_survive_5xx_and_drops(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    sb.faults = Faults(per_operation={"list_prompt_labels": FaultRule(script=("503", "drop", "ok"))})
    async with client_for(base_url) as client:
        labels, complete = await client.list_all("list_prompt_labels")
    assert complete and {"production", "staging", "development"} <= {label["name"] for label in labels}


async def test_random_faults_never_duplicate_creates(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    async with client_for(base_url, retries=6) as client:
        sb.faults = Faults.uniform(0.3, seed=7)
        made, lost = 0, 0
        for index in range(20):
            try:
                await create_prompt(client, sb, f"p{index}")
                made += 1
            except (PortkeyRequestError, PortkeyAPIError):
                lost += 1
        sb.faults = None
        names = await prompt_names(client)
    assert len(names) == len(set(names)), "a retried create made a duplicate"
    assert made <= len(names) <= made + lost


async def test_key_is_absent_from_logs_and_errors_over_http(
    served: tuple[Sandbox, str], caplog: pytest.LogCaptureFixture
) -> None:
    sb, base_url = served
    caplog.set_level(logging.DEBUG)
    sb.faults = Faults(per_operation={"get_prompt": FaultRule(script=("500",) * 4)})  # a read retries 500s
    async with client_for(base_url) as client:
        with pytest.raises(PortkeyAPIError) as caught:
            await client.get_prompt(prompt_id="pp-nothing")
    assert caught.value.status == 500
    assert KEY not in caplog.text and KEY not in str(caught.value)
    bad = PortkeyClient(Settings(api_key=Secret("wrong-key-123"), base_url=base_url))
    async with bad:
        with pytest.raises(PortkeyAPIError) as denied:
            await bad.list_prompts()
    assert denied.value.status == 401 and "wrong-key-123" not in str(denied.value)


async def test_paging_walks_several_pages_of_the_sandbox(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    async with client_for(base_url) as client:
        for index in range(25):
            await client.create_prompt_label(body={"name": f"label-{index:02d}"})
        pager = client.paginate("list_prompt_labels", page_size=10)
        names = [label["name"] async for label in pager]
    assert pager.complete is True and pager.pages == 3 and pager.total == 28
    assert len(names) == len(set(names)) == 28
    pages = [r for r in sb.requests() if r.operation == "list_prompt_labels"]
    assert len(pages) == 3


async def test_timeout_from_the_environment_cuts_a_slow_answer(served: tuple[Sandbox, str]) -> None:
    sb, base_url = served
    sb.faults = Faults(per_operation={"list_prompts": FaultRule(latency_ms=800)})
    settings = Settings.from_env({"PORTKEY_API_KEY": KEY, "PORTKEY_BASE_URL": base_url,
                                  "PORTKEY_TIMEOUT": "0.1", "PORTKEY_MAX_RETRIES": "0"})
    started = time.monotonic()
    async with PortkeyClient(settings) as client:
        with pytest.raises(PortkeyRequestError) as caught:
            await client.list_prompts()
    assert time.monotonic() - started < 0.6
    assert caught.value.operation == "list_prompts" and caught.value.sent is True
