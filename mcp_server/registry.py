"""Every tool the server can offer, as :class:`ToolSpec` values, built before any server exists.

One spec per catalogue row: rows with a declaration in ``engine.portkey.OPERATIONS`` get the
generic operation tool; the composite rows get their hand-written tools; rows with neither are
skipped with a warning (``Registry.missing``). The ``gitops`` toolset adds the GitOps workflow tools.
Selection (:mod:`mcp_server.selection`) then decides which specs become tools.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mcp.server.mcpserver.tools import Tool

from engine.portkey import OPERATIONS, Operation
from mcp_server import descriptions, gitops_tools
from mcp_server.catalogue import Row, load_catalogue
from mcp_server.composites import metadata, prompts
from mcp_server.kinds import annotations_for
from mcp_server.operation_tools import Binding, build_operation_tool, tool_params
from mcp_server.state import DEFAULT_LIST_CAP, ToolOptions
from mcp_server.tool_spec import ToolSpec, make_tool

log = logging.getLogger("portkey_admin_mcp.registry")

GITOPS = "gitops"


def _composite(fn: Callable[..., Any], shown: Sequence[str] = ()) -> Callable[[ToolSpec, ToolOptions], Tool]:
    return lambda spec, options: make_tool(spec, fn, options, shown=shown)


def _last_method(method: str) -> str:
    """The method of a composite's last call (``GET; GET; PUT or POST`` → ``POST``)."""
    words = method.split(";")[-1].split()
    return words[-1] if words else ""


COMPOSITES: dict[str, Callable[[ToolSpec, ToolOptions], Tool]] = {
    "migrate_prompt": _composite(prompts.migrate_prompt),
    "promote_prompt": _composite(prompts.promote_prompt),
    "validate_completion_metadata": lambda spec, options: make_tool(spec, metadata.make_validate(options), options),
}


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
                                 list_cap=DEFAULT_LIST_CAP, id_params=id_params)
    return ToolSpec(row.tool, row.group, row.kind, title, text, annotations_for(row.tool, row.kind, method, title),
                    build)


def gitops_specs() -> list[ToolSpec]:
    """The ``gitops`` toolset: validate, plan, apply, drift, export (:mod:`mcp_server.gitops_tools`)."""
    return gitops_tools.gitops_specs()


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
