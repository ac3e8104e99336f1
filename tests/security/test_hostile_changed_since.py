"""``plan --changed-since REF`` on a pull request that changes only ``.portkey/doctor.json``: the doctor result is
project-wide (it decides how every object is named, read and written), so the partial plan covers every resource
instead of saying the account matches the repository. Run through the console script under
``bash --noprofile --norc -eo pipefail`` in a real git repository, against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.conftest import github  # noqa: F401  (fixture)
from tests.ci.fake_github import FakeGitHub
from tests.security.hostile_support import HostileRunner


@pytest.fixture
def runner(tmp_path: Path, github: tuple[FakeGitHub, str]) -> HostileRunner:  # noqa: F811
    return HostileRunner(tmp_path, github[1])


def test_a_pr_changing_only_the_doctor_result_is_planned_whole(runner: HostileRunner) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    runner.commit_all("base")
    runner.doctor(name_chars="ascii")  # every managed name is rewritten in the ascii style
    runner.commit_all("only the doctor result")

    full = runner.local("plan", "prompts", "--env", "dev", "--sandbox", "--detailed-exitcode")
    partial = runner.local("plan", "prompts", "--env", "dev", "--sandbox", "--detailed-exitcode",
                           "--changed-since", "HEAD~1")

    assert full.returncode == 2 and "to rename" in full.stdout, full.stdout + full.stderr
    assert partial.returncode == 2, partial.stdout + partial.stderr
    summary = next(line for line in full.stdout.splitlines() if line.startswith("Plan:"))
    assert summary in partial.stdout  # the same renames, none hidden by the partial scope
