"""The Portkey operation table (``operations.tsv``) and its reader: the one place an operation's method and path live.

One row per catalogue tool. The client (``engine.portkey``) binds one method per row with a path, the MCP server
(``mcp_server``) one tool per row, and the sandbox (``sandbox``) routes each row with a path to its handler of the
same name. This package is data plus a dependency-free reader, so that both sides can read the table without
importing each other's code.

Columns:

- ``tool``, ``source`` (seed, successor, spec), ``group`` (the MCP toolset), ``kind`` (R, W, D, W$; L local);
- ``method`` and ``path``: the HTTP request under ``/v1`` (at the host root with the ``public`` flag), path
  parameters in braces; empty path for tools that are not one request (composites, local checks);
- ``query``: the query parameters the request takes, ``name(type)``, ``*`` after a required one;
- ``body``: the name of the client's request-body model, ``?`` after it when the body may be left out;
- ``flags``: space-separated ``paging=…``, ``normalize=…`` (a function of ``engine.portkey.normalize``),
  ``creates_version``, ``not_in_spec``, ``public``, ``secret=field,…`` (answer fields shown only once) and
  ``also=METHOD:/path`` (another form of the request Portkey's own tools send, served by the sandbox too);
- ``required``, ``optional``: the MCP tool's parameters as users know them, ``name(type)``;
- ``notes``: prose (``Enterprise-gated`` marks operations only Enterprise plans may call).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "COLUMNS",
    "FLAGS",
    "Param",
    "ParamType",
    "QueryParam",
    "Route",
    "Row",
    "by_name",
    "load",
    "parse",
    "parse_params",
    "text",
]

COLUMNS = (
    "tool",
    "source",
    "group",
    "kind",
    "method",
    "path",
    "query",
    "body",
    "flags",
    "required",
    "optional",
    "notes",
)
FLAGS = frozenset({"paging", "normalize", "creates_version", "not_in_spec", "public", "secret", "also"})
PAGING = frozenset({"none", "offset", "offset_camel", "page", "page0"})
QUERY_TYPES = frozenset({"string", "int", "number", "bool"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

_PARAM = re.compile(r"([a-z_][a-z0-9_]*)(?:\((.+)\))?")
_QUERY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\(([a-z]+)\))?(\*?)")
_PATH = re.compile(r"/(?:[A-Za-z0-9._-]+|\{[a-z_]+\})(?:/(?:[A-Za-z0-9._-]+|\{[a-z_]+\}))*")
_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class ParamType:
    """A tool parameter type: a base (string, int, number, bool, object, enum, or a format), whether it is an
    array, whether null is meaningful, and the enum values."""

    base: str = "string"
    array: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> ParamType:
        if not text:
            return cls()
        nullable = text.endswith("|null")
        if nullable:
            text = text.removesuffix("|null")
        if text.startswith("enum"):
            head, _, values = text.partition(":")
            return cls("enum", head.endswith("[]"), nullable, tuple(values.split("|")))
        array = text.endswith("[]")
        return cls(text.removesuffix("[]"), array, nullable)


@dataclass(frozen=True)
class Param:
    """A tool parameter (the ``required`` and ``optional`` columns)."""

    name: str
    type: ParamType
    required: bool


@dataclass(frozen=True)
class QueryParam:
    """A query parameter of the request: its wire name, type (string, int, number, bool) and whether it is required."""

    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Route:
    """A method and a path template."""

    method: str
    path: str

    @property
    def params(self) -> tuple[str, ...]:
        """Names of the ``{…}`` placeholders, in order."""
        return tuple(_PATH_PARAM.findall(self.path))

    @property
    def shape(self) -> str:
        """The path with placeholder names erased (``/prompts/{}``): two routes of one shape are one endpoint."""
        return _PATH_PARAM.sub("{}", self.path)


@dataclass(frozen=True)
class Row:
    """One row of the table."""

    tool: str
    source: str
    group: str
    kind: str
    method: str
    path: str
    query: tuple[QueryParam, ...]
    body: str
    body_required: bool
    flags: Mapping[str, str]
    params: tuple[Param, ...]
    notes: str

    @property
    def route(self) -> Route | None:
        """The request this tool sends, or None for a tool that is not one request."""
        return Route(self.method, self.path) if self.path else None

    @property
    def also(self) -> tuple[Route, ...]:
        """Other forms of the same request (``also=METHOD:/path``)."""
        forms = self.flags.get("also", "")
        return tuple(Route(*form.split(":", 1)) for form in forms.split(",") if form)

    @property
    def enterprise(self) -> bool:
        return "Enterprise-gated" in self.notes

    @property
    def paging(self) -> str:
        return self.flags.get("paging", "none")

    @property
    def public(self) -> bool:
        """Served at the host root (no ``/v1``) without the API key."""
        return "public" in self.flags

    @property
    def in_spec(self) -> bool:
        return "not_in_spec" not in self.flags

    @property
    def creates_version(self) -> bool:
        return "creates_version" in self.flags

    @property
    def normalize(self) -> str | None:
        return self.flags.get("normalize")

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.flags.get("secret", "").split(",") if f)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_params(text: str, *, required: bool) -> list[Param]:
    """``"name, version(int), role(enum:a|b)"`` → parameters."""
    params = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _PARAM.fullmatch(part)
        if match is None:
            raise ValueError(f"catalogue parameter {part!r} is not name or name(type)")
        params.append(Param(match.group(1), ParamType.parse(match.group(2)), required))
    return params


def _query(text: str) -> tuple[QueryParam, ...]:
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _QUERY.fullmatch(part)
        if match is None or (match.group(2) or "string") not in QUERY_TYPES:
            raise ValueError(f"query parameter {part!r} is not name, name(int|number|bool) or either with a *")
        found.append(QueryParam(match.group(1), match.group(2) or "string", bool(match.group(3))))
    return tuple(found)


def _flags(text: str) -> Mapping[str, str]:
    flags: dict[str, str] = {}
    for token in text.split():
        key, _, value = token.partition("=")
        if key not in FLAGS:
            raise ValueError(f"unknown flag {key!r} (known: {', '.join(sorted(FLAGS))})")
        if key in flags:
            raise ValueError(f"flag {key!r} given twice")
        flags[key] = value
    if flags.get("paging", "none") not in PAGING:
        raise ValueError(f"paging={flags['paging']} is not one of {', '.join(sorted(PAGING))}")
    return MappingProxyType(flags)


def _check(row: Row) -> None:
    for route in (row.route, *row.also) if row.route else row.also:
        if route.method not in METHODS:
            raise ValueError(f"method {route.method!r} is not one of {', '.join(sorted(METHODS))}")
        if not _PATH.fullmatch(route.path):
            raise ValueError(f"path {route.path!r} is not /segment/{{param}}/… (no query, no host)")
    names = [q.name for q in row.query]
    if len(set(names)) != len(names):
        raise ValueError("a query parameter is listed twice")


def _row(raw: Mapping[str, str]) -> Row:
    params = parse_params(raw["required"], required=True) + parse_params(raw["optional"], required=False)
    body = raw["body"]
    row = Row(
        raw["tool"],
        raw["source"],
        raw["group"],
        raw["kind"],
        raw["method"],
        raw["path"],
        _query(raw["query"]),
        body.removesuffix("?"),
        bool(body) and not body.endswith("?"),
        _flags(raw["flags"]),
        tuple(params),
        raw["notes"],
    )
    _check(row)
    return row


def parse(content: str) -> tuple[Row, ...]:
    """Parse the TSV text of the table; a bad row raises ValueError naming its line and tool."""
    reader = csv.DictReader(content.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"the table's columns must be {', '.join(COLUMNS)}")
    rows = []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(_row(raw))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"operations.tsv line {line} ({raw.get('tool')}): {exc}") from None
    tools = [row.tool for row in rows]
    if len(set(tools)) != len(tools):
        raise ValueError("a tool name appears twice in operations.tsv")
    return tuple(rows)


def text() -> str:
    """The table shipped with the package."""
    return resources.files(__name__).joinpath("operations.tsv").read_text(encoding="utf-8")


@cache
def load() -> tuple[Row, ...]:
    """Every row, in file order."""
    return parse(text())


@cache
def by_name() -> Mapping[str, Row]:
    """Every row by tool name."""
    return MappingProxyType({row.tool: row for row in load()})
