"""Label writes are read back: a label that vanished means Portkey replaces instead of adding, and apply
says so loudly. Under label_write=replace, two labels on one version is a plan error."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.apply import ApplyError
from engine.gitops.behaviour import DEFAULT
from engine.gitops.workflow import apply_planned, plan_project
from sandbox import Sandbox
from tests.gitops.helpers import actions, converge, edit
from tests.live.write_support import Shim

pytestmark = pytest.mark.anyio
TRIAGE = "prompts/support/triage.prompt.yaml"
TWO_LABELS = "labels: [canary, beta]"


def _two_labels(project: Path) -> None:
    (project / "labels/beta.label.yaml").write_text("description: Beta testers\n")
    edit(project / TRIAGE, "labels: [canary]", TWO_LABELS)


async def test_two_labels_are_read_back_once(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        _two_labels(project)
        edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
        planned = await plan_project(client, project)
        sandbox.reset_requests()
        await apply_planned(client, planned)
        operations = [r.operation for r in sandbox.requests()]
        assert operations.count("update_prompt_version") == 2
        # one read to find the new version's number, one to check both labels are on it
        assert operations.count("list_prompt_versions") == 2
        assert not (await plan_project(client, project)).plan.has_changes


async def test_a_label_write_that_replaces_fails_loudly(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox, replace_labels=True)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        _two_labels(project)
        edit(project / TRIAGE, "temperature: 0.2", "temperature: 0.3")
        planned = await plan_project(client, project)
        with pytest.raises(ApplyError) as failure:
            await apply_planned(client, planned)
    message = str(failure.value)
    assert "label(s) canary are not on the version any more" in message
    assert "replace a version's label rather than add" in message and "portkey-gitops doctor" in message
    assert failure.value.result.writes >= 3  # exit 5 territory: the version and labels were written


async def test_a_label_already_on_the_version_is_checked_too(sandbox: Sandbox, project: Path) -> None:
    """Adding a second label to the published version: the first must survive the write."""
    shim = Shim(sandbox, replace_labels=True)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        _two_labels(project)
        planned = await plan_project(client, project)
        change = next(c for c in planned.plan.changes if c.address == "prompt:support/triage")
        assert change.payload.label is not None
        assert change.payload.label.labels == ("beta",) and change.payload.label.kept
        with pytest.raises(ApplyError, match=r"label\(s\) canary are not on the version any more"):
            await apply_planned(client, planned)


async def test_replace_accounts_refuse_two_labels_at_plan_time(sandbox: Sandbox, project: Path) -> None:
    shim = Shim(sandbox)
    client, _ = shim.client()
    async with client:
        await converge(client, project)
        _two_labels(project)
        replace = DEFAULT.with_values(label_write="replace")
        planned = await plan_project(client, project, behaviour=replace)
        assert planned.plan.errors == [
            "prompt:support/triage: release.labels canary, beta would put 2 labels on one version, but this "
            "account keeps one label per version (label_write=replace, defaults): each label write would remove "
            "the one before; keep one label"
        ]
        # One label is fine, and no read-back is spent on it.
        edit(project / TRIAGE, TWO_LABELS, "labels: [beta]")
        planned = await plan_project(client, project, behaviour=replace)
        assert actions(planned.plan) == {"prompt:support/triage": ["label"], "label:beta": ["create"]}
        sandbox.reset_requests()
        await apply_planned(client, planned)
        assert [r.operation for r in sandbox.requests()].count("list_prompt_versions") == 0
