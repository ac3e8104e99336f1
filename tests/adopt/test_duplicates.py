"""Two objects for one key (made by hand): the plan names both and proposes one; --resolve-duplicates converges."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adopt.conftest import Account, Run


def _configs(account: Account) -> list[dict]:
    return [row for row in account.call("GET", "/configs")["data"] if "support-routing" in row["name"]]


@pytest.fixture
def twins(locked: tuple[Path, Path], account: Account) -> tuple[Path, Path, str, str]:
    """The project applied with a lock, then a second config of the same name made by hand:
    (project, lock file, the applied config's id, the twin's id)."""
    root, lock = locked
    [original] = _configs(account)
    twin = account.call("POST", "/configs", {"name": original["name"], "config": {"retry": {"attempts": 9}},
                                             "workspace_id": account.sandbox.default_workspace_id})
    return root, lock, original["id"], twin["id"]


def test_the_plan_names_both_and_proposes_the_older_then_resolve_converges(
    twins: tuple[Path, Path, str, str], account: Account, cli: Callable[..., Run]
) -> None:
    root, _, original, twin = twins
    planned = cli("plan", root)
    assert planned.code == 1
    text = planned.unwrapped  # the terminal wraps long lines
    assert original in text and twin in text
    assert f"keep {original} (it is the older)" in text and "--resolve-duplicates" in text
    account.forget()
    resolved = cli("apply", root, "--auto-approve", "--resolve-duplicates")
    assert resolved.code == 0, resolved.out + resolved.err
    assert f"kept {original}" in resolved.out and f"released {twin}" in resolved.out
    names = {row["id"]: row["name"] for row in account.call("GET", "/configs")["data"]}
    assert names[twin].startswith("support-routing (duplicate ") and names[original].startswith("gitops:")
    assert not any("DELETE" in w for w in account.writes())
    assert cli("plan", root, "--detailed-exitcode").code == 0


def test_the_lock_decides_which_one_is_kept(
    twins: tuple[Path, Path, str, str], account: Account, cli: Callable[..., Run]
) -> None:
    root, lock, original, twin = twins
    data = json.loads(lock.read_text())
    data["entries"]["config:support-routing"]["ref"] = twin
    lock.write_text(json.dumps(data))
    planned = cli("plan", root, "--lock", lock)
    assert planned.code == 1 and f"keep {twin} (the lock file points to it)" in " ".join(planned.out.split())
    resolved = cli("apply", root, "--auto-approve", "--resolve-duplicates", "--lock", lock)
    assert resolved.code == 0, resolved.out + resolved.err
    names = {row["id"]: row["name"] for row in account.call("GET", "/configs")["data"]}
    assert names[twin].startswith("gitops:") and "(duplicate " in names[original]


def test_the_stamped_prompt_is_kept_over_an_older_unstamped_twin(
    applied: Path, account: Account, cli: Callable[..., Run]
) -> None:
    """Without a lock the stamp decides: the twin is made older (its creation time set back in the sandbox's
    store), so only the stamp can explain which one is kept."""
    root = applied
    [stamped] = [r for r in account.call("GET", "/prompts")["data"] if r["name"].startswith("gitops:support/summarise")]
    detail = account.call("GET", f"/prompts/{stamped['slug']}")
    twin = account.call("POST", "/prompts", {
        "name": stamped["name"], "collection_id": detail["collection_id"], "string": "A copy made by hand {{text}}",
        "parameters": {}, "model": detail["model"], "virtual_key": detail["virtual_key"]})["id"]
    with account.sandbox._store.transaction() as tx:
        doc = tx.get("prompt", twin)
        assert doc is not None
        tx.put("prompt", {**doc, "created_at": "2001-01-01T00:00:00.000Z"})
    listed = {r["id"]: r["created_at"] for r in account.call("GET", "/prompts")["data"]}
    assert listed[twin] < listed[stamped["id"]]
    planned = cli("plan", root)
    text = " ".join((planned.out + planned.err).split())
    assert planned.code == 1 and f"keep {stamped['id']} (its latest version carries this tool's stamp)" in text, text
    resolved = cli("apply", root, "--auto-approve", "--resolve-duplicates")
    assert resolved.code == 0, resolved.out + resolved.err
    names = {r["id"]: r["name"] for r in account.call("GET", "/prompts")["data"]}
    assert names[stamped["id"]].startswith("gitops:") and "(duplicate " in names[twin]
    assert cli("plan", root, "--detailed-exitcode").code == 0
