"""``portkey-gitops validate``: check a project offline."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from engine.cli import terminal
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import (
    EnvOpt,
    ProjectDir,
    require_dir,
)


def validate(
    root: ProjectDir,
    env: EnvOpt = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print {valid, resources, errors, warnings} as JSON; each a diagnostic "
            "with its code, file, line and column as in the plan JSON.",
        ),
    ] = False,
) -> None:
    """Check the project files offline: schema, references, variables, secrets present."""
    from engine.gitops.jsonplan import diagnostic_json
    from engine.gitops.load import load_project
    from engine.gitops.plan import load_diagnostic
    from engine.gitops.render import render_json

    require_dir(root)
    state = load_project(root, env=env)
    if as_json:
        report = {
            "valid": not state.errors,
            "resources": len(state.resources),
            "errors": [diagnostic_json(load_diagnostic(d)) for d in state.errors],
            "warnings": [diagnostic_json(load_diagnostic(d)) for d in state.warnings],
        }
        sys.stdout.write(render_json(report))
        if state.errors:
            raise typer.Exit(EXIT_ERROR)
        return
    for diagnostic in state.diagnostics:
        terminal.err().print(terminal.printable(diagnostic, keep_newlines=True))
    if state.errors:
        terminal.error(f"{len(state.errors)} error(s) in {root}")
        raise typer.Exit(EXIT_ERROR)
    terminal.say(f"{root}: {len(state.resources)} resources, {len(state.warnings)} warning(s), valid")
