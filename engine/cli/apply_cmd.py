"""``portkey-gitops apply``: plan, confirm, apply in two phases."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
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
from engine.portkey import PortkeyError


def apply(
    root: ProjectDir,
    env: EnvOpt = None,
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    saved: Annotated[
        Path | None, typer.Option("--plan", help="Apply a saved plan: the project is planned again (with the saved "
                                  "plan's --prune/--adopt and this command's --allow-mass-delete) and the saved plan "
                                  "is refused unless its changes are exactly what that gives (STALE_PLAN).")
    ] = None,
    auto_approve: Annotated[bool, typer.Option(help="Do not ask for confirmation (CI).")] = False,
    prune: Annotated[bool, typer.Option(help="Delete managed objects that left the repo.")] = False,
    allow_mass_delete: Annotated[bool, typer.Option(help="Allow more deletes than the threshold.")] = False,
    lock: LockOpt = None,
    parallelism: ParallelOpt = 16,
    write_parallelism: Annotated[int, typer.Option(
        "--write-parallelism", min=1, max=64, help="Concurrent writes of one dependency level while applying "
        "(default 8; a 429 pauses them all; a rate-limit knob).")] = 8,
    adopt: AdoptOpt = False,
    allow_dirty: Annotated[bool, typer.Option(
        help="With CI=true, apply even though the working tree has uncommitted changes.")] = False,
    resolve_duplicates: Annotated[bool, typer.Option(
        "--resolve-duplicates", help="Where several objects carry one key, keep the one the plan proposes (the "
        "lock's, else the stamped, else the older) and release the others (renamed without our marker).")] = False,
    lock_timeout: Annotated[float, typer.Option(
        "--lock-timeout", min=0, max=86400, help="Seconds to wait while another apply holds the workspace's apply "
        "lease (or this project's .portkey/apply.lock); 0 stops at once with exit 1, naming the holder.")] = 0,
    no_lease: Annotated[bool, typer.Option(
        "--no-lease", help="Do not take the account's apply lease (for an API key that may not write labels). "
        "Two applies at once on one workspace may then both write; the re-check before each create stays.")] = False,
) -> None:
    """Plan, confirm, then apply in two phases (stage everything, then publish and move labels).
    Exit codes: 0 applied (or nothing to do), 1 error before any write or stale plan, 4 blocked by a
    safety rule, 5 stopped part-way (re-run apply to converge)."""
    from engine.errors import LeaseError
    from engine.gitops.apply import ApplyError
    from engine.gitops.lease import ApplyLease, LocalLock
    from engine.gitops.workflow import SavedPlanBlockedError, check_saved_plan, plan_project

    require_dir(root)
    if lock is not None:
        _make_state_folder(root, lock)
    check_outputs((lock, "lock file"))
    _check_clean(root, allow_dirty)
    written = _Writes()

    async def run() -> int:
        local = LocalLock(root)
        try:
            await local.acquire(lock_timeout, warn=terminal.info)
        except LeaseError as exc:
            terminal.error(_with_wait_hint(exc))
            return EXIT_ERROR
        try:
            async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
                lease = ApplyLease(client, None, warn=terminal.info, enabled=not no_lease)

                async def look(workspace_id: str | None) -> None:
                    if lease.seen is None:
                        lease.workspace = workspace_id
                        await _leasing(lease.wait_free(lock_timeout))

                try:
                    return await leased(client, lease, look)
                except LeaseError as exc:
                    terminal.error(_with_wait_hint(exc))
                    return EXIT_ERROR if not written.count else EXIT_PARTIAL

                finally:
                    await lease.release()
        finally:
            local.release()

    async def leased(client: Any, lease: Any, look: Any) -> int:
        """Plan (after looking that no other apply holds the lease), then take the lease and apply; when
        the account moved in between, plan again under the lease. The caller releases it."""
        planned = await make_plan(client, look)
        if isinstance(planned, int):
            return planned
        code = review(planned, confirm=True)
        if code is not None:
            return code
        await _leasing(lease.acquire(lock_timeout))
        if lease.moved:
            terminal.info("another apply changed the account while this one planned: planning again")
            first = planned.plan.digest()
            planned = await make_plan(client, look)
            if isinstance(planned, int):
                return planned
            code = review(planned, confirm=False)
            if code is not None:
                return code
            if not auto_approve and planned.plan.digest() != first:
                terminal.error("the plan changed while waiting for the other apply; nothing was applied. "
                               "Review the new plan above and run apply again")
                return EXIT_ERROR
        return await execute(client, planned, lease)

    async def make_plan(client: Any, look: Any) -> Any:
        """The plan to apply, or an exit code after printing why there is none."""
        if saved is not None:
            loaded = read_saved_plan(saved)
            if loaded is None or not _flags_match(loaded, env, prune, adopt):
                return EXIT_ERROR
            try:
                return await check_saved_plan(client, loaded, root, allow_mass_delete=allow_mass_delete,
                                              before_read=look)
            except SavedPlanBlockedError as exc:
                terminal.error(str(exc))
                return EXIT_BLOCKED
        else:
            async def plan() -> Any:
                return await plan_project(
                    client, root, env=env, prune=prune, allow_mass_delete=allow_mass_delete,
                    lock=read_lock(lock, root), concurrency=parallelism, adopt=adopt, before_read=look,
                )

        planned = await plan()
        if resolve_duplicates and await _resolve(client, planned, read_lock(lock, root), auto_approve):
            planned = await plan()
        return planned

    def review(planned: Any, *, confirm: bool) -> int | None:
        """Show the plan; the exit code when apply ends here (errors, blocked, nothing to do, not confirmed)."""
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
        if confirm and not auto_approve and not _confirm():
            terminal.error("apply cancelled; nothing was changed")
            return EXIT_ERROR
        return None

    async def execute(client: Any, planned: Any, lease: Any) -> int:
        """Apply ``planned`` under the lease; the exit code."""
        plan_json = planned.plan.to_json()
        try:
            result = await _apply_with_progress(client, planned, written, lease, write_parallelism)
        except ApplyError as exc:
            terminal.error(str(exc))
            made = sum(1 for step in exc.result.steps if step.ok)
            maybe = sum(1 for step in exc.result.steps if step.acted and not step.ok)
            unsure = f", {maybe} more may have reached Portkey (their answers were lost)" if maybe else ""
            terminal.info(f"{made} write(s) made in this run{unsure}; {exc.result.requests} HTTP requests.")
            return EXIT_PARTIAL if made or maybe else EXIT_ERROR
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
        if not written.count and not written.sent:
            raise
        others = max(written.sent - written.count, 0)
        under_way = f"{others} more write request(s) were sent and may have arrived" if others else "none under way"
        terminal.error(f"interrupted after {written.count} write(s) ({under_way}); run apply again to finish")
        code = EXIT_PARTIAL
    if code:
        raise typer.Exit(code)


MAX_PLAN_BYTES = 32 * 1024 * 1024


def _make_state_folder(root: Path, lock: Path) -> None:
    """Create the project's own ``.portkey`` folder for a lock file meant to live there (as export does); any other
    missing folder stays the user's to create (check_outputs says so)."""
    folder = root / ".portkey"
    if lock.parent.resolve() == folder.resolve() and not folder.exists() and not folder.is_symlink():
        with contextlib.suppress(OSError):  # check_outputs reports what is wrong with the path
            folder.mkdir()


def _with_wait_hint(exc: Exception) -> str:
    """A lease error as the CLI prints it: when another apply holds the lease, how to wait for it here (the
    engine's message names no flag: MCP and the action give their own next step)."""
    from engine.gitops.lease import LeaseHeldError

    text = str(exc)
    return f"{text} (or pass --lock-timeout SECONDS to wait)" if isinstance(exc, LeaseHeldError) else text


async def _leasing(step: Any) -> None:
    """Await a step of the apply lease; a failure of Portkey there is a LeaseError (nothing was written). The lease's
    own errors (held by another apply, its labels not answered) say so themselves and pass unchanged."""
    from engine.errors import LeaseError

    try:
        await step
    except PortkeyError as exc:
        raise LeaseError(f"could not take the apply lease: {exc}. Nothing was written (pass --no-lease if "
                         "this API key may not write labels)") from exc


def read_saved_plan(path: Path) -> Any:
    """The saved plan at ``path`` as a :class:`Plan`, or None after printing one error that says what to fix.

    The file must be a regular file of at most :data:`MAX_PLAN_BYTES` holding a well-formed plan."""
    from engine.gitops.plan import Plan

    where = f"cannot use saved plan {path.name!r}"
    try:
        if not path.is_file():
            terminal.error(f"{where}: not a regular file; pass the file written by `plan --out`")
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        terminal.error(f"{where}: {exc.strerror or 'cannot be read'}")
        return None
    if len(raw) > MAX_PLAN_BYTES:
        terminal.error(f"{where}: larger than {MAX_PLAN_BYTES // (1024 * 1024)} MiB; pass the file written by "
                       "`plan --out`")
        return None
    try:
        return Plan.from_json(json.loads(raw.decode("utf-8")))
    except UnicodeDecodeError:
        terminal.error(f"{where}: not UTF-8 text; pass the file written by `plan --out`")
    except json.JSONDecodeError as exc:
        terminal.error(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}); plan again with --out")
    except RecursionError:
        terminal.error(f"{where}: nested too deeply to be a plan; plan again with --out")
    except ValueError as exc:  # PlanFormatError: says which key is wrong, never echoes values
        terminal.error(f"{where}: {exc}")
    return None


async def _resolve(client: Any, planned: Any, lock: Any, auto_approve: bool) -> bool:
    """Release the duplicates the plan names (engine.gitops.adopt.resolve_duplicates); True when any was."""
    from engine.gitops.adopt import resolve_duplicates
    from engine.gitops.plan import DiagnosticCode

    duplicates = [e for e in planned.plan.errors if getattr(e, "code", None) == DiagnosticCode.DUPLICATE_KEY]
    if planned.live is None or not duplicates:
        return False
    if not auto_approve and not _confirm():
        return False
    keys: dict[Any, set[str]] = {}
    for resource in planned.state.resources.values():
        keys.setdefault(resource.kind, set()).add(resource.key)
    for line in await resolve_duplicates(client, planned.live, keys, planned.state.project.name_prefix, lock):
        terminal.say(f"Resolved {line}")
    return True


def _flags_match(saved: Any, env: str | None, prune: bool, adopt: bool) -> bool:
    """A saved plan carries its own environment and options; conflicting flags are an error, not ignored."""
    conflicts = []
    if env is not None and env != saved.environment:
        conflicts.append(f"--env {env} (the plan was made for another environment)")  # the file's name not echoed
    for flag, given in (("prune", prune), ("adopt", adopt)):
        if given and not saved.options.get(flag):
            conflicts.append(f"--{flag} (the plan was made without it)")
    if conflicts:
        terminal.error("the saved plan conflicts with " + ", ".join(conflicts)
                       + "; plan again with the options you want, or drop them here")
    return not conflicts


class _Writes:
    """Counts the writes apply made (answered), and the write requests it sent, whatever stops it."""

    def __init__(self) -> None:
        self.count = 0
        self.client: Any = None
        self._before = 0

    def watch(self, client: Any) -> None:
        """Count from now the write requests ``client`` sends (apply's, not the lease's before it)."""
        self.client, self._before = client, _write_requests(client)

    @property
    def sent(self) -> int:
        return _write_requests(self.client) - self._before if self.client is not None else 0


def _write_requests(client: Any) -> int:
    from engine.portkey import operations

    return sum(n for name, n in client.requests_sent.items() if operations.get(name).method != "GET")


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
    # The prompt blocks inside the event loop, whose SIGINT handler only cancels the task (seen once the prompt
    # returns): while it waits, Ctrl-C interrupts it as in any prompt, and cancels the apply.
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is not None:  # None: not on the main thread, or a handler Python did not install (left alone)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        answer = str(typer.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False))
    except (typer.Abort, KeyboardInterrupt):  # click turns Ctrl-C and end of input into Abort
        terminal.info("")
        return False
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return answer.strip() == "yes"


async def _apply_with_progress(client: Any, planned: Any, written: _Writes, lease: Any, parallelism: int) -> Any:
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
        written.watch(client)

        def finished(step: Any) -> None:  # as soon as a write ends (writes run side by side)
            written.count += 1 if step.ok else 0

        def hook(step: Any) -> None:  # in plan order
            mark = "ok" if step.ok else "not attempted" if step.skipped else "FAILED"
            detail = f" ({step.detail})" if step.detail and step.ok else ""
            line = f"  {step.action.value:<12} {step.address}: {mark}{detail}"
            progress.console.print(terminal.printable(line), markup=False)
            progress.advance(task)

        return await apply_planned(client, planned, hook=hook, lease=lease, warn=terminal.info,
                                   parallelism=parallelism, finished=finished)


def _check_clean(root: Path, allow_dirty: bool) -> None:
    """Under CI (``CI=true``) refuse a working tree with uncommitted changes unless ``--allow-dirty``."""
    import os

    from engine.gitops.gitinfo import source

    if os.environ.get("CI", "").strip().lower() not in ("true", "1") or not source(root)["dirty"]:
        return
    if not allow_dirty:
        terminal.error("the working tree has uncommitted changes and CI=true: what would be applied is not a "
                       "commit anyone reviewed; commit the changes (or clean the tree), or pass --allow-dirty")
        raise typer.Exit(EXIT_ERROR)
    terminal.error("WARNING: --allow-dirty: applying uncommitted changes under CI; the versions record the "
                   "commit marked +dirty, which does not describe these files")
