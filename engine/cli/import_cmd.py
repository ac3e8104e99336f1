"""``portkey-gitops import``: adopt one existing Portkey object."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import (
    LockOpt,
    ProjectDir,
    SandboxDbOpt,
    SandboxOpt,
    check_outputs,
    read_lock,
    require_dir,
)


def import_(
    root: ProjectDir,
    target: Annotated[str, typer.Argument(metavar="ADDRESS", help="Address like prompt:support/triage.")],
    remote_id: Annotated[str, typer.Argument(metavar="ID", help="The Portkey id or slug to adopt.")],
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    lock: LockOpt = None,
) -> None:
    """Adopt an existing Portkey object as ADDRESS: mark it so plans manage it (renames it in place).

    Refused, with nothing written: an object already managed under another address, and an address
    already bound to another object. With --lock the adopted content's hash is recorded there (Portkey
    cannot stamp an existing prompt version), so `drift --lock` tells a later git change from an edit."""
    from engine.cli.files import OutputError, write_text
    from engine.gitops.adopt import (
        AdoptRefused,
        NameStyle,
        adopt_in_style,
        adopted_lock,
        check_import,
        record_name_style,
    )
    from engine.gitops.behaviour import DoctorFileError, load_behaviour
    from engine.gitops.live import Reader
    from engine.gitops.load import load_project
    from engine.gitops.model import split_address
    from engine.gitops.workflow import resolve_workspace

    require_dir(root)
    check_outputs((lock, "lock file"))
    previous = read_lock(lock, root)
    try:
        kind, _ = split_address(target)
    except ValueError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    state = load_project(root)
    try:
        behaviour = load_behaviour(root)
    except DoctorFileError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if target not in state.resources:
        terminal.error(f"{target} is not declared in {root}; write its file first (see `export`), then import")
        raise typer.Exit(EXIT_ERROR)
    prefix = state.project.name_prefix

    async def run() -> dict[str, Any] | str:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            workspace_id = await resolve_workspace(client, state.project.workspace)
            live = await Reader(client, workspace_id, prefix, behaviour=behaviour).read({kind})
            try:
                check_import(live, target, remote_id)
            except AdoptRefused as exc:
                return str(exc)
            style = NameStyle(behaviour["name_chars"])
            spec = dict(state.resources[target].spec)
            done = await adopt_in_style(client, target, remote_id, prefix, style, spec=spec)
            if style.learned:
                try:
                    saved = record_name_style(root, style)
                except (DoctorFileError, OSError, ValueError) as exc:
                    return (f"adopted {done.get('id')} as {target} with an ASCII-only name ({style.learned}), but "
                            f"this was not saved for plans: {exc}; run `portkey-gitops doctor {root}`")
                terminal.info(f"This account takes ASCII-only names ({style.learned}); saved in {saved}.")
            if lock is not None:
                try:
                    write_text(lock, (await adopted_lock(client, root, [target], previous)).text(), "lock file")
                except (AdoptRefused, OutputError) as exc:
                    return f"adopted {done.get('id')} as {target}, but the lock file was not written: {exc}"
            return done

    done = anyio.run(run)
    if isinstance(done, str):
        terminal.error(done)
        raise typer.Exit(EXIT_ERROR)
    terminal.say(f"Adopted {done.get('id')} as {target} (now named {done.get('name')!r}). Run plan to see any diff.")
