"""Scan Mustache templates for the variables and partials they use.

Only what the loader needs: tag names, partial references (``{{>name}}``,
``{{> name}}``, ``{{>name@3}}``) and section balance. Nothing is rendered.

Hand-written rather than a Mustache library's parser: the loader reports every problem of a file at
once, each at its line and column with the fix, and never raises; pystache (the sandbox's renderer)
stops at the first error and keeps no tag offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# A triple mustache first, then an ordinary tag; tags may span lines (comments).
_TAG = re.compile(r"\{\{\{(.*?)\}\}\}|\{\{(.*?)\}\}", re.DOTALL)
_SIGILS = "#^/&>!="
# What a partial tag names: ``key`` or ``key@N`` (N pins a published version).
_PARTIAL_REF = re.compile(r"([A-Za-z0-9_\-/.]+?)(?:@(\d+))?")


@dataclass(frozen=True)
class PartialUse:
    """One ``{{>name}}`` tag at ``offset:end``; ``version`` is the ``@N`` pin, if any."""

    name: str
    version: str | None
    offset: int
    end: int

    def tag(self, name: str) -> str:
        """This tag naming ``name`` instead, its pin kept."""
        return "{{>" + name + (f"@{self.version}" if self.version else "") + "}}"


@dataclass(frozen=True)
class TemplateProblem:
    """A structural error in a template, at a character offset."""

    message: str
    offset: int


@dataclass
class TemplateScan:
    """What a template uses.

    ``variables`` holds every variable name (first segment of dotted names);
    ``top_level`` only those read outside ``{{#section}}`` blocks, which must
    come from the caller (names inside a section may be fields of its item).
    """

    variables: set[str] = field(default_factory=set)
    top_level: set[str] = field(default_factory=set)
    partials: list[PartialUse] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)

    def merge(self, other: TemplateScan) -> None:
        """Add another scan's names (used for partials pulled into a prompt)."""
        self.variables |= other.variables
        self.top_level |= other.top_level


def _root_name(name: str) -> str | None:
    if name == ".":
        return None
    return name.split(".", 1)[0] or None


def scan(text: str) -> TemplateScan:
    """Scan ``text`` for tags; never raises."""
    result = TemplateScan()
    stack: list[tuple[str, str, int]] = []  # (sigil, name, offset) of open sections

    def use(name: str) -> None:
        root = _root_name(name)
        if root is None:
            return
        result.variables.add(root)
        if not any(sigil == "#" for sigil, _, _ in stack):
            result.top_level.add(root)

    for match in _TAG.finditer(text):
        offset = match.start()
        if match.group(1) is not None:  # {{{name}}}
            name = match.group(1).strip()
            if name:
                use(name)
            else:
                result.problems.append(TemplateProblem("empty tag {{{}}}", offset))
            continue
        body = match.group(2).strip()
        sigil = body[:1] if body[:1] in _SIGILS else ""
        name = body[len(sigil) :].strip()
        if sigil == "!":
            continue
        if sigil == "=":
            result.problems.append(TemplateProblem("changing Mustache delimiters ({{=...=}}) is not supported", offset))
            continue
        if not name:
            result.problems.append(TemplateProblem(f"empty tag {match.group(0)}", offset))
            continue
        if sigil == ">":
            ref = _PARTIAL_REF.fullmatch(name)
            if ref is None:
                result.problems.append(
                    TemplateProblem(
                        f"bad partial reference {match.group(0)}: write {{{{>key}}}} or {{{{>key@N}}}}", offset
                    )
                )
            else:
                result.partials.append(PartialUse(ref.group(1), ref.group(2), offset, match.end()))
        elif sigil in ("#", "^"):
            use(name)
            stack.append((sigil, name, offset))
        elif sigil == "/":
            _close(stack, name, offset, result)
        else:  # variable, & unescaped
            use(name)
    for sigil, name, offset in stack:
        result.problems.append(
            TemplateProblem(f"section {{{{{sigil}{name}}}}} is never closed: add {{{{/{name}}}}}", offset)
        )
    return result


def replace_partials(text: str, swap: Callable[[PartialUse], str]) -> str:
    """``text`` with each partial tag replaced by ``swap(use)`` (a ``{{>x}}`` inside a comment is no tag)."""
    parts: list[str] = []
    pos = 0
    for use in scan(text).partials:
        parts += [text[pos : use.offset], swap(use)]
        pos = use.end
    return "".join(parts) + text[pos:]


def _close(stack: list[tuple[str, str, int]], name: str, offset: int, result: TemplateScan) -> None:
    if not stack:
        result.problems.append(TemplateProblem(f"{{{{/{name}}}}} closes no open section", offset))
        return
    sigil, open_name, _ = stack[-1]
    if open_name != name:
        result.problems.append(
            TemplateProblem(
                f"{{{{/{name}}}}} does not match the open section {{{{{sigil}{open_name}}}}}: "
                f"close it with {{{{/{open_name}}}}} first",
                offset,
            )
        )
        if not any(n == name for _, n, _ in stack):
            return
        while stack and stack[-1][1] != name:
            stack.pop()
    stack.pop()


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
