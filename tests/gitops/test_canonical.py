"""Canonical comparison against the sandbox: a version or update is planned only for a real change.

Key order, YAML layout (flow or block style, quoting, indentation, comments), ``is_enabled``
defaults, empty descriptions and null versus absent values never count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.helpers import actions, change_of, converge, edit

pytestmark = pytest.mark.anyio

RESTYLED = {
    "prompts/support/triage.prompt.yaml": """\
# The same prompt, written differently: flow style, other key order, quotes, comments.
release: {labels: ["canary"], default: true}
metadata: {"team": "support"}
variables: ['customer_tier', customer_message]
messages:
- {content_file: triage.system.md, role: "system"}
- content: "Customer ({{customer_tier}} plan) wrote:\\n{{customer_message}}"
  role: user
parameters: {"max_tokens": 400,   "temperature": 0.2}
model:     "${binding:fast_model}"
collection: 'support'
name: "Support triage"
""",
    "guardrails/pii-redaction.guardrail.yaml": """\
actions: {on_fail: {feedback: {metadata: pii, weight: 1, value: -5}},
          on_success: {feedback: {metadata: "", value: 5, weight: 1}}, async: false, deny: false}
checks:
    -   name: Redact personal data
        is_enabled: true
        parameters: {categories: [EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD], redact: true}
        id: portkey.pii
    -   parameters:
            not: true
            rule: '\\b(?:\\d[ -]*?){13,16}\\b'
        name: 'No card numbers'
        id: default.regexMatch
""",
    "configs/support-routing.config.yaml": """\
config: {targets: [{override_params: {model: gpt-4o-mini}, virtual_key: "${binding:openai}"},
                   {virtual_key: "${binding:openai}", override_params: {model: gpt-4o}}],
         input_guardrails: ["guardrail:pii-redaction"], retry: {on_status_codes: [429, 500, 502, 503], attempts: 3},
         strategy: {mode: fallback}}
is_default: false
""",
    "limits/per-user.rate-limit.yaml": """\
value: 30
unit: rpm
type: requests
group_by: [{key: metadata._user}]
conditions: [{value: ws-support, key: workspace_id}]
""",
    "limits/monthly-budget.usage-limit.yaml": """\
{periodic_reset: monthly, alert_threshold: 400, credit_limit: 500, type: cost,
 group_by: [{key: api_key}], conditions: [{key: workspace_id, value: ws-support}]}
""",
    "labels/canary.label.yaml": """\
color_code: '#F5A623'
description: "Versions under canary evaluation before production"
""",
}


async def test_rewriting_every_file_in_another_yaml_style_changes_nothing(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    await converge(client, project)
    for relative, text in RESTYLED.items():
        (project / relative).write_text(text)
    planned = await plan_project(client, project)
    assert not planned.plan.errors, planned.plan.errors
    assert actions(planned.plan) == {}


async def test_a_real_change_still_shows_through_the_restyling(client: PortkeyClient, project: Path) -> None:
    """The restyled files are really read: the same restyling with one value changed is planned."""
    await converge(client, project)
    for relative, text in RESTYLED.items():
        (project / relative).write_text(text.replace("0.2}", "0.3}").replace("value: 30", "value: 31"))
    planned = await plan_project(client, project)
    assert actions(planned.plan) == {
        "prompt:support/triage": ["new_version", "publish", "label"], "rate_limit:per-user": ["update"],
    }


async def test_null_absent_empty_and_default_values_compare_equal(client: PortkeyClient, project: Path) -> None:
    (project / "labels/quiet.label.yaml").write_text('description: ""\n')
    (project / "configs/plain.config.yaml").write_text(
        "config:\n  strategy: {mode: single}\n  cache: null\n  targets:\n    - {virtual_key: vk-x, weight: null}\n"
    )
    (project / "guardrails/jwt.guardrail.yaml").write_text(
        "checks:\n  - id: default.jwt\n    parameters: {jwksUri: 'https://example.com/jwks'}\n"
        "  - id: default.regexMatch\n    parameters: {rule: x}\n    is_enabled: false\nactions: {deny: true}\n"
    )
    (project / "limits/team.usage-limit.yaml").write_text(
        "conditions: [{key: metadata.team, value: a}]\ngroup_by: [{key: api_key}]\ntype: cost\n"
        "credit_limit: 10\nalert_threshold: null\nperiodic_reset: null\n"
    )
    await converge(client, project)
    assert actions((await plan_project(client, project)).plan) == {}
    # Spelling the defaults out, or dropping the nulls, changes nothing either.
    edit(project / "guardrails/jwt.guardrail.yaml", "  - id: default.regexMatch",
         "    is_enabled: true\n  - id: default.regexMatch")
    edit(project / "configs/plain.config.yaml", "  cache: null\n", "")
    edit(project / "limits/team.usage-limit.yaml", "alert_threshold: null\nperiodic_reset: null\n", "")
    (project / "labels/quiet.label.yaml").write_text("{}\n")
    assert actions((await plan_project(client, project)).plan) == {}
    # …while turning the disabled check on is a change.
    edit(project / "guardrails/jwt.guardrail.yaml", "is_enabled: false", "is_enabled: true")
    assert actions((await plan_project(client, project)).plan) == {"guardrail:jwt": ["update"]}


async def test_is_default_is_set_at_create_and_never_sent_on_update(client: PortkeyClient, project: Path) -> None:
    """Only create takes isDefault: on an existing config the plan warns instead of planning an update forever."""
    await converge(client, project)
    edit(project / "configs/support-routing.config.yaml", "config:", "is_default: true\nconfig:")
    planned = await plan_project(client, project)
    assert actions(planned.plan) == {}
    assert any(w.startswith("config:support-routing: is_default cannot be changed on an existing config")
               for w in planned.plan.warnings)
    # A new config asks for it at create, and Portkey makes it the default.
    (project / "configs/fallback.config.yaml").write_text("is_default: true\nconfig: {retry: {attempts: 2}}\n")
    await converge(client, project)
    again = (await plan_project(client, project)).plan  # apply never writes into the plan: its slug is read back
    config = await client.get_config(slug=change_of(again, "config:fallback").remote["slug"])
    assert config["is_default"]
    assert actions(again) == {}
    # Portkey unsets a default only when another config takes it: false asks for nothing.
    edit(project / "configs/fallback.config.yaml", "is_default: true", "is_default: false")
    assert actions((await plan_project(client, project)).plan) == {}


async def test_removing_optional_fields_converges(client: PortkeyClient, project: Path) -> None:
    await converge(client, project)
    edit(project / "limits/monthly-budget.usage-limit.yaml", "alert_threshold: 400\nperiodic_reset: monthly\n", "")
    edit(project / "labels/canary.label.yaml", 'color_code: "#F5A623"\n', "")
    edit(project / "prompts/support/triage.prompt.yaml", "metadata:\n  team: support\n", "")
    planned = await plan_project(client, project)
    assert actions(planned.plan) == {
        "prompt:support/triage": ["new_version", "publish", "label"], "usage_limit:monthly-budget": ["update"],
    }, "a label colour the file leaves out is kept, not fought over"
    await converge(client, project)
    assert actions((await plan_project(client, project)).plan) == {}
    policy = (await client.list_usage_limits())["data"][0]
    assert policy.get("alert_threshold") is None and policy.get("periodic_reset") is None
