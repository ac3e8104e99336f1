"""A small Mustache renderer for prompt templates, plus partial expansion.

Supported: `{{var}}`, `{{{var}}}`, `{{&var}}`, dotted names, `{{.}}`, sections `{{#x}}…{{/x}}`,
inverted sections `{{^x}}…{{/x}}` and comments `{{! … }}`. A missing variable renders as an
empty string, as in Mustache. Values are not HTML-escaped (prompts are not HTML); objects and
arrays render as JSON. Partials `{{>slug}}` / `{{>slug@N}}` are expanded by `expand_partials`
before rendering, so a partial may use the prompt's variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

PARTIAL_TAG = re.compile(r"\{\{\s*>\s*([^\s}]+)\s*\}\}")
_TAG = re.compile(r"\{\{\{\s*(.*?)\s*\}\}\}|\{\{\s*([#^/!&]?)\s*(.*?)\s*\}\}", re.DOTALL)
_MAX_PARTIAL_DEPTH = 10

Node = Any  # str | ("var", name) | ("section", name, inverted, children)


class TemplateError(ValueError):
    """A template that cannot be rendered (unbalanced section, partial loop...)."""


def expand_partials(template: str, load: Callable[[str], str], depth: int = 0) -> str:
    """Replace each `{{>ref}}` with `load(ref)`, recursively; `load` raises for unknown refs."""
    if depth > _MAX_PARTIAL_DEPTH:
        raise TemplateError("partials nested too deeply (a partial includes itself?)")
    return PARTIAL_TAG.sub(lambda m: expand_partials(load(m.group(1)), load, depth + 1), template)


def render(template: str, variables: dict[str, Any]) -> str:
    """Render `template` with `variables`."""
    return _render_nodes(_parse(template), [variables])


def _parse(template: str) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[str, bool, list[Node]]] = []
    current = root
    pos = 0
    for match in _TAG.finditer(template):
        if match.start() > pos:
            current.append(template[pos : match.start()])
        pos = match.end()
        if match.group(1) is not None:
            current.append(("var", match.group(1)))
            continue
        sigil, name = match.group(2), match.group(3)
        if sigil == "!":
            continue
        if sigil in ("#", "^"):
            children: list[Node] = []
            current.append(("section", name, sigil == "^", children))
            stack.append((name, sigil == "^", current))
            current = children
        elif sigil == "/":
            if not stack or stack[-1][0] != name:
                raise TemplateError(f"unexpected closing tag {{{{/{name}}}}}")
            current = stack.pop()[2]
        else:
            current.append(("var", name))
    if stack:
        raise TemplateError(f"unclosed section {{{{#{stack[-1][0]}}}}}")
    if pos < len(template):
        current.append(template[pos:])
    return root


def _lookup(name: str, contexts: list[Any]) -> Any:
    if name == ".":
        return contexts[-1]
    head, *rest = name.split(".")
    for ctx in reversed(contexts):
        if isinstance(ctx, dict) and head in ctx:
            value = ctx[head]
            for part in rest:
                value = value.get(part) if isinstance(value, dict) else None
            return value
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _render_nodes(nodes: list[Node], contexts: list[Any]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node[0] == "var":
            out.append(_text(_lookup(node[1], contexts)))
        else:
            _, name, inverted, children = node
            value = _lookup(name, contexts)
            truthy = bool(value) and value != "false"
            if inverted:
                if not truthy:
                    out.append(_render_nodes(children, contexts))
            elif isinstance(value, list):
                out.extend(_render_nodes(children, [*contexts, item]) for item in value)
            elif truthy:
                out.append(_render_nodes(children, [*contexts, value]))
    return "".join(out)


def template_names(template: str) -> dict[str, list[str]]:
    """The names a template uses, in order of first use: `variables` (plain `{{x}}`, `{{{x}}}`,
    `{{&x}}`), `sections` (`{{#x}}`, `{{^x}}`) and `partials` (`{{>x}}`). This is what Portkey
    reports as a prompt's `variable_components` and echoes into `parameters`
    (shared/portkey-live/responses/prompts-get.json)."""
    found: dict[str, list[str]] = {"variables": [], "sections": [], "partials": []}

    def add(kind: str, name: str) -> None:
        if name and name != "." and name not in found[kind]:
            found[kind].append(name)

    for match in PARTIAL_TAG.finditer(template):
        add("partials", match.group(1))
    for match in _TAG.finditer(template):
        triple, sigil, name = match.group(1), match.group(2), match.group(3)
        if triple is not None:
            add("variables", triple)
        elif sigil in ("#", "^"):
            add("sections", name)
        elif sigil in ("", "&") and not name.startswith(">"):
            add("variables", name)
    return found
