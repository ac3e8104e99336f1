"""``drift --lock`` decides from each finding's structured ``cause``, never from the wording of its detail.

The planner's details are prose for people and may be reworded; these tests reword every one of them (the
plan is wrapped on its way to :func:`engine.gitops.drift.find_drift`) and check that the stale-lock judgement,
the deletion's restore effect and the "who" line come out the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.gitops import workflow
from engine.gitops.planner import LOCK_CHANGED, LOCK_DELETED
from tests.adopt.conftest import Account, Run
from tests.adopt.test_stale_lock import _change_in_git

REWORDED = "REWORDED FOR PEOPLE"


@pytest.fixture
def reworded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every drift detail the planner writes is replaced; returns the planner's findings as they were."""
    real = workflow.plan_project
    seen: list[dict[str, Any]] = []

    async def plan_project(*args: Any, **kwargs: Any) -> Any:
        planned = await real(*args, **kwargs)
        seen.extend(dict(item) for item in planned.plan.drift)
        reworded = [{**item, "detail": REWORDED} for item in planned.plan.drift]
        object.__setattr__(planned.plan, "drift", reworded)  # the plan is read-only after planning: swap the list
        return planned

    monkeypatch.setattr(workflow, "plan_project", plan_project)
    return seen


def test_a_stale_lock_is_judged_by_cause_not_by_words(
    locked: tuple[Path, Path],
    cli: Callable[..., Run],
    reworded: list[dict[str, Any]],
) -> None:
    root, lock = locked
    _change_in_git(root)
    assert cli("apply", root, "--auto-approve").code == 0  # without the lock: it is now behind
    reworded.clear()
    report = json.loads(cli("drift", root, "--lock", lock, "--json").out)
    assert {item.get("cause") for item in reworded} == {LOCK_CHANGED}  # the planner said: differs from the lock
    assert report["drift"] == [] and report["lock"]["stale"] is True, report
    assert any("exactly as git says but not as the lock says" in why for why in report["lock"]["why"])


def test_an_edit_after_a_fresh_lock_is_drift_by_cause(
    locked: tuple[Path, Path],
    account: Account,
    cli: Callable[..., Run],
    reworded: list[dict[str, Any]],
) -> None:
    root, lock = locked
    account.call("PUT", account.per_user_limit(), {"value": 99})
    found = cli("drift", root, "--lock", lock, "--json", "--detailed-exitcode")
    assert found.code == 3
    [item] = json.loads(found.out)["drift"]
    assert item["cause"] == LOCK_CHANGED and item["detail"] == REWORDED and item["changed"] == "fields: value"


def test_a_deletion_says_apply_creates_it_again_by_cause(
    locked: tuple[Path, Path],
    account: Account,
    cli: Callable[..., Run],
    reworded: list[dict[str, Any]],
) -> None:
    root, lock = locked
    account.call("DELETE", account.per_user_limit())
    [item] = json.loads(cli("drift", root, "--lock", lock, "--json").out)["drift"]
    assert item["cause"] == LOCK_DELETED and item["detail"] == REWORDED
    assert item["changed"] == "the object was deleted" and item["restore_effect"] == "creates it again"
