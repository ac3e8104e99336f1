"""portkey.yaml defaults.prompt: filled into prompts that leave the fields out."""

from __future__ import annotations

from pathlib import Path

from engine.gitops.load import load_project


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PROJECT = (
    "version: 1\nbindings: {vk: vk-dev}\n"
    "defaults:\n  prompt:\n    virtual_key: ${binding:vk}\n    model: m-default\n"
    "    parameters: {temperature: 0.5, max_tokens: 100}\n"
)


def test_defaults_fill_missing_fields_and_merge_parameters(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "portkey.yaml": PROJECT,
        "prompts/a.prompt.yaml": "template: hi\nparameters: {temperature: 0.1}\n",
        "prompts/b.prompt.yaml": "template: hi\nmodel: own\nvirtual_key: vk-own\n",
    })
    state = load_project(root)
    assert state.errors == []
    a, b = state.resources["prompt:a"].spec, state.resources["prompt:b"].spec
    assert (a["virtual_key"], a["model"], a["parameters"]) == ("vk-dev", "m-default",
                                                                {"temperature": 0.1, "max_tokens": 100})
    assert (b["virtual_key"], b["model"], b["parameters"]) == ("vk-own", "own",
                                                                {"temperature": 0.5, "max_tokens": 100})


def test_defaults_follow_environment_bindings(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "portkey.yaml": PROJECT,
        "environments/prod.yaml": "bindings: {vk: vk-prod}\n",
        "prompts/a.prompt.yaml": "template: hi\n",
    })
    assert load_project(root, env="prod").resources["prompt:a"].spec["virtual_key"] == "vk-prod"


def test_without_defaults_a_missing_virtual_key_is_named(tmp_path: Path) -> None:
    root = write(tmp_path, {"portkey.yaml": "version: 1\n", "prompts/a.prompt.yaml": "template: hi\n"})
    errors = [str(d) for d in load_project(root).errors]
    assert any(e.startswith("prompts/a.prompt.yaml") and "virtual_key" in e for e in errors), errors
