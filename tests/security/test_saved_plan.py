"""``apply --plan``: a hand-edited saved plan is refused, whatever it asks for, and nothing is written.

Every case runs the real command line against a sandbox on a state file. The sandbox state (every
row of its object table) is compared before and after: a refused plan leaves it byte for byte.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from engine.cli.connect import open_client
from engine.gitops.plan import Plan
from tests.entry_point import Run

Doc = dict[str, Any]


def state(db: Path) -> list[tuple[Any, ...]]:
    """Every object the sandbox holds, as stored."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT kind, id, slug, workspace_id, parent_id, doc FROM objects ORDER BY seq").fetchall()


def call(db: Path, operation: str, **params: Any) -> Any:
    """One Portkey call on the sandbox state file, outside the code under test."""
    async def run() -> Any:
        async with open_client(sandbox=True, sandbox_db=db) as client:
            return await client.call(operation, **params)

    return anyio.run(run)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def load(path: Path) -> Doc:
    data: Doc = json.loads(path.read_text())
    return data


def redigest(doc: Doc) -> Doc:
    """What an attacker can do: recompute the plan's own digest with the tool's code after editing."""
    doc["changes_digest"] = Plan.from_json({**doc, "changes_digest": "0" * 64}).digest()
    return doc


def change(doc: Doc, address: str) -> Doc:
    found: Doc = next(c for c in doc["changes"] if c["address"] == address)
    return found


def delete_of(address: str, kind: str, remote: Doc, order: int) -> Doc:
    return {"address": address, "kind": kind, "key": address.split(":", 1)[1], "actions": ["delete"],
            "order": order, "remote": remote, "before": None, "after": None, "diff": [], "text_diffs": [],
            "reasons": [{"code": "not_in_repository", "message": "no longer in the repository"}],
            "risks": ["deletes"], "depends_on": [], "replace_paths": []}


@pytest.fixture
def world(cli: Callable[..., Run], project: Path, db: Path, tmp_path: Path) -> Doc:
    """Applied project plus an unmanaged config; then a saved plan with one update and one create."""
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    unmanaged = call(db, "create_config", body={"name": "legacy-routing", "config": {"retry": {"attempts": 1}}})
    edit(project / "configs/support-routing.config.yaml", "attempts: 3", "attempts: 4")
    (project / "configs/extra.config.yaml").write_text("config:\n  retry:\n    attempts: 2\n")
    saved = tmp_path / "plan.json"
    planned = cli("plan", str(project), "--sandbox", "--out", str(saved))
    assert planned.code == 0, planned.err
    doc = load(saved)
    assert change(doc, "config:support-routing")["actions"] == ["update"]
    assert change(doc, "config:extra")["actions"] == ["create"]
    triage = change(doc, "prompt:support/triage")["remote"]
    return {"saved": saved, "doc": doc, "unmanaged": unmanaged, "triage": triage}


def add_unmanaged_delete(world: Doc) -> Doc:
    doc, unmanaged = world["doc"], world["unmanaged"]
    remote = {"id": unmanaged["id"], "slug": unmanaged.get("slug"), "name": "legacy-routing"}
    doc["changes"].append(delete_of("config:legacy-routing", "config", remote, len(doc["changes"])))
    return doc


def add_protected_delete(world: Doc) -> Doc:
    doc = world["doc"]
    remote = {k: world["triage"][k] for k in ("id", "slug")}
    doc["changes"].append(delete_of("prompt:support/triage", "prompt", remote, len(doc["changes"])))
    return redigest(doc)


def create_into_update(world: Doc) -> Doc:
    doc, unmanaged = world["doc"], world["unmanaged"]
    extra = change(doc, "config:extra")
    extra["actions"] = ["update"]
    extra["remote"] = {"id": unmanaged["id"], "slug": unmanaged.get("slug"), "name": "legacy-routing"}
    return redigest(doc)


def payload_content(world: Doc) -> Doc:
    doc = world["doc"]
    routing = change(doc, "config:support-routing")
    routing["after"]["config"]["retry"]["attempts"] = 99
    return redigest(doc)


ATTACKS: dict[str, tuple[Callable[[Doc], Doc], str, str]] = {
    # name: (edit, marker in the error, what the error must name)
    "unmanaged delete": (add_unmanaged_delete, "EDITED_PLAN", "changes_digest"),
    "unmanaged delete, digest recomputed": (
        lambda w: redigest(add_unmanaged_delete(w)), "STALE_PLAN", "only in the saved plan: config:legacy-routing"),
    "protected prompt delete": (add_protected_delete, "STALE_PLAN", "different: prompt:support/triage"),
    "create flipped to an update of another object": (create_into_update, "STALE_PLAN", "different: config:extra"),
    "content changed": (payload_content, "STALE_PLAN", "different: config:support-routing"),
    "prune switched on": (lambda w: {**w["doc"], "options": {"prune": True, "adopt": False}},
                          "EDITED_PLAN", "nothing was applied"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_edited_saved_plan_is_refused_and_nothing_is_written(
    attack: str, world: Doc, cli: Callable[..., Run], project: Path, db: Path
) -> None:
    edit_plan, marker, named = ATTACKS[attack]
    before = state(db)
    world["saved"].write_text(json.dumps(edit_plan(world)))
    refused = cli("apply", str(project), "--sandbox", "--plan", str(world["saved"]), "--auto-approve")
    assert refused.code == 1, refused.err
    assert marker in refused.err and named in refused.err and "nothing was applied" in refused.err
    assert "Apply complete" not in refused.out
    assert state(db) == before
    # The account still holds the unmanaged config and the protected prompt, untouched.
    names = {c["name"] for c in call(db, "list_configs")["data"]}
    assert "legacy-routing" in names and "gitops:hijacked" not in names
    assert call(db, "get_prompt", prompt_id=world["triage"]["id"])["id"] == world["triage"]["id"]


def test_an_unedited_saved_plan_applies_what_a_fresh_plan_gives(
    world: Doc, cli: Callable[..., Run], project: Path, db: Path
) -> None:
    applied = cli("apply", str(project), "--sandbox", "--plan", str(world["saved"]), "--auto-approve")
    assert applied.code == 0, applied.err
    assert "Apply complete: 2 write(s)" in applied.out
    assert cli("plan", str(project), "--sandbox", "--detailed-exitcode").code == 0
    names = {c["name"] for c in call(db, "list_configs")["data"]}
    assert {"legacy-routing", "gitops:extra"} <= names


def test_a_saved_prune_plan_over_the_threshold_needs_allow_mass_delete_on_apply(
    cli: Callable[..., Run], project: Path, db: Path, tmp_path: Path
) -> None:
    edit(project / "portkey.yaml", "mass_delete_threshold: 5", "mass_delete_threshold: 1")
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    (project / "limits/per-user.rate-limit.yaml").unlink()
    (project / "limits/monthly-budget.usage-limit.yaml").unlink()
    saved = tmp_path / "plan.json"
    made = cli("plan", str(project), "--sandbox", "--prune", "--allow-mass-delete", "--out", str(saved))
    assert made.code == 0 and load(saved)["options"] == {"prune": True, "adopt": False}
    before = state(db)
    blocked = cli("apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve")
    assert blocked.code == 4 and "mass-delete threshold of 1" in blocked.err and "nothing was applied" in blocked.err
    assert state(db) == before
    # The file cannot carry the permission: it is not an option a plan records.
    doc = load(saved)
    doc["options"]["allow_mass_delete"] = True
    saved.write_text(json.dumps(doc))
    smuggled = cli("apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve")
    assert smuggled.code == 1 and "options.allow_mass_delete is not a known key" in smuggled.err
    del doc["options"]["allow_mass_delete"]
    saved.write_text(json.dumps(doc))
    assert state(db) == before
    allowed = cli("apply", str(project), "--sandbox", "--plan", str(saved), "--auto-approve", "--allow-mass-delete")
    assert allowed.code == 0, allowed.err
    assert cli("plan", str(project), "--sandbox", "--prune", "--detailed-exitcode").code == 0


def test_flags_that_contradict_the_saved_plan_are_refused(
    world: Doc, cli: Callable[..., Run], project: Path, db: Path
) -> None:
    before = state(db)
    for flags, named in ((["--prune"], "--prune"), (["--env", "prod"], "--env prod")):
        refused = cli("apply", str(project), "--sandbox", "--plan", str(world["saved"]), "--auto-approve", *flags)
        assert refused.code == 1 and named in refused.err and "conflicts" in refused.err
    assert state(db) == before


BROKEN: dict[str, tuple[Callable[[Doc], str], str]] = {
    "invalid JSON": (lambda d: json.dumps(d)[:-20], "not valid JSON"),
    "not an object": (lambda d: json.dumps([d]), "must be a JSON object"),
    "newer format": (lambda d: json.dumps({**d, "format_version": "4.0"}), "plan format 4.0 is not supported"),
    "format 1 (with apply payloads)": (lambda d: json.dumps({**d, "format_version": "1.1"}),
                                       "plan format 1.1 is not supported (expected 3.0); plan again"),
    "format from before digests": (
        lambda d: json.dumps({k: v for k, v in d.items() if k not in ("changes_digest", "options")}
                             | {"format_version": "1.0"}), "plan format 1.0 is not supported"),
    # Format 2 has no payload: a file that carries one (to steer apply) is not a plan.
    "payload smuggled in": (lambda d: json.dumps({**d, "changes": [{**d["changes"][0], "payload": {"name": "x"}}]}),
                            "changes[0].payload is not a known key"),
    "missing changes": (lambda d: json.dumps({k: v for k, v in d.items() if k != "changes"}), "changes is missing"),
    "changes not a list": (lambda d: json.dumps({**d, "changes": "all"}),
                           "changes is invalid (Input should be a valid array)"),
    "unknown action": (lambda d: json.dumps({**d, "changes": [{**d["changes"][0], "actions": ["destroy"]}]}),
                       "changes[0].actions[0] is invalid (Input should be 'create', "),
    "address not a string": (lambda d: json.dumps({**d, "changes": [{**d["changes"][0], "address": ["x"]}]}),
                             "changes[0].address is invalid (Input should be a valid string)"),
    "options without prune": (lambda d: json.dumps({**d, "options": {}}), "options.prune is missing"),
    "digest not hex": (lambda d: json.dumps({**d, "changes_digest": "\x1b]8;;evil\x07"}),
                       "changes_digest is invalid (String should match pattern"),
    "deeply nested": (lambda d: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "nested past the limit": (lambda d: json.dumps({**d, "drift": [{"x": json.loads("[" * 150 + "]" * 150)}]}),
                              "nests deeper than"),
    "not UTF-8": (lambda d: "\udcff", "not UTF-8"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_saved_plan_is_one_clear_error(
    case: str, world: Doc, cli: Callable[..., Run], project: Path, db: Path
) -> None:
    make, expected = BROKEN[case]
    text = make(world["doc"])
    world["saved"].write_bytes(text.encode("utf-8", "surrogateescape"))
    before = state(db)
    refused = cli("apply", str(project), "--sandbox", "--plan", str(world["saved"]), "--auto-approve")
    assert refused.code == 1 and expected in refused.err, refused.err
    assert "cannot use saved plan 'plan.json'" in refused.err and "\x1b" not in refused.err
    assert state(db) == before


def test_the_saved_plan_must_be_a_regular_file_of_bounded_size(
    world: Doc, cli: Callable[..., Run], project: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert "not a regular file" in cli("apply", str(project), "--sandbox", "--plan", str(folder)).err
    missing = cli("apply", str(project), "--sandbox", "--plan", str(tmp_path / "missing.json"))
    assert missing.code == 1 and "not a regular file" in missing.err
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(33 * 1024 * 1024)
    refused = cli("apply", str(project), "--sandbox", "--plan", str(huge))
    assert refused.code == 1 and "larger than 32 MiB" in refused.err
