"""A lock older than the account's last apply by this tool is reported as stale, not as drift."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import Account, Run

PROMPT = "prompts/support/summarise.prompt.yaml"
LIMIT = "limits/per-user.rate-limit.yaml"


def _change_in_git(root: Path) -> None:
    """A prompt and a rate limit changed in the files (as a merged pull request would)."""
    prompt = root / PROMPT
    prompt.write_text(prompt.read_text().replace("three bullet points", "two bullet points"))
    limit = root / LIMIT
    limit.write_text(limit.read_text().replace("value: 30", "value: 45"))


def test_the_lock_records_when_it_was_written_and_the_prompt_stamps(locked: tuple[Path, Path]) -> None:
    _, lock = locked
    data = json.loads(lock.read_text())
    assert data["applied_at"] >= "2000-01-01T00:00:00"
    assert data["entries"]["prompt:support/summarise"]["stamp"]
    assert "stamp" not in data["entries"][f"rate_limit:{Path(LIMIT).name.split('.')[0]}"]


def test_an_apply_without_the_lock_makes_it_stale_not_drift(
    locked: tuple[Path, Path], account: Account, cli: Callable[..., Run]
) -> None:
    root, lock = locked
    _change_in_git(root)
    assert cli("apply", root, "--auto-approve").code == 0  # the lock was not given: it is now behind
    report = cli("drift", root, "--lock", lock, "--detailed-exitcode")
    assert report.code == 0, report.out + report.err  # no false drift
    assert "The lock file is stale" in report.out and "No drift" in report.out
    assert "prompt:support/summarise: version v2 was applied by this tool at" in report.out, report.out
    as_json = json.loads(cli("drift", root, "--lock", lock, "--json").out)
    assert as_json["drift"] == [] and as_json["lock"]["stale"] is True
    assert any("prompt:support/summarise" in why for why in as_json["lock"]["why"])
    # apply --lock refreshes the file even with nothing to change; then the lock is fresh again
    assert cli("apply", root, "--auto-approve", "--lock", lock).code == 0
    fresh = json.loads(cli("drift", root, "--lock", lock, "--json").out)
    assert fresh["drift"] == [] and fresh["lock"] == {"stale": False, "why": [], "unjudged": []}


def test_a_limit_put_back_to_git_by_an_apply_without_the_lock_is_stale_not_drift(
    locked: tuple[Path, Path], cli: Callable[..., Run]
) -> None:
    """No prompt version was made: the object itself is as git says but not as the lock says."""
    root, lock = locked
    limit = root / LIMIT
    limit.write_text(limit.read_text().replace("value: 30", "value: 45"))
    assert cli("apply", root, "--auto-approve").code == 0
    report = cli("drift", root, "--lock", lock, "--detailed-exitcode")
    assert report.code == 0, report.out + report.err
    assert "stale" in report.out and "exactly as git says but not as the lock says" in report.out


def test_an_edit_in_portkey_after_a_fresh_lock_is_still_drift(
    locked: tuple[Path, Path], account: Account, cli: Callable[..., Run]
) -> None:
    root, lock = locked
    account.call("PUT", account.per_user_limit(), {"value": 99})
    report = cli("drift", root, "--lock", lock, "--detailed-exitcode")
    assert report.code == 3, report.out + report.err
    assert "stale" not in report.out and "per-user" in report.out


def test_a_stale_lock_names_the_objects_it_cannot_judge(
    locked: tuple[Path, Path], account: Account, cli: Callable[..., Run]
) -> None:
    root, lock = locked
    _change_in_git(root)
    assert cli("apply", root, "--auto-approve").code == 0
    account.call("PUT", account.per_user_limit(), {"value": 99})  # differs from git and from the lock
    as_json = json.loads(cli("drift", root, "--lock", lock, "--json").out)
    assert as_json["lock"]["stale"] is True and as_json["drift"] == []
    assert [item["address"] for item in as_json["lock"]["unjudged"]] == ["rate_limit:per-user"]
    text = cli("drift", root, "--lock", lock).out
    assert "Objects the stale lock cannot judge:" in text and "rate_limit:per-user: differs from the stale lock" in text


@pytest.mark.parametrize("with_lock", [True, False], ids=["apply-plan-with-lock", "apply-plan-without-lock"])
def test_apply_of_a_saved_plan_refreshes_the_lock_or_leaves_it_stale_never_false_drift(
    locked: tuple[Path, Path], tmp_path: Path, cli: Callable[..., Run], with_lock: bool
) -> None:
    """Issue 9: an apply without --lock (``apply --plan`` too) made later ``drift --lock`` report false changes."""
    root, lock = locked
    _change_in_git(root)
    saved = tmp_path / "plan.json"
    assert cli("plan", root, "--out", saved).code == 0
    extra = ["--lock", lock] if with_lock else []
    assert cli("apply", root, "--plan", saved, "--auto-approve", *extra).code == 0
    report = cli("drift", root, "--lock", lock, "--detailed-exitcode", "--json")
    assert report.code == 0, report.out + report.err
    assert json.loads(report.out)["lock"]["stale"] is not with_lock
