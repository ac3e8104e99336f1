"""``portkey-gitops ci plan|apply|drift``: the GitHub Action's entry point (see :mod:`engine.ci`).

Inputs come from the ``INPUT_*`` variables the composite action sets and from GitHub's own variables;
nothing here needs flags, so the action's step is one line under ``bash -eo pipefail``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import typer

from engine.cli import terminal
from engine.cli.exits import EXIT_ERROR

app = typer.Typer(
    help="Run inside GitHub Actions (the action.yml step): plan a pull request, apply the reviewed plan on merge, "
    "or check drift on a schedule. Reads INPUT_PROJECT, INPUT_ENV, INPUT_SANDBOX, INPUT_LOCK, INPUT_PRUNE, "
    "INPUT_ALLOW_MASS_DELETE, INPUT_REPLAN_ON_MERGE, INPUT_ALLOW_DIRTY, INPUT_BEHAVIOUR, PORTKEY_API_KEY, "
    "GITHUB_TOKEN and GitHub's variables.",
    no_args_is_help=True,
)


def _run(command: Callable[..., int]) -> None:
    from engine.ci.context import Context, ContextError

    try:
        ctx = Context.from_env()
    except ContextError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if not ctx.inputs.project.is_dir():
        terminal.error(f"input project {ctx.inputs.project} is not a directory; give the folder holding portkey.yaml")
        raise typer.Exit(EXIT_ERROR)
    if ctx.inputs.behaviour:  # the workflow's pin (reviewed apart from the project files) wins over a job-level one
        from engine.gitops.behaviour import BEHAVIOUR_VARIABLE

        os.environ[BEHAVIOUR_VARIABLE] = ctx.inputs.behaviour
    code = command(ctx)
    if code:
        raise typer.Exit(code)


@app.command()
def plan() -> None:
    """Plan a pull request: job summary, one sticky comment per environment, plan files, outputs."""
    from engine.ci.commands import ci_plan

    _run(ci_plan)


@app.command()
def apply() -> None:
    """Apply on merge: the merged pull request's reviewed plan, refused if stale (plan-changed)."""
    from engine.ci.commands import ci_apply

    _run(ci_apply)


@app.command()
def drift() -> None:
    """Scheduled drift check: job summary, and one issue per environment opened, updated or closed."""
    from engine.ci.commands import ci_drift

    _run(ci_drift)
