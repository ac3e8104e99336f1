"""``portkey-gitops apply``: plan, confirm, apply in two phases."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_BLOCKED, EXIT_ERROR, EXIT_PARTIAL
from engine.cli.options import (
    AdoptOpt,
    EnvOpt,
    LockOpt,
    ParallelOpt,
    ProjectDir,
    SandboxDbOpt,
    SandboxOpt,
    check_outputs,
    read_lock,
    require_dir,
    show_plan,
)


def apply(
    root: ProjectDir,
    env: EnvOpt = None,
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    saved: Annotated[
        Path | None, typer.Option("--plan", help="Apply exactly this saved plan (refused if stale).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option(help="Do not ask for confirmation (CI).")] = False,
    prune: Annotated[bool, typer.Option(help="Delete managed objects that left the repo.")] = False,
    allow_mass_delete: Annotated[bool, typer.Option(help="Allow more deletes than the threshold.")] = False,
    lock: LockOpt = None,
    parallelism: ParallelOpt = 8,
    adopt: AdoptOpt = False,
) -> None:
    """Plan, confirm, then apply in two phases (stage everything, then publish and move labels).
    Exit codes: 0 applied (or nothing to do), 1 error before any write or stale plan, 4 blocked by a
    safety rule, 5 stopped part-way (re-run apply to converge)."""
    from engine.gitops.apply import ApplyError
    from engine.gitops.plan import Plan
    from engine.gitops.workflow import check_saved_plan, plan_project

    require_dir(root)
    check_outputs((lock, "lock file"))
    written = _Writes()

    async def run() -> int:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            if saved is not None:
                try:
                    loaded = Plan.from_json(json.loads(saved.read_text()))
                except (OSError, ValueError, TypeError, KeyError) as exc:
                    terminal.error(f"cannot read saved plan {saved}: {exc}")
                    return EXIT_ERROR
                planned = await check_saved_plan(client, loaded, root)
            else:
                planned = await plan_project(
                    client, root, env=env, prune=prune, allow_mass_delete=allow_mass_delete, lock=read_lock(lock),
                    concurrency=parallelism, adopt=adopt,
                )
            plan_json = planned.plan.to_json()
            show_plan(plan_json)
            if plan_json["errors"]:
                return EXIT_ERROR
            if plan_json["blocked"]:
                return EXIT_BLOCKED
            if not plan_json["has_changes"]:
                if lock is not None:
                    from engine.gitops.workflow import current_lock

                    return _write_lock(lock, current_lock(planned), writes=0)
                return 0
            if not auto_approve and not _confirm():
                terminal.error("apply cancelled; nothing was changed")
                return EXIT_ERROR
            try:
                result = await _apply_with_progress(client, planned, written)
            except ApplyError as exc:
                terminal.error(str(exc))
                done = max(exc.result.writes, written.count)
                terminal.info(f"{done} write(s) completed before the failure; {exc.result.requests} HTTP requests.")
                return EXIT_PARTIAL if done else EXIT_ERROR
            except Exception as exc:
                if not written.count:
                    raise
                return _stopped_part_way(written.count, exc)
            if lock is not None and result.lock is not None:
                code = _write_lock(lock, result.lock, writes=result.writes)
                if code:
                    return code
            terminal.say(
                f"Apply complete: {result.writes} write(s), {result.requests} HTTP requests "
                f"(plus {plan_json['requests']} to read live state)."
            )
            return 0

    try:
        code = anyio.run(run)
    except KeyboardInterrupt:
        if not written.count:
            raise
        terminal.error(f"interrupted after {written.count} write(s) (one more may have been under way); "
                       "run apply again to finish")
        code = EXIT_PARTIAL
    if code:
        raise typer.Exit(code)


class _Writes:
    """Counts the writes apply made, whatever stops it."""

    def __init__(self) -> None:
        self.count = 0


def _write_lock(path: Path, lock: Any, *, writes: int) -> int:
    """Write the lock file; on failure say whether apply had already written to Portkey."""
    from engine.cli.files import OutputError, write_text

    try:
        write_text(path, lock.text(), "lock file")
    except OutputError as exc:
        if writes:
            terminal.error(f"apply wrote {writes} change(s) but the lock file could not be written: {exc}")
            terminal.info("Portkey has the changes; fix the path and run apply again to write the lock file.")
            return EXIT_PARTIAL
        terminal.error(str(exc))
        return EXIT_ERROR
    return 0


def _stopped_part_way(writes: int, exc: Exception) -> int:
    """Report an unexpected failure after ``writes`` writes: exit 5, never "nothing was written"."""
    from engine.cli.main import describe_failure

    terminal.error(f"apply stopped after {writes} write(s): {describe_failure(exc)}")
    terminal.info("Those writes are in Portkey; fix the cause and run apply again to finish.")
    return EXIT_PARTIAL


def _confirm() -> bool:
    if not sys.stdin.isatty():
        terminal.error("apply needs confirmation: run in a terminal or pass --auto-approve")
        return False
    answer = typer.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False)
    return answer.strip() == "yes"


async def _apply_with_progress(client: Any, planned: Any, written: _Writes) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from engine.gitops.apply import step_count
    from engine.gitops.workflow import apply_planned

    total = sum(step_count(c) for c in planned.plan.changes)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=terminal.err(), transient=True, disable=not sys.stderr.isatty(),
    )
    with progress:
        task = progress.add_task("Applying", total=total)

        def hook(step: Any) -> None:
            written.count += 1 if step.ok else 0
            mark = "ok" if step.ok else "FAILED"
            detail = f" ({step.detail})" if step.detail and step.ok else ""
            line = f"  {step.action.value:<12} {step.address}: {mark}{detail}"
            progress.console.print(terminal.printable(line), markup=False)
            progress.advance(task)

        return await apply_planned(client, planned, hook=hook)
