"""THE route table, read from the operation table (`portkey_catalogue`), and the router that matches a request
against it.

Each row of the table with a path is served by the handler of the same name in `sandbox/handlers/`; its `also=`
forms go to the same handler. A row that sends the same request as a served row (same method, same path but for
parameter names) is that route's alias: the sandbox cannot tell the two apart, so the request log names the
served row. Rows in `UNSERVED` get no route. To serve a new operation, add its row to the table and write a
handler named after it. Where two templates match one path, the one with literal segments earlier wins, so
`/prompts/partials/{id}` beats `/prompts/{prompt_id}/…` whatever the row order.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType

import portkey_catalogue
import sandbox.handlers
from sandbox.routing import Handler, Operation

# Every module of sandbox/handlers/ (helper modules hold no function named after a tool; a clash is refused
# by handler_for), so a new handler module needs no registration here.
HANDLER_MODULES: tuple[ModuleType, ...] = tuple(
    importlib.import_module(f"{sandbox.handlers.__name__}.{module.name}")
    for module in sorted(pkgutil.iter_modules(sandbox.handlers.__path__), key=lambda m: m.name)
)

# Rows of the table the sandbox does not route, and why.
UNSERVED: Mapping[str, str] = {
    "list_traces": "the live API answers this request with 405 (portkey-api.md §10), and so does the router",
}


def handler_for(tool: str, modules: Iterable[ModuleType] = HANDLER_MODULES) -> Handler | None:
    """The handler named `tool` in the handler modules, or None; LookupError if two modules define different ones."""
    found = {id(fn): fn for module in modules if callable(fn := getattr(module, tool, None))}
    if len(found) > 1:
        raise LookupError(f"two sandbox handlers are called {tool}")
    return next(iter(found.values()), None)


def _served(same: list[portkey_catalogue.Row], method: str, path_of: dict[str, str]) -> Operation | None:
    """The route for rows that send one request: the one row with a handler, the others its aliases."""
    handled = [(row, fn) for row in same if (fn := handler_for(row.tool)) is not None]
    unrouted = [row.tool for row in same if row.tool not in UNSERVED] if not handled else []
    if unrouted:
        raise LookupError(f"no sandbox handler for {', '.join(unrouted)}: write one or list it in UNSERVED")
    if len(handled) > 1:
        raise LookupError(f"{' and '.join(r.tool for r, _ in handled)} send the same request: keep one handler")
    if not handled:
        return None
    row, fn = handled[0]
    aliases = tuple(other.tool for other in same if other is not row)
    return Operation(row.tool, method, path_of[row.tool], fn, aliases)


def build_routes(rows: Iterable[portkey_catalogue.Row]) -> tuple[tuple[Operation, ...], tuple[Operation, ...]]:
    """The routes under `/v1` and the public ones (host root, no key) for the table's `rows`."""
    groups: dict[tuple[bool, str, str], tuple[list[portkey_catalogue.Row], dict[str, str]]] = {}
    for row in rows:
        for route in (row.route, *row.also) if row.route else ():
            same, path_of = groups.setdefault((row.public, route.method, route.shape), ([], {}))
            same.append(row)
            path_of[row.tool] = route.path
    api: list[Operation] = []
    public: list[Operation] = []
    for (is_public, method, _), (same, path_of) in groups.items():
        served = _served(same, method, path_of)
        if served is not None:
            (public if is_public else api).append(served)
    return tuple(api), tuple(public)


OPERATIONS, PUBLIC_OPERATIONS = build_routes(portkey_catalogue.load())


@dataclass(frozen=True)
class Match:
    """The outcome of routing: an operation with its path parameters, or the allowed methods
    of a path that exists under other methods (405), or neither (404)."""

    operation: Operation | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


class Router:
    """Matches `(method, path)` against a table of operations."""

    def __init__(self, operations: tuple[Operation, ...] = OPERATIONS):
        self._operations = sorted(operations, key=lambda op: op.specificity)

    def match(self, method: str, path: str) -> Match:
        """Route `path` (relative to /v1, already percent-decoded, e.g. `/prompts/pp-x`)."""
        path = "/" + path.strip("/")
        best: tuple[int, ...] | None = None
        allowed: list[str] = []
        for op in self._operations:
            found = op.pattern.match(path)
            if found is None or (best is not None and op.specificity != best):
                continue
            best = op.specificity
            if op.method == method:
                return Match(op, found.groupdict())
            allowed.append(op.method)
        return Match(None, {}, tuple(sorted(set(allowed))))
