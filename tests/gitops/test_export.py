"""``export`` writes the live account as a project; planning that project right away changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.export import Exporter
from engine.gitops.live import Reader
from engine.gitops.load import load_project
from engine.gitops.model import ResourceKind
from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from tests.gitops.helpers import actions, converge, edit

pytestmark = pytest.mark.anyio

ENV = {"OPENAI_KEY": "sk-export-test-3f9a"}


def every_feature(project: Path) -> None:
    """The example (chat and completion prompts, display names, nested collections, a label, tools,
    partials used by prompts, a config with a guardrail ref, both limits) plus what it lacks."""
    (project / "collections/support/billing").mkdir()
    (project / "collections/support/billing/disputes.collection.yaml").write_text("name: Card disputes\n")
    (project / "prompts/support/billing/disputes").mkdir()
    (project / "labels/beta.label.yaml").write_text("description: Beta testers\ncolor_code: '#00AA00'\n")
    (project / "partials/greeting.partial.md").write_text(
        "---\nname: Greeting line\n---\nHello {{customer_name}}!\n{{>tone-of-voice}}\n"
    )
    (project / "prompts/support/billing/disputes/chargeback.prompt.yaml").write_text(
        "name: Chargeback helper\ncollection: support/billing/disputes\nmodel: gpt-4o\n"
        "parameters: {temperature: 0.1, max_tokens: 300}\n"
        "messages:\n  - role: system\n    content: \"{{>greeting}} Pinned: {{>escalation-policy@1}}\"\n"
        "  - role: user\n    content: \"{{case}}\"\n"
        "functions:\n  - name: open_case\n    parameters: {type: object, properties: {id: {type: string}}}\n"
        "tool_choice: {type: function, function: {name: open_case}}\nmetadata: {team: disputes, owner: ada}\n"
        "release: {default: true, labels: [beta, production]}\n"
    )
    (project / "prompts/draft.prompt.yaml").write_text(
        "model: gpt-4o-mini\ntemplate_file: draft.txt\nrelease: {default: false}\n"
    )
    (project / "prompts/draft.txt").write_text("Draft a reply to:\n{{message}}\n")
    edit(project / "configs/support-routing.config.yaml", "config:", "name: Support routing\nis_default: true\nconfig:")
    edit(project / "portkey.yaml", "version: 1\n", "version: 1\nsecrets: [OPENAI_KEY]\n")
    edit(project / "configs/support-routing.config.yaml", "      override_params: {model: gpt-4o}\n",
         "      override_params: {model: gpt-4o}\n    - provider: openai\n      api_key: ${secret:OPENAI_KEY}\n")
    edit(project / "guardrails/pii-redaction.guardrail.yaml", "checks:", "name: PII redaction\nchecks:")
    edit(project / "limits/per-user.rate-limit.yaml", "conditions:", "name: Per-user requests\nconditions:")
    edit(project / "limits/monthly-budget.usage-limit.yaml", "alert_threshold: 400\n", "")


async def export(client: PortkeyClient, target: Path) -> list[tuple[str, str]]:
    live = await Reader(client, None, "gitops:").read(set(ResourceKind))
    return Exporter(live, target, "gitops:", None).write().adoptable


async def test_export_then_plan_is_a_no_op_for_every_feature(
    client: PortkeyClient, project: Path, tmp_path: Path
) -> None:
    every_feature(project)
    await converge(client, project, environ=ENV)
    # Versions the files no longer describe exactly: a newer unpublished draft, an unpublished partial.
    edit(project / "prompts/draft.txt", "Draft a reply", "Draft a short reply")
    edit(project / "partials/escalation-policy.partial.md", "Escalate", "---\npublish: false\n---\nAlways escalate")
    await converge(client, project, environ=ENV)
    original = load_project(project, environ=ENV)

    target = tmp_path / "exported"
    assert await export(client, target) == []
    exported = load_project(target, environ={"SUPPORT_ROUTING_TARGETS_2_API_KEY": ENV["OPENAI_KEY"]})
    assert not exported.errors, [str(d) for d in exported.errors]
    assert set(exported.resources) == set(original.resources)
    planned = await plan_project(client, target, environ={"SUPPORT_ROUTING_TARGETS_2_API_KEY": ENV["OPENAI_KEY"]})
    assert not planned.plan.errors and not planned.plan.adoptable
    assert actions(planned.plan) == {}

    chargeback = exported.resources["prompt:support/billing/disputes/chargeback"].spec
    assert chargeback["name"] == "Chargeback helper"
    assert chargeback["collection"] == "support/billing/disputes"
    assert "{{>greeting}}" in chargeback["messages"][0]["content"]
    assert "{{>escalation-policy@1}}" in chargeback["messages"][0]["content"]
    assert chargeback["release"] == {"default": True, "labels": ["beta", "production"]}
    assert chargeback["functions"] and chargeback["tool_choice"]["function"] == {"name": "open_case"}
    assert exported.resources["prompt:draft"].spec["release"]["default"] is False
    assert exported.resources["partial:escalation-policy"].spec["publish"] is False
    assert exported.resources["partial:greeting"].spec["name"] == "Greeting line"
    assert exported.resources["config:support-routing"].spec["is_default"] is True
    assert exported.resources["config:support-routing"].spec["config"]["input_guardrails"] == [
        "guardrail:pii-redaction"
    ]
    assert exported.resources["prompt:support/billing/refund"].spec["tools"]
