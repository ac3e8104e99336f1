"""Every tool the server can offer, as :class:`ToolSpec` values, built before any server exists.

One spec per catalogue row: rows with a declaration in ``engine.portkey.OPERATIONS`` get the
generic operation tool; the composite rows get their hand-written tools; rows with neither are
skipped with a warning (``Registry.missing``). The ``gitops`` toolset adds the GitOps workflow tools.
Selection (:mod:`mcp_server.selection`) then decides which specs become tools.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from engine.portkey import OPERATIONS, Operation
from mcp_server import confirm, descriptions, schema_cache
from mcp_server.catalogue import Row, load_catalogue
from mcp_server.kinds import annotations_for
from mcp_server.operation_tools import Binding, build_operation_tool, tool_params
from mcp_server.state import DEFAULT_LIST_CAP, ToolOptions
from mcp_server.tool_spec import PortkeyTool, ToolSpec, confirmed_fn, make_tool

log = logging.getLogger("portkey_admin_mcp.registry")

GITOPS = "gitops"


def _object(description: str, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A loose output schema: an object, some fields described, others allowed."""
    schema: dict[str, Any] = {"type": "object", "description": description}
    if properties:
        schema["properties"] = {name: {"description": text} for name, text in properties.items()}
    schema["additionalProperties"] = True
    return schema


MIGRATE_OUTPUT = _object("What migrate_prompt did or, with dry_run, would do.", {
    "action": "created, updated or unchanged.", "prompt_id": "The prompt's id.", "version": "Newest version.",
    "changed_fields": "Fields that differed.", "published": "Whether a version was published.",
    "would_publish": "Dry run: whether it would publish.", "message": "One line for people."})
PROMOTE_OUTPUT = _object("What promote_prompt did or, with dry_run, would do.", {
    "action": "created or updated.", "target_prompt_id": "The target prompt's id.",
    "source_version": "The source version copied.", "published": "Whether the target version was published.",
    "message": "One line for people."})
METADATA_OUTPUT = _object("The metadata check.", {
    "valid": "True when no required field is missing.", "errors": "Missing required fields.",
    "warnings": "Missing recommended fields.", "metadata": "The metadata checked.",
    "required": "The required field names."})
_GITOPS_NEXT = {"next_step": "What to call next."}
_DIAGNOSTICS = ("as diagnostics of the plan JSON: {code, message, text, address, addresses, file, line, column} "
                "(text is the sentence for people, code for machines)")
VALIDATE_OUTPUT = _object("The offline check of a valid project (a project with errors is an error result).", {
    "valid": "True.", "resources": "Number of objects the project declares.",
    "addresses": "Their addresses (kind:name), up to 200.", "warnings": f"Warnings worth fixing, {_DIAGNOSTICS}.",
    **_GITOPS_NEXT})
PLAN_OUTPUT = _object("The plan (a plan with errors or blocked by a safety rule is an error result, no hash).", {
    "plan_hash": "Pass it to gitops_apply to apply exactly this plan.", "has_changes": "Whether anything would change.",
    "summary": "Counts per action.", "changes": "The changes (no-ops last, possibly cut: see truncated).",
    "truncated": "What was left out of this answer, if anything.", "warnings": f"Plan warnings, {_DIAGNOSTICS}.",
    **_GITOPS_NEXT})
APPLY_OUTPUT = _object("What gitops_apply wrote.", {
    "applied": "True.", "plan_hash": "The plan applied.", "writes": "Write requests sent.",
    "requests": "All requests sent.", "steps": "One row per change: address, action, ok, detail.",
    "lock_file": "The lock file written, when lock_file was given.", **_GITOPS_NEXT})
DRIFT_OUTPUT = _object("Objects changed in Portkey outside git (the fields of `portkey-gitops drift --json`).", {
    "drifted": "Whether anything drifted.", "count": "Number of drifted objects.",
    "drift": "The drifted objects (up to 200): address, detail, cause, changed (what changed), who (who could have "
             "changed it), restore (the command that puts git's version back) and restore_effect.",
    "checked": "The kinds checked.", "unchecked": "The kinds not checked (they need lock_file).",
    "lock": "null without lock_file; else {stale, why, unjudged}: a stale lock (older than the last apply) and the "
            "objects it cannot judge.", "warnings": f"Plan warnings, {_DIAGNOSTICS}.", "requests": "Requests sent.",
    **_GITOPS_NEXT})
EXPORT_OUTPUT = _object("The project written.", {
    "target_dir": "The new project directory.", "files": "Number of files written.", "written": "Their paths.",
    "renamed": "Objects whose file name differs from their name.", "adoptable": "Unmanaged objects (not adopted).",
    "secrets_to_set": "Secret names the project references.", "requests": "Requests sent.", **_GITOPS_NEXT})

# name, kind, title, arguments shown when asking, description, annotation hints, output schema
GITOPS_TOOLS: tuple[tuple[str, str, str, tuple[str, ...], str, dict[str, bool], dict[str, Any]], ...] = (
    ("gitops_validate", "R", "Validate GitOps project", (),
     "Check a GitOps project's files offline: schema, references, variables, secrets present. Reads local files "
     "only, changes nothing. isError when the project has errors (they are listed). Next: gitops_plan.",
     {"read_only": True, "open_world": False}, VALIDATE_OUTPUT),
    ("gitops_plan", "R", "Plan GitOps project", (),
     "Plan a GitOps project against Portkey: a human summary, the JSON plan and a plan_hash for gitops_apply. "
     "Changes nothing. isError, with no plan_hash, when the project has errors or a safety rule blocks the plan. "
     "Next: review the changes with the user, then gitops_apply with the plan_hash.",
     {"read_only": True}, PLAN_OUTPUT),
    ("gitops_apply", "D", "Apply GitOps plan", ("project_dir", "env", "prune", "plan_hash"),
     "Apply the plan reviewed with gitops_plan: plans again, refuses (code stale_plan) if its plan_hash differs, "
     "then writes the changes to Portkey (creates, publishes, moves labels and, with prune, deletes). Not "
     "reversible except by changing the project and applying again. Next: gitops_plan, which should show no "
     "changes.",
     {"destructive": True, "idempotent": False}, APPLY_OUTPUT),
    ("gitops_drift", "R", "Find GitOps drift", (),
     "Report managed objects edited or deleted in Portkey outside git (prompt versions always; every kind with "
     "the lock_file gitops_apply wrote). Changes nothing. Next: update the project files, or gitops_plan and "
     "gitops_apply to restore them.",
     {"read_only": True}, DRIFT_OUTPUT),
    ("gitops_export", "W", "Export Portkey as GitOps project", (),
     "Write the live Portkey account as a new GitOps project directory under an allowed project root (never an "
     "existing directory; secret values become ${secret:NAME} references). Changes nothing in Portkey; delete the "
     "directory to undo. Next: gitops_validate and gitops_plan on it.",
     {"idempotent": False}, EXPORT_OUTPUT),
)


def _composite(module: str, attr: str, shown: Sequence[str] = (), output: dict[str, Any] | None = None,
               asks: confirm.Predicate | None = None) -> Callable[[ToolSpec, ToolOptions], Tool]:
    """A hand-written tool. Its module (and the GitOps engine, for the gitops_* tools) is imported at the tool's first
    call when :mod:`mcp_server.schema_cache` holds its input schema for the module's current source;
    otherwise when the server is built."""

    def function(options: ToolOptions) -> Callable[..., Any]:
        found = getattr(importlib.import_module(module), attr)
        tool: Callable[..., Any] = found(options) if attr.startswith("make_") else found
        return tool

    def build(spec: ToolSpec, options: ToolOptions) -> Tool:
        cached = schema_cache.lookup(spec.name, module)
        if cached is None:
            return make_tool(spec, function(options), options, shown=shown, output_schema=output, asks=asks)
        return PortkeyTool.lazy(spec, lambda: confirmed_fn(spec, function(options), options, shown, asks),
                                cached, output)

    build.module = module  # type: ignore[attr-defined]  # for schema_cache.write
    return build


def _last_method(method: str) -> str:
    """The method of a composite's last call (``GET; GET; PUT or POST`` → ``POST``)."""
    words = method.split(";")[-1].split()
    return words[-1] if words else ""


_PROMPTS = "mcp_server.composites.prompts"
COMPOSITES: dict[str, Callable[[ToolSpec, ToolOptions], Tool]] = {
    # They publish over the live version when publish=true: they ask then (and never on a dry run).
    "migrate_prompt": _composite(_PROMPTS, "migrate_prompt", ("name", "collection_id", "publish"), MIGRATE_OUTPUT,
                                 confirm.when_publishing),
    "promote_prompt": _composite(_PROMPTS, "promote_prompt", ("source_prompt_id", "target_collection_id",
                                                              "target_env", "publish"), PROMOTE_OUTPUT,
                                 confirm.when_publishing),
    "validate_completion_metadata": _composite("mcp_server.composites.metadata", "make_validate",
                                               output=METADATA_OUTPUT),
}
# Composites that can publish over live content: destructive, whatever their last HTTP method.
DESTRUCTIVE_COMPOSITES = frozenset({"migrate_prompt", "promote_prompt"})


@dataclass(frozen=True)
class Registry:
    """All tool specs in catalogue order, and the catalogue rows that lack a declaration."""

    specs: Mapping[str, ToolSpec]
    missing: tuple[str, ...] = ()
    bindings: Mapping[str, Binding] = field(default_factory=dict)

    @property
    def toolsets(self) -> tuple[str, ...]:
        """Toolset names: catalogue groups in order, then ``gitops``."""
        return tuple(dict.fromkeys(spec.group for spec in self.specs.values()))

    def in_toolset(self, toolset: str) -> list[ToolSpec]:
        return [spec for spec in self.specs.values() if spec.group == toolset]


def _template(path: str) -> str:
    """``/prompts/{prompt_id}/versions`` → ``/prompts/{}/versions`` (parameter names differ between ops)."""
    parts = path.split("?")[0].strip("/").split("/")
    return "/" + "/".join("{}" if p.startswith("{") else p for p in parts)


def finders_for(op: Operation, lists: Sequence[Operation]) -> tuple[str, ...]:
    """List tools that find the ids ``op`` takes, deepest first (``get_prompt`` → ``list_prompts``)."""
    parts = op.path.split("?")[0].strip("/").split("/")
    by_template: dict[str, list[str]] = {}
    for candidate in lists:
        by_template.setdefault(_template(candidate.path), []).append(candidate.name)
    found: list[str] = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            prefix = _template("/" + "/".join(parts[:i]))
            found = [*by_template.get(prefix, []), *found]
    found = [name for name in found if name != op.name]
    if not found:
        found = [c.name for c in lists if c.group == op.group and c.name != op.name and not c.path_params]
    return tuple(dict.fromkeys(found))


def _spec(row: Row, method: str, enterprise: bool, build: Callable[[ToolSpec, ToolOptions], Tool],
          tools: Iterable[str], finders: Sequence[str], id_params: Sequence[str] = ()) -> ToolSpec:
    title = descriptions.title(row.tool)
    text = descriptions.describe(row.tool, row.group, tools=set(tools), finders=finders, enterprise=enterprise,
                                 list_cap=DEFAULT_LIST_CAP, id_params=id_params, kind=row.kind, method=method)
    annotations = annotations_for(row.tool, row.kind, method, title)
    if row.tool in DESTRUCTIVE_COMPOSITES:
        annotations = annotations.model_copy(update={"destructive_hint": True})
    return ToolSpec(row.tool, row.group, row.kind, title, text, annotations, build)


def gitops_specs() -> list[ToolSpec]:
    """The ``gitops`` toolset (:data:`GITOPS_TOOLS`); the functions are in :mod:`mcp_server.gitops_tools`,
    which, with the GitOps engine, is imported at a tool's first call."""
    specs = []
    for name, kind, title, shown, text, hints, output in GITOPS_TOOLS:
        annotations = ToolAnnotations(title=title, read_only_hint=hints.get("read_only", False),
                                      destructive_hint=hints.get("destructive", False),
                                      idempotent_hint=hints.get("idempotent", True),
                                      open_world_hint=hints.get("open_world", True))
        specs.append(ToolSpec(name, GITOPS, kind, title, text, annotations,
                              _composite("mcp_server.gitops_tools", name, shown, output)))
    return specs


def build_registry(
    operations: Iterable[Operation] | None = None, rows: Iterable[Row] | None = None
) -> Registry:
    """The registry for ``operations`` (default: every declaration) and ``rows`` (default: the catalogue)."""
    ops = {op.name: op for op in (OPERATIONS if operations is None else operations)}
    rows = tuple(load_catalogue() if rows is None else rows)
    names = [row.tool for row in rows]
    lists = [op for op in ops.values() if op.is_list and op.name in names]
    specs: dict[str, ToolSpec] = {}
    bindings: dict[str, Binding] = {}
    missing: list[str] = []
    for row in rows:
        if row.tool in COMPOSITES:
            specs[row.tool] = _spec(row, _last_method(row.method), row.enterprise, COMPOSITES[row.tool], names, ())
            continue
        op = ops.get(row.tool)
        if op is None:
            missing.append(row.tool)
            continue
        binding = Binding(row, op, tool_params(row, op), finders_for(op, lists))
        bindings[row.tool] = binding
        specs[row.tool] = _spec(row, op.method, op.enterprise or row.enterprise,
                                partial(build_operation_tool, binding=binding), names, binding.finders, op.path_params)
    if missing:
        log.warning("%d catalogue tools have no operation declaration yet and are skipped: %s",
                    len(missing), ", ".join(missing))
    for spec in gitops_specs():
        specs[spec.name] = spec
    return Registry(specs, tuple(missing), bindings)
