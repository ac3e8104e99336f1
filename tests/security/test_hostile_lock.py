"""A pull request that commits a forged lock file (``lock`` input of action.yml): the lock is a drift cache, so
what it says never hides a difference between git and the account from the plan reviewers approve, and a
lock that is a link out of the project stops the step before anything is read or written through it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.ci.conftest import API_KEY, github  # noqa: F401  (fixture)
from tests.ci.fake_github import FakeGitHub
from tests.ci.test_action_drift import edit_limit_in_portkey
from tests.security.hostile_support import HostileRunner

LOCK = "prompts/portkey.lock.json"  # relative to the workspace, where the step runs


@pytest.fixture
def runner(tmp_path: Path, github: tuple[FakeGitHub, str]) -> HostileRunner:  # noqa: F811
    made = HostileRunner(tmp_path, github[1])
    done = made.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve", "--lock", LOCK)
    assert done.returncode == 0, done.stderr
    return made


def forged_lock(runner: HostileRunner) -> None:
    """The per-user limit is changed in Portkey; the PR's lock says the last apply left it that way (written by
    the engine itself from a scratch copy of the project that agrees with the account)."""
    edit_limit_in_portkey(runner, 99)
    scratch = runner.workspace / "scratch"
    shutil.copytree(runner.project, scratch)
    limit = scratch / "limits/per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: 30", "value: 99"))
    done = runner.cli("apply", "scratch", "--env", "dev", "--sandbox", "--auto-approve", "--lock", "scratch/f.json")
    assert done.returncode == 0, done.stdout + done.stderr
    (runner.project / "portkey.lock.json").write_text((scratch / "f.json").read_text())
    shutil.rmtree(scratch)


def test_a_forged_lock_does_not_hide_a_change_from_the_pull_request_plan(runner: HostileRunner) -> None:
    forged_lock(runner)
    result = runner.run("plan", env="dev", api_key=API_KEY, lock=LOCK)
    assert result.code == 0, result.stdout + result.stderr
    planned = json.loads(Path(result.outputs["plan_json"]).read_text())
    changed = {c["address"]: c["actions"] for c in planned["changes"] if c["actions"] != ["noop"]}
    assert changed == {"rate_limit:per-user": ["update"]}, changed
    assert result.outputs["to_update"] == "1"


def test_a_lock_linked_out_of_the_project_stops_the_step_unread(runner: HostileRunner, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"format": 1, "entries": {}, "note": "OUTSIDE-DO-NOT-SHOW"}')
    lock = runner.workspace / LOCK
    lock.unlink()
    lock.symlink_to(outside)
    result = runner.run("plan", env="dev", api_key=API_KEY, lock=LOCK)
    assert result.code == 1 and result.outputs["failure_reason"] == "invalid", result.stdout
    assert "symbolic link to a path outside the project" in " ".join(result.summary.split())
    assert "OUTSIDE-DO-NOT-SHOW" not in result.everything() and "Traceback" not in result.stderr


def test_a_committed_apply_lock_link_is_never_opened_through(runner: HostileRunner, tmp_path: Path) -> None:
    """``.portkey/apply.lock`` (the one-apply-per-machine lock) committed as a link to a file elsewhere: apply
    stops with one error before writing anything, and the link's target is neither truncated nor written."""
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    (runner.project / ".portkey").mkdir(exist_ok=True)
    (runner.project / ".portkey/apply.lock").symlink_to(precious)
    limit = runner.project / "limits/per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: 30", "value: 31"))

    done = runner.local("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve")

    assert done.returncode != 0 and "apply lock" in done.stderr + done.stdout, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and precious.read_text() == "keep me\n"
    again = runner.local("plan", "prompts", "--env", "dev", "--sandbox", "--detailed-exitcode")
    assert again.returncode == 2  # nothing was written
