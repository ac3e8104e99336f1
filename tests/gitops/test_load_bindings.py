"""${binding:NAME} substitution and environment overlays."""

from __future__ import annotations

from pathlib import Path

from tests.gitops.fixtures import ENVIRON, VALID, load, messages

BINDINGS = """\
version: 1
bindings: {vk: vk-dev, tokens: 300, hot: 0.9, stream: true, nothing: null, model: gpt-4o}
"""


def test_whole_value_binding_keeps_its_type_and_partial_binding_is_textual(tmp_path: Path) -> None:
    prompt = """\
        virtual_key: ${binding:vk}
        model: "${binding:model}-mini"
        parameters:
          max_tokens: ${binding:tokens}
          temperature: ${binding:hot}
          stream: ${binding:stream}
          stop: ${binding:nothing}
          user: "${binding:vk}/${binding:tokens}/${binding:stream}"
        metadata: {tags: ["${binding:model}"]}
        template: hi
        """
    state = load(tmp_path, {"portkey.yaml": BINDINGS, "prompts/a.prompt.yaml": prompt})
    assert messages(state) == []
    spec = state.resources["prompt:a"].spec
    assert spec["virtual_key"] == "vk-dev"
    assert spec["model"] == "gpt-4o-mini"
    assert spec["parameters"] == {
        "max_tokens": 300,
        "temperature": 0.9,
        "stream": True,
        "stop": None,
        "user": "vk-dev/300/true",
    }
    assert spec["metadata"] == {"tags": ["gpt-4o"]}


def test_bound_value_is_validated(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "portkey.yaml": BINDINGS,
            "limits/r.rate-limit.yaml": "type: requests\nunit: rpm\nvalue: ${binding:model}\n",
        },
    )
    assert messages(state) == ["limits/r.rate-limit.yaml:3:8: error: value: expected a number"]


def test_unknown_binding(tmp_path: Path) -> None:
    state = load(tmp_path, {"prompts/a.prompt.yaml": "template: hi\nvirtual_key: ${binding:openai}\n"})
    assert messages(state) == [
        "prompts/a.prompt.yaml:2:14: error: unknown binding 'openai': add it under bindings in portkey.yaml "
        "or in environments/<env>.yaml"
    ]


def test_no_unknown_binding_cascade_when_portkey_yaml_is_broken(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "portkey.yaml": "version: 1\nbindngs: {}\n",
            "prompts/a.prompt.yaml": "template: x\nvirtual_key: ${binding:vk}\n",
        },
    )
    assert [d.location.file for d in state.errors if d.location] == ["portkey.yaml"]


def prose(field: str) -> str:
    return (
        f"${{binding:…}} is not allowed in prose ({field}): environments change bindings, never prose; "
        "write the text itself"
    )


def test_bindings_are_refused_in_prose(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "portkey.yaml": BINDINGS,
            "prompts/a.prompt.yaml": """\
                virtual_key: vk
                messages:
                  - {role: system, content: "Use ${binding:model}"}
                  - {role: user, content_file: a.md}
                """,
            "prompts/a.md": "Hello\nmodel ${binding:model}\n",
            "prompts/b.prompt.yaml": "virtual_key: vk\ntemplate: '${binding:vk}'\n",
            "partials/p.partial.md": "---\nname: ${binding:model}\n---\nText ${binding:vk}\n",
        },
    )
    assert messages(state) == [
        "partials/p.partial.md:4:6: error: " + prose("text"),
        "prompts/a.prompt.yaml:3:29: error: " + prose("messages.0.content"),
        "prompts/a.md:2:7: error: " + prose("text"),
        "prompts/b.prompt.yaml:2:11: error: " + prose("template"),
    ]


def test_binding_in_partial_front_matter(tmp_path: Path) -> None:
    state = load(tmp_path, {"portkey.yaml": BINDINGS, "partials/p.partial.md": "---\nname: ${binding:model}\n---\nx\n"})
    assert messages(state) == []
    assert state.resources["partial:p"].spec["name"] == "gpt-4o"


# ---- environments ------------------------------------------------------------------------------


def test_prod_overlay(tmp_path: Path) -> None:
    state = load(tmp_path, {}, base=VALID, env="prod", environ=ENVIRON)
    assert messages(state) == []
    project = state.project
    assert project.environment == "prod"
    assert project.workspace == "ws-support-prod"
    assert project.bindings == {"openai": "vk-openai-prod", "fast_model": "gpt-4o-mini", "max_tokens": 400}
    assert project.protected == {"prompt:support/triage", "config:routing"}
    triage = state.resources["prompt:support/triage"]
    assert triage.spec["virtual_key"] == "vk-openai-prod"
    assert triage.spec["release"] == {"default": True, "labels": ["production"]}
    assert triage.refs == {"collection:support", "partial:signature"}
    assert state.resources["prompt:summary"].spec["release"] == {"default": True, "labels": ["production"]}
    assert state.resources["config:routing"].spec["config"]["targets"][1] == {"virtual_key": "vk-openai-prod"}
    rate = state.resources["rate_limit:team-a"].spec
    assert (rate["value"], rate["unit"], rate["type"]) == (600, "rph", "requests")
    usage = state.resources["usage_limit:monthly"].spec
    assert (usage["credit_limit"], usage["alert_threshold"], usage["periodic_reset"]) == (500, 400, "monthly")
    assert "environments/prod.yaml" in state.files
    assert "environments/dev.yaml" not in state.files


def test_dev_overlay_changes_only_bindings(tmp_path: Path) -> None:
    base = load(tmp_path, {}, base=VALID, environ=ENVIRON)
    dev = load(tmp_path, {}, base=VALID, env="dev", environ=ENVIRON)
    assert messages(dev) == []
    assert dev.resources["prompt:support/triage"].spec["model"] == "gpt-4o-mini-dev"
    assert dev.project.workspace == base.project.workspace == "ws-support-dev"
    dev.resources["prompt:support/triage"].spec["model"] = "gpt-4o-mini"
    assert {a: r.spec for a, r in dev.resources.items()} == {a: r.spec for a, r in base.resources.items()}


def test_unknown_environment_lists_the_available_ones(tmp_path: Path) -> None:
    state = load(tmp_path, {}, base=VALID, env="qa", environ=ENVIRON)
    assert messages(state) == [
        "error: unknown environment 'qa' (available: dev, prod); create environments/qa.yaml to add it"
    ]


def test_overlay_cannot_change_prose(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {"environments/dev.yaml": "bindings: {}\nmessages: [{role: user, content: hi}]\n"},
        env="dev",
    )
    assert messages(state) == [
        "environments/dev.yaml:2:1: error: unknown key 'messages' (valid: workspace, bindings, release, "
        "limits, protected)"
    ]


def test_overlay_limit_errors(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "limits/r.rate-limit.yaml": "type: requests\nunit: rpm\nvalue: 5\n",
            "limits/u.usage-limit.yaml": "type: cost\ncredit_limit: 100\nalert_threshold: 50\n",
            "environments/prod.yaml": """\
                limits:
                  rate_limit:gone: {value: 1}
                  rate_limit:r: {credit_limit: 3}
                  usage_limit:u: {credit_limit: 40}
                  prompt:x: {value: 1}
                """,
        },
        env="prod",
    )
    assert messages(state) == [
        "environments/prod.yaml:5:3: error: limits: prompt:x is not a limit; use rate_limit:<key> or usage_limit:<key>",
        "environments/prod.yaml:2:3: error: limits: rate_limit:gone is not a declared limit; create "
        "limits/gone.rate-limit.yaml or remove this override",
        "environments/prod.yaml:3:18: error: credit_limit does not apply to a rate_limit (valid: value, unit)",
        "environments/prod.yaml:4:3: error: usage_limit:u: alert_threshold (50) must be below credit_limit (40)",
    ]
    assert state.resources["usage_limit:u"].spec["credit_limit"] == 100


def test_overlay_limit_unknown_field(tmp_path: Path) -> None:
    state = load(tmp_path, {"environments/prod.yaml": "limits:\n  usage_limit:u: {valeu: 1}\n"}, env="prod")
    assert messages(state) == [
        "environments/prod.yaml:2:19: error: unknown key 'valeu' (valid: value, unit, credit_limit, "
        "alert_threshold, periodic_reset, periodic_reset_days)",
    ]


def test_overlay_release_label_must_exist_reported_once(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: x\n",
            "prompts/b.prompt.yaml": "virtual_key: vk\ntemplate: y\n",
            "environments/prod.yaml": "release: {default: false, labels: [canary]}\n",
        },
        env="prod",
    )
    assert messages(state) == [
        "environments/prod.yaml:1:36: error: unknown label canary; declare labels/canary.label.yaml "
        "(built-in labels: development, production, staging)"
    ]
    assert state.resources["prompt:a"].refs == {"label:canary"}
