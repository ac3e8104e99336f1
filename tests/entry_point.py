"""Run the ``portkey-gitops`` console-script entry point in-process, as the tests' ``cli`` fixtures do."""

from __future__ import annotations

import sys

import pytest

from engine.cli import main


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
