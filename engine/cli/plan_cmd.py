"""``portkey-gitops plan``: what apply would change."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from engine.cli.connect import open_client
from engine.cli.exits import EXIT_BLOCKED, EXIT_CHANGES, EXIT_ERROR
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
    write_outputs,
)


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
    parallelism: ParallelOpt = 16,
    adopt: AdoptOpt = False,
    changed_since: Annotated[str | None, typer.Option(
        "--changed-since", metavar="REF",
        help="Partial plan: only resources whose files changed since this git ref, plus what depends on them "
             "(prune is disabled). Files git sees as renamed since REF plan as moves.")] = None,
) -> None:
    """Show what apply would change. Exit codes: 0 ok (or no changes), 1 error, 2 changes (with
    --detailed-exitcode), 4 blocked by a safety rule."""
    from engine.gitops.workflow import plan_project

    require_dir(root)
    check_outputs((out, "plan"), (markdown, "Markdown plan"), root=root)
    applied = read_lock(lock, root)
    if changed_since is not None:
        _check_ref(root, changed_since, prune)

    async def run() -> dict[str, Any]:
        async with open_client(sandbox=sandbox, sandbox_db=sandbox_db) as client:
            planned = await plan_project(
                client, root, env=env, prune=prune, allow_mass_delete=allow_mass_delete, lock=applied,
                concurrency=parallelism, adopt=adopt, changed_since=changed_since,
            )
            return planned.plan.to_json()

    plan_json = anyio.run(run)
    write_outputs(plan_json, out, as_json, markdown)
    if not as_json:
        show_plan(plan_json)
    if plan_json["errors"]:
        raise typer.Exit(EXIT_ERROR)
    if plan_json["blocked"]:
        raise typer.Exit(EXIT_BLOCKED)
    if detailed_exitcode and plan_json["has_changes"]:
        raise typer.Exit(EXIT_CHANGES)


def _check_ref(root: Path, ref: str, prune: bool) -> None:
    """Refuse an unknown ref before any request; say that a partial plan never prunes."""
    from engine.cli import terminal
    from engine.gitops.gitinfo import GitError, changed_files

    try:
        changed_files(root, ref)
    except GitError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if prune:
        terminal.info("--prune is ignored with --changed-since: a partial plan never deletes")
