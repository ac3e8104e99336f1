"""apply's progress display: shown on a terminal (run in a pseudo-terminal), absent when stderr is not one."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

WRITES = 13  # the example project's apply
BAR = re.compile(r"Applying\s.*\d+/" + str(WRITES))  # rich's Progress: description, bar, "done/total"


def command() -> list[str]:
    exe = Path(sys.executable).with_name("portkey-gitops")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from engine.cli.main import run; run()"]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTKEY_", "CI", "NO_COLOR", "FORCE_"))}
    env.update(PORTKEY_SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"), TERM="xterm-256color", COLUMNS="120")
    return env


def run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``args`` with stdin, stdout and stderr on a pseudo-terminal; its exit code and everything it wrote."""
    main, child = pty.openpty()
    process = subprocess.Popen(args, stdin=child, stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_apply_on_a_terminal_shows_the_progress_display(tmp_path: Path, project: Path) -> None:
    code, output = run_in_pty([*command(), "apply", str(project), "--sandbox", "--auto-approve"], environment(tmp_path))
    assert code == 0, output
    assert BAR.search(output), output
    assert f"Apply complete: {WRITES} write(s)" in output


def test_apply_without_a_terminal_prints_no_progress_display(tmp_path: Path, project: Path) -> None:
    done = subprocess.run(
        [*command(), "apply", str(project), "--sandbox", "--auto-approve"],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"Apply complete: {WRITES} write(s)" in done.stdout
    assert "label:canary: ok" in done.stdout + done.stderr  # the step lines stay
    assert "Applying" not in done.stdout + done.stderr and "\x1b[?25l" not in done.stderr  # no bar, no cursor hiding
