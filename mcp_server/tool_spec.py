"""Turning a tool description (:class:`ToolSpec`) and a handler function into an SDK ``Tool``."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from mcp_server import confirm
from mcp_server.schema import bind_signature
from mcp_server.state import ToolOptions


@dataclass(frozen=True)
class ToolSpec:
    """Everything known about a tool before the server exists: selection works on these."""

    name: str
    group: str  # the toolset
    kind: str  # the catalogue kind: R, W, D, W$, L (M for the server's own meta tools)
    title: str
    description: str
    annotations: ToolAnnotations
    build: Callable[[ToolSpec, ToolOptions], Tool]

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)

    @property
    def destructive(self) -> bool:
        return bool(self.annotations.destructive_hint)

    def tool(self, options: ToolOptions) -> Tool:
        return self.build(self, options)


def with_confirmation(fn: Callable[..., Any], tool: str, title: str, shown: Sequence[str]) -> Callable[..., Any]:
    """``fn`` plus a hidden parameter that asks the user to confirm before ``fn`` runs."""
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    params.append(confirm.parameter(tool, title, shown))

    async def confirmed(**kwargs: Any) -> Any:
        confirm.require(kwargs.pop(confirm.PARAMETER), tool)
        return await fn(**kwargs)

    bind_signature(confirmed, params, hints.get("return", signature.return_annotation))
    confirmed.__name__ = confirmed.__qualname__ = tool
    confirmed.__doc__ = fn.__doc__
    return confirmed


def make_tool(
    spec: ToolSpec,
    fn: Callable[..., Any],
    options: ToolOptions,
    *,
    shown: Sequence[str] = (),
    structured_output: bool = False,
) -> Tool:
    """The SDK tool for ``spec``; destructive tools ask first when ``--confirm-destructive`` is on."""
    if options.confirm_destructive and spec.destructive:
        fn = with_confirmation(fn, spec.name, spec.title, shown)
    return Tool.from_function(fn, name=spec.name, title=spec.title, description=spec.description,
                              annotations=spec.annotations, structured_output=structured_output)
