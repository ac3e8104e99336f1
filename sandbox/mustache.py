"""Prompt templates rendered by pystache (Mustache), plus Portkey's `{{>slug@N}}` partials.

Values are not HTML-escaped (prompts are not HTML); a missing variable renders as an empty string;
objects and arrays render as JSON, booleans as `true`/`false`, and the string `"false"` counts as
false in a section. A partial tag names `slug`, `slug@N` or `slug@latest`; every partial a template
reaches is loaded before rendering (an unknown one fails even inside a section that is not shown),
so a partial may use the prompt's variables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pystache
from pystache.parser import ParsingError, parse

_MAX_PARTIAL_DEPTH = 10


class TemplateError(ValueError):
    """A template that cannot be rendered (unbalanced section, partial loop...)."""


class _Renderer(pystache.Renderer):  # type: ignore[misc]
    def str_coerce(self, val: Any) -> str:
        if val is None:
            return ""
        if isinstance(val, bool):
            return "true" if val else "false"
        if isinstance(val, dict | list):
            return json.dumps(val)
        return str(val)


def _parsed(template: str) -> Any:
    try:
        return parse(template, raise_on_mismatch=True)
    except ParsingError as exc:
        raise TemplateError(f"not a valid Mustache template: {exc}") from None


def _tags(parsed: Any) -> Iterator[tuple[str, str]]:
    """(kind, name) of each tag, in order: ``variables``, ``sections`` or ``partials``."""
    for node in parsed._parse_tree:  # pystache has no public walker over its parse tree
        kind = type(node).__name__
        if kind in ("_SectionNode", "_InvertedNode"):
            yield "sections", node.key
            yield from _tags(node.parsed if kind == "_SectionNode" else node.parsed_section)
        elif kind == "_PartialNode":
            yield "partials", node.key
        elif kind in ("_EscapeNode", "_LiteralNode"):
            yield "variables", node.key


def _false_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _false_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_false_strings(v) for v in value]
    return False if value == "false" else value


def render(template: str, variables: dict[str, Any], load: Callable[[str], str] | None = None) -> str:
    """Render `template` with `variables`; `load(ref)` gives the text of `{{>ref}}` and raises for unknown refs."""
    partials: dict[str, str] = {}

    def collect(text: str, depth: int) -> None:
        if depth > _MAX_PARTIAL_DEPTH:
            raise TemplateError("partials nested too deeply (a partial includes itself?)")
        for kind, ref in _tags(_parsed(text)):
            if kind == "partials":
                if ref not in partials:
                    if load is None:
                        raise TemplateError(f"unknown partial {{{{>{ref}}}}}")
                    partials[ref] = load(ref)
                collect(partials[ref], depth + 1)

    collect(template, 0)
    renderer = _Renderer(escape=lambda s: s, missing_tags="ignore", partials=partials)
    return str(renderer.render(template, _false_strings(variables)))


def template_names(template: str) -> dict[str, list[str]]:
    """The names a template uses, in order of first use: `variables` (plain `{{x}}`, `{{{x}}}`,
    `{{&x}}`), `sections` (`{{#x}}`, `{{^x}}`) and `partials` (`{{>x}}`). This is what Portkey
    reports as a prompt's `variable_components` and echoes into `parameters`
    (shared/portkey-live/responses/prompts-get.json). A template Mustache cannot parse uses none."""
    found: dict[str, list[str]] = {"variables": [], "sections": [], "partials": []}
    try:
        tags = list(_tags(_parsed(template)))
    except TemplateError:
        return found
    for kind, name in tags:
        if name and name != "." and name not in found[kind]:
            found[kind].append(name)
    return found
