"""Issue 12, resilience: reads retried on 500, writes never repeated, deadlines per attempt, call and
command, and a cap on answer size. Transport-level cases run over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import (
    PortkeyAnswerTooLarge,
    PortkeyAPIError,
    PortkeyClient,
    PortkeyConfigError,
    PortkeyDeadlineError,
    PortkeyRequestError,
    RetryPolicy,
    Secret,
    Settings,
)
from sandbox import FaultRule, Faults, Sandbox
from tests.portkey.helpers import make_client, reply, scripted
from tests.portkey.servers import endless, serve, trickle

pytestmark = pytest.mark.anyio

KEY = "resilience-key-7d1c"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
PROMPT_BODY = {"name": "p", "collection_id": "c", "string": "hi", "parameters": {}, "virtual_key": "vk"}
QUICK = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05, retry_after_max=0.1)


def client_for(base_url: str, **settings: object) -> PortkeyClient:
    return PortkeyClient(Settings(api_key=Secret(KEY), base_url=base_url, **{"retry": QUICK, **settings}))


# --- which failures are retried -------------------------------------------------------------------


async def test_a_read_is_retried_on_500() -> None:
    rec = scripted(reply(500, {"message": "boom"}), reply(500, {}), reply(200, {"data": [], "total": 0}))
    client, sleeps = make_client(rec)
    assert await client.list_prompts() == {"data": [], "total": 0}
    assert len(rec.requests) == 3 and len(sleeps) == 2 and all(0 <= s <= 4.0 for s in sleeps)


@pytest.mark.parametrize("operation, arguments", [
    ("create_prompt", {"body": PROMPT_BODY}),
    ("update_prompt", {"prompt_id": "p", "body": {"string": "x"}}),  # makes a version
    ("update_prompt_label", {"label_id": "l", "body": {"description": "d"}}),  # a write: today's rules
    ("delete_prompt", {"prompt_id": "p"}),
])
async def test_a_write_answered_500_is_not_repeated(operation: str, arguments: dict) -> None:
    rec = scripted(reply(500, {"message": "boom"}), reply(200, {"id": "dup"}))
    client, _ = make_client(rec)
    with pytest.raises(PortkeyAPIError) as caught:
        await client.call(operation, **arguments)
    assert caught.value.status == 500 and len(rec.requests) == 1


async def test_no_backoff_sleep_runs_past_the_calls_deadline() -> None:
    """Retry-After 20 s with a 5 s call deadline: the client gives up instead of sleeping past it."""
    rec = scripted(reply(429, {"message": "slow down"}, {"retry-after": "20"}), reply(200, {}))
    client, sleeps = make_client(rec)
    client.settings = Settings(api_key=Secret(KEY), base_url=client.settings.base_url,
                               retry=RetryPolicy(max_retries=3, retry_after_max=30, deadline=5))
    with pytest.raises(PortkeyAPIError) as caught:
        await client.get_prompt(prompt_id="p")
    assert caught.value.status == 429 and sleeps == [] and len(rec.requests) == 1


async def test_a_retry_that_would_outlast_the_command_is_not_waited_for() -> None:
    rec = scripted(reply(429, {"message": "slow down"}, {"retry-after": "20"}), reply(200, {}))
    client, sleeps = make_client(rec)
    with client.command_deadline(5), pytest.raises(PortkeyDeadlineError) as caught:
        await client.get_prompt(prompt_id="p")
    assert sleeps == [] and len(rec.requests) == 1
    assert "the last attempt failed" in str(caught.value) and "HTTP 429" in str(caught.value)


async def test_a_scripted_500_on_a_listing_is_retried_and_the_plan_completes(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sb, base_url = served
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    async with client_for(base_url) as client:
        await apply_planned(client, await plan_project(client, root))
        sb.reset_requests()
        sb.faults = Faults(per_operation={"list_prompts": FaultRule(script=("500",))})
        planned = await plan_project(client, root)
    assert not planned.plan.errors and not planned.plan.has_changes
    assert [r.status for r in sb.requests() if r.operation == "list_prompts"][:2] == [500, 200]


@pytest.mark.parametrize("operation, fault", [("create_prompt", "500"), ("create_prompt", "503"),
                                              ("update_prompt", "500"), ("create_prompt", "drop")])
async def test_writes_are_not_repeated_after_a_failure_that_may_have_arrived(
    served: tuple[Sandbox, str], operation: str, fault: str
) -> None:
    sb, base_url = served
    async with client_for(base_url) as client:
        collection = (await client.list_collections(workspace_id=sb.default_workspace_id))["data"][0]["id"]
        created = await client.create_prompt(body={**PROMPT_BODY, "collection_id": collection})
        sb.reset_requests()
        sb.faults = Faults(per_operation={operation: FaultRule(script=(fault,))})
        with pytest.raises((PortkeyAPIError, PortkeyRequestError)):
            if operation == "create_prompt":
                await client.create_prompt(body={**PROMPT_BODY, "name": "q", "collection_id": collection})
            else:
                await client.update_prompt(prompt_id=created["id"], body={"string": "new text"})
    assert [r.operation for r in sb.requests()].count(operation) == 1


# --- deadlines ------------------------------------------------------------------------------------


async def test_a_body_trickling_at_one_byte_a_second_ends_in_a_timeout() -> None:
    """httpx's read timeout restarts with every byte; the attempt's total time is bounded anyway."""
    app = trickle()
    with serve(app) as base_url:
        started = time.monotonic()
        async with client_for(base_url, timeout=1.5, retry=RetryPolicy(max_retries=1, backoff_base=0.01)) as client:
            with pytest.raises(PortkeyRequestError) as caught:
                await client.list_prompts()
        elapsed = time.monotonic() - started
    assert not isinstance(caught.value, PortkeyDeadlineError)
    assert "list_prompts (GET /prompts)" in str(caught.value)
    assert "not complete within 1.5 s (PORTKEY_TIMEOUT)" in str(caught.value)
    assert caught.value.attempts == 2 and app.hits == {"GET /v1/prompts": 2}
    assert elapsed < 6


async def test_a_trickling_answer_to_a_create_is_not_repeated() -> None:
    app = trickle()
    with serve(app) as base_url:
        async with client_for(base_url, timeout=1.0) as client:
            with pytest.raises(PortkeyRequestError) as caught:
                await client.create_prompt(body=PROMPT_BODY)
    assert caught.value.sent is True and app.hits == {"POST /v1/prompts": 1}


async def test_the_command_deadline_stops_a_trickle_in_time() -> None:
    """A per-attempt timeout of 30 s and 4 retries would wait minutes; the command's 2 s deadline wins."""
    with serve(trickle()) as base_url:
        started = time.monotonic()
        async with client_for(base_url, timeout=30, deadline=2) as client:
            with pytest.raises(PortkeyDeadlineError) as caught:
                await client.get_prompt(prompt_id="pp-1")
        elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 5
    message = str(caught.value)
    assert "get_prompt (GET /prompts/pp-1)" in message and "deadline passed" in message
    assert "PORTKEY_DEADLINE" in message and caught.value.sent is True


async def test_a_shared_client_bounds_each_command_it_is_told_about() -> None:
    """A long-lived client (the MCP server's) is not opened per command: command_deadline() scopes one."""
    with serve(trickle()) as base_url:
        client = client_for(base_url, timeout=30)
        try:
            started = time.monotonic()
            with client.command_deadline(1.0), pytest.raises(PortkeyDeadlineError):
                await client.list_prompts()
            assert time.monotonic() - started < 4
        finally:
            await client.aclose()


async def test_command_deadline_zero_means_none() -> None:
    rec = scripted(reply(200, {"id": "1"}))
    client, _ = make_client(rec)
    with client.command_deadline(0):
        assert await client.get_prompt(prompt_id="p") == {"id": "1"}


# --- answer size ----------------------------------------------------------------------------------


async def test_an_endless_answer_stops_at_the_cap() -> None:
    app = endless()
    with serve(app) as base_url:
        async with client_for(base_url, max_answer_bytes=4 * 1024 * 1024) as client:
            with pytest.raises(PortkeyAnswerTooLarge) as caught:
                await client.list_prompts()
    message = str(caught.value)
    assert "list_prompts (GET /prompts)" in message and "4 MiB" in message
    assert "PORTKEY_MAX_ANSWER_MB" in message
    assert app.hits == {"GET /v1/prompts": 1}  # the same answer would come again: not retried


async def test_an_announced_oversized_answer_is_refused_before_reading() -> None:
    app = endless(announce=1024 * 1024 * 1024)
    with serve(app) as base_url:
        async with client_for(base_url, max_answer_bytes=1024 * 1024) as client:
            with pytest.raises(PortkeyAnswerTooLarge, match="announced 1,073,741,824 bytes"):
                await client.get_config(slug="pc-1")


async def test_answers_under_the_cap_are_read_whole(served: tuple[Sandbox, str]) -> None:
    _, base_url = served
    async with client_for(base_url, max_answer_bytes=64 * 1024) as client:
        labels, complete = await client.list_all("list_prompt_labels")
    assert complete and {"production", "staging"} <= {label["name"] for label in labels}


# --- settings -------------------------------------------------------------------------------------


def test_deadline_and_cap_come_from_the_environment() -> None:
    settings = Settings.from_env({"PORTKEY_API_KEY": KEY, "PORTKEY_DEADLINE": "90", "PORTKEY_MAX_ANSWER_MB": "2"})
    assert settings.deadline == 90 and settings.max_answer_bytes == 2 * 1024 * 1024
    defaults = Settings.from_env({"PORTKEY_API_KEY": KEY})
    assert defaults.deadline == 3600 and defaults.max_answer_bytes == 32 * 1024 * 1024


@pytest.mark.parametrize("name, value, expected", [
    ("PORTKEY_DEADLINE", "soon", "PORTKEY_DEADLINE must be a number"),
    ("PORTKEY_DEADLINE", "-1", "PORTKEY_DEADLINE must not be negative"),
    ("PORTKEY_MAX_ANSWER_MB", "0", "PORTKEY_MAX_ANSWER_MB must be a positive number"),
    ("PORTKEY_MAX_ANSWER_MB", "inf", "PORTKEY_MAX_ANSWER_MB must be a finite number"),
])
def test_bad_deadline_or_cap_settings_are_named(name: str, value: str, expected: str) -> None:
    with pytest.raises(PortkeyConfigError, match=expected):
        Settings.from_env({"PORTKEY_API_KEY": KEY, name: value})


# --- the command line -----------------------------------------------------------------------------


def test_plan_against_a_trickling_api_ends_with_one_clear_error(tmp_path: Path) -> None:
    """The issue's hang: `plan` against an API trickling one byte a second now stops at PORTKEY_DEADLINE."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    script = Path(sys.executable).with_name("portkey-gitops")
    with serve(trickle()) as base_url:
        env = {**os.environ, "PORTKEY_API_KEY": KEY, "PORTKEY_BASE_URL": base_url, "PORTKEY_DEADLINE": "2"}
        started = time.monotonic()
        done = subprocess.run([str(script), "plan", str(root)], env=env, capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        elapsed = time.monotonic() - started
    assert done.returncode not in (0, 2)
    assert "deadline passed" in done.stderr and "PORTKEY_DEADLINE" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and KEY not in done.stderr + done.stdout
    assert elapsed < 20
