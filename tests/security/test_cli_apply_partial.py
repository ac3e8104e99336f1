"""A write that already happened is reported as such: apply that stops after writing exits 5 and
says how many writes were made; one that stops before any write exits 1; a lock file that cannot
be written is refused before the first write."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import FaultRule, Faults, Sandbox
from sandbox.serve import serve_in_thread
from tests.security.cli_support import (
    PLANTED_KEY,
    Cli,
    Rule,
    cli,
    console_script,
    one_error_line,
    served,
    tampered_sandbox,
)

__all__ = ["cli"]  # the fixture

WRITES = ("POST", "PUT", "DELETE")
# The applies below pass --no-lease: the account lease's own label writes are bookkeeping, not the writes
# apply reports (tests/lease covers the lease).
FAIL = FaultRule(script=("500",) * 5)


def writes(sb: Sandbox) -> int:
    """Writes the sandbox carried out (answered without an injected fault)."""
    return sum(1 for r in sb.requests() if r.method in WRITES and not r.fault and r.status < 400)


def test_unwritable_lock_is_refused_before_any_write(cli: Cli, project: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        cli.against(url)
        for lock in (tmp_path / "a-file" / "lock.json", tmp_path / "missing" / "lock.json", tmp_path):
            run = cli("apply", str(project), "--auto-approve", "--lock", str(lock))
            assert run.code == 1
            assert f"cannot write the lock file to {lock}" in one_error_line(run)
            assert writes(sb) == 0 and not sb.requests(), "nothing may be read or written"


def test_lock_failing_after_the_writes_exits_5_and_says_what_was_written(
    cli: Cli, project: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "locks"
    folder.mkdir()
    lock = folder / "portkey.lock.json"

    def remove_folder_on_first_write(method: str, path: str) -> None:
        if method in WRITES and folder.exists():
            shutil.rmtree(folder)

    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        tamper.before.append(remove_folder_on_first_write)
        cli.against(url)
        run = cli("apply", str(project), "--auto-approve", "--no-lease", "--lock", str(lock))
        done = writes(sb)
        assert run.code == 5, run.err
        line = one_error_line(run)
        assert f"apply wrote {done} change(s) but the lock file could not be written" in line
        assert str(lock) in line and "nothing was written" not in run.text
        assert done == 13 and not lock.exists()
        tamper.before.clear()
        folder.mkdir()
        again = cli("apply", str(project), "--auto-approve", "--no-lease", "--lock", str(lock))
        assert again.code == 0 and writes(sb) == done, again.err
        assert json.loads(lock.read_text())["entries"]


@pytest.mark.parametrize(("operation", "code"), [
    ("create_prompt_label", 5),  # the first write fails; the writes that do not depend on it go on
    ("create_prompt", 5),  # labels, collections and partials were written before it
    ("create_config", 5),  # phase two: published prompts are live already
])
def test_apply_stopping_part_way_exits_5_with_the_number_of_writes(
    cli: Cli, project: Path, operation: str, code: int
) -> None:
    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        sb.faults = Faults(per_operation={operation: FAIL})
        cli.against(url)
        run = cli("apply", str(project), "--auto-approve", "--no-lease")
        done = writes(sb)
    assert run.code == code, run.err
    assert f"{operation}" in one_error_line(run)
    assert f"{done} write(s) made in this run" in run.err
    assert (done == 0) == (code == 1)
    assert PLANTED_KEY not in run.text


def test_null_answer_to_a_write_that_happened_exits_5(cli: Cli, project: Path) -> None:
    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        tamper.rules.append(Rule("POST", "/configs", 200, None, forward=True))
        cli.against(url)
        run = cli("apply", str(project), "--auto-approve", "--no-lease")
        done = writes(sb)
    assert run.code == 5, run.err
    line = one_error_line(run)
    assert "Portkey answered POST /configs with null instead of an object" in line
    assert "its write reached Portkey or may have" in line
    assert f"{done - 1} write(s) made in this run, 1 more may have reached Portkey" in run.err  # the config create


def test_partial_apply_through_the_console_script(project: Path) -> None:
    with Sandbox(db=":memory:", api_key=PLANTED_KEY) as sb:
        sb.faults = Faults(per_operation={"create_guardrail": FAIL})
        with serve_in_thread(sb) as url:
            run = console_script("apply", str(project), "--auto-approve", "--no-lease", env={
                "PORTKEY_API_KEY": PLANTED_KEY, "PORTKEY_BASE_URL": url, "PORTKEY_MAX_RETRIES": "0"})
            done = writes(sb)
    assert run.code == 5, run.err
    assert done > 0 and f"{done} write(s) made in this run" in run.err
    assert "create_guardrail" in one_error_line(run)
    assert PLANTED_KEY not in run.text


def test_interrupt_after_writes_exits_5_and_says_how_many(project: Path) -> None:
    """Ctrl+C in the middle of apply: the writes already made are reported (exit 5), not lost in a traceback."""
    process: list[subprocess.Popen[str]] = []
    seen: list[str] = []

    def interrupt_on_third_write(method: str, path: str) -> None:
        if method in WRITES:
            seen.append(path)
            if len(seen) == 3 and process:
                os.kill(process[0].pid, signal.SIGINT)
                time.sleep(1)  # hold this write until the interrupt has landed

    with tampered_sandbox() as (sb, tamper), served(tamper) as url:
        tamper.before.append(interrupt_on_third_write)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTKEY_")}
        env.update(PORTKEY_API_KEY=PLANTED_KEY, PORTKEY_BASE_URL=url, PORTKEY_MAX_RETRIES="0")
        exe = Path(sys.executable).with_name("portkey-gitops")
        command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from engine.cli.main import run; run()"]
        process.append(subprocess.Popen([*command, "apply", str(project), "--auto-approve", "--no-lease"], env=env,
                                        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        out, err = process[0].communicate(timeout=120)
        done = writes(sb)
    assert process[0].returncode == 5, err
    assert "Traceback" not in err
    # Writes run side by side: those answered before the interrupt are counted, the others under way named.
    said = re.search(r"Error: interrupted after (\d+) write\(s\) \((\d+) more write request\(s\) were sent and "
                     r"may have arrived\); run apply again", err)
    assert said is not None, err
    answered, others = int(said.group(1)), int(said.group(2))
    assert answered <= done <= answered + others and others >= 1  # the held write at least
    assert PLANTED_KEY not in out + err
