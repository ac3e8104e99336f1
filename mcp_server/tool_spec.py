"""Turning a tool description (:class:`ToolSpec`) and a handler function into an SDK ``Tool``.

:class:`PortkeyTool` is the SDK ``Tool`` with three changes:

- its input and output schemas are given (the operation tools build theirs from the catalogue as
  plain dicts, :mod:`mcp_server.schema`), and the pydantic argument model is built at the tool's
  first call, so a server with the whole catalogue starts without building 178 models;
- arguments the schema does not name are refused with the list of valid ones
  (``additionalProperties: false``);
- every failure is an ``isError`` result whose first line is for people, followed by the
  structured part ``{status, code, message, retryable, next_step}`` (:mod:`mcp_server.errors`);
  argument validation errors are ``field: problem`` lines.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr, ValidationError

from mcp_server import confirm
from mcp_server.errors import detail, error_result, invalid_arguments, validation_lines
from mcp_server.schema import bind_signature, tidy_schema
from mcp_server.state import ToolOptions

log = logging.getLogger("portkey_admin_mcp.tools")

FIX_ARGUMENTS = "Fix the arguments named above and call again; tools/list shows each parameter with its description."
Loader = Callable[[], Callable[..., Any]]


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


def _pending(**_: Any) -> Any:  # pragma: no cover - replaced before any call
    raise RuntimeError("tool function not loaded")


class PortkeyTool(Tool):
    """An SDK tool with given schemas, a lazily built argument model and structured errors."""

    _loader: Loader | None = PrivateAttr(default=None)
    _output: dict[str, Any] | None = PrivateAttr(default=None)

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return self._output

    @classmethod
    def lazy(cls, spec: ToolSpec, loader: Loader, parameters: dict[str, Any],
             output_schema: dict[str, Any] | None) -> PortkeyTool:
        """A tool advertised with ``parameters``; ``loader`` gives its function at the first call."""
        tool = cls.model_construct(fn=_pending, name=spec.name, title=spec.title, description=spec.description,
                                   parameters=parameters, fn_metadata=None, is_async=True, context_kwarg=None,
                                   resolved_params={}, resolver_plans={}, annotations=spec.annotations,
                                   icons=None, meta=None)
        tool._loader = loader
        tool._output = output_schema
        return tool

    @classmethod
    def built(cls, tool: Tool, output_schema: dict[str, Any] | None) -> PortkeyTool:
        """``tool`` (made by ``Tool.from_function``) with a tidy input schema and ``output_schema``."""
        fields = {name: getattr(tool, name) for name in Tool.model_fields}
        fields["parameters"] = tidy_schema(tool.parameters)
        made = cls.model_construct(**fields)
        made._output = output_schema
        return made

    def _load(self) -> None:
        """Build the argument model from the function, once."""
        if self._loader is None:
            return
        fn = self._loader()
        real = Tool.from_function(fn, name=self.name, title=self.title, description=self.description,
                                  annotations=self.annotations, structured_output=False)
        self.fn, self.fn_metadata, self.is_async = real.fn, real.fn_metadata, real.is_async
        self.context_kwarg, self.resolved_params, self.resolver_plans = (
            real.context_kwarg, real.resolved_params, real.resolver_plans)
        self._loader = None

    def _unknown(self, arguments: dict[str, Any]) -> list[str]:
        known = self.parameters.get("properties", {})
        return sorted(name for name in arguments if name not in known)

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        unknown = self._unknown(arguments)
        if unknown:
            valid = ", ".join(sorted(self.parameters.get("properties", {}))) or "(none)"
            lines = [f"{name}: not a parameter of {self.name}" for name in unknown]
            error = invalid_arguments(self.name, lines, f"Valid parameters: {valid}. {FIX_ARGUMENTS}")
            log.info("Tool %r rejected unknown arguments: %r", self.name, unknown)
            return error_result(str(error), error.detail)
        self._load()
        try:
            return await super().run(arguments, context, convert_result)
        except UnexpectedToolError:
            log.exception("Tool %r raised an unexpected exception", self.name)
            message = f"{self.name} failed unexpectedly; the server log has the details."
            return error_result(message, detail(message, code="internal_error",
                                                next_step="Report this; retrying will probably fail the same way."))
        except ToolError as exc:
            return self._error(exc)

    def _error(self, exc: ToolError) -> Any:
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            lines = validation_lines(cause.errors(include_url=False, include_input=False))
            log.info("Tool %r rejected arguments: %r", self.name, [line.split(":")[0] for line in lines])
            error = invalid_arguments(self.name, lines, FIX_ARGUMENTS)
            return error_result(str(error), error.detail)
        structured = getattr(cause, "detail", None)
        message = str(cause) if cause is not None else str(exc)
        log.info("Tool %r failed: %r", self.name, message.splitlines()[0] if message else "")
        if not isinstance(structured, dict):
            structured = detail(message, code="tool_error")
        return error_result(message, structured)


def with_confirmation(fn: Callable[..., Any], tool: str, title: str, shown: Sequence[str],
                      asks: confirm.Predicate | None = None) -> Callable[..., Any]:
    """``fn`` plus a hidden parameter that asks the user to confirm before ``fn`` runs.

    ``asks(arguments)`` decides whether this call needs asking (default: always; a dry run never).
    """
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
    names = [p.name for p in params if p.name != "ctx"]
    params.append(confirm.parameter(tool, title, shown, names, asks))

    async def confirmed(**kwargs: Any) -> Any:
        confirm.require(kwargs.pop(confirm.PARAMETER), tool)
        return await fn(**kwargs)

    bind_signature(confirmed, params, hints.get("return", signature.return_annotation))
    confirmed.__name__ = confirmed.__qualname__ = tool
    confirmed.__doc__ = fn.__doc__
    return confirmed


def confirmed_fn(spec: ToolSpec, fn: Callable[..., Any], options: ToolOptions, shown: Sequence[str],
                 asks: confirm.Predicate | None = None) -> Callable[..., Any]:
    """``fn``, asking first when ``--confirm-destructive`` is on and the tool is destructive."""
    if options.confirm_destructive and spec.destructive:
        return with_confirmation(fn, spec.name, spec.title, shown, asks)
    return fn


def make_tool(
    spec: ToolSpec,
    fn: Callable[..., Any],
    options: ToolOptions,
    *,
    shown: Sequence[str] = (),
    output_schema: dict[str, Any] | None = None,
    asks: confirm.Predicate | None = None,
) -> Tool:
    """The SDK tool for a hand-written ``fn``; destructive tools ask first when ``--confirm-destructive`` is on."""
    fn = confirmed_fn(spec, fn, options, shown, asks)
    tool = Tool.from_function(fn, name=spec.name, title=spec.title, description=spec.description,
                              annotations=spec.annotations, structured_output=False)
    return PortkeyTool.built(tool, output_schema)
