"""``export`` writes only inside its target: hostile live names become safe file names, nothing is overwritten.

The sandbox is seeded (through the API client, not the code under test) with objects whose names
try to escape the target (``gitops:../../../escaped``, ``../``, ``a/b/../c``), hide in dot files,
drive a terminal (ESC, CR, newline, bidi), inject markup (Rich ``[link=…]``, Markdown ``|`` and
backticks), are very long, or collide once made safe; ``export`` runs through the real CLI.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cli.connect import open_client
from engine.gitops import export as export_module
from engine.gitops.export import MAX_KEY, MAX_SEGMENT, ExportError, is_safe_key, safe_key, write_tree
from engine.gitops.schema import KEY_PATTERN
from tests.entry_point import Run

SECRET = "sk-export-PLANTED-5e1d2c3b"
MANAGED_ESCAPE = "gitops:../../../escaped"
HOSTILE = [
    "../../up", "a/b/../c", "evil\x1b[31mred", "cr\rname", "nl\nname", "[link=http://evil]x[/link]",
    "pipe|name", "tick`s```", "x" * 300, "Dup Name", "dup-name", ".hidden", "\u202eevil", "back\\slash",
]
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def seed(db: Path) -> None:
    """Configs, partials and collections under every hostile name; a managed config escaping the target."""

    async def create() -> None:
        async with open_client(sandbox=True, sandbox_db=db) as client:
            config = {"retry": {"attempts": 2}, "api_key": SECRET}
            await client.create_config(body={"name": MANAGED_ESCAPE, "config": config})
            for name in HOSTILE:
                await client.create_config(body={"name": name, "config": config})
                await client.create_prompt_partial(body={"name": name, "string": "Hi {{name}}"})
                await client.create_collection(body={"name": name})

    anyio.run(create)


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in root.rglob("*")}


def secret_env(text: str) -> dict[str, str]:
    match = re.search(r"set these variables before planning: (.*)", text)
    return {name: SECRET for name in match.group(1).split(", ")} if match else {}


def test_hostile_names_stay_inside_the_target_and_load_back(
    cli: Callable[..., Run], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db)
    parent = tmp_path / "work" / "nested"
    parent.mkdir(parents=True)
    (tmp_path / "work" / "escaped.config.yaml").write_text("precious\n")
    before = listing(tmp_path)
    target = parent / "out"

    result = cli("export", str(target), "--sandbox")
    assert result.code == 0, result.err
    after = listing(tmp_path)
    outside = {p for p in set(after) - set(before) if not p.startswith("work/nested/out")}
    assert outside == set() and after["work/escaped.config.yaml"] == b"precious\n"
    assert not [p for p in after if p.startswith("work/nested/.out")], "the staging directory is gone"

    files = [p for p in target.rglob("*") if p.is_file()]
    for path in files:
        relative = path.relative_to(target)
        assert path.resolve().is_relative_to(target.resolve())
        assert not any(part.startswith(".") or RAW.search(part) or "\\" in part for part in relative.parts)
        assert SECRET not in path.read_text()
    assert (target / "configs/escaped.config.yaml").exists()
    assert any(p.name.startswith("dup-name-") for p in (target / "configs").iterdir())  # the collision

    # The mapping is shown, escaped; nothing raw reaches the terminal.
    assert "config ../../../escaped -> configs/escaped.config.yaml" in result.out
    assert "evil\\x1b[31mred ->" in result.out and "\\u202eevil ->" in result.out
    assert not RAW.search(result.out + result.err) and SECRET not in result.out + result.err

    # Every file loads back under a valid key.
    for name, value in secret_env(result.out).items():
        monkeypatch.setenv(name, value)
    validated = cli("validate", str(target))
    assert validated.code == 0, validated.err


def test_plan_after_export_adopt_is_a_no_op(
    cli: Callable[..., Run], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db)
    target = tmp_path / "out"
    exported = cli("export", str(target), "--sandbox", "--adopt")
    assert exported.code == 0, exported.err
    for name, value in secret_env(exported.out).items():
        monkeypatch.setenv(name, value)

    planned = cli("plan", str(target), "--sandbox", "--json")
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    assert not plan["errors"] and not plan["adoptable"]
    actions = {change["address"]: change["actions"] for change in plan["changes"] if change["actions"] != ["noop"]}
    assert "config:escaped" not in actions  # the managed object re-keyed by --adopt matches its file exactly
    assert actions == {}  # adopt keeps display names: the first plan renames nothing

    md_path = tmp_path / "plan.md"
    human = cli("plan", str(target), "--sandbox")
    assert cli("plan", str(target), "--sandbox", "--markdown", str(md_path)).code == 0
    markdown = md_path.read_text()
    for form in (human.out, planned.out, markdown):  # a no-op plan names nothing; nothing raw either way
        assert not RAW.search(form) and SECRET not in form
    # the names are shown where export maps them, never interpreted
    assert "evil" in exported.out and not RAW.search(exported.out)
    assert "\\x1b[31mred" in exported.out and "[link=http://evil]x" in exported.out

    assert cli("apply", str(target), "--sandbox", "--auto-approve").code == 0
    again = cli("plan", str(target), "--sandbox", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes" in again.out


def test_export_into_a_non_empty_directory_refuses_and_writes_nothing(
    cli: Callable[..., Run], db: Path, tmp_path: Path
) -> None:
    seed(db)
    target = tmp_path / "out"
    assert cli("export", str(target), "--sandbox").code == 0
    before = listing(tmp_path)
    again = cli("export", str(target), "--sandbox")
    assert again.code == 1
    assert "is not empty (holds collections, configs, partials, portkey.yaml)" in again.err
    assert "never overwrites" in again.err
    assert "Traceback" not in again.err
    assert listing(tmp_path) == before

    a_file = tmp_path / "plain.txt"
    a_file.write_text("keep\n")
    onto_file = cli("export", str(a_file), "--sandbox")
    assert onto_file.code == 2 and "is a file" in onto_file.err  # a usage error, before anything is read
    assert a_file.read_text() == "keep\n" and "Traceback" not in onto_file.err
    with pytest.raises(ExportError, match="not a directory"):
        write_tree(a_file, {"portkey.yaml": "version: 1\n"})
    assert a_file.read_text() == "keep\n"


def test_a_symlinked_target_entry_is_refused(cli: Callable[..., Run], db: Path, tmp_path: Path) -> None:
    seed(db)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "configs").symlink_to(outside, target_is_directory=True)
    refused = cli("export", str(target), "--sandbox")
    assert refused.code == 1 and "not empty" in refused.err
    assert list(outside.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"portkey.yaml": "version: 1\n", "configs/a.config.yaml": "config: {}\n", "configs/b.config.yaml": "x"}
    real_open = open
    calls = {"n": 0}

    def failing_open(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "x" in mode:
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(ExportError, match="nothing was written"):
        write_tree(tmp_path / "out", files)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("relative", ["../x.yaml", "configs/../../x.yaml", "/etc/x", ".git/config", "a/\x1b/b"])
def test_write_tree_refuses_paths_that_are_not_plain(tmp_path: Path, relative: str) -> None:
    with pytest.raises(ExportError, match="not a plain relative path"):
        write_tree(tmp_path / "out", {"portkey.yaml": "version: 1\n", relative: "x"})
    assert list(tmp_path.iterdir()) == []


def test_colliding_names_get_stable_distinct_keys() -> None:
    assert safe_key("Dup Name") == safe_key("dup-name") == "dup-name"
    taken = {"dup-name"}
    first = export_module._suffixed("dup-name", "id-1", taken)
    assert first == export_module._suffixed("dup-name", "id-1", set(taken)) and first != "dup-name"
    assert export_module._suffixed("dup-name", "id-1", {*taken, first}) not in {*taken, first}


KEY = re.compile(KEY_PATTERN)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_safe_key_is_always_a_bounded_valid_key_and_stable(name: str) -> None:
    key = safe_key(name)
    assert KEY.fullmatch(key) and is_safe_key(key)
    assert len(key) <= MAX_KEY and all(0 < len(s) <= MAX_SEGMENT for s in key.split("/"))
    assert ".." not in key and "\\" not in key and not key.startswith((".", "/"))
    assert key.isascii() and key.isprintable()
    assert safe_key(name) == key and safe_key(key) == key
    assert Path("/root", "prompts", key + ".prompt.yaml").resolve().is_relative_to("/root/prompts")
    assert all(len(s) + len(".usage-limit.yaml") < os.pathconf("/", "PC_NAME_MAX") for s in key.split("/"))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_safe_key_keeps_names_that_already_are_keys(name: str) -> None:
    if is_safe_key(name):
        assert safe_key(name) == name
