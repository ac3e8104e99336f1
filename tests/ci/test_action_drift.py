"""``action.yml``'s drift command on a schedule: one issue per environment, opened, updated, then closed."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx

from engine.ci import report
from engine.portkey import PortkeyClient, Secret, Settings
from sandbox import Sandbox
from tests.ci.conftest import API_KEY, Result, Runner
from tests.ci.fake_github import BOT, FakeGitHub
from tests.ci.test_action_plan import no_secret

MARKER = "<!-- portkey-gitops:drift env=dev -->"


def edit_triage_in_portkey(runner: Runner, text: str) -> None:
    """Someone edits the triage prompt in Portkey's UI (a new version outside git)."""
    async def edit() -> None:
        sb = Sandbox(db=str(runner.sandbox_db), api_key="k")
        settings = Settings(api_key=Secret("k"), base_url="http://127.0.0.1/v1")
        try:
            async with PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app)) as client:
                listed = await client.list_prompts()
                prompts = listed if isinstance(listed, list) else listed["data"]
                triage = next(p for p in prompts if "triage" in p["name"])
                await client.update_prompt(prompt_id=triage["id"], body={"string": text, "patch": True})
        finally:
            sb.close()

    anyio.run(edit)


def drift(runner: Runner) -> Result:
    return runner.run("drift", event_name="schedule", event={"schedule": "17 6 * * *"}, env="dev", api_key=API_KEY)


def test_drift_opens_updates_and_closes_one_issue(runner: Runner, fake: FakeGitHub) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    fake.issues[1] = {"number": 1, "title": "Portkey drift in dev", "body": MARKER + "\nforged", "state": "open",
                      "user": {"login": "mallory"}}
    clean = drift(runner)
    assert clean.code == 0 and clean.outputs["has_drift"] == "false" and "No drift" in clean.summary
    assert fake.requests("POST") == [] and fake.requests("PATCH") == []

    edit_triage_in_portkey(runner, "edited in the UI {{customer_message}}")
    found = drift(runner)
    assert found.code == 0, found.stdout + found.stderr
    assert found.outputs["has_drift"] == "true"
    assert "support/triage" in found.summary and "edited in Portkey outside git" in found.summary
    ours = [i for i in fake.issues.values() if i["user"]["login"] == BOT]
    assert len(ours) == 1 and ours[0]["title"] == "Portkey drift in dev" and ours[0]["body"].startswith(MARKER)
    assert "/actions/runs/" in ours[0]["body"]

    edit_triage_in_portkey(runner, "edited again {{customer_message}}")
    again = drift(runner)
    assert again.code == 0 and len([i for i in fake.issues.values() if i["user"]["login"] == BOT]) == 1
    assert len(fake.requests("PATCH", "/issues/")) == 1 and ours[0]["state"] == "open"

    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    gone = drift(runner)
    assert gone.code == 0 and gone.outputs["has_drift"] == "false"
    assert ours[0]["state"] == "closed" and ours[0]["state_reason"] == "completed"
    assert fake.issues[1]["state"] == "open" and fake.issues[1]["body"].endswith("forged")
    assert any("No drift any more" in str(s.body) for s in fake.requests("POST", "/comments"))
    for result in (clean, found, again, gone):
        no_secret(result, fake)


def test_drift_with_invalid_files_fails_and_opens_nothing(runner: Runner, fake: FakeGitHub) -> None:
    path = runner.project / "prompts/support/summarise.prompt.yaml"
    path.write_text(path.read_text().replace("model:", "modle:"))
    result = drift(runner)
    assert result.code == 1 and result.outputs["failure_reason"] == "invalid"
    assert "summarise.prompt.yaml:2:1" in result.summary and fake.issues == {}


LOCK = "prompts/portkey.lock.json"  # relative to the workspace, where the step runs
TABLE = "| Object | What changed | Who could have changed it | Put it back |"


def edit_limit_in_portkey(runner: Runner, value: int) -> None:
    """Someone changes the per-user rate limit in Portkey (a kind only the lock file can check)."""
    async def edit() -> None:
        sb = Sandbox(db=str(runner.sandbox_db), api_key="k")
        settings = Settings(api_key=Secret("k"), base_url="http://127.0.0.1/v1")
        try:
            async with PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app)) as client:
                rows, _ = await client.list_all("list_rate_limits")
                row = next(r for r in rows if "per-user" in str(r.get("name")))
                await client.update_rate_limit(id=row["id"], body={"value": value})
        finally:
            sb.close()

    anyio.run(edit)


def cli_drift(runner: Runner, *args: str) -> dict[str, Any]:
    done = runner.cli("drift", "prompts", "--env", "dev", "--sandbox", "--json", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_the_issue_says_what_changed_who_could_have_and_the_command_as_the_cli_does(
    runner: Runner, fake: FakeGitHub
) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve", "--lock", LOCK).returncode == 0
    edit_limit_in_portkey(runner, 99)
    edit_triage_in_portkey(runner, "edited in the UI {{customer_message}}")
    found = runner.run("drift", event_name="schedule", event={"schedule": "17 6 * * *"}, env="dev", lock=LOCK)
    assert found.code == 0 and found.outputs["has_drift"] == "true", found.stdout + found.stderr
    [issue] = [i for i in fake.issues.values() if i["user"]["login"] == BOT]
    cli = cli_drift(runner, "--lock", LOCK)
    assert {item["address"] for item in cli["drift"]} == {"rate_limit:per-user", "prompt:support/triage"}
    for body in (issue["body"], found.summary):
        assert TABLE in body and "Checked: " in body and "Not checked" not in body  # every kind, with the lock
        for item in cli["drift"]:
            assert f"<code>{report.text(item['address'])}</code>" in body
            assert report.text(item["changed"]) in body and "Portkey UI or with its API" in body
            assert f"<code>{item['restore']}</code>" in body.replace("\\", "")
    assert cli["drift"][0]["restore"] == f"portkey-gitops apply prompts --env dev --lock {LOCK}"


def test_without_the_lock_the_summary_names_the_kinds_not_checked(runner: Runner, fake: FakeGitHub) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0
    edit_limit_in_portkey(runner, 99)  # not visible without the lock
    clean = drift(runner)
    assert clean.code == 0 and clean.outputs["has_drift"] == "false" and fake.issues == {}
    plain = clean.summary.replace("\\", "")  # Markdown escapes
    assert "No drift" in plain and "Checked: prompt, partial." in plain
    assert "rate_limit" in plain.split("Not checked (they carry no stamp; give the --lock file")[1]


def test_a_stale_lock_is_a_warning_not_drift(runner: Runner, fake: FakeGitHub) -> None:
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve", "--lock", LOCK).returncode == 0
    limit = runner.project / "limits/per-user.rate-limit.yaml"
    limit.write_text(limit.read_text().replace("value: 30", "value: 45"))
    assert runner.cli("apply", "prompts", "--env", "dev", "--sandbox", "--auto-approve").returncode == 0  # no lock
    result = runner.run("drift", event_name="schedule", event={"schedule": "17 6 * * *"}, env="dev", lock=LOCK)
    assert result.code == 0 and result.outputs["has_drift"] == "false" and fake.issues == {}
    assert "Stale lock file" in result.summary and "not as the lock says" in result.summary
    assert "::warning" in result.stdout and "lock file is stale" in result.stdout
    assert cli_drift(runner, "--lock", LOCK)["lock"]["stale"] is True
