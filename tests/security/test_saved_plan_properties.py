"""Property tests of the saved-plan check: any JSON is a plan or one PlanFormatError; any edit of a real
plan's changes is refused before a single write, whether or not the attacker recomputes the digest."""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.gitops.plan import FORMAT_VERSION, Plan, PlanFormatError
from engine.gitops.workflow import StalePlanError, check_saved_plan, plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.conftest import EXAMPLE, make_client
from tests.gitops.helpers import converge, edit, writes

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
PLAN_KEYS = ["changes", "changes_digest", "options", "fingerprints", "source", "environment", "format_version"]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(PLAN_KEYS), JSON, max_size=7) | JSON)
def test_any_json_is_a_plan_or_one_format_error(data: Any) -> None:
    if isinstance(data, dict):
        data.setdefault("format_version", FORMAT_VERSION)
    try:
        plan = Plan.from_json(data)
    except PlanFormatError as exc:
        assert str(exc)
    else:
        plan.digest()  # a plan that loads can always be checked


@pytest.fixture(scope="module")
def saved_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A converged project with one pending update and one create, its saved plan JSON, and the sandbox."""
    root = tmp_path_factory.mktemp("world") / "project"
    shutil.copytree(EXAMPLE, root)
    sandbox = Sandbox(db=":memory:", api_key="engine-test-key")

    async def build() -> dict[str, Any]:
        async with make_client(sandbox) as client:
            await converge(client, root)
            edit(root / "configs/support-routing.config.yaml", "attempts: 3", "attempts: 4")
            (root / "configs/extra.config.yaml").write_text("config:\n  retry:\n    attempts: 2\n")
            return json.loads(json.dumps((await plan_project(client, root)).plan.to_json()))

    doc = anyio.run(build)
    yield root, sandbox, doc
    sandbox.close()


FIELDS = ["address", "kind", "key", "actions", "order", "remote", "payload", "after", "before", "reasons", "risks",
          "depends_on", "diff", "text_diffs", "replace_paths"]  # payload: not in format 2, refused when added


def mutate(doc: dict[str, Any], index: int, name: str, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(doc)
    changes = edited["changes"]
    change = changes[index % len(changes)]
    if name == "actions":
        value = [value] if isinstance(value, str) and value else ["delete"]
    if change.get(name) == value:
        changes.append({**change, "address": "config:planted", "actions": ["delete"]})
    else:
        change[name] = value
    return edited


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 100), name=st.sampled_from(FIELDS), value=JSON, recompute=st.booleans())
def test_any_edit_of_the_changes_is_refused_without_a_write(
    saved_world: Any, index: int, name: str, value: Any, recompute: bool
) -> None:
    root, sandbox, doc = saved_world
    edited = mutate(doc, index, name, value)
    if recompute:
        with contextlib.suppress(PlanFormatError):  # an edit the format check refuses anyway
            edited["changes_digest"] = Plan.from_json({**edited, "changes_digest": "0" * 64}).digest()

    async def check() -> None:
        client: PortkeyClient
        async with make_client(sandbox) as client:
            await check_saved_plan(client, Plan.from_json(edited), Path(root))

    sandbox.reset_requests()
    with pytest.raises((PlanFormatError, StalePlanError)):
        anyio.run(check)
    assert writes(sandbox) == []


def test_the_unedited_plan_passes_the_same_check(saved_world: Any) -> None:
    root, sandbox, doc = saved_world

    async def check() -> list[str]:
        async with make_client(sandbox) as client:
            loaded = Plan.from_json(copy.deepcopy(doc))
            fresh = await check_saved_plan(client, loaded, Path(root))
            assert fresh.plan is not loaded  # the fresh plan runs, never objects read from the file
            assert not {id(c) for c in fresh.plan.changes} & {id(c) for c in loaded.changes}
            assert fresh.plan.digest() == loaded.changes_digest
            return [c.address for c in fresh.plan.changes if not c.is_noop]

    assert anyio.run(check) == ["config:extra", "config:support-routing"]
    assert writes(sandbox) == []
