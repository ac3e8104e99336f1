"""``portkey-gitops export``: the live account as desired-state files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer
from rich.text import Text

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_ERROR, EXIT_PARTIAL
from engine.cli.options import (
    LockOpt,
    SandboxDbOpt,
    SandboxOpt,
    check_outputs,
    read_lock,
)
from engine.gitops.render.common import visible

if TYPE_CHECKING:
    from engine.gitops.export import ExportResult
    from engine.portkey import PortkeyClient


def export(
    target: Annotated[Path, typer.Argument(help="Directory to write (must be empty or absent).", file_okay=False)],
    workspace: Annotated[str | None, typer.Option(help="Workspace id or slug (default: the key's).")] = None,
    prefix: Annotated[str, typer.Option(help="Name prefix that marks managed objects.")] = "gitops:",
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    adopt_all: Annotated[
        bool, typer.Option("--adopt", help="Also mark unmanaged objects as managed (renames them in Portkey).")
    ] = False,
    lock: LockOpt = None,
) -> None:
    """Write the live account as desired-state files; a plan right after shows no changes.

    Live names become safe file names inside TARGET (the mapping is printed when a name had
    to change); nothing is written unless every file can be, and no existing file is overwritten.
    With --adopt and --lock, the adopted objects' content is recorded in the lock file (Portkey cannot
    stamp an existing prompt version), so `drift --lock` tells a later git change from an edit in Portkey.
    """
    from engine.gitops.export import Exporter, ExportError, check_target
    from engine.gitops.live import Reader
    from engine.gitops.model import ResourceKind
    from engine.gitops.workflow import resolve_workspace

    try:
        check_target(target)
    except ExportError as exc:
        _fail(str(exc))
    # A lock inside the export target is written once the files are there (its folder may not exist yet).
    lock_inside = lock is not None and _within(lock, target)
    if not lock_inside:
        check_outputs((lock, "lock file"))
    previous = None if lock_inside else read_lock(lock)

    async def run() -> Any:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            workspace_id = await resolve_workspace(client, workspace)
            # unmanaged objects are exported whole
            everything: dict[ResourceKind, set[str]] = {kind: _AnyName() for kind in ResourceKind}
            live = await Reader(client, workspace_id, prefix, candidates=everything).read(set(ResourceKind))
            try:
                result = Exporter(live, target, prefix, workspace).write()
            except ExportError as exc:
                return None, live, str(exc)
            _report(result, target, live.requests, adopt_all)
            if adopt_all:
                await _adopt_all(client, result, target, prefix)
                if lock is not None:
                    if lock_inside:
                        lock.parent.mkdir(parents=True, exist_ok=True)
                    await _write_lock(client, target, result, lock, previous)
            return result, live, None

    result, _, failure = anyio.run(run)
    if failure is not None:
        _fail(failure)
    if result.secrets:
        terminal.out().print("Secret values were not exported; set these variables before planning: "
                             + ", ".join(sorted(set(result.secrets))), markup=False)


class _AnyName(set[str]):
    """A candidate set that holds every name: the reader fetches details of every object."""

    def __contains__(self, item: object) -> bool:
        return True


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    """One error line (never parsed as markup) and the exit code."""
    terminal.err().print(Text.assemble(("Error:", "bold red"), " ", visible(message)))
    raise typer.Exit(code)


def _report(result: ExportResult, target: Path, requests: int, adopt_all: bool) -> None:
    out = terminal.out()
    out.print(f"Wrote {len(result.files)} files to {visible(target)} ({requests} HTTP requests).", markup=False)
    if result.renamed:
        out.print(f"{len(result.renamed)} live name(s) were mapped to safe file names:", markup=False)
        for name, path in result.renamed:
            out.print(f"  {visible(name)} -> {path}", markup=False)
    if result.adoptable and not adopt_all:
        out.print(f"{len(result.adoptable)} object(s) are not managed under their exported key "
                  "(unmanaged, or renamed above); adopt them before planning:", markup=False)
        for address, remote_id in result.adoptable:
            out.print(f"  portkey-gitops import {visible(target)} {address} {visible(remote_id)}", markup=False)


def _within(path: Path, directory: Path) -> bool:
    """Whether ``path`` lies under ``directory`` (compared as absolute paths, before either exists)."""
    return path.absolute().is_relative_to(directory.absolute())


async def _write_lock(client: PortkeyClient, target: Path, result: ExportResult, lock: Path, previous: Any) -> None:
    """Record the adopted objects' content in the lock file."""
    from engine.cli.files import OutputError, write_text
    from engine.gitops.adopt import AdoptRefused, adopted_lock

    try:
        fresh = await adopted_lock(client, target, [address for address, _ in result.adoptable], previous)
        write_text(lock, fresh.text(), "lock file")
    except (AdoptRefused, OutputError) as exc:
        _fail(f"the files were written and the objects adopted, but the lock file was not written: {exc}",
              EXIT_PARTIAL)
    terminal.out().print(f"Recorded the adopted content in {visible(lock)}.", markup=False)


async def _adopt_all(client: PortkeyClient, result: ExportResult, target: Path, prefix: str) -> None:
    """Mark every adoptable object; a failure part-way is reported as a partial write (exit 5). An account that
    refuses the marked names' characters gets the ASCII form, saved in TARGET/.portkey/doctor.json for plans."""
    from engine.gitops.adopt import AdoptRefused, NameStyle, adopt, adopt_in_style, record_name_style
    from engine.gitops.behaviour import DoctorFileError
    from engine.portkey import PortkeyError

    style = NameStyle()
    for done, (address, remote_id) in enumerate(result.adoptable):
        try:
            before = style.value
            await adopt_in_style(client, address, remote_id, prefix, style)
            if style.value != before:  # learned just now: mark the ones before in the account's style too
                for earlier, earlier_id in result.adoptable[:done]:
                    await adopt(client, earlier, earlier_id, prefix, style.value)
        except (PortkeyError, AdoptRefused) as exc:
            _fail(f"the files were written, and {done} of {len(result.adoptable)} object(s) adopted; "
                  f"adopting {address} ({remote_id}) failed: {exc}. Run the remaining "
                  "`portkey-gitops import` commands by hand", EXIT_PARTIAL)
    if style.learned:
        try:
            saved = record_name_style(target, style)
        except (DoctorFileError, OSError, ValueError) as exc:
            _fail(f"the objects were adopted with ASCII-only names ({style.learned}), but this was not saved for "
                  f"plans: {exc}. Run `portkey-gitops doctor {target}`", EXIT_PARTIAL)
        terminal.out().print(f"This account takes ASCII-only names, so managed names look like "
                             f"'{visible(style.learned.rsplit('accepted ', 1)[-1])}'; saved in {visible(saved)} "
                             "(plans read it).", markup=False)
    if result.adoptable:
        terminal.out().print(f"Adopted {len(result.adoptable)} object(s).", markup=False)
