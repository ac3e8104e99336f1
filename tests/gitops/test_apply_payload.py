"""What apply does with each step's payload, seen in the sandbox: which version a publish or a label write
reaches (one this apply makes, version 1 of a created prompt, or a live version), where a collection move
lands (a project collection or the workspace's default), and how apply words its own refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cli.exits import EXIT_ERROR, exit_code
from engine.errors import GitOpsError
from engine.gitops.apply import Applier, ApplyError, ApplyRefusal
from engine.gitops.plan import Action, Change, LabelStep, Payload, Plan, Remote, VersionTarget, WriteStep
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient, PortkeyError
from sandbox import Sandbox
from tests.gitops.helpers import account, change_of, converge, edit, version_numbers
from tests.gitops.helpers import writes as all_writes

pytestmark = pytest.mark.anyio

TRIAGE = "prompt:support/triage"
SUMMARISE = "prompt:support/summarise"


def writes(sb: Sandbox) -> list[str]:
    """The writes the sandbox saw, without the apply lease's (a label created and deleted around each apply;
    no test here changes a label of the project)."""
    return [w for w in all_writes(sb) if not w.endswith("_prompt_label")]


async def served_triage(client: PortkeyClient, prompt_id: str) -> dict[str, Any]:
    """The triage prompt's published version and where its labels sit (label name -> version number)."""
    served: dict[str, Any] = (await account(client))[f"prompt {prompt_id}"]["served"]
    return served


def release(project: Path, text: str) -> None:
    """Replace triage's ``release:`` block (the end of its file)."""
    path = project / "prompts/support/triage.prompt.yaml"
    head, found, _ = path.read_text().partition("release:\n")
    assert found
    path.write_text(head + text)


async def test_a_publish_reaches_the_version_this_apply_makes(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    """A content change makes v2 and publishes it and moves canary to it: the version just made, not the live v1."""
    await converge(client, project)
    prompt_id = change_of((await plan_project(client, project)).plan, TRIAGE).remote["id"]
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Cloud and Acme Mail")
    planned = await plan_project(client, project)
    assert change_of(planned.plan, TRIAGE).actions == [Action.NEW_VERSION, Action.PUBLISH, Action.LABEL]
    sandbox.reset_requests()
    await apply_planned(client, planned)
    assert writes(sandbox) == ["PUT update_prompt", "PUT publish_prompt", "PUT update_prompt_version"]
    assert await version_numbers(client, prompt_id) == [1, 2]
    served = await served_triage(client, prompt_id)
    assert served["version"] == 2 and served["labels"] == {"canary": 2}


async def test_a_publish_of_a_live_version_makes_no_new_version(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    """v2 is made unpublished (release.default false); turning the default back on publishes that v2, the
    latest, without a version write: not v1, not a v3."""
    await converge(client, project)
    prompt_id = change_of((await plan_project(client, project)).plan, TRIAGE).remote["id"]
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Cloud and Acme Mail")
    release(project, "release:\n  default: false\n  labels: [canary]\n")
    await converge(client, project)
    assert (await served_triage(client, prompt_id))["version"] == 1
    release(project, "release:\n  default: true\n  labels: [canary]\n")
    planned = await plan_project(client, project)
    assert change_of(planned.plan, TRIAGE).actions == [Action.PUBLISH]
    sandbox.reset_requests()
    await apply_planned(client, planned)
    assert writes(sandbox) == ["PUT publish_prompt"]
    assert await version_numbers(client, prompt_id) == [1, 2]
    assert (await served_triage(client, prompt_id))["version"] == 2
    assert not (await plan_project(client, project)).plan.has_changes


async def test_labels_of_a_created_prompt_land_on_its_version_1(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    planned = await plan_project(client, project)
    triage = change_of(planned.plan, TRIAGE)
    assert triage.actions == [Action.CREATE, Action.LABEL] and triage.payload.remote is None
    await apply_planned(client, planned)
    prompt_id = change_of((await plan_project(client, project)).plan, TRIAGE).remote["id"]
    assert (await served_triage(client, prompt_id))["labels"] == {"canary": 1}
    assert writes(sandbox).count("PUT update_prompt_version") == 1  # one label write, nothing else versioned
    assert await version_numbers(client, prompt_id) == [1]


async def test_a_label_moves_to_a_live_version_without_a_version_write(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    """v2 is made without labels; naming canary again moves it from v1 to that live v2 (by its id), and
    the published version stays v1."""
    await converge(client, project)
    prompt_id = change_of((await plan_project(client, project)).plan, TRIAGE).remote["id"]
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Cloud and Acme Mail")
    release(project, "release:\n  default: false\n  labels: []\n")
    await converge(client, project)
    assert (await served_triage(client, prompt_id))["labels"] == {"canary": 1}
    release(project, "release:\n  default: false\n  labels: [canary]\n")
    planned = await plan_project(client, project)
    assert change_of(planned.plan, TRIAGE).actions == [Action.LABEL]
    sandbox.reset_requests()
    await apply_planned(client, planned)
    assert writes(sandbox) == ["PUT update_prompt_version"]
    after = await served_triage(client, prompt_id)
    assert after["labels"] == {"canary": 2} and after["version"] == 1
    assert await version_numbers(client, prompt_id) == [1, 2]
    assert not (await plan_project(client, project)).plan.has_changes


async def collection_of(client: PortkeyClient, prompt_id: str) -> str:
    return str((await client.get_prompt(prompt_id=prompt_id))["collection_id"])


async def default_collection(client: PortkeyClient) -> str:
    return str(next(c["id"] for c in (await client.list_collections())["data"] if c["is_default"]))


@pytest.mark.parametrize("where", ["workspace default", "support/billing"])
async def test_a_collection_move_lands_where_the_file_says(
    client: PortkeyClient, sandbox: Sandbox, project: Path, where: str
) -> None:
    await converge(client, project)
    converged = (await plan_project(client, project)).plan
    prompt_id = change_of(converged, SUMMARISE).remote["id"]
    assert await collection_of(client, prompt_id) == change_of(converged, "collection:support").remote["id"]
    path = project / "prompts/support/summarise.prompt.yaml"
    if where == "workspace default":
        edit(path, "collection: support\n", "")
        expected = await default_collection(client)
    else:
        edit(path, "collection: support\n", "collection: support/billing\n")
        expected = change_of(converged, "collection:support/billing").remote["id"]
    planned = await plan_project(client, project)
    summarise = change_of(planned.plan, SUMMARISE)
    assert summarise.actions == [Action.UPDATE]
    shown = "(workspace default)" if where == "workspace default" else where
    assert [r.message for r in summarise.reasons] == [f"moves to collection {shown}"]
    sandbox.reset_requests()
    await apply_planned(client, planned)
    assert writes(sandbox) == ["PUT update_prompt"]
    assert await collection_of(client, prompt_id) == expected
    assert await version_numbers(client, prompt_id) == [1]  # a move is not a new version
    assert not (await plan_project(client, project)).plan.has_changes


# ---------------------------------------------------------------- apply's own refusals


def applier(client: PortkeyClient, resources: dict[str, Any]) -> Applier:
    return Applier(client, resources, {}, workspace=None, default_collection=None, secrets=lambda r: r.spec)


async def test_a_refusal_is_the_engine_s_and_reads_plainly(client: PortkeyClient, sandbox: Sandbox) -> None:
    """A change whose file is gone: apply refuses it in its own words (not as an "unexpected" crash, not as a
    client error), writes nothing, and the command ends with exit 1."""
    plan = Plan(changes=[Change(address="config:gone", kind="config", key="gone", actions=[Action.CREATE],
                                payload=Payload(write=WriteStep("gitops:gone")))]).freeze()
    with pytest.raises(ApplyError) as caught:
        await applier(client, {}).run(plan)
    step = caught.value.result.failures[0]
    assert step.detail == "config:gone is not in the repository any more; plan again"
    assert writes(sandbox) == [] and caught.value.writes == 0 and exit_code(caught.value) == EXIT_ERROR
    refusal = ApplyRefusal(step.detail)
    assert isinstance(refusal, GitOpsError) and not isinstance(refusal, PortkeyError)


async def test_a_label_that_does_not_exist_is_refused_before_any_write(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    await converge(client, project)
    prompt_id = change_of((await plan_project(client, project)).plan, TRIAGE).remote["id"]
    label = LabelStep(("nowhere",), 1, version_id="v-1")
    plan = Plan(changes=[Change(address=TRIAGE, kind="prompt", key="support/triage", actions=[Action.LABEL],
                                payload=Payload(remote=Remote(prompt_id), label=label))]).freeze()
    sandbox.reset_requests()
    with pytest.raises(ApplyError) as caught:
        await applier(client, {}).run(plan)
    assert caught.value.result.failures[0].detail == (
        "label 'nowhere' does not exist in Portkey; declare labels/nowhere.label.yaml")
    assert writes(sandbox) == [] and exit_code(caught.value) == EXIT_ERROR


async def test_a_label_step_for_an_unknown_version_is_refused(client: PortkeyClient, sandbox: Sandbox) -> None:
    label = LabelStep(("canary",), None)
    plan = Plan(changes=[Change(address=TRIAGE, kind="prompt", key="support/triage", actions=[Action.LABEL],
                                payload=Payload(remote=Remote("p-1"), label=label))]).freeze()
    with pytest.raises(ApplyError) as caught:
        await applier(client, {}).run(plan)
    assert caught.value.result.failures[0].detail == f"the plan names no version of {TRIAGE} to label; plan again"
    assert writes(sandbox) == []
    assert VersionTarget.NEW != "new"  # a version this apply makes is never a loose string
