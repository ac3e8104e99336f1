"""``portkey-gitops drift``: what changed in Portkey outside git."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_DRIFT, EXIT_ERROR
from engine.cli.options import (
    EnvOpt,
    LockOpt,
    ProjectDir,
    SandboxDbOpt,
    SandboxOpt,
    check_outputs,
    read_lock,
    require_dir,
)


def drift(
    root: ProjectDir,
    env: EnvOpt = None,
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print drift as JSON.")] = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when drift is found.")
    ] = False,
    lock: LockOpt = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the report as Markdown (an issue body) here.")]
    = None,
) -> None:
    """Report what changed in Portkey outside git (edits made in the Portkey UI or API): for each object what
    changed, who could have changed it and the command that puts it back. Prompt and partial versions are always
    checked; other kinds need the --lock file the last apply wrote. A lock older than the account's last apply
    is reported as stale (with the objects it cannot judge), not as drift."""
    from engine.gitops.drift import DriftReport, find_drift
    from engine.gitops.render.drift import render_drift_json, render_drift_markdown, render_drift_text

    require_dir(root)
    check_outputs((markdown, "Markdown drift report"), root=root)
    applied = read_lock(lock, root)
    if lock is not None and applied is None:  # a mistyped path would otherwise read as "no lock" without a word
        terminal.info(f"Note: lock file {lock} does not exist, so only prompt and partial versions are checked; "
                      f"`apply --lock {lock}` writes it.")

    async def run() -> DriftReport:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            return await find_drift(client, root, env=env, lock=applied, lock_path=lock)

    report = anyio.run(run)
    if report.errors:
        for line in report.errors:
            terminal.error(line)
        if as_json:  # a machine reader gets the errors as diagnostics too, as plan --json gives them
            from engine.gitops.jsonplan import diagnostic_json

            errors = [diagnostic_json(error) for error in report.errors]
            sys.stdout.write(render_drift_json({**report.to_json(), "errors": errors}))
        raise typer.Exit(EXIT_ERROR)
    body = report.to_json()
    if markdown is not None:
        from engine.cli.files import OutputError, write_text

        try:
            write_text(markdown, render_drift_markdown(body), "Markdown drift report")
        except OutputError as exc:
            terminal.error(str(exc))
            raise typer.Exit(EXIT_ERROR) from None
        terminal.info(f"Markdown drift report written to {markdown}")
    sys.stdout.write(render_drift_json(body) if as_json else render_drift_text(body))
    if detailed_exitcode and report.items:
        raise typer.Exit(EXIT_DRIFT)
