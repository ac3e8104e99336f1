"""Checks across files, run once every file is loaded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from engine.gitops.kinds import INCLUDED, KINDS
from engine.gitops.loading.context import Context
from engine.gitops.loading.project import Settings
from engine.gitops.loading.records import Loaded
from engine.gitops.model import DesiredState, Moved, Resource, split_address
from engine.gitops.templates import TemplateScan


def check_references(ctx: Context, loaded: Iterable[Loaded], declared: Mapping[str, str]) -> None:
    """Every reference must name a declared resource (a file, even one with errors)."""
    for item in loaded:
        for site in item.sites:
            if site.address not in declared:
                ctx.error(site.message, site.location)


def check_variables(ctx: Context, loaded: Mapping[str, Loaded]) -> None:
    """Compare each prompt's declared ``variables`` with what its text and partials use."""
    for item in loaded.values():
        resource = item.resource
        declared = resource.spec.get("variables") if KINDS[resource.kind].declares_variables else None
        if declared is None or item.scan is None or item.doc is None:
            continue
        used = _with_partials(item, loaded)
        for name in sorted(used.top_level - set(declared)):
            ctx.warning(
                f"variable {name} is used but not declared: add it to `variables`",
                item.doc.location(("variables",), key=True),
            )
        for index, name in enumerate(declared):
            if name not in used.variables:
                ctx.warning(
                    f"variable {name} is declared but not used: remove it from `variables` or use {{{{{name}}}}}",
                    item.doc.location(("variables", index)),
                )


def _with_partials(item: Loaded, loaded: Mapping[str, Loaded]) -> TemplateScan:
    """The item's own scan merged with those of every partial it pulls in, transitively."""
    total = TemplateScan()
    assert item.scan is not None
    total.merge(item.scan)
    seen: set[str] = set()
    pending = [ref for ref in item.resource.refs if INCLUDED.key_in(ref) is not None]
    while pending:
        ref = pending.pop()
        partial = loaded.get(ref)
        if ref in seen or partial is None or partial.scan is None:
            continue
        seen.add(ref)
        total.merge(partial.scan)
        pending.extend(r for r in partial.resource.refs if INCLUDED.key_in(r) is not None)
    return total


def check_partial_cycles(ctx: Context, loaded: Mapping[str, Loaded]) -> None:
    """Partials must not include themselves, directly or through others."""
    graph = {
        a: sorted(r for r in item.resource.refs if INCLUDED.key_in(r) is not None)
        for a, item in loaded.items()
        if KINDS[item.resource.kind].included
    }
    done: set[str] = set()
    for start in sorted(graph):
        _visit(ctx, start, graph, [], done, loaded)


def _visit(
    ctx: Context,
    node: str,
    graph: Mapping[str, list[str]],
    trail: list[str],
    done: set[str],
    loaded: Mapping[str, Loaded],
) -> None:
    if node in trail:
        cycle = [*trail[trail.index(node) :], node]
        names = " -> ".join(split_address(a)[1] for a in cycle)
        ctx.error(f"partials include each other in a cycle ({names}): break the cycle", loaded[node].resource.location)
        return
    if node in done or node not in graph:
        return
    for target in graph[node]:
        _visit(ctx, target, graph, [*trail, node], done, loaded)
    done.add(node)


def check_moved(ctx: Context, settings: Settings, declared: Mapping[str, str]) -> None:
    """``moved`` entries: the new address must be declared and the old one gone; no address is the source, or
    the target, of two entries (one object cannot take two names, nor two objects one)."""
    sources: dict[str, str] = {}
    targets: dict[str, str] = {}
    for entry, (source_at, target_at) in zip(settings.project.moved, settings.moved_at, strict=True):
        for seen, this, other, at in ((sources, entry.source, entry.target, source_at),
                                      (targets, entry.target, entry.source, target_at)):
            if this in seen:
                ctx.error(f"moved: {this} is in two entries (with {seen[this]} and {other}); keep one of them", at)
            seen.setdefault(this, other)
        if entry.target not in declared:
            ctx.error(f"moved: {entry.target} is not declared; create its file or fix the entry", target_at)
        if entry.source in declared:
            ctx.error(
                f"moved: {entry.source} is still declared by {declared[entry.source]}; "
                "delete that file (the move renames it) or drop this entry",
                source_at,
            )


def apply_limit_overrides(
    ctx: Context, settings: Settings, resources: Mapping[str, Resource], declared: Mapping[str, str]
) -> None:
    """Put the environment's limit values into the declared limits' specs."""
    overlay = settings.overlay
    if overlay is None:
        return
    for text, override in overlay.limits.items():
        at = ("limits", text)
        resource = resources.get(text)
        if resource is None:
            if text not in declared:
                kind, key = split_address(text)
                suffix = KINDS[kind].suffix
                ctx.error(
                    f"limits: {text} is not a declared limit; create limits/{key}{suffix} or remove this override",
                    overlay.doc.location(at, key=True),
                )
            continue
        allowed = KINDS[resource.kind].overridable
        given = [f for f in type(override).model_fields if f in override.model_fields_set]
        wrong = [f for f in given if f not in allowed]
        for field in wrong:
            ctx.error(
                f"{field} does not apply to a {resource.kind.value} (valid: {', '.join(allowed)})",
                overlay.doc.location((*at, field), key=True),
            )
        if wrong:
            continue
        merged = {**resource.spec, **{f: getattr(override, f) for f in given}}
        try:
            KINDS[resource.kind].check_values(merged)
        except ValueError as exc:
            ctx.error(f"{text}: {exc}", overlay.doc.location(at, key=True))
            continue
        resource.spec = merged


def detected_moves(
    state: DesiredState, renames: Iterable[tuple[str, str]], address_of: Callable[[str], str | None]
) -> list[Moved]:
    """Moves implied by files git sees as renamed (``old``, ``new`` project paths), as if written in ``moved:``.

    A rename counts when both paths are resource files of the same kind, the new address is declared
    and the old one is not, and ``portkey.yaml`` does not already say where either goes."""
    written = {m.source for m in state.project.moved} | {m.target for m in state.project.moved}
    found: list[Moved] = []
    for old, new in renames:
        source, target = address_of(old), address_of(new)
        if source is None or target is None or source == target or {source, target} & written:
            continue
        if split_address(source)[0] is not split_address(target)[0]:
            continue
        if target in state.resources and source not in state.resources:
            found.append(Moved(source, target))
            written |= {source, target}
    return found
