"""Which tools a server registers: ``--read-only``, ``--toolsets``, ``--tools``, ``--exclude-tools``.

Order (as GitHub's MCP server): ``--exclude-tools`` beats everything; read-only removes every
tool that is not read-only (``gitops_apply`` and all writes; ``gitops_plan`` stays), even one named in
``--tools``; a tool is then kept when its toolset is selected or ``--tools`` names it. Unknown
names are refused at start-up with the list of valid ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mcp_server.registry import Registry
from mcp_server.tool_spec import ToolSpec

ALL = "all"
ENV_READ_ONLY = "PORTKEY_MCP_READ_ONLY"
ENV_TOOLSETS = "PORTKEY_MCP_TOOLSETS"
ENV_TOOLS = "PORTKEY_MCP_TOOLS"
ENV_EXCLUDE_TOOLS = "PORTKEY_MCP_EXCLUDE_TOOLS"
TRUE = frozenset({"1", "true", "yes", "on"})


class SelectionError(ValueError):
    """An unknown toolset or tool name; the message lists the valid ones."""


@dataclass(frozen=True)
class Selection:
    read_only: bool = False
    toolsets: tuple[str, ...] = (ALL,)
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Selection:
        env = os.environ if env is None else env
        return cls(
            read_only=env_flag(env, ENV_READ_ONLY),
            toolsets=split_names(env.get(ENV_TOOLSETS)) or (ALL,),
            tools=split_names(env.get(ENV_TOOLS)),
            exclude_tools=split_names(env.get(ENV_EXCLUDE_TOOLS)),
        )


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """True when variable ``name`` is 1/true/yes/on (any case)."""
    return env.get(name, "").strip().lower() in TRUE


def split_names(text: str | None) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")``."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _unknown(kind: str, names: Iterable[str], valid: Sequence[str]) -> None:
    bad = [name for name in names if name not in valid]
    if bad:
        raise SelectionError(f"unknown {kind} {', '.join(map(repr, bad))}; valid {kind}s: {', '.join(valid)}")


def validate(selection: Selection, registry: Registry, extra_tools: Sequence[str] = ()) -> None:
    """Refuse unknown toolset and tool names."""
    _unknown("toolset", selection.toolsets, [ALL, *registry.toolsets])
    tools = [*registry.specs, *extra_tools]
    _unknown("tool", selection.tools, tools)
    _unknown("tool", selection.exclude_tools, tools)


def allowed(spec: ToolSpec, selection: Selection) -> bool:
    """True unless excluded by name or by read-only mode."""
    if spec.name in selection.exclude_tools:
        return False
    return spec.read_only or not selection.read_only


def select(registry: Registry, selection: Selection) -> list[ToolSpec]:
    """The specs to register, in registry order (call :func:`validate` first)."""
    every = ALL in selection.toolsets
    return [
        spec for spec in registry.specs.values()
        if allowed(spec, selection)
        and (every or spec.group in selection.toolsets or spec.name in selection.tools)
    ]
