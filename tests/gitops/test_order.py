"""Apply order follows the dependency graph: what a resource refers to exists before it is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.gitops.workflow import plan_project
from engine.portkey import PortkeyClient
from sandbox import Sandbox
from tests.gitops.helpers import actions, change_of, converge, edit

pytestmark = pytest.mark.anyio


def created(sb: Sandbox) -> list[str]:
    return [str(r.operation) for r in sb.requests() if r.method == "POST"]


async def partial_slugs(client: PortkeyClient) -> dict[str, str]:
    items, _ = await client.list_all("list_prompt_partials")
    return {item["name"].removeprefix("gitops:"): item["slug"] for item in items}


async def test_first_apply_creates_dependencies_first_and_references_their_live_slugs(
    client: PortkeyClient, sandbox: Sandbox, project: Path
) -> None:
    sandbox.reset_requests()
    planned = await converge(client, project)
    posts = created(sandbox)
    first = {op: posts.index(op) for op in reversed(posts)}
    last = {op: len(posts) - 1 - posts[::-1].index(op) for op in posts}
    for before, after in (("create_prompt_label", "create_prompt"), ("create_collection", "create_prompt"),
                          ("create_prompt_partial", "create_prompt"), ("create_guardrail", "create_config")):
        assert last[before] < first[after], f"{before} must all come before {after}: {posts}"
    triage = change_of(planned, "prompt:support/triage")
    assert triage.depends_on == ["collection:support", "label:canary", "partial:escalation-policy",
                                 "partial:tone-of-voice"]
    slugs = await partial_slugs(client)
    prompts, _ = await client.list_all("list_prompts")
    live = await client.get_prompt(prompt_id=next(p["id"] for p in prompts if p["name"].startswith(
        "gitops:support/triage")))
    system = json.loads(live["string"])[0]["content"]
    assert f"{{{{>{slugs['tone-of-voice']}}}}}" in system and f"{{{{>{slugs['escalation-policy']}}}}}" in system
    guardrails, _ = await client.list_all("list_guardrails")
    configs, _ = await client.list_all("list_configs")
    config = await client.get_config(slug=configs[0]["slug"])
    assert config["config"]["input_guardrails"] == [guardrails[0]["slug"]]


async def test_a_partial_using_a_partial_created_in_the_same_apply_gets_its_slug(
    client: PortkeyClient, project: Path
) -> None:
    # "aa-sign-off" sorts before "zz-footer", which it uses: the graph, not the name, decides.
    (project / "partials/aa-sign-off.partial.md").write_text("Kind regards,\n{{>zz-footer}}\n")
    (project / "partials/zz-footer.partial.md").write_text("The Acme support team\n")
    edit(project / "prompts/support/triage.system.md", "{{>escalation-policy}}",
         "{{>escalation-policy}}\n{{>aa-sign-off}}")
    planned = await plan_project(client, project)
    order = [c.address for c in planned.plan.changes]
    assert order.index("partial:zz-footer") < order.index("partial:aa-sign-off") < order.index("prompt:support/triage")
    await converge(client, project)
    slugs = await partial_slugs(client)
    items, _ = await client.list_all("list_prompt_partials")
    sign_off = await client.get_prompt_partial(
        prompt_partial_id=next(i["id"] for i in items if i["name"] == "gitops:aa-sign-off"))
    assert sign_off["string"] == f"Kind regards,\n{{{{>{slugs['zz-footer']}}}}}"
    assert actions((await plan_project(client, project)).plan) == {}


async def test_existing_prompt_and_config_can_use_a_partial_and_guardrail_created_in_the_same_apply(
    client: PortkeyClient, project: Path
) -> None:
    await converge(client, project)
    (project / "partials/sign-off.partial.md").write_text("Sign as the Acme support team.\n")
    edit(project / "prompts/support/triage.system.md", "{{>escalation-policy}}",
         "{{>escalation-policy}}\n{{>sign-off}}")
    (project / "guardrails/no-keys.guardrail.yaml").write_text(
        "checks:\n  - id: default.regexMatch\n    parameters: {rule: 'sk-[a-z0-9]+'}\nactions: {deny: true}\n"
    )
    edit(project / "configs/support-routing.config.yaml", "  input_guardrails:",
         "  output_guardrails: [guardrail:no-keys]\n  input_guardrails:")
    planned = await plan_project(client, project)
    assert actions(planned.plan) == {
        "partial:sign-off": ["create"], "prompt:support/triage": ["new_version", "publish", "label"],
        "guardrail:no-keys": ["create"], "config:support-routing": ["update"],
    }
    order = [c.address for c in planned.plan.changes if not c.is_noop]
    assert order.index("partial:sign-off") < order.index("prompt:support/triage")
    assert order.index("guardrail:no-keys") < order.index("config:support-routing")
    await converge(client, project)
    slugs = await partial_slugs(client)
    triage = change_of(planned.plan, "prompt:support/triage").remote["id"]
    assert f"{{{{>{slugs['sign-off']}}}}}" in (await client.get_prompt(prompt_id=triage))["string"]
    guardrails, _ = await client.list_all("list_guardrails")
    no_keys = next(g["slug"] for g in guardrails if g["name"] == "gitops:no-keys")
    config = await client.get_config(slug=change_of(planned.plan, "config:support-routing").remote["slug"])
    assert config["config"]["output_guardrails"] == [no_keys]
    assert actions((await plan_project(client, project)).plan) == {}
