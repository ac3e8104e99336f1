"""Hostile YAML cannot hurt the loader; addresses in portkey.yaml are checked like file names.

Bombs and deep nesting must end in one file:line error (never RecursionError, never minutes of
work); ``moved:``/``protected:``/``limits:`` addresses that could not come from a file name are
refused at their line; folders the loader ignores are pointed out.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from engine.gitops.load import load_project
from engine.gitops.loading.yamldoc import MAX_DEPTH, MAX_NODES, YamlDoc, parse_yaml

# The classic "billion laughs": ~340 bytes that expand to 9**9 strings when walked.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def errors(root: Path, env: str | None = None) -> list[str]:
    return [str(d) for d in load_project(root, env=env).errors]


def test_bomb_is_small() -> None:
    assert len(BOMB) < 400 and BOMB.count("*") == 72


def test_alias_bomb_is_refused_at_its_line() -> None:
    result = parse_yaml(BOMB, "prompts/x.prompt.yaml")
    assert not isinstance(result, YamlDoc)
    assert str(result) == (
        f"prompts/x.prompt.yaml:5:12: error: invalid YAML: more than {MAX_NODES} values once aliases are "
        "expanded; write it out smaller"
    )


@pytest.mark.parametrize(
    "text",
    [
        "[" * 20_000 + "]" * 20_000,
        "a: " + "{a: " * 20_000 + "1" + "}" * 20_000,
        "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),  # deep enough to refuse, too shallow for the pre-scan
        "".join("  " * i + "a:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 5) + "1\n",
    ],
    ids=["flow-list-20k", "flow-map-20k", "flow-list-just-over", "block-map-just-over"],
)
def test_deep_nesting_is_refused_not_a_recursion_error(text: str) -> None:
    result = parse_yaml(text, "configs/deep.config.yaml")
    assert not isinstance(result, YamlDoc)
    assert f"invalid YAML: nested more than {MAX_DEPTH} levels deep; flatten it" in str(result)
    assert str(result).startswith("configs/deep.config.yaml:")


@pytest.mark.parametrize("text", ["&a [*a]", "x: &a {y: *a}", "&a [1, [2, *a]]"])
def test_alias_to_its_own_ancestor_is_refused(text: str) -> None:
    result = parse_yaml(text, "x.yaml")
    assert not isinstance(result, YamlDoc)
    assert "invalid YAML: alias *a refers to a node that contains it" in str(result)


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    text = "base: &b {model: gpt-4o, n: 1}\nfirst: {<<: *b, n: 2}\nlist: [*b, *b]\n"
    result = parse_yaml(text, "x.yaml")
    assert isinstance(result, YamlDoc)
    assert result.data["first"] == {"model": "gpt-4o", "n": 2}
    assert result.data["list"] == [{"model": "gpt-4o", "n": 1}] * 2


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert isinstance(parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "x.yaml"), YamlDoc)


def test_brackets_inside_text_do_not_count() -> None:
    """The pre-scan only refuses what the parser would refuse anyway or cannot parse cheaply."""
    text = "template: |\n  " + "[" * (MAX_DEPTH * 2) + "\n"
    assert isinstance(parse_yaml(text, "x.yaml"), YamlDoc)


@pytest.mark.parametrize(
    ("relative", "body"),
    [
        ("portkey.yaml", BOMB),
        ("prompts/support/triage.prompt.yaml", "[" * 20_000),
        ("partials/tone-of-voice.partial.md", "---\n" + BOMB + "---\nbody\n"),
        ("environments/dev.yaml", "a: " + "{a: " * 20_000),
    ],
)
def test_hostile_yaml_in_any_project_file_is_one_error(project: Path, relative: str, body: str) -> None:
    (project / relative).write_text(body)
    found = errors(project, env="dev")
    assert any(e.startswith(f"{relative}:") and "invalid YAML" in e for e in found), found


# ---- addresses in portkey.yaml and overlays ------------------------------------------------------


def write_settings(root: Path, extra: str) -> None:
    text = (root / "portkey.yaml").read_text()
    text = text.replace("protected:\n  - prompt:support/triage\n", "")
    (root / "portkey.yaml").write_text(text + textwrap.dedent(extra))


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("prompt:../x", "'../x'"),
        ("prompt:/etc/passwd", "'/etc/passwd'"),
        ("prompt:support//triage", "'support//triage'"),
        ("prompt:Support/Triage", "'Support/Triage'"),
        ('"prompt:a\\x1b[31mred"', "'a\\x1b[31mred'"),
        ('"prompt:a\\nb"', "'a\\nb'"),
        ('"prompt:"', "'prompt:' is not an address"),
    ],
)
def test_bad_protected_address_is_refused_at_its_line(project: Path, written: str, shown: str) -> None:
    write_settings(project, f"protected:\n  - {written}\n")
    line = (project / "portkey.yaml").read_text().splitlines().index(f"  - {written}") + 1
    found = [e for e in errors(project) if e.startswith(f"portkey.yaml:{line}:")]
    assert len(found) == 1 and shown in found[0], errors(project)
    assert "\x1b" not in found[0] and "\n" not in found[0]


def test_bad_moved_addresses_are_refused_at_their_line(project: Path) -> None:
    write_settings(project, "moved:\n  - from: prompt:../../etc/passwd\n    to: prompt:support/triage\n")
    found = errors(project)
    lines = (project / "portkey.yaml").read_text().splitlines()
    line = lines.index("  - from: prompt:../../etc/passwd") + 1
    assert f"portkey.yaml:{line}:11: error: invalid key '../../etc/passwd' in 'prompt:../../etc/passwd': " \
           "use lowercase letters, digits, '-' and '_' in '/'-separated segments" in found


def test_bad_protected_address_in_an_overlay_is_refused(project: Path) -> None:
    overlay = project / "environments" / "dev.yaml"
    overlay.write_text(overlay.read_text() + "protected:\n  - config:../../x\nlimits:\n  rate_limit:/abs: {value: 1}\n")
    found = errors(project, env="dev")
    assert any(e.startswith("environments/dev.yaml:") and "invalid key '../../x'" in e for e in found), found
    assert any(e.startswith("environments/dev.yaml:") and "invalid key '/abs'" in e for e in found), found


def test_valid_addresses_still_load(project: Path) -> None:
    write_settings(project, "protected:\n  - prompt:support/triage\n  - config:support-routing\n")
    state = load_project(project)
    assert state.errors == []
    assert state.project.protected == {"prompt:support/triage", "config:support-routing"}


# ---- unknown folders ------------------------------------------------------------------------------


def test_misspelled_folder_is_warned_with_did_you_mean(project: Path) -> None:
    shutil.move(project / "prompts", project / "promtps")
    warnings = [str(d) for d in load_project(project).warnings]
    assert (
        "promtps/: warning: unknown folder 'promtps' is ignored: did you mean prompts/? the loader reads only "
        "collections, configs, environments, guardrails, labels, limits, partials, prompts"
    ) in warnings


def test_hidden_common_and_used_folders_are_not_warned(project: Path) -> None:
    for name in (".github", ".portkey", "docs", "scripts", "node_modules"):
        (project / name).mkdir()
    (project / "README.md").write_text("# hi\n")
    warnings = [str(d) for d in load_project(project).warnings]
    assert not any("unknown folder" in w for w in warnings), warnings


def test_unrelated_folder_is_warned_without_a_guess(project: Path) -> None:
    (project / "stuff").mkdir()
    warnings = [str(d) for d in load_project(project).warnings]
    expected = "stuff/: warning: unknown folder 'stuff' is ignored: the loader reads only"
    assert any(w.startswith(expected) for w in warnings), warnings
