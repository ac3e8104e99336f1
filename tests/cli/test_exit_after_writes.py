"""Exit 5 means "apply wrote something and then stopped": every way apply can stop after a write exits 5 and
says how many writes were made, the same stop before any write exits 1 (through the console-script entry point,
on the embedded sandbox)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sandbox
from engine.gitops import workflow
from engine.gitops.lease import LeaseHeldError
from tests.entry_point import run_entry_point

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prompts"
WRITES = 13  # the example project's apply (tests/cli/test_gitops_commands.py)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PORTKEY_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    monkeypatch.setenv("PORTKEY_MAX_RETRIES", "0")
    monkeypatch.delenv("PORTKEY_API_KEY", raising=False)
    root = tmp_path / "project"
    shutil.copytree(EXAMPLE, root)
    return root


Apply = Callable[[Any, Any], Any]


def apply(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path) -> tuple[int, str]:
    code, _, err = run_entry_point(
        monkeypatch, capsys, "apply", str(project), "--sandbox", "--auto-approve", "--no-lease"
    )
    return code, err


# the example project's first dependency level: every create that comes before anything else
FIRST_LEVEL = ("create_prompt_label", "create_collection", "create_prompt_partial")


def failing_writes(monkeypatch: pytest.MonkeyPatch, *operations: str, status: str = "500") -> None:
    """The embedded sandbox answers every one of ``operations`` with ``status``."""
    real = sandbox.Sandbox

    def faulty(*args: Any, **kwargs: Any) -> sandbox.Sandbox:
        emulator = real(*args, **kwargs)
        emulator.faults = sandbox.Faults(
            per_operation={operation: sandbox.FaultRule(script=(status,) * 50) for operation in operations}
        )
        return emulator

    monkeypatch.setattr(sandbox, "Sandbox", faulty)


@pytest.mark.parametrize(
    ("operations", "status", "code"),
    [
        # the label fails, the independent writes of its level go on (keep-going): writes were made
        (("create_prompt_label",), "500", 5),
        (("create_config",), "500", 5),
        # every write of the first level is refused (429: not processed), so nothing was written
        (FIRST_LEVEL, "429", 1),
    ],
)
def test_a_failed_write_exits_5_only_when_writes_came_before_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path,
    operations: tuple[str, ...], status: str, code: int,
) -> None:
    failing_writes(monkeypatch, *operations, status=status)
    got, err = apply(monkeypatch, capsys, project)
    assert got == code, err
    assert operations[0] in err and f"HTTP {status}" in err
    made = re.search(r"^(\d+) write\(s\) made in this run", err, re.M)
    assert made, err
    assert (int(made.group(1)) > 0) == (code == 5)


def stopping(monkeypatch: pytest.MonkeyPatch, failure: BaseException, *, after_writes: bool) -> None:
    """Apply raises ``failure`` after it made every write (or before the first one)."""
    real = workflow.apply_planned

    async def apply_planned(*args: Any, **kwargs: Any) -> Any:
        if after_writes:
            await real(*args, **kwargs)
        raise failure

    monkeypatch.setattr(workflow, "apply_planned", apply_planned)


FAILURES = {
    "crash": (RuntimeError("disk gone"), f"apply stopped after {WRITES} write(s): RuntimeError: disk gone"),
    "lease-lost": (LeaseHeldError("the apply lease was taken over"), "the apply lease was taken over"),
    "interrupt": (KeyboardInterrupt(), f"interrupted after {WRITES} write(s)"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_stop_after_writes_exits_5_and_says_how_many(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path, failure: str
) -> None:
    exc, said = FAILURES[failure]
    stopping(monkeypatch, exc, after_writes=True)
    code, err = apply(monkeypatch, capsys, project)
    assert code == 5, err
    assert said in err
    assert "Traceback" not in err and "nothing was written" not in err.lower()


@pytest.mark.parametrize("failure", FAILURES)
def test_the_same_stop_before_any_write_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], project: Path, failure: str
) -> None:
    exc, _ = FAILURES[failure]
    stopping(monkeypatch, exc, after_writes=False)
    code, err = apply(monkeypatch, capsys, project)
    assert code == (130 if failure == "interrupt" else 1), err
    assert "Traceback" not in err
