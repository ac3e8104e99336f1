"""Property: whatever garbage JSON Portkey answers to the reads of a plan or the writes of an apply,
the engine ends in a plan or a PortkeyError (one clear message), and the CLI in one ``Error:``
line with exit 1 or 5, never an unexpected exception type or a traceback."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.gitops.apply import ApplyError
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient, PortkeyError, RetryPolicy, Secret, Settings
from sandbox import Sandbox
from tests.security.cli_support import EXAMPLE, PLANTED_KEY, Rule, Tamper, served

# Reads a plan makes (paths after /v1, as regexes), lists and details alike.
READS = (
    "/prompts", "/prompts/partials", "/labels", "/collections", "/guardrails", "/configs",
    "/policies/rate-limits", "/policies/usage-limits", "/prompts/[^/]+/versions",
    "/prompts/partials/[^/]+/versions", "/prompts/[^/]+", "/prompts/partials/[^/]+", "/guardrails/[^/]+",
    "/configs/[^/]+",
)
# Writes an apply of the example makes.
WRITES = (
    ("POST", "/labels"), ("POST", "/collections"), ("POST", "/prompts/partials"), ("POST", "/prompts"),
    ("PUT", "/prompts/[^/]+/versions/[^/]+"), ("POST", "/guardrails"), ("POST", "/configs"),
    ("POST", "/policies/rate-limits"), ("POST", "/policies/usage-limits"),
)
FIELDS = ("id", "slug", "name", "description", "version", "prompt_version", "status", "label_ids", "label_id",
          "prompt_template", "config", "checks", "string", "is_default", "is_universal", "total", "data",
          "prompt_version_id", "prompt_partial_version_id", "version_id", "template_metadata", "parameters")

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=10,
)
objects = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
bodies = st.one_of(
    values,
    objects,
    st.fixed_dictionaries({"data": st.lists(objects | values, max_size=3)},
                          optional={"total": values, "has_more": values, "object": values}),
)


def settings_for() -> Settings:
    return Settings(api_key=Secret(PLANTED_KEY), base_url="http://127.0.0.1/v1", retry=RetryPolicy(max_retries=0))


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Tamper, Path]]:
    """A sandbox holding the applied example (so plans read details too), behind a Tamper."""
    root = tmp_path_factory.mktemp("answers") / "project"
    shutil.copytree(EXAMPLE, root)
    with Sandbox(db=":memory:", api_key=PLANTED_KEY) as sb:
        tamper = Tamper(sb.app)

        async def apply_once() -> None:
            async with PortkeyClient(settings_for(), transport=httpx.ASGITransport(app=tamper)) as client:
                await apply_planned(client, await plan_project(client, root))

        anyio.run(apply_once)
        (root / "prompts/support/summarise.prompt.yaml").unlink()  # one delete and some drift to plan
        yield tamper, root


async def plan_through(tamper: Tamper, root: Path) -> None:
    async with PortkeyClient(settings_for(), transport=httpx.ASGITransport(app=tamper)) as client:
        await plan_project(client, root, prune=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(st.tuples(st.sampled_from(READS), bodies), min_size=1, max_size=3))
@example(answers=[("/guardrails/[^/]+", {"checks": 1})])  # found by hypothesis: a TypeError in guardrail content
@example(answers=[("/prompts/[^/]+/versions", {"data": None})])  # found by hypothesis: a TypeError in rows()
@example(answers=[("/prompts/[^/]+/versions", {"data": [{"prompt_version": 9, "status": "active", "prompt_template": {
    "string": "x", "parameters": {}, "model": "m", "virtual_key": "v", "functions": None, "tools": None,
    "tool_choice": None, "template_metadata": 5}}]})])  # metadata that is not an object
def test_garbage_read_answers_end_in_a_plan_or_a_portkey_error(
    applied: tuple[Tamper, Path], answers: list[tuple[str, Any]]
) -> None:
    tamper, root = applied
    tamper.rules[:] = [Rule("GET", path, 200, body) for path, body in answers]
    try:
        anyio.run(plan_through, tamper, root)
    except PortkeyError:
        pass
    finally:
        tamper.rules.clear()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(write=st.sampled_from(WRITES), body=bodies)
def test_garbage_write_answers_end_in_an_apply_error_that_counts_the_write(
    tmp_path: Path, write: tuple[str, str], body: Any
) -> None:
    root = tmp_path / "project"
    if not root.exists():
        shutil.copytree(EXAMPLE, root)

    async def apply_with_garbage() -> None:
        with Sandbox(db=":memory:", api_key=PLANTED_KEY) as sb:
            tamper = Tamper(sb.app, rules=[Rule(*write, 200, body, forward=True)])
            async with PortkeyClient(settings_for(), transport=httpx.ASGITransport(app=tamper)) as client:
                planned = await plan_project(client, root)
                try:
                    await apply_planned(client, planned)
                except ApplyError as exc:
                    assert exc.result.failed is not None
                    assert exc.result.writes >= 1, "the write whose answer was garbage happened"
                    assert "Traceback" not in str(exc)

    anyio.run(apply_with_garbage)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(st.tuples(st.sampled_from(READS), bodies), min_size=1, max_size=2))
def test_garbage_answers_through_the_cli_are_one_error_line(
    applied: tuple[Tamper, Path], served_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], answers: list[tuple[str, Any]],
) -> None:
    tamper, root = applied
    tamper.rules[:] = [Rule("GET", path, 200, body) for path, body in answers]
    monkeypatch.setattr(sys, "argv", ["portkey-gitops", "plan", str(root), "--prune"])
    try:
        with pytest.raises(SystemExit) as ended:
            main.run()
    finally:
        tamper.rules.clear()
    out, err = capsys.readouterr()
    assert ended.value.code in (0, 1, 4), err
    assert "Traceback" not in err and "internal error" not in err, err
    if ended.value.code == 1:
        assert len([line for line in err.splitlines() if line.startswith("Error:")]) == 1, err
    assert PLANTED_KEY not in out + err


@pytest.fixture(scope="module")
def served_url(applied: tuple[Tamper, Path]) -> Iterator[str]:
    with served(applied[0]) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTKEY_API_KEY", PLANTED_KEY)
        patch.setenv("PORTKEY_BASE_URL", url)
        patch.setenv("PORTKEY_MAX_RETRIES", "0")
        patch.delenv("PORTKEY_GITOPS_DEBUG", raising=False)
        yield url
