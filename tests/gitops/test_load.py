"""load_project on a complete valid project, discovery and identity."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engine.gitops.load import load_project
from engine.gitops.model import Moved, ResourceKind
from tests.gitops.fixtures import ENVIRON, VALID, load, messages, write_project


@pytest.fixture
def valid(tmp_path: Path):
    return load(tmp_path, {}, base=VALID, environ=ENVIRON)


def test_valid_project_has_no_diagnostics(valid) -> None:
    assert messages(valid) == []
    assert list(valid.resources) == [
        "label:beta",
        "collection:support",
        "collection:support/internal",
        "partial:signature",
        "partial:tone",
        "prompt:summary",
        "prompt:support/triage",
        "guardrail:pii",
        "config:routing",
        "rate_limit:team-a",
        "usage_limit:monthly",
    ]


def test_project_settings(valid, tmp_path: Path) -> None:
    project = valid.project
    assert project.root == tmp_path
    assert project.environment is None
    assert project.workspace == "ws-support-dev"
    assert project.name_prefix == "gitops:"
    assert (project.prune, project.mass_delete_threshold) == (True, 3)
    assert project.protected == {"prompt:support/triage"}
    assert project.moved == [Moved("prompt:support/old-triage", "prompt:support/triage")]
    assert project.bindings == {"openai": "vk-openai-dev", "fast_model": "gpt-4o-mini", "max_tokens": 400}


def test_chat_prompt_spec(valid) -> None:
    prompt = valid.resources["prompt:support/triage"]
    assert prompt.kind is ResourceKind.PROMPT
    assert prompt.key == "support/triage"
    assert str(prompt.location) == "prompts/support/triage.prompt.yaml:1:1"
    assert prompt.spec == {
        "name": "Support triage",
        "collection": "support",
        "model": "gpt-4o-mini",
        "virtual_key": "vk-openai-dev",
        "parameters": {"temperature": 0.2, "max_tokens": 400},
        "template": None,
        "messages": [
            {"role": "system", "content": "You triage tickets.\n{{#urgent}}Hurry.{{/urgent}}\n{{>signature}}"},
            {"role": "user", "content": "{{customer_message}}"},
        ],
        "functions": None,
        "tools": None,
        "tool_choice": None,
        "variables": ["customer_message", "customer_name", "urgent"],
        "version_description": "First cut",
        "metadata": {"team": "support"},
        "release": {"default": True, "labels": ["staging", "beta"]},
    }
    assert prompt.refs == {"collection:support", "partial:signature", "label:beta"}
    assert prompt.secrets == set()


def test_completion_prompt_spec(valid) -> None:
    assert valid.resources["prompt:summary"].spec == {
        "name": "summary",
        "collection": None,
        "model": None,
        "virtual_key": "vk-static",
        "parameters": {},
        "template": "Summarise: {{text}}",
        "messages": None,
        "functions": None,
        "tools": [{"type": "function", "function": {"name": "lookup"}}],
        "tool_choice": "auto",
        "variables": None,
        "version_description": None,
        "metadata": {},
        "release": {"default": False, "labels": []},
    }


def test_partial_label_collection_specs(valid) -> None:
    res = valid.resources
    assert res["partial:tone"].spec == {
        "name": "Tone of voice",
        "string": "Be kind to {{customer_name}}.",
        "version_description": "friendlier",
        "publish": True,
    }
    assert res["partial:signature"].spec == {
        "name": "signature",
        "string": "Regards,\n{{>tone}}",
        "version_description": None,
        "publish": True,
    }
    assert res["partial:signature"].refs == {"partial:tone"}
    assert res["label:beta"].spec == {"name": "beta", "description": "Beta testers", "color_code": "#FFAA00"}
    assert res["collection:support"].spec == {"name": "Support", "parent": None}
    assert res["collection:support/internal"].spec == {"name": "internal", "parent": "support"}
    assert res["collection:support/internal"].refs == {"collection:support"}


def test_guardrail_config_and_limit_specs(valid) -> None:
    res = valid.resources
    assert res["guardrail:pii"].spec == {
        "name": "PII",
        "checks": [
            {
                "id": "portkey.pii",
                "parameters": {"redact": True, "credentials": {"api_key": "${secret:PII_KEY}"}},
                "name": None,
                "is_enabled": True,
            },
            {"id": "default.regexMatch", "parameters": {"rule": "\\d{3}"}, "name": "No SSN", "is_enabled": False},
        ],
        "actions": {"deny": True, "async": False},
    }
    assert res["config:routing"].spec == {
        "name": "routing",
        "config": {
            "strategy": {"mode": "fallback"},
            "input_guardrails": ["guardrail:pii"],
            "targets": [
                {"provider": "@openai", "api_key": "${secret:OPENAI_API_KEY}"},
                {"virtual_key": "vk-openai-dev"},
            ],
        },
        "is_default": True,
    }
    assert res["config:routing"].refs == {"guardrail:pii"}
    assert res["rate_limit:team-a"].spec == {
        "name": "team-a",
        "conditions": [{"key": "workspace_id", "value": "ws-support-dev"}],
        "group_by": [{"key": "api_key"}],
        "type": "requests",
        "unit": "rpm",
        "value": 100,
    }
    assert res["usage_limit:monthly"].spec == {
        "name": "Monthly budget",
        "conditions": [{"key": "metadata.team", "value": "support"}],
        "group_by": [{"key": "metadata.user"}],
        "type": "cost",
        "credit_limit": 100,
        "alert_threshold": 80.5,
        "periodic_reset": "monthly",
        "periodic_reset_days": None,
    }


def test_files_hold_the_hash_of_every_file_read(valid, tmp_path: Path) -> None:
    expected = {
        path.relative_to(tmp_path).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in tmp_path.rglob("*")
        if path.is_file() and not path.relative_to(tmp_path).as_posix().startswith("environments/")
    }
    assert valid.files == expected


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_project(tmp_path / "nope")


def test_missing_portkey_yaml(tmp_path: Path) -> None:
    state = load(tmp_path, {"labels/a.label.yaml": ""}, base={})
    assert messages(state) == ["portkey.yaml: error: portkey.yaml not found: create it with at least `version: 1`"]
    assert list(state.resources) == ["label:a"]


def test_invalid_portkey_yaml(tmp_path: Path) -> None:
    state = load(tmp_path, {"portkey.yaml": "version: 2\nprune: true\n"})
    assert messages(state) == [
        "portkey.yaml:1:10: error: version: input should be 1",
        "portkey.yaml:2:1: error: unknown key 'prune' (valid: version, workspace, naming, bindings, secrets, safety, "
        "defaults, protected, moved)",
    ]


def test_unknown_yaml_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    state = load(
        tmp_path,
        {
            "prompts/notes.yaml": "a: 1\n",
            "limits/x.yaml": "a: 1\n",
            "partials/tone.md": "hi\n",
            "partials/README.md": "about partials\n",
            "prompts/body.md": "content file, fine\n",
        },
    )
    assert messages(state) == [
        "partials/tone.md: warning: ignored: not a known resource file (expected *.partial.md)",
        "prompts/notes.yaml: warning: ignored: not a known resource file (expected *.prompt.yaml)",
        "limits/x.yaml: warning: ignored: not a known resource file (expected *.rate-limit.yaml or *.usage-limit.yaml)",
    ]
    assert state.resources == {}


def test_invalid_key_names_the_file(tmp_path: Path) -> None:
    state = load(tmp_path, {"labels/Team A.label.yaml": ""})
    assert messages(state) == [
        "labels/Team A.label.yaml: error: invalid key 'Team A' (from the file name): use lowercase letters, "
        "digits, '-' and '_' in '/'-separated segments; rename the file"
    ]


def test_duplicate_identity(tmp_path: Path) -> None:
    state = load(tmp_path, {"labels/beta.label.yaml": "", "labels/beta.label.yml": ""})
    assert messages(state) == [
        "labels/beta.label.yml: error: duplicate label:beta: declared by labels/beta.label.yaml "
        "and labels/beta.label.yml; keep one"
    ]
    assert list(state.resources) == ["label:beta"]


def test_hidden_files_are_skipped(tmp_path: Path) -> None:
    state = load(tmp_path, {"labels/.draft/x.label.yaml": "", "labels/.y.label.yaml": ""})
    assert messages(state) == []
    assert state.resources == {}


def test_empty_project_loads(tmp_path: Path) -> None:
    write_project(tmp_path, {})
    state = load_project(tmp_path, environ={})
    assert (state.resources, state.diagnostics, list(state.files)) == ({}, [], ["portkey.yaml"])
