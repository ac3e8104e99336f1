"""The ``gitops`` toolset: ``plan`` a project directory against Portkey, ``apply`` a reviewed plan.

``plan`` returns the engine's JSON plan plus ``plan_hash``, a SHA-256 of the canonical plan JSON
(without the fields that change on every run: ``created_at``, ``requests``). ``apply`` plans
again and refuses when the new hash differs, so what is applied is exactly what was reviewed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from engine.gitops.apply import ApplyError
from engine.gitops.render import render_markdown
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyError
from mcp_server import results
from mcp_server.errors import to_tool_error
from mcp_server.schema import opt_str
from mcp_server.state import app_state

VOLATILE = ("created_at", "requests")
MAX_CHANGES = 50
MAX_CHARS = 60_000
MARKDOWN_LIMIT = 8_000
BULKY = ("payload", "before", "after")

ProjectDir = Annotated[str, Field(max_length=4096,
                                  description="Path of the GitOps project (the directory holding portkey.yaml).")]
Env = opt_str("Environment overlay to plan for (environments/<env>.yaml over portkey.yaml); default: none.")
Prune = Annotated[bool, Field(description="Also delete Portkey objects the project no longer declares.")]


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


def _project(project_dir: str) -> Path:
    try:
        root = Path(project_dir).expanduser().resolve()
        usable = root.is_dir()
    except (OSError, ValueError, RuntimeError):  # a name too long, a NUL byte, an unknown ~user
        usable = False
    if not usable:
        raise ToolError(f"Invalid argument 'project_dir': {project_dir!r} is not a directory; give the directory that "
                        "holds portkey.yaml.")
    return root


async def plan(
    project_dir: ProjectDir,
    ctx: Context,
    env: Env = None,
    prune: Prune = False,
) -> CallToolResult:
    """Plan a project: what apply would create, update, publish or delete. Writes nothing."""
    client = app_state(ctx).client
    try:
        planned = await plan_project(client, _project(project_dir), env=env, prune=prune)
    except PortkeyError as exc:
        raise to_tool_error(exc, "plan") from None
    data = planned.plan.to_json()
    digest = compute_plan_hash(data)
    view = {"plan_hash": digest, **shown_plan(data)}
    if data.get("errors") or data.get("blocked"):
        view["next_step"] = "Fix the errors or blocked rules listed here, then call plan again."
    elif data.get("has_changes"):
        view["next_step"] = (f"Review the changes with the user, then call apply with plan_hash={digest!r} "
                             "and the same project_dir, env and prune.")
    else:
        view["next_step"] = "Nothing to apply: Portkey already matches the project."
    markdown = render_markdown(data, limit=MARKDOWN_LIMIT)
    return results.ok("plan", view, extra_text=markdown)


async def apply(
    project_dir: ProjectDir,
    plan_hash: Annotated[str, Field(description="plan_hash from the plan you reviewed.")],
    ctx: Context,
    env: Env = None,
    prune: Prune = False,
) -> CallToolResult:
    """Apply a reviewed plan; refuses when the project or Portkey changed since that plan."""
    client = app_state(ctx).client
    try:
        # Planned again from the files and the account, never taken from the caller: every safety rule
        # (protected, prune, mass delete, incomplete listings) is enforced again, and the mass-delete
        # threshold is never lifted over MCP. The hash covers the whole plan, changes_digest included.
        planned = await plan_project(client, _project(project_dir), env=env, prune=prune, allow_mass_delete=False)
        data = planned.plan.to_json()
        digest = compute_plan_hash(data)
        if digest != plan_hash:
            raise ToolError(f"The plan changed since you reviewed it (now {digest[:12]}, reviewed "
                            f"{plan_hash[:12]}): call plan again, review it, and apply with its plan_hash. "
                            "Nothing was applied.")
        if data.get("errors") or data.get("blocked"):
            raise ToolError("The plan has errors or is blocked by a safety rule; nothing was applied. "
                            + "; ".join(map(str, [*data.get("errors", []), *data.get("blocked", [])])))
        result = await apply_planned(client, planned)
    except ApplyError as exc:
        done = [f"{s.action.value} {s.address}" for s in exc.result.steps if s.ok]
        raise ToolError(f"Apply stopped: {exc}. Written before the failure ({len(done)}): "
                        f"{', '.join(done) or 'nothing'}. Call plan again to see what remains.") from None
    except PortkeyError as exc:
        raise to_tool_error(exc, "apply") from None
    steps = [{"address": s.address, "action": s.action.value, "ok": s.ok, "detail": s.detail} for s in result.steps]
    return results.ok("apply", {"applied": True, "plan_hash": digest, "writes": result.writes,
                                "requests": result.requests, "steps": steps})
