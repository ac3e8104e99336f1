"""Git as an input, in a real repository made by the test: commit stamps, dirty-tree refusal under CI,
partial plans (--changed-since), renames planned as moves, and saved plans across commits."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from engine.cli.connect import open_client
from tests.entry_point import EXAMPLE, Run
from tests.gitops.helpers import prompt_versions

RUN_ENV = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/prompts", "GITHUB_RUN_ID": "4242"}


@pytest.fixture
def cli(cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """The shared ``cli`` without GitHub's run variables either: outside CI unless a test says so."""
    for name in RUN_ENV:
        monkeypatch.delenv(name, raising=False)
    return cli


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the example project under project/, one commit on branch main."""
    top = tmp_path / "repo"
    shutil.copytree(EXAMPLE, top / "project")
    git(top, "init", "-q", "-b", "main")
    git(top, "config", "user.email", "test@example.com")
    git(top, "config", "user.name", "Test")
    commit(top, "initial")
    return top


def commit(top: Path, message: str) -> str:
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", message)
    return git(top, "rev-parse", "HEAD")


def account(tmp_path: Path) -> dict[str, Any]:
    """Prompt and partial versions in the sandbox: name -> latest version row (prompts) or rows (partials)."""
    async def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with open_client(sandbox=True, sandbox_db=tmp_path / "sandbox.sqlite3") as client:
            for prompt in (await client.list_all("list_prompts"))[0]:
                latest = (await prompt_versions(client, prompt["id"]))[-1]
                detail = await client.get_prompt(prompt_id=prompt["id"])
                out[prompt["name"]] = {**latest, **detail, "prompt_id": prompt["id"]}
            for partial in (await client.list_all("list_prompt_partials"))[0]:
                answer = await client.list_partial_versions(prompt_partial_id=partial["id"])
                out[partial["name"]] = answer if isinstance(answer, list) else answer["data"]
        return out

    return anyio.run(read)


def test_applied_versions_and_lock_carry_the_commit_and_run_url(
    cli: Callable[..., Run], repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in RUN_ENV.items():
        monkeypatch.setenv(name, value)
    sha = git(repo, "rev-parse", "HEAD")
    lock = tmp_path / "portkey.lock.json"
    applied = cli("apply", str(repo / "project"), "--sandbox", "--auto-approve", "--lock", str(lock))
    assert applied.code == 0, applied.err
    versions = account(tmp_path)
    triage = versions["gitops:Support triage"] if "gitops:Support triage" in versions else next(
        v for k, v in versions.items() if "triage" in k.lower())
    stamp = triage["template_metadata"]["portkey_gitops"]
    assert stamp["commit"] == sha and stamp["run_url"] == "https://github.com/acme/prompts/actions/runs/4242"
    assert len(stamp["hash"]) >= 16 and sha not in stamp["hash"]
    assert triage["template_metadata"]["team"] == "support"  # the user's metadata is kept
    note = str(triage.get("prompt_version_description"))  # the name in the live answer (prompts-get.json)
    assert f"git {sha[:12]}" in note and "runs/4242" in note
    partial_rows = next(v for k, v in versions.items() if "tone" in k.lower())
    assert any(f"git {sha[:12]}" in str(row.get("version_description") or row.get("description"))
               for row in partial_rows)
    assert json.loads(lock.read_text())["commit"] == sha
    # A new commit that changes no project file plans nothing: the sha is not part of the content hash.
    (repo / "NOTES.md").write_text("unrelated\n")
    commit(repo, "unrelated")
    again = cli("plan", str(repo / "project"), "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out


def test_ci_apply_refuses_a_dirty_tree_unless_allowed(
    cli: Callable[..., Run], repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CI", "true")
    prompt = repo / "project" / "prompts/support/summarise.prompt.yaml"
    prompt.write_text(prompt.read_text() + "\n# uncommitted\n")
    refused = cli("apply", str(repo / "project"), "--sandbox", "--auto-approve")
    assert refused.code == 1
    assert "uncommitted changes" in refused.err and "--allow-dirty" in refused.err
    assert "Traceback" not in refused.err and not (tmp_path / "sandbox.sqlite3").exists()
    allowed = cli("apply", str(repo / "project"), "--sandbox", "--auto-approve", "--allow-dirty")
    assert allowed.code == 0, allowed.err
    assert "WARNING: --allow-dirty" in allowed.err
    monkeypatch.delenv("CI")
    prompt.write_text(prompt.read_text() + "# more\n")
    assert cli("plan", str(repo / "project"), "--sandbox").code == 0  # outside CI a dirty tree is fine


def changed_addresses(plan: dict[str, Any]) -> set[str]:
    return {c["address"] for c in plan["changes"] if c["actions"] != ["noop"]}


def test_changed_since_plans_changed_resources_and_their_dependents(
    cli: Callable[..., Run], repo: Path, tmp_path: Path
) -> None:
    project = repo / "project"
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    base = git(repo, "rev-parse", "HEAD")
    (project / "partials/tone-of-voice.partial.md").write_text("Be warm, brief and exact.\n")
    guardrail = project / "guardrails/pii-redaction.guardrail.yaml"
    guardrail.write_text(guardrail.read_text().replace("name:", "name: ", 1) + "\n")  # changed bytes only
    commit(repo, "tone")
    out = tmp_path / "partial-plan.json"
    planned = cli("plan", str(project), "--sandbox", "--changed-since", base, "--out", str(out), "--prune")
    assert planned.code == 0, planned.err
    assert "partial plan" in planned.out and "--prune is ignored" in planned.err
    plan = json.loads(out.read_text())
    first = plan["warnings"][0]
    assert first["code"] == "partial_plan" and first["text"].startswith("partial plan: only the ")
    assert f"since {base}" in first["text"]
    assert plan["options"]["prune"] is False
    scope = set(plan["source"]["scope"])
    # the partial brings the prompts using it (triage, refund); the guardrail brings its config
    assert {"partial:tone-of-voice", "prompt:support/triage", "prompt:support/billing/refund",
            "guardrail:pii-redaction", "config:support-routing"} <= scope
    assert "prompt:support/summarise" not in scope and "label:canary" not in scope
    assert {c["address"] for c in plan["changes"]} <= scope
    assert "partial:tone-of-voice" in changed_addresses(plan)
    # The saved partial plan applies as reviewed.
    applied = cli("apply", str(project), "--sandbox", "--auto-approve", "--plan", str(out))
    assert applied.code == 0, applied.out + applied.err
    unknown = cli("plan", str(project), "--sandbox", "--changed-since", "no-such-ref")
    assert unknown.code == 1 and "does not know the ref" in unknown.err and "Traceback" not in unknown.err


def test_git_mv_plans_as_a_move_and_suggests_the_moved_entry(
    cli: Callable[..., Run], repo: Path, tmp_path: Path
) -> None:
    project = repo / "project"
    assert cli("apply", str(project), "--sandbox", "--auto-approve").code == 0
    before = {k: v["prompt_id"] for k, v in account(tmp_path).items() if "prompt_id" in v}
    old = "prompts/support/triage"
    git(project, "mv", f"{old}.prompt.yaml", "prompts/support/route.prompt.yaml")
    git(project, "mv", f"{old}.system.md", "prompts/support/route.system.md")
    yaml = project / "prompts/support/route.prompt.yaml"
    yaml.write_text(yaml.read_text().replace("triage.system.md", "route.system.md"))
    portkey = project / "portkey.yaml"
    portkey.write_text(portkey.read_text().replace("prompt:support/triage", "prompt:support/route"))
    out = tmp_path / "move-plan.json"
    planned = cli("plan", str(project), "--sandbox", "--out", str(out))
    assert planned.code == 0, planned.out + planned.err
    assert "planned as a move" in planned.out and "1 to rename" in planned.out
    plan = json.loads(out.read_text())
    [moved] = [w for w in plan["warnings"] if w["code"] == "git_rename"]
    assert moved["text"].startswith("git sees prompt:support/triage renamed to prompt:support/route: planned as a move")
    assert "moved: [{from: prompt:support/triage, to: prompt:support/route}]" in moved["text"]
    assert moved["address"] == "prompt:support/route"
    assert moved["addresses"] == ["prompt:support/triage", "prompt:support/route"]
    assert moved["file"] == "prompts/support/route.prompt.yaml"
    assert plan["source"]["git_moves"] == [["prompt:support/triage", "prompt:support/route"]]
    route = next(c for c in plan["changes"] if c["address"] == "prompt:support/route")
    assert "create" not in route["actions"] and route["remote"]["id"] in before.values()
    assert not any(c["address"] == "prompt:support/triage" for c in plan["changes"])
    # Committed, the move is still one when planning against the base the PR started from.
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, "rename triage")
    since = cli("plan", str(project), "--sandbox", "--changed-since", base, "--json")
    moved = next(c for c in json.loads(since.out)["changes"] if c["address"] == "prompt:support/route")
    assert moved["remote"]["id"] == route["remote"]["id"]
    applied = cli("apply", str(project), "--sandbox", "--auto-approve", "--plan", str(out))
    assert applied.code == 0, applied.out + applied.err
    after = {v["prompt_id"] for v in account(tmp_path).values() if "prompt_id" in v}
    assert route["remote"]["id"] in after and len(after) == len(before)


def test_saved_plan_across_commits_and_environments(cli: Callable[..., Run], repo: Path, tmp_path: Path) -> None:
    project = repo / "project"
    out = tmp_path / "plan.json"
    planned = cli("plan", str(project), "--sandbox", "--env", "dev", "--out", str(out))
    assert planned.code == 0, planned.err
    source = json.loads(out.read_text())["source"]
    assert source["git_sha"] == git(repo, "rev-parse", "HEAD") and source["branch"] == "main"
    assert source["dirty"] is False
    (repo / "CHANGELOG.md").write_text("a commit that touches no project file\n")
    commit(repo, "changelog")
    wrong_env = cli("apply", str(project), "--sandbox", "--auto-approve", "--plan", str(out), "--env", "prod")
    assert wrong_env.code == 1 and "--env prod" in wrong_env.err
    applied = cli("apply", str(project), "--sandbox", "--auto-approve", "--plan", str(out))
    assert applied.code == 0, applied.out + applied.err
