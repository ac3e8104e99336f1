"""Each class of bad input gives one diagnostic at the right file:line:column, naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitops.fixtures import load, messages

BUILT_IN = "(built-in labels: development, production, staging)"

CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "yaml syntax": (
        {"prompts/a.prompt.yaml": "name: [x\nvirtual_key: y\n"},
        [
            "prompts/a.prompt.yaml:2:12: error: invalid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 1)"
        ],
    ),
    "yaml duplicate key": (
        {"prompts/a.prompt.yaml": "name: x\nname: y\n"},
        [
            'prompts/a.prompt.yaml:2:1: error: invalid YAML: found duplicate key "name" with value "y" '
            '(original value: "x") (while constructing a mapping at line 1)'
        ],
    ),
    "not a mapping": (
        {"labels/a.label.yaml": "- a\n"},
        ["labels/a.label.yaml:1:1: error: a resource file must be a YAML mapping (key: value lines)"],
    ),
    "not utf-8": (
        {"labels/a.label.yaml": b"name: \xff\n"},
        ["labels/a.label.yaml: error: labels/a.label.yaml is not UTF-8 text (byte 6): save it as UTF-8"],
    ),
    "unknown top-level key": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: hi\nmodle: gpt\n"},
        [
            "prompts/a.prompt.yaml:3:1: error: unknown key 'modle' (valid: name, collection, model, "
            "virtual_key, parameters, messages, template, template_file, variables, functions, tools, "
            "tool_choice, version_description, metadata, release)"
        ],
    ),
    "unknown nested key": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: hi\nrelease:\n  default: true\n  lables: []\n"},
        ["prompts/a.prompt.yaml:5:3: error: unknown key 'lables' (valid: default, labels)"],
    ),
    "unknown key in a list item": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\nmessages:\n  - role: user\n    text: hi\n"},
        [
            "prompts/a.prompt.yaml:4:5: error: unknown key 'text' (valid: role, content, content_file)",
        ],
    ),
    "missing key": (
        {"prompts/a.prompt.yaml": "# a comment\nmodel: m\ntemplate: hi\n"},
        ["prompts/a.prompt.yaml:2:1: error: missing required key 'virtual_key'"],
    ),
    "wrong value": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\nmessages:\n  - role: sytem\n    content: x\n"},
        [
            "prompts/a.prompt.yaml:3:11: error: messages.0.role: input should be 'system', 'user', "
            "'assistant', 'developer' or 'tool'"
        ],
    ),
    "two bodies": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: hi\nmessages: [{role: user, content: x}]\n"},
        [
            "prompts/a.prompt.yaml:1:1: error: give exactly one of messages (chat prompt), template or "
            "template_file (completion prompt); found messages, template"
        ],
    ),
    "content and content_file": (
        {
            "prompts/a.prompt.yaml": "virtual_key: vk\nmessages:\n  - role: user\n    content: x\n"
            "    content_file: x.md\n"
        },
        ["prompts/a.prompt.yaml:3:5: error: messages.0: give exactly one of content and content_file"],
    ),
    "missing content_file": (
        {"prompts/s/a.prompt.yaml": "virtual_key: vk\nmessages:\n  - role: system\n    content_file: a.md\n"},
        [
            "prompts/s/a.prompt.yaml:4:19: error: content_file 'a.md' not found (looked for prompts/s/a.md): "
            "create it or fix the path"
        ],
    ),
    "template_file outside the root": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate_file: ../../x.txt\n"},
        [
            "prompts/a.prompt.yaml:2:16: error: template_file '../../x.txt' points outside the project; "
            "keep it under the root"
        ],
    ),
    "unknown partial": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: 'Hi {{> tone}}'\n"},
        ["prompts/a.prompt.yaml:2:11: error: unknown partial tone; declare partials/tone.partial.md"],
    ),
    "unknown partial in a content file": (
        {
            "prompts/a.prompt.yaml": "virtual_key: vk\ntemplate_file: a.txt\n",
            "prompts/a.txt": "Hello\n  {{>tone@2}}\n",
        },
        ["prompts/a.txt:2:3: error: unknown partial tone; declare partials/tone.partial.md"],
    ),
    "unknown label": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: x\nrelease: {labels: [staging, gamma]}\n"},
        [f"prompts/a.prompt.yaml:3:29: error: unknown label gamma; declare labels/gamma.label.yaml {BUILT_IN}"],
    ),
    "unknown collection": (
        {"prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: x\ncollection: sales\n"},
        ["prompts/a.prompt.yaml:3:13: error: unknown collection sales; declare collections/sales.collection.yaml"],
    ),
    "undeclared parent collection": (
        {"collections/a/b.collection.yaml": ""},
        [
            "collections/a/b.collection.yaml: error: collection a/b is inside a/, which is not declared: "
            "create collections/a.collection.yaml"
        ],
    ),
    "unknown guardrail": (
        {"configs/c.config.yaml": "config:\n  output_guardrails: [guardrail:gone]\n"},
        ["configs/c.config.yaml:2:23: error: unknown guardrail gone; declare guardrails/gone.guardrail.yaml"],
    ),
    "built-in label file": (
        {"labels/production.label.yaml": "description: prod\n"},
        [
            "labels/production.label.yaml: error: production is a built-in label: built-in labels need no "
            "file; delete labels/production.label.yaml"
        ],
    ),
    "reserved label name": (
        {"labels/x.label.yaml": "name: latest\n"},
        ["labels/x.label.yaml:1:7: error: label name 'latest' is reserved by Portkey: choose another name"],
    ),
    "digits label name": (
        {"labels/x.label.yaml": "name: '42'\n"},
        [
            "labels/x.label.yaml:1:7: error: label name '42' is all digits (read as a version number): "
            "choose another name"
        ],
    ),
    "bad colour": (
        {"labels/x.label.yaml": "color_code: red\n"},
        ["labels/x.label.yaml:1:13: error: color_code: write a colour as #RRGGBB (got 'red')"],
    ),
    "bad policy key": (
        {"limits/r.rate-limit.yaml": "type: requests\nunit: rpm\nvalue: 5\ngroup_by: [{key: user}]\n"},
        [
            "limits/r.rate-limit.yaml:4:18: error: group_by.0.key: use api_key, organisation_id, workspace_id "
            "or metadata.<field> (got 'user')"
        ],
    ),
    "bad number": (
        {"limits/r.rate-limit.yaml": "type: requests\nunit: rpm\nvalue: lots\n"},
        ["limits/r.rate-limit.yaml:3:8: error: value: expected a number"],
    ),
    "threshold above limit": (
        {"limits/u.usage-limit.yaml": "type: cost\ncredit_limit: 10\nalert_threshold: 20\n"},
        ["limits/u.usage-limit.yaml:3:18: error: alert_threshold (20) must be below credit_limit (10)"],
    ),
    "front matter not closed": (
        {"partials/a.partial.md": "---\nname: A\n"},
        ["partials/a.partial.md:1:1: error: front matter is not closed: add a line '---' after it"],
    ),
    "unknown front matter key": (
        {"partials/a.partial.md": "---\nname: A\npublsh: false\n---\nBody\n"},
        ["partials/a.partial.md:3:1: error: unknown key 'publsh' (valid: name, version_description, publish)"],
    ),
    "empty partial": (
        {"partials/a.partial.md": "---\nname: A\n---\n\n"},
        ["partials/a.partial.md:4:1: error: the partial is empty: write its text after the front matter"],
    ),
    "unclosed section in a partial": (
        {"partials/a.partial.md": "---\nname: A\n---\nHi {{#vip}}dear\n"},
        ["partials/a.partial.md:4:4: error: section {{#vip}} is never closed: add {{/vip}}"],
    ),
    "stray closing tag in a content file": (
        {
            "prompts/a.prompt.yaml": "virtual_key: vk\nmessages:\n  - {role: user, content_file: a.md}\n",
            "prompts/a.md": "line one\n  {{/y}}\n",
        },
        ["prompts/a.md:2:3: error: {{/y}} closes no open section"],
    ),
    "moved target not declared": (
        {"portkey.yaml": "version: 1\nmoved:\n  - {from: 'prompt:a', to: 'prompt:b'}\n"},
        ["portkey.yaml:3:28: error: moved: prompt:b is not declared; create its file or fix the entry"],
    ),
    "moved source still declared": (
        {
            "portkey.yaml": "version: 1\nmoved:\n  - {from: 'prompt:a', to: 'prompt:b'}\n",
            "prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: x\n",
            "prompts/b.prompt.yaml": "virtual_key: vk\ntemplate: x\n",
        },
        [
            "portkey.yaml:3:12: error: moved: prompt:a is still declared by prompts/a.prompt.yaml; "
            "delete that file (the move renames it) or drop this entry"
        ],
    ),
    "moved across kinds": (
        {"portkey.yaml": "version: 1\nmoved:\n  - {from: 'prompt:a', to: 'label:a'}\n"},
        ["portkey.yaml:3:5: error: moved: prompt:a and label:a are different kinds; a move keeps the kind"],
    ),
    "bad address": (
        {"portkey.yaml": "version: 1\nprotected: [widget:x]\n"},
        [
            "portkey.yaml:2:13: error: unknown kind 'widget' in 'widget:x' (kinds: label, collection, partial, "
            "prompt, guardrail, config, rate_limit, usage_limit)"
        ],
    ),
}


@pytest.mark.parametrize("files, expected", CASES.values(), ids=CASES.keys())
def test_error(tmp_path: Path, files: dict[str, str | bytes], expected: list[str]) -> None:
    assert messages(load(tmp_path, files)) == expected


def test_a_file_with_errors_still_counts_as_declared(tmp_path: Path) -> None:
    """A broken partial is reported once; prompts using it do not also say it is unknown."""
    state = load(
        tmp_path,
        {
            "partials/tone.partial.md": "---\nname: [\n---\nBody\n",
            "prompts/a.prompt.yaml": "virtual_key: vk\ntemplate: '{{>tone}}'\n",
        },
    )
    assert [d.location.file for d in state.errors if d.location] == ["partials/tone.partial.md"]
    assert list(state.resources) == ["prompt:a"]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "labels/a.label.yaml": "nme: x\n",
            "labels/b.label.yaml": "color_code: 1\n",
            "prompts/p.prompt.yaml": "template: x\nvirtual_key: [1]\n",
        },
    )
    assert len(state.errors) == 3
    assert state.resources == {}
