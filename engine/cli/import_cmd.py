"""``portkey-gitops import``: adopt one existing Portkey object."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import (
    ProjectDir,
    SandboxDbOpt,
    SandboxOpt,
    require_dir,
)


def import_(
    root: ProjectDir,
    target: Annotated[str, typer.Argument(metavar="ADDRESS", help="Address like prompt:support/triage.")],
    remote_id: Annotated[str, typer.Argument(metavar="ID", help="The Portkey id or slug to adopt.")],
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
) -> None:
    """Adopt an existing Portkey object as ADDRESS: mark it so plans manage it (renames it in place)."""
    from engine.gitops.adopt import adopt
    from engine.gitops.behaviour import DoctorFileError, load_behaviour
    from engine.gitops.load import load_project
    from engine.gitops.model import split_address

    require_dir(root)
    try:
        split_address(target)
    except ValueError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    state = load_project(root)
    try:
        name_style = load_behaviour(root)["name_chars"]
    except DoctorFileError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if target not in state.resources:
        terminal.error(f"{target} is not declared in {root}; write its file first (see `export`), then import")
        raise typer.Exit(EXIT_ERROR)

    async def run() -> dict[str, Any]:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            return await adopt(client, target, remote_id, state.project.name_prefix, name_style)

    done = anyio.run(run)
    terminal.say(f"Adopted {done.get('id')} as {target} (now named {done.get('name')!r}). Run plan to see any diff.")
