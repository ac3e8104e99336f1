"""Run the ``portkey-gitops`` console-script entry point in-process, as the tests' ``cli`` fixtures do."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts"


def run_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``portkey-gitops ARGS`` through ``main.run``: its exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["portkey-gitops", *args])
    code = 0
    try:
        main.run()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@dataclass
class Run:
    """One command line run: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def unwrapped(self) -> str:
        """stdout and stderr with the terminal's line wrapping undone."""
        return " ".join(self.text.split())


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: object) -> Run:
    """``portkey-gitops ARGS`` (paths allowed) in-process; a traceback in any output fails the test."""
    run = Run(*run_entry_point(monkeypatch, capsys, *map(str, args)))
    assert "Traceback" not in run.text, run.text
    return run
