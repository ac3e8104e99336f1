"""``action.yml`` on merge, run as GitHub runs it: apply the pull request's reviewed plan, or refuse a stale one."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.ci.conftest import API_KEY, Result, Runner
from tests.ci.fake_github import BOT, FakeGitHub
from tests.ci.test_action_plan import MARKER_DEV, no_secret
from tests.lease.test_lease import plant_lease, with_sandbox

HEAD, MERGE = "head-sha-1", "merge-sha-1"


def plan_and_upload(runner: Runner, fake: FakeGitHub) -> Result:
    """The pull request's run: plan, then what upload-artifact does with the two files."""
    planned = runner.run("plan", env="dev")
    assert planned.code == 0, planned.stderr
    files = {name: Path(planned.outputs[key]).read_bytes()
             for name, key in (("plan.json", "plan_json"), ("plan.md", "plan_markdown"))}
    fake.add_artifact(HEAD, planned.outputs["artifact_name"], files)
    fake.pulls[MERGE] = [{"number": 7, "merged_at": "2025-01-02T00:00:00Z", "merge_commit_sha": MERGE,
                          "head": {"sha": HEAD}}]
    return planned


def merge(runner: Runner, **inputs: str) -> Result:
    return runner.run("apply", event_name="push", event={"after": MERGE, "ref": "refs/heads/main"}, sha=MERGE,
                      env="dev", **inputs)


def plan_exit(runner: Runner) -> int:
    return runner.cli("plan", "prompts", "--env", "dev", "--sandbox", "--detailed-exitcode").returncode


def test_merge_applies_the_reviewed_plan_and_says_what_was_written(runner: Runner, fake: FakeGitHub) -> None:
    planned = plan_and_upload(runner, fake)
    reviewed = json.loads(Path(planned.outputs["plan_json"]).read_text())
    fake.add_artifact("other-sha", "portkey-plan-dev", {"plan.json": b"{}"})  # another PR's plan: not used
    result = merge(runner, api_key=API_KEY)
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["failure_reason"] == "" and result.outputs["to_create"] == "12"
    assert "15 write(s) done" in result.summary and "reviewed on the pull request" in result.summary
    [comment] = fake.comments_on(7)
    assert comment["body"].startswith(MARKER_DEV) and comment["user"]["login"] == BOT
    assert "15 write(s) done" in comment["body"] and "/actions/runs/4002" in comment["body"]
    for change in reviewed["changes"]:
        assert change["address"].replace("_", "\\_") in comment["body"]  # Markdown-escaped
    assert [s.path for s in fake.requests("GET", "/commits/")] == [f"/repos/acme/prompts/commits/{MERGE}/pulls"]
    assert fake.requests("GET", "/actions/runs")[0].query["head_sha"] == HEAD
    assert plan_exit(runner) == 0  # Portkey now matches the repository
    no_secret(result, fake)


def test_newest_successful_run_wins(runner: Runner, fake: FakeGitHub) -> None:
    fake.add_artifact(HEAD, "portkey-plan-dev", {"plan.json": b"not json"})  # an older run
    plan_and_upload(runner, fake)
    fake.add_artifact(HEAD, "portkey-plan-dev", {"plan.json": b"{}"}, conclusion="failure")  # newer, failed
    result = merge(runner)
    assert result.code == 0, result.stdout


def test_stale_plan_on_merge_stops_with_plan_changed(runner: Runner, fake: FakeGitHub) -> None:
    plan_and_upload(runner, fake)
    path = runner.project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("temperature: 0\n", "temperature: 0.3\n"))
    result = merge(runner)
    assert result.code == 1
    assert result.outputs["failure_reason"] == "plan-changed"
    assert "changed since the plan was reviewed" in result.summary and "STALE\\_PLAN" in result.summary
    [comment] = fake.comments_on(7)
    assert "plan-changed" in comment["body"] and "nothing was applied" in comment["body"]
    assert plan_exit(runner) == 2  # nothing written


def test_portkey_changed_since_review_is_plan_changed(runner: Runner, fake: FakeGitHub) -> None:
    plan_and_upload(runner, fake)
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    result = merge(runner)
    assert result.code == 1 and result.outputs["failure_reason"] == "plan-changed"


def test_replan_on_merge_applies_a_fresh_plan(runner: Runner, fake: FakeGitHub) -> None:
    plan_and_upload(runner, fake)
    path = runner.project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("temperature: 0\n", "temperature: 0.3\n"))
    result = merge(runner, replan_on_merge="true")
    assert result.code == 0, result.stdout
    assert "planned again" in result.summary and "write(s) done" in result.summary
    assert plan_exit(runner) == 0


def test_no_artifact_is_plan_changed_with_a_clear_message(runner: Runner, fake: FakeGitHub) -> None:
    fake.pulls[MERGE] = [{"number": 7, "merged_at": "2025-01-02T00:00:00Z", "merge_commit_sha": MERGE,
                          "head": {"sha": HEAD}}]
    result = merge(runner)
    assert result.code == 1 and result.outputs["failure_reason"] == "plan-changed"
    assert "no successful run of pull request #7" in result.summary and "portkey-plan-dev" in result.summary
    assert plan_exit(runner) == 2


def test_push_without_pull_request_is_plan_changed(runner: Runner, fake: FakeGitHub) -> None:
    result = merge(runner)
    assert result.code == 1 and result.outputs["failure_reason"] == "plan-changed"
    assert "no merged pull request contains commit" in result.summary
    assert fake.comments == {}


def test_merge_without_api_key_applies_nothing_and_stays_green(runner: Runner, fake: FakeGitHub) -> None:
    plan_and_upload(runner, fake)
    result = merge(runner, sandbox="false", api_key="")
    assert result.code == 0 and "No Portkey API key" in result.summary
    assert plan_exit(runner) == 2


def _commit_workspace(runner: Runner) -> None:
    """The checkout is a git repository with everything committed (as actions/checkout leaves it)."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", *args], cwd=runner.workspace,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "merge")


def test_a_dirty_checkout_is_refused_unless_allow_dirty(runner: Runner, fake: FakeGitHub) -> None:
    """The CLI's apply rule under CI: uncommitted files are not what was reviewed."""
    plan_and_upload(runner, fake)
    _commit_workspace(runner)
    (runner.project / "notes.txt").write_text("written by an earlier step\n")  # untracked: the tree is dirty
    refused = merge(runner, api_key=API_KEY)
    assert refused.code == 1 and refused.outputs["failure_reason"] == "dirty-tree", refused.stdout + refused.stderr
    assert "uncommitted changes" in refused.summary and "allow-dirty" in refused.summary
    [comment] = fake.comments_on(7)
    assert "dirty-tree" in comment["body"] and "nothing was applied" in comment["body"]
    assert plan_exit(runner) == 2  # nothing written
    allowed = merge(runner, api_key=API_KEY, allow_dirty="true")
    assert allowed.code == 0, allowed.stdout + allowed.stderr
    assert allowed.outputs["failure_reason"] == "" and "::warning" in allowed.stdout and "allow-dirty" in allowed.stdout
    assert plan_exit(runner) == 0


def test_a_clean_checkout_applies(runner: Runner, fake: FakeGitHub) -> None:
    plan_and_upload(runner, fake)
    _commit_workspace(runner)
    result = merge(runner, api_key=API_KEY)
    assert result.code == 0 and result.outputs["failure_reason"] == "", result.stdout + result.stderr
    assert plan_exit(runner) == 0


def test_another_apply_holding_the_lease_is_lease_held_not_an_api_error(runner: Runner, fake: FakeGitHub) -> None:
    """The lease's refusal is the engine's (a LeaseHeldError), so it is not reported as Portkey failing."""
    plan_and_upload(runner, fake)

    async def plant(client: Any, sb: Any) -> None:
        await plant_lease(client, "erin@runner-2 pid 7", expired=False)

    with_sandbox(runner.sandbox_db, plant)
    result = merge(runner)
    assert result.code == 1, result.stdout + result.stderr
    assert result.outputs["failure_reason"] == "lease-held"
    said = "another apply holds the apply lease of this workspace: erin@runner-2 pid 7 since"
    error_lines = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(error_lines) == 1 and said in error_lines[0], result.stdout
    assert said in result.summary and "Portkey refused" not in result.summary and "api-error" not in result.summary
    [comment] = fake.comments_on(7)
    assert "lease-held" in comment["body"] and "concurrency" in comment["body"]
    assert "Traceback" not in result.stderr
    assert plan_exit(runner) == 2  # nothing written
