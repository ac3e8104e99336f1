"""What a real plan says: the versioned JSON form, risk lines and blast radius, the drift section."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from engine.gitops.plan import FORMAT_VERSION, Plan
from engine.gitops.render import render_human, render_markdown
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.helpers import change_of, converge, edit

pytestmark = pytest.mark.anyio


def git(root: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout.strip()


async def test_json_plan_holds_the_versioned_reviewable_record(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "example")
    await converge(client, project)
    edit(project / "configs/support-routing.config.yaml", "attempts: 3", "attempts: 5")
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Mail")
    git(project, "commit", "-q", "-am", "edit")
    sandbox.reset_requests()
    planned = await plan_project(client, project)
    data = json.loads(json.dumps(planned.plan.to_json()))

    assert data["format_version"] == FORMAT_VERSION
    assert data["source"]["git_sha"] == git(project, "rev-parse", "HEAD") and data["source"]["dirty"] is False
    assert len(data["source"]["desired_hash"]) == 16
    assert data["requests"] == len(sandbox.requests())
    config = next(c for c in data["changes"] if c["address"] == "config:support-routing")
    assert config["actions"] == ["update"]
    assert config["before"]["config"]["retry"]["attempts"] == 3 and config["after"]["config"]["retry"]["attempts"] == 5
    assert config["diff"] == [{"path": "config.retry.attempts", "op": "change", "before": 3, "after": 5}]
    assert config["reasons"] == [{"code": "live_at_once",
                                  "message": "updates are live at once (Portkey has no publish step for this kind)"}]
    assert "payload" not in config
    assert config["risks"] == ["live_at_once"]
    assert config["depends_on"] == ["guardrail:pii-redaction"]
    triage = next(c for c in data["changes"] if c["address"] == "prompt:support/triage")
    assert triage["risks"] == ["publishes_default", "moves_label"]
    assert [d["label"] for d in triage["text_diffs"]] == ["messages[0] (system)"]
    assert triage["remote"]["version"] == 1 and triage["remote"]["next_version"] == 2
    # Every remote object the plan read is fingerprinted (the stale-plan guard), and only those.
    read = {f"{obj.kind.value}:{obj.id}" for objects in planned.live.objects.values() for obj in objects if obj.key}
    assert set(data["fingerprints"]) == read and len(read) == 12
    assert Plan.from_json(data).to_json() == data

    edit(project / "limits/per-user.rate-limit.yaml", "value: 30", "value: 31")
    dirty = (await plan_project(client, project)).plan
    assert dirty.source["dirty"] is True and dirty.source["desired_hash"] != data["source"]["desired_hash"]


async def test_partial_blast_radius_follows_partials_and_skips_pinned_uses(
    client: PortkeyClient, project: Path
) -> None:
    (project / "partials/greeting.partial.md").write_text("Hello!\n{{>tone-of-voice}}\n")
    (project / "prompts/support/welcome.prompt.yaml").write_text(
        "model: gpt-4o-mini\ntemplate: \"{{>greeting}} Welcome.\"\n"
    )
    (project / "prompts/support/legal.prompt.yaml").write_text(
        "model: gpt-4o-mini\ntemplate: \"{{>tone-of-voice@1}} Read the terms.\"\n"
    )
    await converge(client, project)
    edit(project / "partials/tone-of-voice.partial.md", "Use short sentences.", "Use short, kind sentences.")
    plan = (await plan_project(client, project)).plan
    assert [(n.code, n.address, n.message) for n in plan.risk_summary] == [(
        "affects_prompts", "partial:tone-of-voice",
        "publishing partial:tone-of-voice changes 3 prompts: prompt:support/billing/refund, "
        "prompt:support/triage, prompt:support/welcome",
    )]
    assert "affects_prompts" in change_of(plan, "partial:tone-of-voice").risks
    human = render_human(plan.to_json(), color=False)
    risks = human[human.index("Risks:"):human.index("Changes, in apply order:")]
    assert "publishing partial:tone-of-voice changes 3 prompts" in risks
    assert "1 publish moves the default version callers are served: partial:tone-of-voice" in risks
    assert "publishing partial:tone-of-voice changes 3 prompts" in render_markdown(plan.to_json())


async def test_deletes_and_publishes_are_named_in_the_risk_lines(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    (project / "prompts/support/summarise.prompt.yaml").unlink()
    edit(project / "prompts/support/triage.system.md", "Acme Cloud", "Acme Mail")
    plan = (await plan_project(client, project, prune=True)).plan.to_json()
    human = render_human(plan, color=False)
    assert "1 publish moves the default version callers are served: prompt:support/triage" in human
    assert "1 label move changes what callers of those labels are served: prompt:support/triage" in human
    assert "1 delete removes objects from Portkey: prompt:support/summarise" in human


async def test_an_edit_made_in_portkey_is_reported_in_the_drift_section(
    client: PortkeyClient, project: Path
) -> None:
    await converge(client, project)
    prompts, _ = await client.list_all("list_prompts")
    triage = next(p["id"] for p in prompts if p["name"].startswith("gitops:support/triage"))
    await client.update_prompt(prompt_id=triage, body={"string": "[]", "patch": True})
    plan = (await plan_project(client, project)).plan
    assert [d["address"] for d in plan.drift] == ["prompt:support/triage"]
    entry = plan.drift[0]
    # The patch copied our stamp onto another text: reported as an edit made in Portkey (issue 9).
    assert entry["last_updated_at"]
    human = render_human(plan.to_json(), color=False)
    section = human[human.index("Changed in Portkey outside git:"):]
    assert ("prompt:support/triage  latest version v2 was edited in Portkey outside git (its text differs from "
            "the stamped content)") in section
    changes = human[human.index("Changes, in apply order:"):human.index("Changed in Portkey outside git:")]
    assert "prompt:support/triage" in changes  # a new version restores the file's text

