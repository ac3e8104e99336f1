"""A hand-made account (raw HTTP, not the engine) → `export --adopt` → validate → plan is a no-op → apply writes
nothing → every live object's content is unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.gitops.model import ResourceKind
from tests.adopt.conftest import KEY, Account, Run

portkey_ai = pytest.importorskip("portkey_ai")  # a dev dependency: installed wherever the tests run

GUARD_ACTIONS = {"deny": True, "async": False, "on_success": {"feedback": {"value": 5, "weight": 1, "metadata": ""}},
                 "on_fail": {"feedback": {"value": -5, "weight": 1, "metadata": ""}}}
CHAT = json.dumps([{"role": "system", "content": "You triage tickets. {{>tone}}"},
                   {"role": "user", "content": "Ticket: {{ticket}}"}])


def hand_made(account: Account) -> None:
    """Objects of every kind, made the way a user's script or Portkey's UI makes them."""
    ws = account.sandbox.default_workspace_id
    support = account.call("POST", "/collections", {"name": "Support", "workspace_id": ws})
    account.call("POST", "/collections", {"name": "Billing team", "workspace_id": ws,
                                          "parent_collection_id": support["id"]})
    tone = account.call("POST", "/prompts/partials", {"name": "tone", "string": "Be kind.", "workspace_id": ws})
    account.call("POST", "/prompts/partials", {"name": "Sign off", "string": "Thanks, the team.",
                                               "workspace_id": ws})
    account.call("POST", "/prompts", {
        "name": "Ticket triage", "collection_id": support["id"], "string": CHAT.replace("tone", tone["slug"]),
        "parameters": {"temperature": 0.2, "max_tokens": 300}, "model": "gpt-4o-mini", "virtual_key": "vk-1"})
    account.call("POST", "/prompts", {
        "name": "summarise", "collection_id": support["id"], "string": "Summarise: {{text}}",
        "parameters": {}, "model": "gpt-4o", "virtual_key": "vk-1"})
    account.call("POST", "/labels", {"name": "canary", "workspace_id": ws, "color_code": "#aabbcc",
                                     "description": "early users"})
    guard = account.call("POST", "/guardrails", {
        "name": "pii", "workspace_id": ws, "actions": GUARD_ACTIONS,
        "checks": [{"id": "default.regexMatch", "parameters": {"rule": "\\d+"}}]})
    account.call("POST", "/configs", {"name": "routing", "workspace_id": ws, "config": {
        "retry": {"attempts": 2}, "input_guardrails": [guard.get("slug") or guard["id"]]}})
    limit = {"conditions": [{"key": "workspace_id", "value": ws}], "group_by": [{"key": "api_key"}]}
    account.call("POST", "/policies/rate-limits", {**limit, "name": "per key", "type": "requests", "unit": "rpm",
                                                   "value": 10, "workspace_id": ws})
    account.call("POST", "/policies/usage-limits", {**limit, "name": "budget", "type": "cost", "credit_limit": 100,
                                                    "workspace_id": ws})


def sdk_made(account: Account) -> None:
    """More objects, made with the official ``portkey-ai`` SDK (a dev dependency) as a user's script would."""
    sdk = portkey_ai.Portkey(api_key=KEY, base_url=account.url)
    ws = account.sandbox.default_workspace_id
    team = sdk.collections.create(name="Sales", workspace_id=ws)
    sdk.prompts.partials.create(name="sdk footer", string="Reply in {{language}}.", workspace_id=ws)
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    sdk.prompts.create(name="sdk lead scoring", collection_id=team["id"] if isinstance(team, dict) else team.id,
                       string=json.dumps([{"role": "user", "content": "Score {{lead}}"}]),
                       parameters={"temperature": 0.5}, model="gpt-4o", virtual_key="vk-1", tools=[tool],
                       tool_choice={"type": "function", "function": {"name": "lookup"}},
                       version_description="made with the SDK")
    sdk.configs.create(name="sdk fallback", config={"strategy": {"mode": "fallback"}, "targets": [
        {"virtual_key": "vk-1"}, {"virtual_key": "vk-2"}]}, workspace_id=ws)
    sdk.labels.create(name="beta", workspace_id=ws, description="made with the SDK", color_code="#112233")


# what a rename (the adoption marker) moves: the name and its echoes, the edit's time, author and revision id
RENAME_TOUCHES = {"name", "last_updated_at", "updated_at", "updated_by", "version_id", "collection_details",
                  "description"}


def listed(account: Account, path: str) -> list[dict[str, Any]]:
    """Every row of a list, page by page (the sandbox, like Portkey, answers 100 prompts a page)."""
    rows: list[dict[str, Any]] = []
    while True:
        answer = account.call("GET", f"{path}?current_page={len(rows) // 100}&page_size=100")
        page = answer["data"] if isinstance(answer, dict) else answer
        rows += page
        if len(page) < 100:
            return rows


def contents(account: Account) -> dict[str, Any]:
    """What every object holds, names aside (adoption renames; content must not move)."""
    out: dict[str, Any] = {}
    for path in ("/prompts", "/prompts/partials", "/configs", "/guardrails", "/labels", "/collections",
                 "/policies/rate-limits", "/policies/usage-limits"):
        for row in listed(account, path):
            ident = row.get("slug") or row["id"]
            detail = row
            if path in ("/prompts", "/prompts/partials", "/configs", "/guardrails"):
                detail = account.call("GET", f"{path}/{ident}")
            out[f"{path}/{row['id']}"] = {k: v for k, v in detail.items()
                                          if k not in RENAME_TOUCHES}
    return out


def applying_writes_nothing(account: Account, cli: Callable[..., Run], project: Path, before: dict[str, Any]) -> None:
    """``apply`` of the adopted ``project`` sends no write and every object holds what it held ``before``."""
    account.forget()
    applied = cli("apply", project, "--auto-approve")
    assert applied.code == 0, applied.text
    assert account.writes() == []
    after = contents(account)
    assert after.keys() == before.keys()
    changed = {k: sorted(f for f in {*before[k], *after[k]} if before[k].get(f) != after[k].get(f)) for k in before}
    assert {k: v for k, v in changed.items() if v} == {}  # names aside, nothing moved


def test_export_adopt_then_plan_is_a_no_op_and_apply_writes_nothing(
    tmp_path: Path, account: Account, cli: Callable[..., Run]
) -> None:
    hand_made(account)
    sdk_made(account)
    before = contents(account)
    exported = tmp_path / "exported"
    done = cli("export", exported, "--adopt")
    assert done.code == 0, done.out + done.err
    assert "Adopted" in done.out
    checked = cli("validate", exported)
    assert checked.code == 0, checked.out + checked.err
    planned = cli("plan", exported, "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err
    changes = json.loads(cli("plan", exported, "--json").out)["changes"]
    assert {c["address"].split(":")[0] for c in changes} == {kind.value for kind in ResourceKind}  # every kind
    assert {"prompt:sdk-lead-scoring", "partial:sdk-footer", "config:sdk-fallback", "label:beta"} <= {
        c["address"] for c in changes}
    assert all(c["actions"] == ["noop"] for c in changes), [c for c in changes if c["actions"] != ["noop"]]
    applying_writes_nothing(account, cli, exported, before)
    assert cli("drift", exported, "--detailed-exitcode").code == 0


def test_the_lock_records_adopted_prompts_so_a_git_change_is_not_drift(
    tmp_path: Path, account: Account, cli: Callable[..., Run]
) -> None:
    hand_made(account)
    exported, lock = tmp_path / "exported", tmp_path / "portkey.lock.json"
    done = cli("export", exported, "--adopt", "--lock", lock)
    assert done.code == 0, done.out + done.err
    entries = json.loads(lock.read_text())["entries"]
    assert "prompt:summarise" in entries and "partial:tone" in entries
    prompt = exported / "prompts/summarise.prompt.yaml"
    prompt.write_text(prompt.read_text().replace("Summarise:", "Summarise briefly:"))
    # Portkey cannot stamp the adopted version: without the lock a change in git looks like an outside edit
    assert cli("drift", exported, "--detailed-exitcode").code == 3
    with_lock = cli("drift", exported, "--lock", lock, "--detailed-exitcode")
    assert with_lock.code == 0, with_lock.out
    slug = next(r["slug"] for r in account.call("GET", "/prompts")["data"] if r["name"].startswith("gitops:summarise"))
    account.call("PUT", f"/prompts/{slug}", {"string": "Edited in the UI {{text}}", "parameters": {},
                                             "model": "gpt-4o", "virtual_key": "vk-1"})
    edited = cli("drift", exported, "--lock", lock, "--detailed-exitcode")
    assert edited.code == 3 and "prompt:summarise" in edited.out, edited.out


def test_the_readme_flow_with_the_lock_inside_the_new_project(
    tmp_path: Path, account: Account, cli: Callable[..., Run]
) -> None:
    """README "Start from an existing account": export --adopt --lock DIR/.portkey/lock.json, validate, plan."""
    hand_made(account)
    exported = tmp_path / "my-prompts"
    lock = exported / ".portkey" / "lock.json"
    done = cli("export", exported, "--adopt", "--lock", lock)
    assert done.code == 0, done.out + done.err
    assert "prompt:summarise" in json.loads(lock.read_text())["entries"]
    assert cli("validate", exported).code == 0
    planned = cli("plan", exported, "--lock", lock, "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err
    assert cli("drift", exported, "--lock", lock, "--detailed-exitcode").code == 0
