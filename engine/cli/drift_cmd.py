"""``portkey-gitops drift``: what changed in Portkey outside git."""

from __future__ import annotations

import json
import sys
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
) -> None:
    """Report what changed in Portkey outside git (edits made in the Portkey UI or API). Prompt and partial
    versions are always checked; other kinds need the --lock file the last apply wrote."""
    from engine.gitops.drift import DriftReport, find_drift

    require_dir(root)
    applied = read_lock(lock, root)

    async def run() -> DriftReport:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            return await find_drift(client, root, env=env, lock=applied)

    report = anyio.run(run)
    if report.errors:
        for line in report.errors:
            terminal.error(line)
        raise typer.Exit(EXIT_ERROR)
    items = report.items
    if as_json:
        sys.stdout.write(json.dumps(items, indent=2, sort_keys=True) + "\n")
    else:
        if not items:
            terminal.say("No drift: every checked object is as git or the last apply left it.")
        else:
            terminal.say("Changed in Portkey outside git:")
            for item in items:
                terminal.say(f"  {item['address']}: {item['detail']}")
                terminal.say(f"    put it back: {item.get('suggestion') or 'portkey-gitops apply'}")
        terminal.say(f"Checked: {', '.join(report.checked)}.")
        if report.unchecked:
            terminal.say(f"Not checked (they carry no stamp; give the --lock file the last apply wrote): "
                         f"{', '.join(report.unchecked)}.")
    if detailed_exitcode and items:
        raise typer.Exit(EXIT_DRIFT)
