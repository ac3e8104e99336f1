"""Secret values never leave the process: not in any plan form (JSON with before/after/diff/payload,
terminal, Markdown), the lock file, apply results, drift or export, whatever Portkey holds."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from engine.gitops.export import Exporter
from engine.gitops.live import Reader
from engine.gitops.model import ResourceKind
from engine.gitops.plan import Plan
from engine.gitops.render import render_human, render_markdown
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient
from tests.gitops.helpers import actions, change_of, edit

pytestmark = pytest.mark.anyio

SECRET = "sk-live-DO-NOT-LEAK-41f0"
ROTATED = "sk-live-ROTATED-DO-NOT-LEAK-77aa"
GUARD_SECRET = "tok-guard-DO-NOT-LEAK-5b"
SECRETS = (SECRET, ROTATED, GUARD_SECRET)
ENV = {"OPENAI_KEY": SECRET, "GUARD_TOKEN": GUARD_SECRET}


def with_secrets(project: Path) -> None:
    edit(project / "portkey.yaml", "version: 1\n", "version: 1\nsecrets: [OPENAI_KEY, GUARD_TOKEN]\n")
    edit(project / "configs/support-routing.config.yaml", "      override_params: {model: gpt-4o}\n",
         "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n")
    edit(project / "guardrails/pii-redaction.guardrail.yaml", "      not: true\n",
         "      not: true\n  - id: default.webhook\n    parameters:\n      webhookURL: https://hooks.example.com\n"
         "      token: ${secret:GUARD_TOKEN}\n")


def forms(plan: Plan) -> list[str]:
    data = plan.to_json()
    return [
        json.dumps(data), render_human(data, color=False, show_noop=True), render_human(data, color=True),
        render_markdown(data), render_markdown(data, limit=2_000),
    ]


def assert_clean(texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def payload_strings(plan: Plan) -> list[str]:
    def walk(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in walk(v)]
        if isinstance(value, list | tuple):
            return [s for v in value for s in walk(v)]
        return [value] if isinstance(value, str) else []

    return [s for change in plan.changes for s in walk(asdict(change.payload))]


async def test_secrets_never_appear_in_any_output(client: PortkeyClient, project: Path, tmp_path: Path) -> None:
    with_secrets(project)
    outputs: list[str] = []

    created = await plan_project(client, project, environ=ENV)
    assert not created.plan.errors, created.plan.errors
    outputs += forms(created.plan)
    assert not any(secret in text for text in payload_strings(created.plan) for secret in SECRETS)
    result = await apply_planned(client, created, environ=ENV)
    outputs += [json.dumps([s.__dict__ for s in result.steps], default=str)]
    lock = tmp_path / "lock.json"
    assert result.lock is not None
    result.lock.write(lock)
    outputs.append(lock.read_text())
    config = change_of((await plan_project(client, project, environ=ENV)).plan, "config:support-routing")
    live = await client.get_config(slug=config.remote["slug"])
    assert live["config"]["targets"][2]["api_key"] == SECRET, "the secret did reach Portkey"

    rotated = await plan_project(client, project, environ={**ENV, "OPENAI_KEY": ROTATED})
    change = change_of(rotated.plan, "config:support-routing")
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("config.targets.2.api_key", "(secret)", "(secret)")
    ]
    assert "changes_secret" in change.risks
    outputs += forms(rotated.plan)
    assert "config.targets.2.api_key: (secret changed)" in render_human(rotated.plan.to_json(), color=False)

    # A target inserted before the secret one: the secret Portkey holds moves to another index.
    edit(project / "configs/support-routing.config.yaml", "  targets:\n",
         "  targets:\n    - virtual_key: vk-extra\n")
    shifted = await plan_project(client, project, environ=ENV)
    assert actions(shifted.plan)["config:support-routing"] == ["update"]
    outputs += forms(shifted.plan)

    # The secret target removed from the file: Portkey still holds it, the plan must not show it.
    (project / "configs/support-routing.config.yaml").write_text(
        "config:\n  strategy: {mode: fallback}\n  targets:\n    - virtual_key: vk-openai-dev\n"
    )
    removed = await plan_project(client, project, environ=ENV)
    outputs += forms(removed.plan)
    assert any(d.path == "config.targets[2].api_key" or "api_key" in json.dumps(d.before)
               for d in change_of(removed.plan, "config:support-routing").diff)

    # Files gone and pruned: the delete's "before" is what Portkey holds, masked.
    (project / "configs/support-routing.config.yaml").unlink()
    (project / "guardrails/pii-redaction.guardrail.yaml").unlink()
    pruned = await plan_project(client, project, environ=ENV, prune=True)
    assert actions(pruned.plan) == {"config:support-routing": ["delete"], "guardrail:pii-redaction": ["delete"]}
    outputs += forms(pruned.plan)
    assert_clean(outputs)


async def test_export_writes_references_never_values(client: PortkeyClient, project: Path, tmp_path: Path) -> None:
    with_secrets(project)
    planned = await plan_project(client, project, environ=ENV)
    await apply_planned(client, planned, environ=ENV)
    live = await Reader(client, None, "gitops:").read(set(ResourceKind))
    target = tmp_path / "exported"
    result = Exporter(live, target, "gitops:", None).write()
    texts = [path.read_text() for path in target.rglob("*") if path.is_file()]
    assert_clean(texts)
    assert sorted(result.secrets) == ["PII_REDACTION_2_PARAMETERS_TOKEN", "SUPPORT_ROUTING_TARGETS_2_API_KEY"]
    exported_env = {"PII_REDACTION_2_PARAMETERS_TOKEN": GUARD_SECRET, "SUPPORT_ROUTING_TARGETS_2_API_KEY": SECRET}
    again = await plan_project(client, target, environ=exported_env)
    assert not again.plan.errors and actions(again.plan) == {}
    assert_clean(forms(again.plan))
