"""``portkey-gitops export``: the live account as desired-state files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import (
    SandboxDbOpt,
    SandboxOpt,
)


def export(
    target: Annotated[Path, typer.Argument(help="Directory to write (must be empty or absent).", file_okay=False)],
    workspace: Annotated[str | None, typer.Option(help="Workspace id or slug (default: the key's).")] = None,
    prefix: Annotated[str, typer.Option(help="Name prefix that marks managed objects.")] = "gitops:",
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    adopt_all: Annotated[
        bool, typer.Option("--adopt", help="Also mark unmanaged objects as managed (renames them in Portkey).")
    ] = False,
) -> None:
    """Write the live account as desired-state files; a plan right after shows no changes."""
    from engine.gitops.adopt import adopt
    from engine.gitops.export import Exporter
    from engine.gitops.live import Reader
    from engine.gitops.model import ResourceKind
    from engine.gitops.workflow import resolve_workspace

    if target.exists() and any(target.iterdir()):
        terminal.error(f"{target} is not empty; export into a new directory so nothing is overwritten")
        raise typer.Exit(EXIT_ERROR)

    async def run() -> Any:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            workspace_id = await resolve_workspace(client, workspace)
            live = await Reader(client, workspace_id, prefix).read(set(ResourceKind))
            result = Exporter(live, target, prefix, workspace).write()
            if adopt_all:
                for address, remote_id in result.adoptable:
                    await adopt(client, address, remote_id, prefix)
            return result, live

    result, live = anyio.run(run)
    out = terminal.out()
    out.print(f"Wrote {len(result.files)} files to {target} ({live.requests} HTTP requests).")
    if result.adoptable and not adopt_all:
        out.print(f"{len(result.adoptable)} unmanaged object(s) were exported; adopt them before planning:")
        for address, remote_id in result.adoptable:
            out.print(f"  portkey-gitops import {target} {address} {remote_id}", markup=False)
    elif result.adoptable:
        out.print(f"Adopted {len(result.adoptable)} unmanaged object(s).")
    if result.secrets:
        out.print("Secret values were not exported; set these variables before planning: "
                  + ", ".join(sorted(set(result.secrets))), markup=False)
