"""All terminal output: data on stdout, messages for people on stderr."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def _console(stream: object) -> Console:
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(file=stream, no_color=no_color, highlight=False, soft_wrap=True)  # type: ignore[arg-type]


def out() -> Console:
    """Console for results (stdout), created per call so tests can capture it."""
    return _console(sys.stdout)


def err() -> Console:
    """Console for progress, warnings and errors (stderr)."""
    return _console(sys.stderr)


def error(message: str) -> None:
    """Print one error line that says what to fix."""
    err().print(f"[bold red]Error:[/] {message}", markup=True)


def info(message: str) -> None:
    err().print(message, markup=False)
