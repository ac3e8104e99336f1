"""``validate``, ``plan``, ``apply`` and ``drift``: the GitOps commands."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from engine.cli import terminal
from engine.cli.connect import open_client
from engine.cli.exits import EXIT_BLOCKED, EXIT_CHANGES, EXIT_DRIFT, EXIT_ERROR, EXIT_PARTIAL

ProjectDir = Annotated[
    Path, typer.Argument(help="Project directory holding portkey.yaml.", exists=False, file_okay=False)
]
EnvOpt = Annotated[str | None, typer.Option("--env", help="Environment overlay: environments/NAME.yaml.")]
SandboxOpt = Annotated[
    bool, typer.Option("--sandbox", help="Use the embedded Portkey sandbox (no key needed).")
]
LockOpt = Annotated[
    Path | None,
    typer.Option("--lock", help="Lock file: apply records what it left in Portkey; plan and drift report "
                 "objects edited or deleted there since. Optional cache, safe to commit (no secrets).",
                 envvar="PORTKEY_GITOPS_LOCK"),
]
AdoptOpt = Annotated[
    bool, typer.Option("--adopt", help="Take over an unmanaged object that has a resource's name (it gets our "
                       "marker) instead of creating a duplicate; like Terraform's import blocks.")
]
ParallelOpt = Annotated[
    int, typer.Option("--parallelism", min=1, max=64, help="Concurrent reads of live state (a rate-limit knob).")
]
SandboxDbOpt = Annotated[
    Path | None,
    typer.Option("--sandbox-db", help="Sandbox state file (default .portkey/sandbox.sqlite3).",
                 envvar="PORTKEY_SANDBOX_DB"),
]


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _read_lock(path: Path | None) -> Any:
    from engine.gitops.lock import Lock

    if path is None:
        return None
    try:
        return Lock.read(path)
    except ValueError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None


def _require_dir(root: Path) -> None:
    if not root.is_dir():
        terminal.error(f"{root} is not a directory; pass the project directory that holds portkey.yaml")
        raise typer.Exit(EXIT_ERROR)


def validate(root: ProjectDir, env: EnvOpt = None) -> None:
    """Check the project files offline: schema, references, variables, secrets present."""
    from engine.gitops.load import load_project

    _require_dir(root)
    state = load_project(root, env=env)
    for diagnostic in state.diagnostics:
        terminal.err().print(str(diagnostic), markup=False)
    if state.errors:
        terminal.error(f"{len(state.errors)} error(s) in {root}")
        raise typer.Exit(EXIT_ERROR)
    terminal.out().print(f"{root}: {len(state.resources)} resources, {len(state.warnings)} warning(s), valid")


def _write_outputs(plan_json: dict[str, Any], out: Path | None, as_json: bool, markdown: Path | None) -> None:
    from engine.gitops.render import render_markdown

    if out is not None:
        out.write_text(json.dumps(plan_json, indent=2, sort_keys=True) + "\n")
        terminal.info(f"Plan saved to {out}")
    if markdown is not None:
        markdown.write_text(render_markdown(plan_json))
        terminal.info(f"Markdown plan written to {markdown}")
    if as_json:
        sys.stdout.write(json.dumps(plan_json, indent=2, sort_keys=True) + "\n")


def _show(plan_json: dict[str, Any]) -> None:
    from engine.gitops.render import render_human

    width = terminal.out().width
    sys.stdout.write(render_human(plan_json, color=_color(), width=max(width, 60)))
    if not sys.stdout.isatty():
        sys.stdout.flush()


def plan(
    root: ProjectDir,
    env: EnvOpt = None,
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
    prune: Annotated[bool, typer.Option(help="Plan deletes of managed objects that left the repo.")] = False,
    allow_mass_delete: Annotated[bool, typer.Option(help="Allow more deletes than the threshold.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Save the JSON plan to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON plan instead of text.")] = False,
    markdown: Annotated[Path | None, typer.Option(help="Write the pull-request Markdown here.")] = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 no changes, 2 changes, 1 error.")
    ] = False,
    lock: LockOpt = None,
    parallelism: ParallelOpt = 8,
    adopt: AdoptOpt = False,
) -> None:
    """Show what apply would change. Exit codes: 0 ok (or no changes), 1 error, 2 changes (with
    --detailed-exitcode), 4 blocked by a safety rule."""
    from engine.gitops.workflow import plan_project

    _require_dir(root)
    applied = _read_lock(lock)

    async def run() -> dict[str, Any]:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            planned = await plan_project(
                client, root, env=env, prune=prune, allow_mass_delete=allow_mass_delete, lock=applied,
                concurrency=parallelism, adopt=adopt,
            )
            return planned.plan.to_json()

    plan_json = anyio.run(run)
    _write_outputs(plan_json, out, as_json, markdown)
    if not as_json:
        _show(plan_json)
    if plan_json["errors"]:
        raise typer.Exit(EXIT_ERROR)
    if plan_json["blocked"]:
        raise typer.Exit(EXIT_BLOCKED)
    if detailed_exitcode and plan_json["has_changes"]:
        raise typer.Exit(EXIT_CHANGES)


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

    _require_dir(root)

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
                    client, root, env=env, prune=prune, allow_mass_delete=allow_mass_delete, lock=_read_lock(lock),
                    concurrency=parallelism, adopt=adopt,
                )
            plan_json = planned.plan.to_json()
            _show(plan_json)
            if plan_json["errors"]:
                return EXIT_ERROR
            if plan_json["blocked"]:
                return EXIT_BLOCKED
            if not plan_json["has_changes"]:
                if lock is not None:
                    from engine.gitops.workflow import current_lock

                    current_lock(planned).write(lock)
                return 0
            if not auto_approve and not _confirm():
                terminal.error("apply cancelled; nothing was changed")
                return EXIT_ERROR
            try:
                result = await _apply_with_progress(client, planned)
            except ApplyError as exc:
                terminal.error(str(exc))
                done = exc.result.writes
                terminal.info(f"{done} write(s) completed before the failure; {exc.result.requests} HTTP requests.")
                return EXIT_PARTIAL if done else EXIT_ERROR
            if lock is not None and result.lock is not None:
                result.lock.write(lock)
            terminal.out().print(
                f"Apply complete: {result.writes} write(s), {result.requests} HTTP requests "
                f"(plus {plan_json['requests']} to read live state)."
            )
            return 0

    code = anyio.run(run)
    if code:
        raise typer.Exit(code)


def _confirm() -> bool:
    if not sys.stdin.isatty():
        terminal.error("apply needs confirmation: run in a terminal or pass --auto-approve")
        return False
    answer = typer.prompt("Apply these changes? Only 'yes' is accepted", default="", show_default=False)
    return answer.strip() == "yes"


async def _apply_with_progress(client: Any, planned: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from engine.gitops.workflow import apply_planned

    total = sum(len(c.actions) for c in planned.plan.changes if not c.is_noop)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=terminal.err(), transient=True, disable=not sys.stderr.isatty(),
    )
    with progress:
        task = progress.add_task("Applying", total=total)

        def hook(step: Any) -> None:
            mark = "ok" if step.ok else "FAILED"
            detail = f" ({step.detail})" if step.detail and step.ok else ""
            progress.console.print(f"  {step.action.value:<12} {step.address}: {mark}{detail}", markup=False)
            progress.advance(task)

        return await apply_planned(client, planned, hook=hook)


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

    _require_dir(root)
    applied = _read_lock(lock)

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
        terminal.out().print("No drift: every managed object is as the last apply left it.")
    else:
        terminal.out().print("Changed in Portkey outside git:")
        for item in items:
            terminal.out().print(f"  {item['address']}: {item['detail']}", markup=False)
    if detailed_exitcode and items:
        raise typer.Exit(EXIT_DRIFT)


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


def import_(
    root: ProjectDir,
    target: Annotated[str, typer.Argument(metavar="ADDRESS", help="Address like prompt:support/triage.")],
    remote_id: Annotated[str, typer.Argument(metavar="ID", help="The Portkey id or slug to adopt.")],
    sandbox: SandboxOpt = False,
    sandbox_db: SandboxDbOpt = None,
) -> None:
    """Adopt an existing Portkey object as ADDRESS: mark it so plans manage it (renames it in place)."""
    from engine.gitops.adopt import adopt
    from engine.gitops.load import load_project
    from engine.gitops.model import split_address

    _require_dir(root)
    try:
        split_address(target)
    except ValueError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    state = load_project(root)
    if target not in state.resources:
        terminal.error(f"{target} is not declared in {root}; write its file first (see `export`), then import")
        raise typer.Exit(EXIT_ERROR)

    async def run() -> dict[str, Any]:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            return await adopt(client, target, remote_id, state.project.name_prefix)

    done = anyio.run(run)
    terminal.out().print(f"Adopted {done['id']} as {target} (now named {done['name']!r}). Run plan to see any diff.")
