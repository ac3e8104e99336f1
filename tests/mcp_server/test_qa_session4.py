"""Exploratory QA findings (session 4), each pinned through the official MCP client."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import ElicitResult

from engine.gitops.lease import LEASE_NAME
from engine.portkey import PortkeyClient, RetryPolicy, Secret, Settings
from mcp_server.selection import Selection
from mcp_server.server import build_server
from mcp_server.state import ToolOptions
from sandbox import FaultRule, Faults, Sandbox
from tests.mcp_server.conftest import gitops_mcp, text
from tests.mcp_server.world import BASE_URL, KEY, World

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"


def requests_seen(sb: Sandbox) -> int:
    """Requests the sandbox has answered so far."""
    return len(sb.requests())


async def test_an_overlong_query_argument_is_refused_with_its_name(
    client: Client, world: World, sandbox: Sandbox
) -> None:
    """A date-time filter of 200,000 characters (no maxLength in the catalogue) made httpx refuse the URL: the
    agent saw only 'failed unexpectedly' and the log a traceback. It is now an argument error naming the field."""
    before = requests_seen(sandbox)
    result = await client.call_tool("get_cost_analytics", world.window(time_of_generation_min="x" * 200_000))
    assert result.is_error
    structured: dict[str, Any] = result.structured_content or {}
    assert structured.get("code") == "invalid_argument", text(result)
    assert "time_of_generation_min" in structured["message"] and "too long" in structured["message"]
    assert requests_seen(sandbox) == before  # nothing was sent


class SlowWrites(httpx.AsyncBaseTransport):
    """The sandbox, with every write after the first ``fast`` ones slower than the command's deadline."""

    def __init__(self, sb: Sandbox, fast: int | None = None, delay: float = 1.5) -> None:
        self.inner = httpx.ASGITransport(app=sb.app)
        self.fast, self.delay, self.seen = fast, delay, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.seen += 1
            if self.fast is not None and self.seen > self.fast:
                await anyio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


def lease_labels(db: Path) -> list[str]:
    """The apply lease labels the sandbox holds, read from its database file."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT doc FROM objects WHERE kind != 'audit_log'").fetchall()
    return [doc for (doc,) in rows if f'"{LEASE_NAME}"' in doc]


async def test_an_apply_stopped_by_the_deadline_releases_its_lease(tmp_path: Path) -> None:
    """PORTKEY_DEADLINE passing mid-apply stopped the apply (apply_stopped), but the lease release ran under the
    same, expired deadline, so the label stayed and the agent's next gitops_apply was refused as lease_held
    ("another apply holds the lease": its own) until the lease's time to live ran out."""
    shutil.copytree(EXAMPLE, tmp_path / "project")
    with Sandbox(db=tmp_path / "sb.db", api_key=KEY) as sb:
        transport = SlowWrites(sb)

        def make() -> PortkeyClient:
            return PortkeyClient(
                Settings(
                    api_key=Secret(KEY),
                    base_url=BASE_URL,
                    deadline=1.0,
                    retry=RetryPolicy(max_retries=0, backoff_base=0, backoff_max=0, retry_after_max=0),
                ),
                transport=transport,
            )

        server = build_server(make, options=ToolOptions(project_roots=(str(tmp_path),)))
        async with Client(server, raise_exceptions=True) as client:
            planned = await client.call_tool("gitops_plan", {"project_dir": "project"})
            digest = (planned.structured_content or {})["plan_hash"]
            transport.fast, transport.seen = 4, 0  # the lease's writes and a few objects, then too slow
            stopped = await client.call_tool("gitops_apply", {"project_dir": "project", "plan_hash": digest})
            assert stopped.is_error and (stopped.structured_content or {}).get("code") == "apply_stopped"
            assert lease_labels(tmp_path / "sb.db") == []  # released although the command's time was up
            transport.fast = None
            again = await client.call_tool("gitops_plan", {"project_dir": "project"})
            digest = (again.structured_content or {})["plan_hash"]
            finished = await client.call_tool("gitops_apply", {"project_dir": "project", "plan_hash": digest})
            assert not finished.is_error, text(finished)


async def test_a_tool_the_session_cannot_call_is_a_structured_error(client: Client) -> None:
    """Calling a tool that does not exist (a typo, a tool from another server) came back as isError with text only:
    no structuredContent with a code, unlike every other error, and it told the agent to enable a toolset."""
    result = await client.call_tool("delete_every_prompt", {})
    assert result.is_error
    structured = result.structured_content or {}
    assert structured.get("code") == "unknown_tool", text(result)
    assert "delete_every_prompt" in structured["message"] and "tools/list" in structured["next_step"]


@pytest.mark.parametrize("action", ["none", "decline"])
async def test_confirmation_refusals_carry_a_code_and_a_next_step(action: str, make_server: Any, world: World) -> None:
    """--confirm-destructive refusals were code tool_error with next_step null: an agent could not tell 'the user
    said no' (do not retry) from 'this client cannot ask' (the operator must change something) by the code."""
    server = make_server(Selection(toolsets=("collections",)), ToolOptions(confirm_destructive=True))

    async def decline(ctx: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="decline")

    async with Client(server, elicitation_callback=decline if action == "decline" else None) as connected:
        result = await connected.call_tool("delete_collection", {"collection_id": world.empty_collection["id"]})
    structured = result.structured_content or {}
    assert result.is_error
    expected = "not_confirmed" if action == "decline" else "confirmation_unavailable"
    assert structured.get("code") == expected, text(result)
    assert structured["next_step"] and structured["retryable"] is False


async def test_argument_errors_the_client_catches_say_what_to_do(client: Client) -> None:
    """An id the client refuses before sending (``..``) had next_step null in its structured part."""
    result = await client.call_tool("get_prompt", {"prompt_id": ".."})
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "invalid_argument", text(result)
    assert structured["next_step"] and "prompt_id" in structured["message"]


def deadline_bound_client(sb: Sandbox) -> PortkeyClient:
    """A client on ``sb`` with a 1 s command deadline and no retries (the sandbox is given 1.5 s of latency)."""
    retry = RetryPolicy(max_retries=0, backoff_base=0, backoff_max=0, retry_after_max=0)
    settings = Settings(api_key=Secret(KEY), base_url=BASE_URL, deadline=1.0, retry=retry)
    return PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app))


async def test_the_command_deadline_is_not_reported_as_an_unreachable_portkey(tmp_path: Path) -> None:
    """PORTKEY_DEADLINE passing during gitops_plan was code unreachable, retryable, 'check the network and
    PORTKEY_BASE_URL': wrong advice (Portkey answered; the call was slower than the deadline allows)."""
    shutil.copytree(EXAMPLE, tmp_path / "project")
    with Sandbox(api_key=KEY) as sb:
        sb.faults = Faults(default=FaultRule(latency_ms=1500))

        slow = partial(deadline_bound_client, sb)
        server = build_server(slow, options=ToolOptions(project_roots=(str(tmp_path),)))
        async with Client(server, raise_exceptions=True) as connected:
            result = await connected.call_tool("gitops_plan", {"project_dir": "project"})
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "deadline_exceeded", text(result)
    assert structured["retryable"] is False and "PORTKEY_DEADLINE" in structured["next_step"]
    assert "PORTKEY_BASE_URL" not in text(result)


@pytest.mark.parametrize(("workspace", "expected"), [("..", "'workspace'"), ("ws-missing", "list_workspaces")])
async def test_export_errors_about_the_workspace_name_the_argument(
    workspace: str, expected: str, tmp_path: Path
) -> None:
    """gitops_export's workspace argument was reported as 'workspace_id' (the Portkey operation's name) and a
    missing one as 'check the id you passed' without the tool that lists workspaces."""
    async with gitops_mcp(tmp_path) as (connected, _):
        result = await connected.call_tool("gitops_export", {"target_dir": "exported", "workspace": workspace})
    structured = result.structured_content or {}
    assert result.is_error, text(result)
    assert expected in f"{structured['message']} {structured['next_step']}"
    assert "workspace_id" not in text(result)


async def test_apply_refuses_a_broken_or_blocked_plan_with_the_code_plan_gives(tmp_path: Path) -> None:
    """gitops_plan says plan_has_errors or plan_blocked; gitops_apply said plan_not_applicable for both, so an agent
    keyed on the codes gitops_plan documents did not recognise the same refusal from apply."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    async with gitops_mcp(tmp_path) as (connected, _):
        planned = await connected.call_tool("gitops_plan", {"project_dir": "project"})
        digest = (planned.structured_content or {})["plan_hash"]
        assert not (await connected.call_tool("gitops_apply", {"project_dir": "project", "plan_hash": digest})).is_error
        (project / "prompts" / "support" / "triage.prompt.yaml").unlink()  # protected: its deletion is blocked
        codes = []
        for broken in (False, True):
            if broken:
                (project / "portkey.yaml").write_text("version: [\n")
            for extra in ({}, {"plan_hash": "a" * 64}):  # gitops_plan, then gitops_apply
                tool = "gitops_apply" if extra else "gitops_plan"
                result = await connected.call_tool(tool, {"project_dir": "project", "prune": True, **extra})
                codes.append((result.structured_content or {}).get("code"))
    assert codes == ["plan_blocked", "plan_blocked", "plan_has_errors", "plan_has_errors"]


async def test_operation_tools_are_bounded_by_the_command_deadline() -> None:
    """PORTKEY_DEADLINE bounded the gitops tools only: a list with all=true (many pages) ran on past it, each page
    within PORTKEY_TIMEOUT. Every tool call is one command."""
    with Sandbox(api_key=KEY) as sb:
        sb.faults = Faults(default=FaultRule(latency_ms=1500))

        slow = partial(deadline_bound_client, sb)
        server = build_server(slow, selection=Selection(toolsets=("prompts",)))
        async with Client(server, raise_exceptions=True) as connected:
            result = await connected.call_tool("list_prompts", {"all": True})
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "deadline_exceeded", text(result)


COMPOSITE_CALLS = {
    "migrate_prompt": {"name": "triage", "app": "support", "env": "dev", "collection_id": "support",
                       "parameters": {}, "virtual_key": "openai-dev", "string": "Hi", "dry_run": True},
    "promote_prompt": {"source_prompt_id": "triage-dev", "target_collection_id": "prod", "target_env": "prod",
                       "dry_run": True},
}


@pytest.mark.parametrize("tool", sorted(COMPOSITE_CALLS))
async def test_the_prompt_composites_are_bounded_by_the_command_deadline(tool: str) -> None:
    """migrate_prompt and promote_prompt make several calls each; like every other tool call they are one command
    under PORTKEY_DEADLINE (without it each of their calls waited out the 1.5 s latency and the tool answered)."""
    with Sandbox(api_key=KEY) as sb:
        sb.faults = Faults(default=FaultRule(latency_ms=1500))
        server = build_server(partial(deadline_bound_client, sb), selection=Selection(toolsets=("prompts",)))
        async with Client(server, raise_exceptions=True) as connected:
            result = await connected.call_tool(tool, COMPOSITE_CALLS[tool])
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "deadline_exceeded", text(result)


@pytest.mark.parametrize("lock_file", ["prompts/support/extra.prompt.yaml", ".git/hooks/pre-commit", "portkey"])
async def test_apply_writes_its_lock_only_where_a_lock_belongs(lock_file: str, tmp_path: Path) -> None:
    """lock_file accepted any new path in the project, so gitops_apply wrote the lock's JSON as a prompt file (the
    next plan failed on it) or into .git/. The server writes nothing else into the project: a lock is a .json file
    outside .git/."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    (project / ".git" / "hooks").mkdir(parents=True)
    async with gitops_mcp(tmp_path) as (connected, _):
        planned = await connected.call_tool("gitops_plan", {"project_dir": "project"})
        digest = (planned.structured_content or {}).get("plan_hash", "0" * 64)
        result = await connected.call_tool(
            "gitops_apply", {"project_dir": "project", "plan_hash": digest, "lock_file": lock_file}
        )
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "invalid_arguments", text(result)
    assert "lock_file" in structured["message"] and ".json" in structured["message"]
    assert not (project / lock_file).exists()


async def test_an_id_the_project_names_that_portkey_lacks_points_to_the_project(tmp_path: Path) -> None:
    """environments/prod.yaml names a workspace the account lacks: the 404 said 'check the id you passed', but the
    agent passed only project_dir and env; the id is in the project's files."""
    shutil.copytree(EXAMPLE, tmp_path / "project")
    async with gitops_mcp(tmp_path) as (connected, _):
        for tool in ("gitops_plan", "gitops_drift"):
            result = await connected.call_tool(tool, {"project_dir": "project", "env": "prod"})
            structured = result.structured_content or {}
            assert result.is_error and structured.get("status") == 404, text(result)
            assert "the id you passed" not in text(result)
            assert "environments/prod.yaml" in structured["next_step"], tool


async def test_an_unknown_toolset_is_an_argument_error_with_a_next_step(client: Client) -> None:
    """enable_toolset with a toolset that does not exist was code tool_error with next_step null."""
    result = await client.call_tool("enable_toolset", {"toolset": "../../etc"})
    structured = result.structured_content or {}
    assert result.is_error and structured.get("code") == "invalid_arguments", text(result)
    assert "list_toolsets" in structured["next_step"] and "prompts" in structured["message"]
