"""YAML documents with the position of every key and value, and pydantic errors mapped to them."""

from __future__ import annotations

import datetime
import re
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from engine.gitops.model import Diagnostic, Location, Severity
from engine.gitops.schema import PATTERN_HINTS

DataPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


def dotted(path: DataPath) -> str:
    """``('messages', 0, 'content')`` -> ``messages.0.content``."""
    return ".".join(str(p) for p in path)


@dataclass
class YamlDoc:
    """Plain data (dicts, lists, scalars) of one YAML document plus 1-based positions by path."""

    file: str
    data: Any
    keys: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[DataPath, tuple[int, int]] = field(default_factory=dict)

    def location(self, path: DataPath = (), *, key: bool = False) -> Location:
        """Where ``path`` is (its key if ``key``), else the nearest parent that has a position."""
        tables = (self.keys, self.values) if key else (self.values, self.keys)
        current = tuple(path)
        while True:
            for table in tables:
                if current in table:
                    return Location(self.file, *table[current])
            if not current:
                return Location(self.file, 1, 1)
            current = current[:-1]


# Bounds on hostile documents, checked while composing (before anything is built or expanded).
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_NODES = 20_000  # nodes with every alias expanded: a "billion laughs" stops here
# ruamel's scanner slows down quadratically with open flow brackets before the composer sees
# them, so brackets opened this deep (counted without parsing) are refused before parsing.
_MAX_BRACKETS = 4 * MAX_DEPTH
_BRACKET = re.compile(r"[\[\]{}]")


class LimitError(ComposerError):
    """A document beyond :data:`MAX_DEPTH` or :data:`MAX_NODES`, or with an alias inside itself."""


class _GuardedComposer(Composer):
    """ruamel's composer with nesting depth and alias-expanded size counted as it goes.

    Aliases cost nothing to compose but everything to walk: each one is charged the expanded
    size of the node it names, so a bomb is refused at the first alias past the bound.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self._levels = 0
        self._expanded = 0
        self._sizes: dict[Any, int] = {}  # anchor -> expanded size of the node it names
        self._open: set[Any] = set()  # anchors of the nodes being composed (an alias to one is a cycle)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                self._refuse(f"alias *{event.anchor} refers to a node that contains it", event)
            self._charge(self._sizes.get(event.anchor, 1), event)
            return super().compose_node(parent, index)
        self._levels += 1
        if self._levels > MAX_DEPTH:
            self._refuse(f"nested more than {MAX_DEPTH} levels deep; flatten it", event)
        anchor = event.anchor
        if anchor is not None:
            self._open.add(anchor)
        before = self._expanded
        self._charge(1, event)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self._open.discard(anchor)
            self._sizes[anchor] = self._expanded - before
        self._levels -= 1
        return node

    def _charge(self, nodes: int, event: Any) -> None:
        self._expanded += nodes
        if self._expanded > MAX_NODES:
            self._refuse(f"more than {MAX_NODES} values once aliases are expanded; write it out smaller", event)

    def _refuse(self, problem: str, event: Any) -> None:
        raise LimitError(None, None, problem, event.start_mark)


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Composer = _GuardedComposer
    return yaml


def _too_many_brackets(text: str) -> int | None:
    """Offset of the first ``[``/``{`` opened past _MAX_BRACKETS levels (quotes ignored: an upper bound)."""
    if text.count("[") + text.count("{") <= _MAX_BRACKETS:
        return None
    depth = 0
    for match in _BRACKET.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > _MAX_BRACKETS:
            return match.start()
    return None


def parse_yaml(text: str, file: str, line_offset: int = 0) -> YamlDoc | Diagnostic:
    """Parse one document; a syntax error or an over-limit document becomes a Diagnostic.

    The common case (no alias, no tag, no scalar whose type the two YAML versions could read
    differently) is parsed by libyaml (:func:`_fast_parse`), about ten times faster; anything else,
    and every error, goes through ruamel's round-trip parser with the bounded composer, which is
    what reports problems with their line and column.
    """
    deep = _too_many_brackets(text)
    if deep is not None:
        line = text.count("\n", 0, deep) + 1
        column = deep - (text.rfind("\n", 0, deep) + 1) + 1
        message = f"invalid YAML: nested more than {MAX_DEPTH} levels deep; flatten it"
        return Diagnostic(Severity.ERROR, message, Location(file, line + line_offset, column))
    fast = _fast_parse(text, file, line_offset)
    if fast is not None:
        return fast
    return _round_trip(text, file, line_offset)


def _round_trip(text: str, file: str, line_offset: int) -> YamlDoc | Diagnostic:
    """Parse with ruamel's round-trip loader and the bounded composer (the reference path)."""
    try:
        node = _loader().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1 + line_offset, mark.column + 1) if mark else Location(file)
        problem = exc.problem or "cannot parse"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            problem += f" ({exc.context} at line {exc.context_mark.line + 1 + line_offset})"
        return Diagnostic(Severity.ERROR, f"invalid YAML: {problem}", where)
    except (YAMLError, ValueError, TypeError) as exc:
        return Diagnostic(Severity.ERROR, f"invalid YAML: {exc}", Location(file))
    except Exception as exc:  # hostile input must end in a diagnostic, whatever the parser does
        return Diagnostic(Severity.ERROR, f"invalid YAML: the parser failed ({type(exc).__name__})", Location(file))
    doc = YamlDoc(file, None)
    doc.values[()] = (_line(node, line_offset), _col(node)) if _has_lc(node) else (1 + line_offset, 1)
    doc.data = _plain(node, (), doc, line_offset)
    return doc


# ---- the fast path: libyaml composes, we build plain data and positions --------------------------

# Not ruamel.yaml.clib (issue 13 asks for one YAML library): its 0.2.x wheels bundle libyaml 0.1.7, which
# refuses plain scalars holding ':' in flow collections ("[guardrail:pii-redaction]") that libyaml 0.2.x here
# and ruamel's round-trip parser read, so such files would all take the slow path.
_CParser: Any
try:  # PyYAML's libyaml binding; without it every document takes the round-trip path
    from yaml import MappingNode, ScalarNode, SequenceNode
    from yaml._yaml import CParser as _CParser
    from yaml.resolver import BaseResolver as _BaseResolver
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

_IMPLICIT = "tag:portkey-gitops,implicit"  # what our resolver answers for every node without an explicit tag
# what the fast path leaves to the round-trip path before parsing: directives, tabs, anchors (their
# name characters differ between the parsers) and a block scalar header run into a comment ("|#")
_LEAVE = re.compile(r"^%|\t|(?:^|[\s\[{,])&\S|[|>][-+0-9]*#", re.MULTILINE)
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
# plain words YAML 1.1 (and ruamel's 1.1 mode) reads as booleans or nulls: left to the reference path
_AMBIGUOUS_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_AMBIGUOUS_START = frozenset("0123456789+-.~=<!&*|>%@`'\"")


class _Unsure(Exception):
    """The fast path cannot be sure it reads the document as the round-trip path would."""


if _CParser is not None:

    class _FastLoader(_CParser, _BaseResolver):  # type: ignore[misc]
        """libyaml's parser and composer; every implicit tag resolves to :data:`_IMPLICIT`."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            _BaseResolver.__init__(self)

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return _IMPLICIT


def _fast_parse(text: str, file: str, offset: int) -> YamlDoc | None:
    """The document read with libyaml, or None when the round-trip path must decide.

    None for: no libyaml, a text :data:`_LEAVE` matches, a document that is not a mapping or a list,
    any parse error, an alias (so the bounded composer judges
    alias expansion), an explicit tag, a merge key, a duplicate or non-text key, a plain scalar
    that is not plainly text/int/float/bool/null, more than :data:`MAX_DEPTH` levels or
    :data:`MAX_NODES` nodes. Positions come from the same node marks ruamel records.
    """
    if _CParser is None or _LEAVE.search(text):
        return None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
    except Exception:  # any problem is reported by the round-trip path, with its position
        return None
    finally:
        loader.dispose()
    if not isinstance(node, MappingNode | SequenceNode):
        return None  # an empty or scalar document: cheap on the round-trip path, and read as it reads it
    doc = YamlDoc(file, None)
    doc.values[()] = (node.start_mark.line + 1 + offset, node.start_mark.column + 1)
    try:
        doc.data = _FastWalk(doc, offset).walk(node, (), 1)
    except (_Unsure, RecursionError):
        return None
    return doc


class _FastWalk:
    """Plain data and positions from a libyaml node tree, refusing anything uncertain."""

    def __init__(self, doc: YamlDoc, offset: int) -> None:
        self.doc = doc
        self.offset = offset
        self.seen: set[int] = set()

    def mark(self, node: Any) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def walk(self, node: Any, path: DataPath, depth: int) -> Any:
        if id(node) in self.seen or node.tag != _IMPLICIT or depth > MAX_DEPTH or len(self.seen) >= MAX_NODES:
            raise _Unsure  # an alias (the same node twice), a tag, too deep or too big
        self.seen.add(id(node))
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.doc.values[child] = self.mark(item)
                items.append(self.walk(item, child, depth + 1))
            return items
        return _fast_scalar(node)

    def mapping(self, node: Any, path: DataPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, path, depth + 1) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key in out or key == "<<":
                raise _Unsure
            child = (*path, key)
            self.doc.keys[child] = self.mark(key_node)
            value = self.walk(value_node, child, depth + 1)
            if value is not None or isinstance(value_node, MappingNode | SequenceNode):
                self.doc.values[child] = self.mark(value_node)
            out[key] = value
        return out


def _fast_scalar(node: Any) -> Any:
    """A scalar's value as the round-trip path (YAML 1.2) reads it; :class:`_Unsure` when in doubt."""
    value = node.value
    if node.style not in (None, ""):
        return value  # quoted or block scalars are text
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if value[0] in _AMBIGUOUS_START or value.lower() in _AMBIGUOUS_WORDS:
        raise _Unsure
    return value


def _has_lc(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq)


def _line(node: Any, offset: int) -> int:
    return int(node.lc.line) + 1 + offset


def _col(node: Any) -> int:
    return int(node.lc.col) + 1


def _plain(node: Any, path: DataPath, doc: YamlDoc, offset: int) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for raw_key, value in node.items():
            key = raw_key if isinstance(raw_key, str) else str(_scalar(raw_key))
            child = (*path, key)
            try:
                line, col = node.lc.key(raw_key)
                doc.keys[child] = (line + 1 + offset, col + 1)
                if value is not None and not _has_lc(value):
                    line, col = node.lc.value(raw_key)
                    doc.values[child] = (line + 1 + offset, col + 1)
            except (KeyError, TypeError, IndexError):  # merged (<<) keys have no own position
                pass
            if _has_lc(value):
                doc.values[child] = (_line(value, offset), _col(value))
            out[key] = _plain(value, child, doc, offset)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                doc.values[child] = (line + 1 + offset, col + 1)
            except (KeyError, TypeError, IndexError):
                pass
            items.append(_plain(value, child, doc, offset))
        return items
    return _scalar(node)


def _scalar(value: Any) -> Any:
    """ruamel's scalar subclasses as plain Python values."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, TaggedScalar):
        return str(value.value)
    if isinstance(value, bool) or type(value).__name__ == "ScalarBoolean":
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


# ---- pydantic errors -> diagnostics -----------------------------------------------------------


def value_at(data: Any, path: DataPath) -> Any:
    """The value at ``path`` (which must exist)."""
    for part in path:
        data = data[part]
    return data


def validate(doc: YamlDoc, model: type[M], base: DataPath = ()) -> tuple[M | None, list[Diagnostic]]:
    """Validate the value at ``base`` (default: the whole document) against ``model``."""
    data = value_at(doc.data, base)
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        found: dict[tuple[DataPath, str], Diagnostic] = {}
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            path = _locate(data, loc)
            missing = str(loc[-1]) if err["type"] == "missing" and loc else ""
            message = _message(err, model, loc, path)
            where = doc.location((*base, *path), key=err["type"] == "extra_forbidden")
            found[(path, missing)] = Diagnostic(Severity.ERROR, message, where)  # last union branch wins
        return None, list(found.values())


def _locate(data: Any, loc: tuple[Any, ...]) -> DataPath:
    """The part of a pydantic ``loc`` that exists in ``data`` (skips union branch tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if _has(current, part):
            current = current[part]
            path.append(part)
    return tuple(path)


# Pydantic messages that name Python types, said in terms of the YAML file.
_PLAIN = {
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
    "too_short": "must not be empty",
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text (put numbers and true/false in quotes)",
}


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _message(err: Any, model: type[BaseModel], loc: tuple[Any, ...], path: DataPath) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        valid = valid_keys(model, loc[:-1])
        listing = f" (valid: {', '.join(valid)})" if valid else ""
        return f"unknown key '{loc[-1]}'{listing}"
    if kind == "missing":
        where = f"{dotted(path)}: " if path else ""
        return f"{where}missing required key '{loc[-1]}'"
    pattern = (err.get("ctx") or {}).get("pattern")
    if kind == "string_pattern_mismatch" and pattern in PATTERN_HINTS:
        text = f"{PATTERN_HINTS[pattern]} (got {err['input']!r})"
        return f"{dotted(path)}: {text}" if path else text
    text = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = _PLAIN.get(kind, text[:1].lower() + text[1:])
    return f"{dotted(path)}: {text}" if path else text


def _expand(tp: Any) -> list[Any]:
    """A type with Annotated and unions unwrapped into its alternatives."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _expand(get_args(tp)[0])
    if origin is Union or isinstance(tp, types.UnionType):
        return [t for arg in get_args(tp) for t in _expand(arg)]
    return [tp]


def _step(tp: Any, part: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is list and isinstance(part, int) and args:
        return args[0]
    if origin is dict and isinstance(part, str) and len(args) == 2:
        return args[1]
    return None


def valid_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed in the mapping at ``loc`` of ``model`` (aliases where set)."""
    candidates: list[Any] = [model]
    for part in loc:
        stepped = [s for c in candidates for t in _expand(c) if (s := _step(t, part)) is not None]
        if stepped:
            candidates = stepped
    for candidate in candidates:
        for tp in _expand(candidate):
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                return [info.alias or name for name, info in tp.model_fields.items()]
    return []
