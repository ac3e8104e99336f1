"""``portkey-gitops validate``: check a project offline."""

from __future__ import annotations

import typer

from engine.cli import terminal
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import (
    EnvOpt,
    ProjectDir,
    require_dir,
)


def validate(root: ProjectDir, env: EnvOpt = None) -> None:
    """Check the project files offline: schema, references, variables, secrets present."""
    from engine.gitops.load import load_project

    require_dir(root)
    state = load_project(root, env=env)
    for diagnostic in state.diagnostics:
        terminal.err().print(terminal.printable(diagnostic, keep_newlines=True))
    if state.errors:
        terminal.error(f"{len(state.errors)} error(s) in {root}")
        raise typer.Exit(EXIT_ERROR)
    terminal.say(f"{root}: {len(state.resources)} resources, {len(state.warnings)} warning(s), valid")
