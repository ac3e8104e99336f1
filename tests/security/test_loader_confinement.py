"""Nothing from outside the project gets in: links out, special files and huge files are refused.

Each attack replaces one file the loader reads with something hostile, runs ``validate`` and
``plan --sandbox`` (terminal, ``--json``, ``--markdown``, ``--out``) and asserts the refusal names
the path while the planted secret appears in no output and no written file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from engine.gitops.load import load_project
from engine.gitops.loading.context import MAX_FILE_BYTES, UnsafeFileError, read_confined
from engine.gitops.lock import Lock
from tests.entry_point import Run

REPO = Path(__file__).resolve().parents[2]
PLANTED = "pk-planted-7f3a9c1e0b"
PLANTED_ENV = "gh-planted-token-51d2e8"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A file outside the project holding fake secrets."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "secrets.env"
    path.write_text(f"PORTKEY_API_KEY={PLANTED}\nGITHUB_TOKEN={PLANTED}\nversion: 1\n")
    return path


def replace_with_link(project: Path, relative: str, target: Path) -> None:
    path = project / relative
    path.unlink()
    path.symlink_to(target)


def all_outputs(cli: Callable[..., Run], project: Path, tmp: Path, *env: str) -> list[Run]:
    """validate, plan (terminal) and plan --json --markdown --out, the files it wrote added to its stdout."""
    runs = [cli("validate", str(project), *env), cli("plan", str(project), "--sandbox", *env)]
    md, out = tmp / "plan.md", tmp / "plan.json"
    run = cli("plan", str(project), "--sandbox", "--json", "--markdown", str(md), "--out", str(out), *env)
    files = "".join(p.read_text() for p in (md, out) if p.exists())
    return [*runs, replace(run, out=run.out + files)]


@pytest.mark.parametrize(
    ("relative", "env"),
    [
        ("partials/tone-of-voice.partial.md", ()),
        ("prompts/support/triage.prompt.yaml", ()),
        ("portkey.yaml", ()),
        ("environments/dev.yaml", ("--env", "dev")),
    ],
)
def test_linked_file_outside_is_refused_everywhere(
    cli: Callable[..., Run], project: Path, planted: Path, tmp_path: Path, relative: str, env: tuple[str, ...]
) -> None:
    replace_with_link(project, relative, planted)
    for run in all_outputs(cli, project, tmp_path, *env):
        assert run.code == 1, run.unwrapped
        assert f"{relative} is a symbolic link to a path outside the project" in run.unwrapped
        assert PLANTED not in run.unwrapped
        assert "Traceback" not in run.unwrapped


def test_content_file_linked_outside_is_refused(
    cli: Callable[..., Run], project: Path, planted: Path, tmp_path: Path
) -> None:
    replace_with_link(project, "prompts/support/triage.system.md", planted)
    for run in all_outputs(cli, project, tmp_path):
        assert run.code == 1
        assert "content_file 'triage.system.md' points outside the project" in run.unwrapped
        assert PLANTED not in run.unwrapped


def _subprocess_cli(*args: str) -> Run:
    """The CLI in a child process, so /proc/self/environ is the child's environment (planted included)."""
    command = [sys.executable, "-c", "from engine.cli.main import run; run()", *args]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, env=os.environ.copy())
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.parametrize("relative", ["partials/tone-of-voice.partial.md", "portkey.yaml"])
def test_proc_self_environ_is_never_read(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", PLANTED_ENV)
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    replace_with_link(project, relative, Path("/proc/self/environ"))
    md = tmp_path / "plan.md"
    runs = [
        _subprocess_cli("validate", str(project)),
        _subprocess_cli("plan", str(project), "--sandbox", "--json", "--markdown", str(md)),
    ]
    written = md.read_text() if md.exists() else ""
    for run in runs:
        assert run.code == 1, run.unwrapped
        assert f"{relative} is a symbolic link to a path outside the project" in run.unwrapped
        assert PLANTED_ENV not in run.unwrapped + written
        assert "GITHUB_TOKEN" not in run.unwrapped + written


def test_linked_directory_is_not_followed(cli: Callable[..., Run], project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "leak.prompt.yaml").write_text(f"model: gpt-4o\ntemplate: {PLANTED}\n")
    (project / "prompts" / "shared").symlink_to(outside, target_is_directory=True)
    for run in all_outputs(cli, project, tmp_path):
        assert run.code == 1
        assert "prompts/shared is a symbolic link to a directory" in run.unwrapped
        assert PLANTED not in run.unwrapped
        assert "leak" not in run.unwrapped


def test_linked_kind_directory_is_not_followed(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(project / "partials", elsewhere)
    (project / "partials").symlink_to(elsewhere, target_is_directory=True)
    state = load_project(project)
    assert [str(d) for d in state.errors][:1] == [
        "partials: error: partials is a symbolic link to a directory; linked directories are not followed: "
        "replace it with a real directory"
    ]
    assert not any(r.startswith("partial:") for r in state.resources)


def test_link_inside_the_project_is_read(project: Path) -> None:
    """A link that stays inside the project is fine: only escapes are refused."""
    (project / "texts").mkdir()
    shutil.move(project / "prompts/support/triage.system.md", project / "texts/triage.md")
    (project / "prompts/support/triage.system.md").symlink_to(project / "texts/triage.md")
    state = load_project(project)
    assert state.errors == []
    assert "texts/" not in " ".join(str(d) for d in state.warnings)  # the folder holds a file the load read


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("relative", ["partials/tone-of-voice.partial.md", "prompts/support/triage.system.md"])
def test_fifo_is_refused_without_blocking(cli: Callable[..., Run], project: Path, relative: str) -> None:
    (project / relative).unlink()
    os.mkfifo(project / relative)  # nobody writes to it: opening it for reading would hang the test
    run = cli("validate", str(project))
    assert run.code == 1
    assert f"{relative} is a named pipe (FIFO), not a regular file" in run.err


def test_device_is_refused(project: Path) -> None:
    replace_with_link(project, "partials/tone-of-voice.partial.md", Path("/dev/zero"))
    state = load_project(project)
    assert any("partials/tone-of-voice.partial.md is a symbolic link to a path outside" in str(d) for d in state.errors)


def test_oversized_file_is_refused(cli: Callable[..., Run], project: Path) -> None:
    path = project / "prompts/support/triage.system.md"
    path.write_text("x" * (MAX_FILE_BYTES + 1))
    run = cli("validate", str(project))
    assert run.code == 1
    assert "prompts/support/triage.system.md is larger than 1024 KiB; split it or shorten it" in run.err


# ---- read_confined, the reusable check ---------------------------------------------------------


def test_read_confined_reads_a_regular_file_inside(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    assert read_confined(tmp_path, tmp_path / "a.json") == b"{}"


def test_read_confined_refuses_escapes_and_special_files(tmp_path: Path, planted: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(planted)
    (root / "dir").mkdir()
    os.mkfifo(root / "fifo")
    (root / "big").write_bytes(b"x" * 11)
    cases = {
        root / "link": "link is a symbolic link to a path outside the project",
        root / ".." / "outside" / "secrets.env": "is outside the project",
        root / "dir": "dir is a directory, not a regular file",
        root / "fifo": "fifo is a named pipe (FIFO), not a regular file",
    }
    for path, message in cases.items():
        with pytest.raises(UnsafeFileError, match=re.escape(message)) as caught:
            read_confined(root, path)
        assert PLANTED not in str(caught.value)
    with pytest.raises(UnsafeFileError, match="big is larger than"):
        read_confined(root, root / "big", max_bytes=10)
    with pytest.raises(FileNotFoundError):
        read_confined(root, root / "absent")


def test_read_confined_without_root_still_refuses_special_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafeFileError, match="not a regular file"):
        read_confined(None, tmp_path / "fifo")


# ---- the lock file -----------------------------------------------------------------------------


def test_lock_linked_out_of_the_project_is_refused(project: Path, planted: Path) -> None:
    (project / ".portkey").mkdir()
    lock = project / ".portkey" / "lock.json"
    lock.symlink_to(planted)
    expected = re.escape("lock file refused: .portkey/lock.json is a symbolic link")
    with pytest.raises(ValueError, match=expected) as caught:
        Lock.read(lock, root=project)
    assert PLANTED not in str(caught.value)


def test_lock_must_be_a_regular_file_even_outside_the_project(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lock.json")
    with pytest.raises(ValueError, match="not a regular file"):
        Lock.read(tmp_path / "lock.json")


def test_lock_with_wrong_shapes_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "lock.json"
    for body in ('{"format": 1, "entries": [1, 2]}', '{"format": 1, "entries": {"a": 1}}', "\xff"):
        path.write_text(body, encoding="latin-1")
        with pytest.raises(ValueError, match="lock file"):
            Lock.read(path)
    assert Lock.read(tmp_path / "absent.json") is None


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_cli_refuses_a_lock_linked_out_of_the_project(
    cli: Callable[..., Run], project: Path, planted: Path, command: str
) -> None:
    (project / ".portkey").mkdir()
    (project / ".portkey" / "lock.json").symlink_to(planted)
    run = cli(command, str(project), "--sandbox", "--lock", str(project / ".portkey" / "lock.json"))
    assert run.code == 1
    assert "lock file refused: .portkey/lock.json is a symbolic link" in run.unwrapped
    assert PLANTED not in run.unwrapped and "Traceback" not in run.err
