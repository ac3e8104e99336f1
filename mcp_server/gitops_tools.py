"""The ``gitops`` toolset: the GitOps workflow for agents.

``gitops_validate`` (offline) → ``gitops_plan`` (human summary, JSON plan, ``plan_hash``) →
``gitops_apply`` (only that hash) → ``gitops_plan`` again (no changes); ``gitops_drift`` reports
edits made in Portkey outside git; ``gitops_export`` writes the live account as a new project.

``plan_hash`` is a SHA-256 of the canonical plan JSON without the fields that change on every run
(``created_at``, ``requests``). A plan with errors, or blocked by a safety rule, is an error result
(``isError: true``) with no hash, so an agent that checks ``isError`` never applies it.
``gitops_apply`` plans again and refuses when the new hash differs, so what is applied is exactly
what was reviewed, and every safety rule is enforced again (the mass-delete threshold is never lifted
over MCP). Paths are confined to the ``--project-root`` roots (:mod:`mcp_server.gitops_paths`).

Engine modules are imported when a tool runs, not when the server starts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field, WithJsonSchema

from mcp_server import results
from mcp_server.errors import DetailedToolError, detail, error_result, to_tool_error
from mcp_server.gitops_paths import PathRefused, ProjectRoots, project_file
from mcp_server.state import ToolOptions, app_state

GITOPS = "gitops"
VOLATILE = ("created_at", "requests")
MAX_CHANGES = 50
MAX_CHARS = 60_000
MARKDOWN_LIMIT = 8_000
MAX_LISTED = 200
BULKY = ("payload", "before", "after")

ProjectDir = Annotated[str, Field(
    max_length=4096,
    description="The GitOps project: the directory holding portkey.yaml, under an allowed project root (a relative "
                "path counts from the first root). Paths outside the roots or through a symbolic link are refused.")]


def _nullable(max_length: int, description: str) -> WithJsonSchema:
    """An optional text argument's schema, advertised as ``type: ["string", "null"]`` (no ``anyOf``)."""
    return WithJsonSchema({"type": ["string", "null"], "maxLength": max_length, "description": description})


Env = Annotated[str | None, Field(max_length=64), _nullable(
    64, "Environment overlay (environments/<env>.yaml over portkey.yaml); null or omitted: none. "
        "An unknown name is an error that lists the available ones.")]
Prune = Annotated[bool, Field(description="Also delete managed Portkey objects the project no longer declares "
                                          "(safety rules still apply).")]
LockFile = Annotated[str | None, Field(max_length=1024), _nullable(
    1024, "Lock file inside the project, a .json path outside .git/ (e.g. .portkey/lock.json): gitops_apply "
          "records what it left in Portkey there, gitops_plan and gitops_drift use it to see edits to every kind "
          "(without it only prompt and partial edits are seen). Null or omitted: no lock file.")]
PlanHash = Annotated[str, Field(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$",
                                description="plan_hash from the gitops_plan result you reviewed.")]


# ---------------------------------------------------------------- helpers


def compute_plan_hash(plan: dict[str, Any]) -> str:
    """SHA-256 of the canonical plan JSON, volatile fields left out."""
    stable = {k: v for k, v in plan.items() if k not in VOLATILE}
    text = json.dumps(stable, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def shown_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan for the model: changes first, bulky fields and long change lists cut with a note."""
    changes = sorted(plan.get("changes", []), key=lambda c: c.get("actions") == ["noop"])
    view = {**plan, "changes": changes}
    notes = []
    if len(json.dumps(view, default=str)) > MAX_CHARS:
        view["changes"] = changes = [{k: v for k, v in c.items() if k not in BULKY} for c in changes]
        notes.append(f"Left out {', '.join(BULKY)} of each change to keep the answer small.")
    if len(changes) > MAX_CHANGES:
        view["changes"] = changes[:MAX_CHANGES]
        notes.append(f"Showing {MAX_CHANGES} of {len(changes)} changes (no-ops last); the summary counts all.")
    if notes:
        view["truncated"] = " ".join(notes)
    return view


def _roots(ctx: Context[Any, Any]) -> ProjectRoots:
    """The allowed roots (read without making a Portkey client: validate and path checks need none)."""
    options = getattr(ctx.request_context.lifespan_context, "options", None) or ToolOptions()
    return ProjectRoots.of(options.project_roots)


def _project(ctx: Context[Any, Any], project_dir: str) -> Path:
    try:
        return _roots(ctx).project(project_dir)
    except PathRefused as exc:
        raise invalid(str(exc)) from None


def _lock(project: Path, lock_file: str | None) -> tuple[Path | None, Any]:
    """The lock path (confined to the project) and the lock read from it (None when absent)."""
    if lock_file is None or not lock_file.strip():
        return None, None
    from engine.gitops.lock import Lock

    try:
        path = project_file(project, lock_file)
        if path.suffix != ".json" or ".git" in path.relative_to(project).parts:
            # apply writes the lock there: never as a project file (a .yaml or .md the loader reads) nor into .git/
            raise PathRefused(f"Invalid argument 'lock_file': {lock_file!r} is not a lock file; give a .json path "
                              "inside the project and outside .git/, such as .portkey/lock.json.")
        return path, Lock.read(path, project)
    except (PathRefused, ValueError, TypeError) as exc:
        raise invalid(str(exc) if isinstance(exc, PathRefused) else f"Invalid argument 'lock_file': {exc}") from None


def project_error(exc: Any, tool: str, env: str | None) -> ToolError:
    """An engine error of a tool that reads a project: a 404 names the project's files, not the caller's arguments."""
    files = f"portkey.yaml, environments/{env}.yaml or a resource file" if env else "portkey.yaml or a resource file"
    return to_tool_error(exc, tool, not_found=f"an id or slug the project names ({files}) is not in this Portkey "
                                              "account: correct it there, or check that PORTKEY_API_KEY is for the "
                                              "intended workspace")


def refusal(tool: str, code: str, message: str, next_step: str, **details: Any) -> CallToolResult:
    """An error result in the shape of every tool error (:mod:`mcp_server.errors`): the first line for people,
    then ``{status, code, message, retryable, next_step}`` plus ``details`` (e.g. the refused plan)."""
    structured = {**detail(message, code=code, next_step=next_step), **results.clean(details)}
    return error_result(f"{tool}: {message} {next_step}", structured)


def invalid(message: str) -> DetailedToolError:
    """A refused argument (a path outside the roots, an unreadable lock file) as a structured error."""
    return DetailedToolError(message, detail(message, code="invalid_arguments", next_step=(
        "Fix the argument as the message says and call again; nothing was sent to Portkey.")))


def _problems(data: dict[str, Any]) -> str:
    from engine.gitops.render.common import texts

    problems = texts([*data.get("errors", []), *data.get("blocked", [])])
    shown = "; ".join(problems[:5])
    return shown + (f"; … ({len(problems)} in all)" if len(problems) > 5 else "")


async def _plan(ctx: Context[Any, Any], project: Path, env: str | None, prune: bool, lock: Any,
                lease: Any = None) -> Any:
    """Plan the project; with ``lease``, look at the apply lease right before reading the account (as the CLI
    does): another apply holding it refuses the plan, and the generation the plan is made against is noted,
    so apply_planned refuses to write when another apply moved the account meanwhile."""
    from engine.errors import EngineError
    from engine.gitops.workflow import plan_project

    client = app_state(ctx).client

    async def look(workspace_id: str | None) -> None:
        lease.workspace = workspace_id
        await lease.wait_free(0)

    try:
        # allow_mass_delete is never offered over MCP: the threshold in portkey.yaml always holds.
        return await plan_project(client, project, env=env, prune=prune, lock=lock, allow_mass_delete=False,
                                  before_read=look if lease is not None else None)
    except EngineError as exc:
        raise project_error(exc, "gitops_apply" if lease is not None else "gitops_plan", env) from None


# ---------------------------------------------------------------- tools


async def gitops_validate(project_dir: ProjectDir, ctx: Context, env: Env = None) -> CallToolResult:
    """Check a project's files offline (schema, references, variables, secrets present); no Portkey call.
    Errors and warnings are diagnostics as in the plan JSON: ``{code, message, text, file, line, column, ...}``."""
    from engine.gitops.jsonplan import diagnostic_json
    from engine.gitops.load import load_project
    from engine.gitops.plan import load_diagnostic

    project = _project(ctx, project_dir)
    state = load_project(project, env=env)
    errors = [diagnostic_json(load_diagnostic(d)) for d in state.errors]
    warnings = [diagnostic_json(load_diagnostic(d)) for d in state.warnings]
    if errors:
        shown = "; ".join(e["text"] for e in errors[:5])
        return refusal("gitops_validate", "invalid_project", f"{len(errors)} error(s) in the project: {shown}.",
                       "Fix the files named in errors, then call gitops_validate again.",
                       valid=False, errors=errors, warnings=warnings)
    return results.ok("gitops_validate", {
        "valid": True, "resources": len(state.resources), "addresses": sorted(state.resources)[:MAX_LISTED],
        "warnings": warnings,
        "next_step": "Call gitops_plan with the same project_dir and env to see what would change in Portkey.",
    })


async def gitops_plan(project_dir: ProjectDir, ctx: Context, env: Env = None, prune: Prune = False,
                      lock_file: LockFile = None) -> CallToolResult:
    """Plan a project: what gitops_apply would create, update, publish or delete, with its plan_hash."""
    from engine.gitops.render import render_markdown

    project = _project(ctx, project_dir)
    _, lock = _lock(project, lock_file)
    with app_state(ctx).client.command_deadline():  # PORTKEY_DEADLINE bounds the whole call, as in the CLI
        data = (await _plan(ctx, project, env, prune, lock)).plan.to_json()
    view = shown_plan(data)
    if data.get("errors"):
        return refusal("gitops_plan", "plan_has_errors", f"The project has errors; no plan_hash was issued: "
                       f"{_problems(data)}.", "Fix the errors (gitops_validate shows them), then call gitops_plan "
                       "again.", plan=view)
    if data.get("blocked"):
        return refusal("gitops_plan", "plan_blocked", f"The plan is blocked by a safety rule; no plan_hash was "
                       f"issued: {_problems(data)}.", "Change the project (or the protected/safety settings in "
                       "portkey.yaml) so no rule is broken, then call gitops_plan again.", plan=view)
    digest = compute_plan_hash(data)
    if data.get("has_changes"):
        step = (f"Review the changes with the user, then call gitops_apply with plan_hash={digest!r} and the same "
                "project_dir, env, prune and lock_file.")
    else:
        step = "Nothing to apply: Portkey already matches the project."
    view = {"plan_hash": digest, **view, "next_step": step}
    return results.ok("gitops_plan", view, extra_text=render_markdown(data, limit=MARKDOWN_LIMIT))


async def gitops_apply(project_dir: ProjectDir, plan_hash: PlanHash, ctx: Context, env: Env = None,
                       prune: Prune = False, lock_file: LockFile = None) -> CallToolResult:
    """Apply the plan reviewed with gitops_plan; refuses when the project or Portkey changed since."""
    project = _project(ctx, project_dir)
    lock_path, lock = _lock(project, lock_file)
    with app_state(ctx).client.command_deadline():  # PORTKEY_DEADLINE bounds the whole call, as in the CLI
        return await _apply(ctx, project, plan_hash, env, prune, lock_path, lock)


async def _apply(ctx: Context[Any, Any], project: Path, plan_hash: str, env: str | None, prune: bool,
                 lock_path: Path | None, lock: Any) -> CallToolResult:
    from engine.errors import EngineError
    from engine.gitops.apply import ApplyError
    from engine.gitops.lease import ApplyLease
    from engine.gitops.workflow import apply_planned, current_lock

    client = app_state(ctx).client
    try:
        lease = ApplyLease(client, None)  # reads PORTKEY_GITOPS_LEASE_TTL: a wrong value is a LeaseError
    except EngineError as exc:
        raise to_tool_error(exc, "gitops_apply") from None
    # Planned again from the files and the account, never taken from the caller: every safety rule is
    # enforced again. The hash covers the whole plan, changes_digest included. The lease's generation is
    # noted before reading, so an apply by someone else between this plan and the writes is caught.
    planned = await _plan(ctx, project, env, prune, lock, lease)
    data = planned.plan.to_json()
    if data.get("errors") or data.get("blocked"):  # the codes gitops_plan gives the same plan
        code, why = ("plan_has_errors", "has errors") if data.get("errors") else ("plan_blocked", "is blocked by a "
                                                                                  "safety rule")
        return refusal("gitops_apply", code, f"The plan {why}; nothing was applied: {_problems(data)}.",
                       "Call gitops_plan to see them, fix the project, and plan again.")
    digest = compute_plan_hash(data)
    if digest != plan_hash:
        return refusal("gitops_apply", "stale_plan", f"The plan changed since you reviewed it (now {digest[:12]}, "
                       f"reviewed {plan_hash[:12]}); nothing was applied.", "Call gitops_plan again, review it, and "
                       "apply with its plan_hash and the same project_dir, env, prune and lock_file.")
    try:
        result = await apply_planned(client, planned, lease=lease)
    except ApplyError as exc:
        done = [f"{s.action.value} {s.address}" for s in exc.result.steps if s.ok]
        message = f"Apply stopped: {exc}. Written in this run ({len(done)}): {', '.join(done) or 'nothing'}."
        step = "Call gitops_plan again to see what remains."
        raise DetailedToolError(f"{message} {step}", detail(message, code="apply_stopped", next_step=step)) from None
    except EngineError as exc:
        raise project_error(exc, "gitops_apply", env) from None
    steps = [{"address": s.address, "action": s.action.value, "ok": s.ok, "detail": s.detail} for s in result.steps]
    answer: dict[str, Any] = {"applied": True, "plan_hash": digest, "writes": result.writes,
                              "requests": result.requests, "steps": steps[:MAX_LISTED]}
    if lock_path is not None:
        written = result.lock if data.get("has_changes") else current_lock(planned)
        if written is not None:
            written.write(lock_path)
            answer["lock_file"] = str(lock_path.relative_to(project))
    answer["next_step"] = "Call gitops_plan again: it should report no changes."
    return results.ok("gitops_apply", answer)


async def gitops_drift(project_dir: ProjectDir, ctx: Context, env: Env = None,
                       lock_file: LockFile = None) -> CallToolResult:
    """Report objects changed in Portkey outside git, as ``portkey-gitops drift --json`` does. Writes nothing."""
    from engine.errors import EngineError
    from engine.gitops.drift import find_drift
    from engine.gitops.jsonplan import diagnostic_json
    from engine.gitops.render.drift import render_drift_markdown

    project = _project(ctx, project_dir)
    lock_path, lock = _lock(project, lock_file)
    client = app_state(ctx).client
    try:
        with client.command_deadline():  # PORTKEY_DEADLINE bounds the whole call, as in the CLI
            report = await find_drift(client, project, env=env, lock=lock, lock_path=lock_path)
    except EngineError as exc:
        raise project_error(exc, "gitops_drift", env) from None
    if report.errors:
        return refusal("gitops_drift", "plan_has_errors", f"The project has errors, so drift cannot be checked: "
                       f"{'; '.join(report.errors[:5])}.", "Fix the errors (gitops_validate shows them) and call "
                       "gitops_drift again.", errors=[diagnostic_json(e) for e in report.errors])
    body = report.to_json()  # the CLI's report: drift (what changed, who, restore), checked, unchecked, lock
    stale = bool((body.get("lock") or {}).get("stale"))
    if report.items:
        step = ("Bring the edits into the project files, or call gitops_plan and gitops_apply (with the same env and "
                "lock_file) to put the project's version back; each item's restore is the CLI command that does it.")
    elif stale:
        step = ("No drift is reported, but the lock file is stale (lock.why): call gitops_plan and gitops_apply with "
                "lock_file to refresh it, then gitops_drift again.")
    else:
        step = "Nothing to do: every checked object is as git or the last apply left it."
    if report.unchecked:
        step += f" Not checked without a lock_file: {', '.join(report.unchecked)}."
    answer = {"drifted": bool(report.items), "count": len(report.items), **body,
              "drift": body["drift"][:MAX_LISTED], "requests": report.requests, "next_step": step}
    summary = render_drift_markdown(body)
    if len(summary) > MARKDOWN_LIMIT:
        summary = summary[:MARKDOWN_LIMIT] + "\n\n… (cut here; the structured result lists every object)\n"
    return results.ok("gitops_drift", answer, extra_text=summary)


async def _export_workspace(client: Any, workspace: str | None) -> str | None:
    """The UUID of gitops_export's ``workspace``; its errors name that argument and the tool listing workspaces."""
    from engine.gitops.workflow import resolve_workspace
    from engine.portkey import PortkeyError, PortkeyUsageError

    try:
        return await resolve_workspace(client, workspace)
    except PortkeyUsageError:
        raise invalid(f"Invalid argument 'workspace': {workspace!r} is not a workspace id or slug (it is empty, "
                      "'.' or '..', or holds '/', '?', '#' or a backslash); call list_workspaces to find it.") from None
    except PortkeyError as exc:
        raise to_tool_error(exc, "gitops_export", ("list_workspaces",)) from None


class _AnyName(set[str]):
    """A candidate set that holds every name: the reader fetches details of every object."""

    def __contains__(self, item: object) -> bool:
        return True


async def gitops_export(
    target_dir: Annotated[str, Field(max_length=4096, description=(
        "New directory to write the project into: it must not exist yet, its parent must, and it must lie under an "
        "allowed project root (a relative path counts from the first root)."))],
    ctx: Context,
    workspace: Annotated[str | None, Field(max_length=128), _nullable(
        128, "Workspace id or slug to export; null or omitted: the API key's workspace.")] = None,
    prefix: Annotated[str, Field(min_length=1, max_length=32, description=(
        "Name prefix that marks managed objects (naming.prefix of the project)."))] = "gitops:",
) -> CallToolResult:
    """Write the live account as a new GitOps project; a plan right after shows no changes for managed objects."""
    from engine.errors import EngineError
    from engine.gitops.export import Exporter, ExportError
    from engine.gitops.live import Reader
    from engine.gitops.model import ResourceKind

    try:
        target = _roots(ctx).new_directory(target_dir)
    except PathRefused as exc:
        raise invalid(str(exc)) from None
    client = app_state(ctx).client
    try:
        with client.command_deadline():  # PORTKEY_DEADLINE bounds the reads (nothing is written before they end)
            workspace_id = await _export_workspace(client, workspace)
            # unmanaged objects are exported whole
            everything: dict[ResourceKind, set[str]] = {kind: _AnyName() for kind in ResourceKind}
            live = await Reader(client, workspace_id, prefix, candidates=everything).read(set(ResourceKind))
        written = Exporter(live, target, prefix, workspace).write()
    except ExportError as exc:
        message = f"Export failed, nothing was written: {exc}"
        raise DetailedToolError(message, detail(message, code="export_failed", next_step=(
            "Fix what the message names (or choose another target_dir) and call gitops_export again."))) from None
    except EngineError as exc:
        raise to_tool_error(exc, "gitops_export") from None
    answer = {
        "target_dir": str(target), "files": len(written.files), "written": sorted(written.files)[:MAX_LISTED],
        "renamed": [{"name": name, "file": path} for name, path in written.renamed][:MAX_LISTED],
        "adoptable": [{"address": a, "id": i} for a, i in written.adoptable][:MAX_LISTED],
        "secrets_to_set": sorted(set(written.secrets)), "requests": live.requests,
        "next_step": (f"Call gitops_validate and gitops_plan with project_dir={str(target)!r}"
                      + (": adoptable objects are not managed yet (adopt them with `portkey-gitops import`), so the "
                         "plan would create duplicates of them." if written.adoptable else
                         "; the plan should show no changes.")),
    }
    return results.ok("gitops_export", answer)
