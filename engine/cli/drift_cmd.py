"""``portkey-gitops drift``: what changed in Portkey outside git."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

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
    """Report what changed in Portkey outside git (edits made in the Portkey UI or API). Prompt edits are
    always seen; other kinds need the --lock file the last apply wrote."""
    from engine.gitops.workflow import plan_project

    require_dir(root)
    applied = read_lock(lock, root)

    async def run() -> dict[str, Any]:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            return (await plan_project(client, root, env=env, lock=applied)).plan.to_json()

    plan_json = anyio.run(run)
    if plan_json["errors"]:
        for line in plan_json["errors"]:
            terminal.error(line)
        raise typer.Exit(EXIT_ERROR)
    items = plan_json["drift"]
    if as_json:
        sys.stdout.write(json.dumps(items, indent=2, sort_keys=True) + "\n")
    elif not items:
        terminal.say("No drift: every managed object is as the last apply left it.")
    else:
        terminal.say("Changed in Portkey outside git:")
        for item in items:
            terminal.say(f"  {item['address']}: {item['detail']}")
    if detailed_exitcode and items:
        raise typer.Exit(EXIT_DRIFT)
