"""Loading prompt and partial files: the kinds made of prose, Mustache tags and text files (the steps every
YAML file shares are in engine.gitops.loading.kinds)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.gitops.loading.context import Context
from engine.gitops.loading.project import Settings
from engine.gitops.loading.records import BUILTIN_LABELS, Loaded, RefSite
from engine.gitops.loading.values import Rules, check_prose_text, substitute
from engine.gitops.loading.yamldoc import DataPath, YamlDoc, parse_yaml, validate
from engine.gitops.model import Location, Resource, ResourceKind, address
from engine.gitops.schema import Message, PartialFrontMatter, PromptFile, Release
from engine.gitops.templates import TemplateScan, line_col, scan

_OPENING = re.compile(r"---[ \t]*(?:\n|\Z)")
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)^---[ \t]*(?:\n|\Z)", re.DOTALL | re.MULTILINE)

Where = Callable[[int], Location]


def _is_prose(path: DataPath) -> bool:
    return path == ("template",) or (len(path) == 3 and path[0] == "messages" and path[2] == "content")


PROMPT_RULES = Rules(prose=_is_prose)


def apply_prompt_defaults(data: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Fill a prompt file's missing model/virtual_key and parameter keys from portkey.yaml defaults."""
    for name in ("model", "virtual_key"):
        if name not in data and defaults.get(name) is not None:
            data[name] = defaults[name]
    base = defaults.get("parameters")
    if isinstance(base, dict) and base:
        own = data.get("parameters")
        if own is None:
            data["parameters"] = dict(base)
        elif isinstance(own, dict):
            for name, value in base.items():
                own.setdefault(name, value)


def partial_site(name: str, location: Location) -> RefSite:
    return RefSite(
        address(ResourceKind.PARTIAL, name),
        location,
        f"unknown partial {name}; declare partials/{name}.partial.md",
    )


def label_site(name: str, location: Location) -> RefSite:
    builtin = ", ".join(sorted(BUILTIN_LABELS))
    return RefSite(
        address(ResourceKind.LABEL, name),
        location,
        f"unknown label {name}; declare labels/{name}.label.yaml (built-in labels: {builtin})",
    )


def strip_one_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def in_file(file: str, text: str, first_line: int = 1) -> Where:
    """Maps an offset in ``text`` (which starts at ``first_line`` of ``file``) to a Location."""

    def where(offset: int) -> Location:
        line, column = line_col(text, offset)
        return Location(file, line + first_line - 1, column)

    return where


def scan_text(ctx: Context, text: str, where: Where) -> tuple[TemplateScan, list[RefSite]]:
    """Scan one template text, reporting its structural problems; returns the scan and partial refs."""
    result = scan(text)
    for problem in result.problems:
        ctx.error(problem.message, where(problem.offset))
    sites = [partial_site(use.name, where(use.offset)) for use in result.partials]
    return result, sites


# ---- partials -----------------------------------------------------------------------------


def load_partial(ctx: Context, settings: Settings, key: str, path: Path) -> Loaded | None:
    """``partials/<key>.partial.md``: optional YAML front matter, then the body."""
    file = ctx.rel(path)
    text = ctx.read_text(path)
    if text is None:
        return None
    doc = YamlDoc(file, {})
    body, first_line = text, 1
    if _OPENING.match(text):
        match = _FRONT_MATTER.match(text)
        if match is None:
            ctx.error("front matter is not closed: add a line '---' after it", Location(file, 1, 1))
            return None
        parsed_doc = parse_yaml(match.group(1), file, line_offset=1)
        if not isinstance(parsed_doc, YamlDoc):
            ctx.diagnostics.append(parsed_doc)
            return None
        doc = parsed_doc
        body, first_line = text[match.end() :], text.count("\n", 0, match.end()) + 1
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        ctx.error("front matter must be a YAML mapping (name, version_description, publish)", doc.location())
        return None
    substitute(ctx, settings.bindings, doc)
    front, problems = validate(doc, PartialFrontMatter)
    ctx.diagnostics.extend(problems)
    body = strip_one_newline(body)
    check_prose_text(ctx, body, file, first_line)
    if not body.strip():
        ctx.error("the partial is empty: write its text after the front matter", Location(file, first_line, 1))
    own_scan, sites = scan_text(ctx, body, in_file(file, body, first_line))
    if front is None:
        return None
    spec = {
        "name": front.name or key,
        "string": body,
        "version_description": front.version_description,
        "publish": front.publish,
    }
    resource = Resource(ResourceKind.PARTIAL, key, spec, Location(file, 1, 1))
    resource.refs = {site.address for site in sites}
    return Loaded(resource, doc, sites, own_scan)


# ---- prompts ------------------------------------------------------------------------------


class _PromptBuilder:
    """Reads the text files of one prompt and collects its scans and references."""

    def __init__(self, ctx: Context, doc: YamlDoc, path: Path) -> None:
        self.ctx = ctx
        self.doc = doc
        self.path = path
        self.scan = TemplateScan()
        self.sites: list[RefSite] = []
        self.failed = False

    def text_file(self, relative: str, at: DataPath) -> str | None:
        """The prose of a file named in the YAML (``content_file``, ``template_file``)."""
        cite = self.doc.location(at)
        target = self.path.parent / relative
        if not self.ctx.inside(target):
            self.ctx.error(f"{at[-1]} {relative!r} points outside the project; keep it under the root", cite)
        elif not os.path.lexists(target):
            shown = self.ctx.rel(target)
            self.ctx.error(f"{at[-1]} {relative!r} not found (looked for {shown}): create it or fix the path", cite)
        else:
            text = self.ctx.read_text(target, cite)
            if text is not None:
                text = strip_one_newline(text)
                file = self.ctx.rel(target)
                check_prose_text(self.ctx, text, file)
                self._scan(text, in_file(file, text))
                return text
        self.failed = True
        return None

    def inline(self, text: str, at: DataPath) -> str:
        location = self.doc.location(at)
        self._scan(text, lambda _offset: location)
        return text

    def _scan(self, text: str, where: Where) -> None:
        result, sites = scan_text(self.ctx, text, where)
        self.scan.merge(result)
        self.sites.extend(sites)

    def message(self, index: int, message: Message) -> dict[str, Any]:
        at: DataPath = ("messages", index)
        if message.content_file is not None:
            content = self.text_file(message.content_file, (*at, "content_file"))
        else:
            content = self.inline(message.content or "", (*at, "content"))
        return {"role": message.role, "content": content}


def load_prompt(
    ctx: Context, settings: Settings, key: str, path: Path, doc: YamlDoc, parsed: PromptFile
) -> Loaded | None:
    """Build a prompt's spec from its validated YAML and the text files it names."""
    build = _PromptBuilder(ctx, doc, path)
    template: str | None = None
    messages: list[dict[str, Any]] | None = None
    if parsed.messages is not None:
        messages = [build.message(i, m) for i, m in enumerate(parsed.messages)]
    elif parsed.template_file is not None:
        template = build.text_file(parsed.template_file, ("template_file",))
    else:
        template = build.inline(parsed.template or "", ("template",))
    release, sites = _release(settings, doc, parsed.release)
    sites.extend(build.sites)
    if parsed.collection is not None:
        sites.append(
            RefSite(
                address(ResourceKind.COLLECTION, parsed.collection),
                doc.location(("collection",)),
                f"unknown collection {parsed.collection}; declare collections/{parsed.collection}.collection.yaml",
            )
        )
    if build.failed:
        return None
    spec = {
        "name": parsed.name or key,
        "collection": parsed.collection,
        "model": parsed.model,
        "virtual_key": parsed.virtual_key,
        "parameters": parsed.parameters,
        "template": template,
        "messages": messages,
        "functions": parsed.functions,
        "tools": parsed.tools,
        "tool_choice": parsed.tool_choice,
        "variables": parsed.variables,
        "version_description": parsed.version_description,
        "metadata": parsed.metadata,
        "release": {"default": release.default, "labels": list(release.labels)},
    }
    resource = Resource(ResourceKind.PROMPT, key, spec, doc.location())
    resource.refs = {s.address for s in build.sites}
    if parsed.collection is not None:
        resource.refs.add(address(ResourceKind.COLLECTION, parsed.collection))
    resource.refs |= {address(ResourceKind.LABEL, lb) for lb in release.labels if lb not in BUILTIN_LABELS}
    return Loaded(resource, doc, sites, build.scan)


def _release(settings: Settings, doc: YamlDoc, own: Release) -> tuple[Release, list[RefSite]]:
    """The effective release policy (the overlay's replaces the file's) and label sites of both."""
    sites = [
        label_site(label, doc.location(("release", "labels", i)))
        for i, label in enumerate(own.labels)
        if label not in BUILTIN_LABELS
    ]
    overlay = settings.overlay
    if overlay is None or overlay.release is None:
        return own, sites
    sites += [
        label_site(label, overlay.doc.location(("release", "labels", i)))
        for i, label in enumerate(overlay.release.labels)
        if label not in BUILTIN_LABELS
    ]
    return overlay.release, sites
