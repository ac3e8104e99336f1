"""One generic tool per declared operation: schema from the catalogue row, one shared handler.

The handler drops arguments the caller did not give, applies the tool's mapper
(:mod:`mcp_server.mappers`), routes the result (path parameters → path, declared query
parameters → query, the rest → JSON body), calls the client, and returns Portkey's answer
unchanged. List tools return a bounded page; ``dry_run`` tools return the request they would
send (and, for prompt updates, what would change) without writing.

The advertised schemas are plain dicts built from the catalogue row (:func:`tool_schemas`); the
handler and its pydantic argument model are built at the tool's first call
(:class:`~mcp_server.tool_spec.PortkeyTool`). Parameters Portkey requires but the seed tools did
not (:mod:`mcp_server.defaults`) stay optional and are filled before the request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult

from engine.portkey import Operation, PortkeyClient, PortkeyError, PortkeyUsageError
from engine.portkey.requests import prepare
from mcp_server import confirm, defaults, results
from mcp_server.catalogue import Param, ParamType, Row
from mcp_server.descriptions import fallback_description, param_description
from mcp_server.errors import to_tool_error
from mcp_server.listing import PAGE_PARAMS, list_all, list_page
from mcp_server.mappers import MAPPED_TARGETS, MapContext, map_arguments
from mcp_server.prompt_versions import changed_fields, latest_version
from mcp_server.schema import (
    MAX_ID_LENGTH,
    bind_signature,
    given,
    object_schema,
    paging_parameters,
    paging_schema,
    parameter,
    parameter_schema,
    plain_parameter,
)
from mcp_server.state import AppState, ToolOptions, app_state
from mcp_server.tool_spec import PortkeyTool, ToolSpec, confirmed_fn

_QUERY_TYPES = {str: ParamType("string"), int: ParamType("int"), bool: ParamType("bool"),
                float: ParamType("number")}
_LIST_PARAMS = frozenset({"current_page", "page_size", "page"})


async def _newest_prompt(client: PortkeyClient, params: dict[str, Any]) -> dict[str, Any]:
    """The prompt at its newest version: an update patches that one, published or not."""
    current, _ = await latest_version(client, params["prompt_id"])
    return current


# update tool → how a dry run reads the current state it compares against
DRY_RUN_READS: dict[str, Callable[[PortkeyClient, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "update_prompt": _newest_prompt,
}
# request field → field of the read answer holding the same value, where the names differ
_READ_NAMES = {"prompt_metadata": ("prompt_metadata", "template_metadata")}


@dataclass(frozen=True)
class Binding:
    """A catalogue row bound to its declaration."""

    row: Row
    op: Operation
    params: tuple[Param, ...]
    finders: tuple[str, ...]

    @property
    def tool(self) -> str:
        return self.row.tool

    @property
    def nullable(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if p.type.nullable)

    @property
    def page_alias(self) -> bool:
        """The row's lists take ``page`` (SCIM): accepted as an alias of ``current_page``."""
        return self.op.is_list and self.row.param("page") is not None


def tool_params(row: Row, op: Operation) -> tuple[Param, ...]:
    """The row's parameters, plus declared path and query parameters the row does not name."""
    optional = set(defaults.defaulted(row.tool, row.group))
    params = [Param(p.name, p.type, p.name not in optional) if p.name in op.required_query else p
              for p in row.params if not (op.is_list and p.name in _LIST_PARAMS)]
    names = {p.name for p in params} | MAPPED_TARGETS.get(row.tool, frozenset())
    for name in op.path_params:
        if name not in names:
            params.append(Param(name, ParamType(), True))
            names.add(name)
    for name, kind in op.query.items():
        if name in names or (op.is_list and name in PAGE_PARAMS):
            continue
        params.append(Param(name, _QUERY_TYPES.get(kind, ParamType()),
                            name in op.required_query and name not in optional))
        names.add(name)
    return tuple(params)


def query_value(kind: type, value: Any) -> Any:
    """A value as the client's query encoder takes it for a parameter declared as ``kind``: lists
    comma-joined, objects as JSON, a whole float as an int for int parameters, numbers as text for
    string parameters."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and kind is int and value.is_integer():
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and kind is str:
        return str(value)
    return value


def route(op: Operation, args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Split mapped arguments into client parameters (path and query) and the JSON body."""
    params: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for name, value in args.items():
        if name in op.path_params:
            params[name] = value
        elif name in op.query:
            params[name] = query_value(op.query[name], value)
        else:
            body[name] = value
    if op.body is None:
        if body:
            first = sorted(body)[0]
            raise PortkeyUsageError(op.name, f"{op.method} {op.path} takes no {first}; leave it out", first)
        return params, None
    if not body and op.method == "PUT":
        raise PortkeyUsageError(op.name, "nothing to change: give at least one field to update")
    return params, body


async def preview(client: PortkeyClient, binding: Binding, params: dict[str, Any],
                  body: dict[str, Any] | None) -> CallToolResult:
    """What a write would send (checked like a real call), and for updates what would change."""
    op = binding.op
    prepared = prepare(op, body, params)
    request = {"method": prepared.method, "path": prepared.path, "query": prepared.query,
               "body": json.loads(prepared.body) if prepared.body else None}
    result: dict[str, Any] = {"dry_run": True, "written": False, "request": request}
    read = DRY_RUN_READS.get(binding.tool)
    if read and body:
        current = await read(client, params)
        # Each field as the read answer names it; compared as the GitOps engine compares versions, so what
        # Portkey adds on its own (template variables in parameters, a copy of model) is no change.
        befores = {name: next((current.get(k) for k in _READ_NAMES.get(name, (name,)) if k in current), None)
                   for name in body if name != "patch"}
        given = {name: body[name] for name in befores}
        differing = set(changed_fields({**current, **befores}, given))
        changes = [{"field": name, "current": befores[name], "new": value} for name, value in given.items()
                   if name in differing]
        unchanged = [name for name in given if name not in differing]
        result.update(changes=changes, unchanged=unchanged, would_change=bool(changes),
                      current_version=current.get("prompt_version"))
    return results.ok(binding.tool, result)


async def _list(state: AppState, binding: Binding, params: dict[str, Any], paging: tuple[int, int, bool]
                ) -> CallToolResult:
    current, size, everything = paging
    client, op, cap = state.client, binding.op, state.options.list_cap
    try:
        if everything:
            page = await list_all(client, op, params, cap)
        else:
            page = await list_page(client, op, params, current, size, cap)
    except PortkeyError:
        raise
    except ValueError as exc:  # the answer holds no recognisable item list
        raise ToolError(f"Portkey answered {binding.tool} with an unexpected shape ({exc}); retrying will not "
                        f"help: read the objects one by one with a get tool, or report this.") from None
    return results.page_result(page)


async def run(binding: Binding, state: AppState, kwargs: dict[str, Any]) -> CallToolResult:
    """The generic handler body."""
    op, tool = binding.op, binding.tool
    args = {k: v for k, v in given(kwargs).items() if v is not None or k in binding.nullable}
    paging: tuple[int, int, bool] | None = None
    if op.is_list:
        page, current = args.pop("page", None), args.pop("current_page", 0)
        paging = (current if page is None else page, args.pop("page_size"), args.pop("all", False))
    dry_run = bool(args.pop("dry_run", False)) if binding.row.param("dry_run") else False
    args = await defaults.fill(tool, binding.row.group, state.client, args)
    ctx = MapContext(tool, op, state.options.required_metadata, frozenset(op.query))
    params, body = route(op, map_arguments(tool, args, ctx))
    if dry_run:
        return await preview(state.client, binding, params, body)
    if paging is not None:
        return await _list(state, binding, params, paging)
    return results.ok(tool, await state.client.call(op.name, body=body, **params))


def _description(binding: Binding, name: str) -> str:
    if name in defaults.defaulted(binding.tool, binding.row.group):
        return defaults.DESCRIPTIONS[name]
    text = param_description(binding.tool, name, binding.op.path)
    if text:
        return text
    param = next((p for p in binding.params if p.name == name), None)
    ptype = param.type if param else ParamType()
    return fallback_description(name, ptype.base, ptype.array, ptype.choices)


def input_schema(binding: Binding, options: ToolOptions) -> dict[str, Any]:
    """The advertised input schema, as the argument model :func:`handler_for` validates."""
    paths = set(binding.op.path_params)
    properties = {p.name: parameter_schema(p.name, p.type, _description(binding, p.name),
                                           MAX_ID_LENGTH if p.name in paths else None)
                  for p in binding.params}
    if binding.op.is_list:
        properties.update(paging_schema(options.list_cap))
        if binding.page_alias:
            properties["page"] = parameter_schema("page", ParamType("int"), PAGE_ALIAS_TEXT)
    return object_schema(properties, (p.name for p in binding.params if p.required))


PAGE_ALIAS_TEXT = "Alias of current_page (0-based), kept for compatibility."
ANSWER_TEXT = "Portkey's answer as returned, secret fields masked (a non-object answer is wrapped as {result})."
DRY_RUN_TEXT = (" With dry_run=true: {dry_run, written, request} (and, for prompt updates, changes, unchanged, "
                "would_change, current_version).")
_INT, _BOOL = {"type": "integer"}, {"type": "boolean"}
# The shape of results.ListPage, compact: it is repeated on every list tool in tools/list.
LIST_OUTPUT: dict[str, Any] = {
    "type": "object",
    "description": "One page: data (Portkey's items as returned), returned (len of data), total (Portkey's count "
                   "or null), has_more, complete (data holds every item), current_page (null with all=true), "
                   "page_size, envelope (other fields of the answer), note (how to get the rest).",
    "properties": {"data": {"type": "array"}, "returned": _INT, "total": {"type": ["integer", "null"]},
                   "has_more": _BOOL, "complete": _BOOL, "current_page": {"type": ["integer", "null"]},
                   "page_size": _INT, "envelope": {"type": "object"}, "note": {"type": ["string", "null"]}},
    "required": ["data", "returned", "total", "has_more", "complete", "current_page", "page_size"],
    "additionalProperties": True,
}


def output_schema(binding: Binding) -> dict[str, Any]:
    """Lists: the page shape; everything else: Portkey's answer, any object."""
    if binding.op.is_list:
        return LIST_OUTPUT
    text = ANSWER_TEXT + (DRY_RUN_TEXT if binding.row.param("dry_run") else "")
    return {"type": "object", "description": text, "additionalProperties": True}


def handler_for(binding: Binding, options: ToolOptions) -> Any:
    """The tool function, with the signature its argument model is built from."""
    paths = set(binding.op.path_params)
    sig = [parameter(p.name, p.type, required=p.required, description=_description(binding, p.name),
                     max_length=MAX_ID_LENGTH if p.name in paths else None)
           for p in binding.params]
    if binding.op.is_list:
        sig += paging_parameters(options.list_cap)
        if binding.page_alias:
            sig.append(parameter("page", ParamType("int"), required=False, description=PAGE_ALIAS_TEXT))
    sig.append(plain_parameter("ctx", Context))

    async def handler(**kwargs: Any) -> CallToolResult:
        state = app_state(kwargs.pop("ctx"))
        try:
            with state.client.command_deadline():  # PORTKEY_DEADLINE bounds the call (all=true walks many pages)
                return await run(binding, state, kwargs)
        except PortkeyError as exc:
            raise to_tool_error(exc, binding.tool, binding.finders) from None

    bind_signature(handler, sig, CallToolResult)
    handler.__name__ = handler.__qualname__ = binding.tool
    return handler


def build_operation_tool(spec: ToolSpec, options: ToolOptions, binding: Binding) -> Tool:
    """The SDK tool for one operation: schemas now, handler and argument model at the first call."""
    shown = [*binding.op.path_params, *(n for n in ("name",) if binding.row.param(n))]
    asks = confirm.unless_dry_run if binding.row.param("dry_run") else None

    def load() -> Any:
        return confirmed_fn(spec, handler_for(binding, options), options, shown, asks)

    return PortkeyTool.lazy(spec, load, input_schema(binding, options), output_schema(binding))
