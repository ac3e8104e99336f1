"""``portkey-gitops doctor``: check the engine's assumptions against your own account."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_ERROR
from engine.cli.options import SandboxDbOpt, SandboxOpt, require_dir

if TYPE_CHECKING:
    from engine.gitops.doctor import DoctorReport, Finding


def doctor(
    root: Annotated[
        Path, typer.Argument(help="Project directory: the result is saved to DIR/.portkey/doctor.json.",
                             file_okay=False)
    ] = Path("."),
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    workspace: Annotated[str | None, typer.Option(help="Workspace id or slug (default: the key's).")] = None,
    virtual_key: Annotated[
        str | None, typer.Option("--virtual-key", help="Virtual key slug for the scratch prompts "
                                 "(default: the first the account lists).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (for a bug report).")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not write DIR/.portkey/doctor.json.")] = False,
) -> None:
    """Try each assumption the engine depends on against the account, inside one scratch collection
    that is deleted afterwards, and save what Portkey did so plans adapt to it.

    Exit 0 when every check ran (whatever it found); 1 when a check could not run or a scratch object
    could not be deleted (both are named)."""
    from engine.gitops.doctor import run_doctor
    from engine.gitops.workflow import resolve_workspace

    require_dir(root)
    target = None if no_save else _target(root)

    async def run() -> DoctorReport:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            workspace_id = await resolve_workspace(client, workspace)
            return await run_doctor(client, workspace_id, virtual_key=virtual_key)

    report = anyio.run(run)
    document = report.to_json()
    kept = _keep_previous(root, document, report) if target is not None else []
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        _show(report)
    saved = _save(target, document) if target is not None else True
    for finding in report.not_run:
        terminal.error(f"check {finding.check} could not run: {finding.problem}")
    if kept:
        terminal.info(f"Kept from the last doctor run (their checks could not run now): {', '.join(kept)}.")
    for made, error in report.leftovers:
        terminal.error(f"left behind: {made.kind} {made.id} ({made.name}): {error}; delete it in Portkey")
    if not report.clean or not saved:
        raise typer.Exit(EXIT_ERROR)


def _target(root: Path) -> Path:
    """DIR/.portkey/doctor.json, refused before any request when it would land outside DIR."""
    from engine.cli.files import OutputError, check_writable
    from engine.gitops.behaviour import DOCTOR_FILE, doctor_folder_links_out

    path = root / DOCTOR_FILE
    folder = path.parent
    try:
        if doctor_folder_links_out(root):
            raise OutputError(f"cannot write the doctor result to {path}: {folder} links out of the project; "
                              "remove the link or pass --no-save")
        folder.mkdir(exist_ok=True)
        check_writable(path, "doctor result")
    except OutputError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        terminal.error(f"cannot write the doctor result to {path}: {exc.strerror or type(exc).__name__}; "
                       "pass --no-save to skip it")
        raise typer.Exit(EXIT_ERROR) from None
    return path


def _keep_previous(root: Path, document: dict[str, Any], report: DoctorReport) -> list[str]:
    """Give each switch whose check could not run the value the last saved run found (else the default would
    silently replace it); the ``name=value`` pairs kept."""
    from engine.gitops.behaviour import DOCTOR_FILE, DOCTOR_FORMAT, MAX_DOCTOR_BYTES, check
    from engine.gitops.loading.context import UnsafeFileError, read_confined

    missing = sorted({f.switch for f in report.not_run if f.switch})
    if not missing:
        return []
    try:
        data = json.loads(read_confined(root, root / DOCTOR_FILE, MAX_DOCTOR_BYTES).decode("utf-8"))
    except (UnsafeFileError, OSError, UnicodeDecodeError, ValueError, RecursionError):
        return []  # none, or one plans refuse anyway: nothing worth keeping
    previous = data.get("switches") if isinstance(data, dict) and data.get("format") == DOCTOR_FORMAT else None
    if not isinstance(previous, dict):
        return []
    kept: list[str] = []
    for name in missing:
        value = previous.get(name)
        try:
            check(name, value if isinstance(value, str) else "")
        except ValueError:
            continue
        document["switches"][name] = value
        kept.append(f"{name}={value}")
    return kept


def _save(path: Path, document: dict[str, object]) -> bool:
    from engine.cli.files import OutputError, write_text

    try:
        write_text(path, json.dumps(document, indent=2, sort_keys=True) + "\n", "doctor result")
    except OutputError as exc:
        terminal.error(str(exc))
        return False
    terminal.info(f"Saved to {path}: plans in this project use these behaviours.")
    return True


def _show(report: DoctorReport) -> None:
    """The findings as a table on stdout; the run's facts on stderr."""
    table = Table(box=box.SIMPLE, show_lines=False, expand=False)
    for column in ("Assumption", "What Portkey did", "What the engine will do"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        table.add_row(Text(_assumption(finding)), Text(_observed(finding)), Text(terminal.printable(finding.engine)))
    terminal.out().print(table)
    ran = len(report.findings) - len(report.not_run)
    terminal.info(f"{ran} of {len(report.findings)} checks ran in scratch collection {report.scratch}; "
                  f"{len(report.deleted)} scratch objects deleted, {len(report.leftovers)} left; "
                  f"{report.requests} requests.")
    for note in report.notes:
        terminal.info(f"Note: {note}")


def _assumption(finding: Finding) -> str:
    head = f"{finding.check} = {finding.value}" if finding.value else finding.check
    mark = "" if finding.expected is None else (" (as assumed)" if finding.expected else " (differs)")
    return terminal.printable(f"{head}{mark}\n{finding.assumption}", keep_newlines=True)


def _observed(finding: Finding) -> str:
    text = finding.observed if finding.ran else f"could not run: {finding.problem}"
    return terminal.printable(text)
