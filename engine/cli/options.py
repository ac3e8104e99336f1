"""Options and helpers shared by the GitOps commands (one module per command beside this one)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli import terminal
from engine.cli.exits import EXIT_ERROR

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
    int, typer.Option("--parallelism", min=1, max=64,
                      help="Concurrent reads of live state (default 16; a rate-limit knob).")
]
SandboxDbOpt = Annotated[
    Path | None,
    typer.Option("--sandbox-db", help="Sandbox state file (default .portkey/sandbox.sqlite3).",
                 envvar="PORTKEY_SANDBOX_DB"),
]


def use_color() -> bool:
    """Colour only on a terminal and when NO_COLOR is unset."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def read_lock(path: Path | None, root: Path | None = None) -> Any:
    """The lock file at ``path`` (None without one); a broken file is a one-line error.

    Under the project ``root`` the lock must resolve inside it (a pull request cannot link it elsewhere)."""
    from engine.gitops.lock import Lock

    if path is None:
        return None
    try:
        lock = Lock.read(path, root)
    except (ValueError, TypeError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else f"lock file {path} has an unknown format"
        terminal.error(message if "delete it" in message else f"{message}; delete it, the next apply rewrites it")
        raise typer.Exit(EXIT_ERROR) from None
    if lock is not None and not _lock_shape_ok(lock):
        terminal.error(f"lock file {path} has an unknown format; delete it, the next apply rewrites it")
        raise typer.Exit(EXIT_ERROR)
    return lock


def _lock_shape_ok(lock: Any) -> bool:
    """Entries map addresses to ``{ref, hash}`` texts; the workspace is text or null."""
    def text(value: Any) -> bool:
        return value is None or isinstance(value, str)

    return text(lock.workspace) and all(
        isinstance(address, str) and isinstance(entry, dict) and text(entry.get("ref")) and text(entry.get("hash"))
        for address, entry in lock.entries.items()
    )


def require_dir(root: Path) -> None:
    """Stop with a one-line error unless ``root`` is a directory."""
    if not root.is_dir():
        terminal.error(f"{root} is not a directory; pass the project directory that holds portkey.yaml")
        raise typer.Exit(EXIT_ERROR)


def check_outputs(*targets: tuple[Path | None, str], root: Path | None = None) -> None:
    """Stop with a one-line error, before any work, unless each given ``(path, what)`` can be written, no two
    name one file, and (given the project ``root``) none is a file the project is read from."""
    from engine.cli.files import OutputError, check_writable

    seen: dict[Path, str] = {}
    for path, what in targets:
        if path is None:
            continue
        where = path.resolve()
        if where in seen:
            terminal.error(f"the {seen[where]} and the {what} name the same file {path}; give each its own")
            raise typer.Exit(EXIT_ERROR)
        seen[where] = what
        if root is not None and _project_file(root, where):
            terminal.error(f"cannot write the {what} to {path}: it is a project file (plans read it); "
                           "write it outside the project's folders")
            raise typer.Exit(EXIT_ERROR)
        try:
            check_writable(path, what)
        except OutputError as exc:
            terminal.error(str(exc))
            raise typer.Exit(EXIT_ERROR) from None


def _project_file(root: Path, where: Path) -> bool:
    """Whether the resolved path ``where`` is portkey.yaml or lies in a folder the loader reads."""
    from engine.gitops.loading.project import PROJECT_FILE, project_folders

    try:
        parts = where.relative_to(root.resolve()).parts
    except ValueError:
        return False
    return parts == (PROJECT_FILE,) or (len(parts) > 1 and parts[0] in project_folders())


def write_outputs(plan_json: dict[str, Any], out: Path | None, as_json: bool, markdown: Path | None) -> None:
    """Write the saved plan, the Markdown form and/or the JSON to stdout, as asked (files atomically)."""
    from engine.cli.files import OutputError, write_text
    from engine.gitops.render import render_json, render_markdown

    try:
        if out is not None:
            write_text(out, json.dumps(plan_json, indent=2, sort_keys=True) + "\n", "plan")
            terminal.info(f"Plan saved to {out}")
        if markdown is not None:
            write_text(markdown, render_markdown(plan_json), "Markdown plan")
            terminal.info(f"Markdown plan written to {markdown}")
    except OutputError as exc:
        terminal.error(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    if as_json:
        sys.stdout.write(render_json(plan_json))


def show_plan(plan_json: dict[str, Any]) -> None:
    """Draw the plan for people on stdout."""
    from engine.gitops.render import render_human

    width = terminal.out().width
    sys.stdout.write(render_human(plan_json, color=use_color(), width=max(width, 60)))
    if not sys.stdout.isatty():
        sys.stdout.flush()
