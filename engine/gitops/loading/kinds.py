"""One resource file -> :class:`Loaded`: parse, substitute, validate; each kind (engine.gitops.kinds) builds
its own resource from the validated file."""

from __future__ import annotations

from pathlib import Path

from engine.gitops.kinds import KINDS, Kind
from engine.gitops.loading.context import Context
from engine.gitops.loading.project import Settings
from engine.gitops.loading.records import Loaded
from engine.gitops.loading.values import substitute
from engine.gitops.loading.yamldoc import YamlDoc, parse_yaml, validate
from engine.gitops.model import ResourceKind


def load_resource(ctx: Context, settings: Settings, kind: ResourceKind, key: str, path: Path) -> Loaded | None:
    """Load one resource file; None when it has errors (already reported)."""
    return KINDS[kind].load(ctx, settings, key, path)


def load_yaml_resource(ctx: Context, settings: Settings, kind: Kind, key: str, path: Path) -> Loaded | None:
    """A YAML resource file: parsed, its bindings and secret references substituted (secrets only where the
    kind's rules allow), validated against the kind's file model, then built by the kind."""
    file = ctx.rel(path)
    text = ctx.read_text(path)
    if text is None:
        return None
    doc = parse_yaml(text, file)
    if not isinstance(doc, YamlDoc):
        ctx.diagnostics.append(doc)
        return None
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        ctx.error("a resource file must be a YAML mapping (key: value lines)", doc.location())
        return None
    kind.prepare(doc.data, settings)
    declared = settings.project.secrets if settings.bindings.known else None
    secrets = substitute(ctx, settings.bindings, doc, kind.secret_rules(), declared)
    parsed, problems = validate(doc, kind.file_model)
    ctx.diagnostics.extend(problems)
    if parsed is None:
        return None
    return kind.build(ctx, settings, key, path, doc, parsed, secrets)
