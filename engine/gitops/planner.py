"""Desired state + live state → :class:`Plan`. Pure: no I/O."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.gitops import kinds
from engine.gitops.canonical import SECRET_MARK, content_hash, field_diffs, redact, text_diff
from engine.gitops.live import LiveObject, LiveState, remote_name
from engine.gitops.lock import Lock
from engine.gitops.model import DesiredState, Resource, ResourceKind, address, split_address
from engine.gitops.plan import Action, Change, FieldDiff, Plan, Risk, TextDiff

KIND_ORDER = list(ResourceKind)
BUILTIN_LABELS = frozenset({"production", "staging", "development"})


@dataclass
class PlanOptions:
    prune: bool = False
    allow_mass_delete: bool = False
    secrets: Callable[[Resource], dict[str, Any]] | None = None  # spec with secrets resolved
    lock: Lock | None = None  # what the last apply left, for drift of kinds without a content stamp
    adopt: bool = False  # take over an unmarked object with a resource's name instead of creating one


@dataclass
class _Context:
    state: DesiredState
    live: LiveState
    options: PlanOptions
    plan: Plan
    refs: dict[str, str] = field(default_factory=dict)
    matched: dict[str, LiveObject] = field(default_factory=dict)  # address -> live object
    collection_keys: dict[str, str] = field(default_factory=dict)  # collection id -> key
    failed: set[str] = field(default_factory=set)  # addresses with an error: not planned
    adopted: set[str] = field(default_factory=set)  # addresses matched to an unmarked object (--adopt)

    def error(self, address: str, message: str) -> None:
        self.failed.add(address)
        self.plan.errors.append(f"{address}: {message}")


def order_of(kind: ResourceKind, key: str) -> int:
    """Apply order: labels, collections (parents first), partials, prompts, guardrails, configs, limits."""
    return KIND_ORDER.index(kind) * 1000 + key.count("/")


def live_refs(live: LiveState, matched: Mapping[str, LiveObject]) -> dict[str, str]:
    """Logical address → the identifier other objects use to point at it."""
    refs: dict[str, str] = {}
    for addr, obj in matched.items():
        kind, _ = split_address(addr)
        if kind is ResourceKind.PARTIAL or kind is ResourceKind.GUARDRAIL:
            refs[addr] = obj.slug or obj.id
        else:
            refs[addr] = obj.id
    for name, label_id in live.labels_by_name.items():
        refs.setdefault(f"label:{name}", label_id)
    return refs


def build_plan(state: DesiredState, live: LiveState, options: PlanOptions | None = None) -> Plan:
    """Compare and decide; every decision lands in the plan with its reasons."""
    options = options or PlanOptions()
    plan = Plan(environment=state.project.environment, workspace=state.project.workspace,
                requests=live.requests)
    ctx = _Context(state, live, options, plan)
    plan.incomplete = sorted(k.value for k, ok in live.complete.items() if not ok)
    for kind, objects in live.objects.items():
        for obj in objects:
            if obj.key is not None:
                plan.fingerprints[f"{kind.value}:{obj.id}"] = obj.fingerprint
    _match(ctx)
    ctx.refs = live_refs(live, ctx.matched)
    ctx.collection_keys = {
        obj.id: split_address(addr)[1]
        for addr, obj in ctx.matched.items() if addr.startswith("collection:")
    }
    for resource in sorted(state.resources.values(), key=lambda r: order_of(r.kind, r.key)):
        change = _plan_resource(ctx, resource)
        if change is not None:
            plan.changes.append(change)
    _plan_deletes(ctx)
    _risks(ctx)
    return plan


def _match(ctx: _Context) -> None:
    """Pair desired resources with live objects by marker, following ``moved`` entries."""
    moved_from = {m.target: m.source for m in ctx.state.project.moved}
    for resource in ctx.state.resources.values():
        managed = ctx.live.managed(resource.kind)
        found = managed.get(resource.key, [])
        if len(found) > 1:
            ids = ", ".join(o.id for o in found)
            ctx.error(resource.address, f"{len(found)} objects in Portkey carry this key ({ids}); "
                      "delete or rename all but one, then plan again")
            continue
        if not found and resource.address in moved_from:
            _, old_key = split_address(moved_from[resource.address])
            found = managed.get(old_key, [])
        if found:
            ctx.matched[resource.address] = found[0]
            continue
        candidates = {resource.key, str(resource.spec.get("name") or resource.key)}
        unmarked = [obj for name in sorted(candidates) for obj in ctx.live.unmarked_named(resource.kind, name)]
        if ctx.options.adopt and len(unmarked) == 1:
            ctx.matched[resource.address] = unmarked[0]
            ctx.adopted.add(resource.address)
            continue
        for obj in unmarked:
            ctx.plan.adoptable.append(
                {"address": resource.address, "remote": {"id": obj.id, "slug": obj.slug, "name": obj.name}}
            )
        if len(unmarked) > 1 and ctx.options.adopt:
            ids = ", ".join(o.id for o in unmarked)
            ctx.error(resource.address, f"{len(unmarked)} unmanaged objects match ({ids}); adopt one with "
                      f"`portkey-gitops import <dir> {resource.address} <id>`")
        elif unmarked and resource.kind is ResourceKind.LABEL:
            hint = f"portkey-gitops import <dir> {resource.address} {unmarked[0].id}"
            ctx.error(resource.address, f"an unmanaged label named {unmarked[0].name!r} already exists and label "
                      f"names are unique; adopt it with `{hint}` or plan with --adopt")


def _resolved(ctx: _Context, resource: Resource) -> Resource:
    """The resource with secret values filled in, for comparison only."""
    if not resource.secrets or ctx.options.secrets is None:
        return resource
    clone = copy.copy(resource)
    clone.spec = ctx.options.secrets(resource)
    return clone


def _plan_resource(ctx: _Context, resource: Resource) -> Change | None:
    if resource.address in ctx.failed:
        return None
    prefix = ctx.state.project.name_prefix
    name = remote_name(resource.kind, resource.key, prefix, resource.spec)
    obj = ctx.matched.get(resource.address)
    compare = _resolved(ctx, resource)
    wanted = kinds.desired(compare, ctx.refs)
    after = redact(kinds.desired(resource, ctx.refs), resource.secrets)
    change = Change(
        address=resource.address, kind=resource.kind.value, key=resource.key, actions=[],
        order=order_of(resource.kind, resource.key), after=after,
        depends_on=sorted(resource.refs),
        payload={"name": name},
    )
    if obj is None:
        _lock_drift(ctx, resource, None)
        change.actions.append(Action.CREATE)
        change.reasons.append("not in Portkey yet")
        if resource.kind is ResourceKind.PROMPT:
            change.remote["next_version"] = 1
            change.reasons.append("Portkey publishes version 1 of a new prompt at once")
            _labels(ctx, resource, None, change, target="created")
        return change
    change.remote = {"id": obj.id, "slug": obj.slug, "name": obj.name}
    change.payload.update({"id": obj.id, "slug": obj.slug})
    if resource.address in ctx.adopted:
        change.actions.append(Action.ADOPT)
        change.reasons.append(f"adopting the unmanaged {obj.name!r}: it gets our marker (id and slug are kept)")
    elif obj.name != name:
        change.actions.append(Action.MOVE)
        change.reasons.append(f"renamed: {obj.name!r} → {name!r} (id and slug are kept)")
    have = kinds.live(obj, ctx.collection_keys)
    change.before = redact(have, resource.secrets)
    if resource.kind is not ResourceKind.PROMPT:
        _lock_drift(ctx, resource, change.before)
    if resource.kind in kinds.VERSIONED:
        _versioned(ctx, resource, obj, wanted, have, change)
    else:
        _in_place(ctx, resource, obj, wanted, have, change)
    if not change.actions:
        change.actions.append(Action.NOOP)
    return change


def _diffs(resource: Resource, wanted: dict[str, Any], have: dict[str, Any], change: Change) -> None:
    paths = resource.secrets
    before, after = redact(have, paths), redact(wanted, paths)
    if resource.kind in kinds.VERSIONED:
        label = "body" if resource.kind is ResourceKind.PARTIAL else "template"
        change.text_diffs.extend(_text_diffs(have.get("string"), wanted.get("string"), label))
        before = {k: v for k, v in before.items() if k != "string"}
        after = {k: v for k, v in after.items() if k != "string"}
    change.diff.extend(field_diffs(before, after))
    changed_secrets = [p for p in sorted(paths) if _at(have, p) != _at(wanted, p)]
    for path in changed_secrets:
        change.diff.append(FieldDiff(path=path, op="change", before=SECRET_MARK, after=SECRET_MARK))
    if changed_secrets:
        change.risks.append(Risk.CHANGES_SECRET)


def _at(value: Any, dotted: str) -> Any:
    """The value at a dotted path (list indexes as numbers), or None."""
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _text_diffs(before: Any, after: Any, label: str = "template") -> list[TextDiff]:
    """Per-message diffs for chat prompts, one diff for plain templates and partials."""
    if isinstance(before, list) or isinstance(after, list):
        old = before if isinstance(before, list) else []
        new = after if isinstance(after, list) else []
        out = []
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else {}
            b = new[index] if index < len(new) else {}
            role = (b or a).get("role", "?") if isinstance(b or a, dict) else "?"
            label = f"messages[{index}] ({role})"
            if isinstance(a, dict) and isinstance(b, dict) and a.get("role") != b.get("role"):
                label += f" role {a.get('role')} → {b.get('role')}"
            diff = text_diff(label, _content(a), _content(b))
            if diff is None and isinstance(a, dict) and isinstance(b, dict) and a.get("role") != b.get("role"):
                diff = TextDiff(label=label, unified="(role changed)")
            if diff is not None:
                out.append(diff)
        return out
    diff = text_diff(label, str(before or ""), str(after or ""))
    return [diff] if diff else []


def _content(message: Any) -> str:
    if isinstance(message, dict):
        content = message.get("content", "")
        return content if isinstance(content, str) else str(content)
    return ""


def _versioned(
    ctx: _Context, resource: Resource, obj: LiveObject, wanted: dict[str, Any], have: dict[str, Any],
    change: Change,
) -> None:
    """Prompts and partials: new version only when content differs from the LATEST version."""
    publish = (resource.spec.get("release") or {}).get("default", True) \
        if resource.kind is ResourceKind.PROMPT else resource.spec.get("publish", True)
    change.remote.update({"version": obj.version, "published_version": obj.published_version})
    if resource.kind is ResourceKind.PROMPT:
        _prompt_drift(ctx, resource, obj, have)
        _collection_change(ctx, resource, obj, change)
    if wanted != have:
        change.actions.append(Action.NEW_VERSION)
        _diffs(resource, wanted, have, change)
        change.reasons.append(f"content differs from the latest version v{obj.version}")
        change.remote["next_version"] = (obj.version or 0) + 1
        if publish:
            change.actions.append(Action.PUBLISH)
            change.payload["publish"] = "new"
            change.risks.append(Risk.PUBLISHES_DEFAULT)
        else:
            change.reasons.append("release.default is false: the new version is not published")
        target = "new"
    else:
        if publish and obj.version is not None and obj.published_version != obj.version:
            change.actions.append(Action.PUBLISH)
            change.payload["publish"] = obj.version
            change.reasons.append(f"the latest version v{obj.version} already matches but is not the default")
            change.remote["next_version"] = obj.version
            change.risks.append(Risk.PUBLISHES_DEFAULT)
        target = obj.version
    if resource.kind is ResourceKind.PROMPT:
        _labels(ctx, resource, obj, change, target=target)


def _labels(ctx: _Context, resource: Resource, obj: LiveObject | None, change: Change, target: Any) -> None:
    labels = (resource.spec.get("release") or {}).get("labels") or []
    moves: list[str] = []
    for label in labels:
        label_id = ctx.live.labels_by_name.get(label)
        current = obj.labels.get(label_id) if (obj and label_id) else None
        if target in ("new", "created") or current != target:
            moves.append(label)
    if moves:
        change.actions.append(Action.LABEL)
        change.payload["labels"] = moves
        change.remote["labels"] = moves
        change.payload["label_target"] = target
        if obj is not None and isinstance(target, int):
            change.payload["label_version_id"] = obj.version_ids.get(target)
        change.risks.append(Risk.MOVES_LABEL)


def _collection_change(ctx: _Context, resource: Resource, obj: LiveObject, change: Change) -> None:
    collection = resource.spec.get("collection")
    wanted = ctx.refs.get(f"collection:{collection}") if collection else ctx.live.default_collection
    have = obj.raw.get("collection_id")
    if wanted and have and wanted != have:
        change.actions.append(Action.UPDATE)
        change.payload["collection"] = collection
        change.reasons.append(f"moves to collection {collection or '(workspace default)'}")
    elif not wanted and collection:
        change.actions.append(Action.UPDATE)
        change.payload["collection"] = collection
        change.reasons.append(f"moves to new collection {collection}")


def applied_hash(content: dict[str, Any], resource: Resource) -> str:
    """Hash of comparable content with secrets masked: what the lock file records."""
    return content_hash(redact(content, resource.secrets))


def _lock_drift(ctx: _Context, resource: Resource, masked_live: Any) -> None:
    """Objects edited or deleted in Portkey since the last apply that wrote the lock file."""
    entry = ctx.options.lock.entries.get(resource.address) if ctx.options.lock else None
    if not entry:
        return
    if masked_live is None:
        ctx.plan.drift.append({
            "address": resource.address,
            "detail": f"deleted in Portkey outside git (was {entry.get('ref')}); it will be created again",
        })
    elif content_hash(masked_live) != entry.get("hash"):
        ctx.plan.drift.append({
            "address": resource.address,
            "detail": "changed in Portkey outside git since the last apply",
            "suggestion": "apply re-asserts the repository; or export and commit the live version",
        })


def _prompt_drift(ctx: _Context, resource: Resource, obj: LiveObject, have: dict[str, Any]) -> None:
    stamp = kinds.stamped_hash(obj)
    if stamp is not None and stamp != content_hash(have):
        ctx.plan.drift.append({
            "address": resource.address,
            "detail": f"latest version v{obj.version} was edited in Portkey outside git",
            "remote": {"id": obj.id, "slug": obj.slug, "version": obj.version},
        })


def _in_place(
    ctx: _Context, resource: Resource, obj: LiveObject, wanted: dict[str, Any], have: dict[str, Any],
    change: Change,
) -> None:
    if wanted == have:
        return
    _diffs(resource, wanted, have, change)
    frozen = [f for f in kinds.IMMUTABLE.get(resource.kind, ()) if wanted.get(f) != have.get(f)]
    if frozen:
        if resource.kind is ResourceKind.COLLECTION:
            ctx.error(resource.address, "Portkey cannot move a collection under another parent; "
                      "create a new collection file instead")
            return
        change.actions = [Action.REPLACE]
        change.reasons.append(
            f"{', '.join(frozen)} cannot change in Portkey: the policy will be DELETED and CREATED again "
            "(its id changes; usage counters restart)"
        )
        change.risks.append(Risk.REPLACES)
        return
    change.actions.append(Action.UPDATE)
    if resource.kind in (ResourceKind.CONFIG, ResourceKind.GUARDRAIL):
        change.reasons.append("updates are live at once (Portkey has no publish step for this kind)")
        change.risks.append(Risk.LIVE_AT_ONCE)


def _plan_deletes(ctx: _Context) -> None:
    """Managed objects that left the repository: delete only with prune and only when safe."""
    desired_keys = {r.address for r in ctx.state.resources.values()}
    moved_sources = {m.source for m in ctx.state.project.moved}
    matched_ids = {id(o) for o in ctx.matched.values()}
    gone: list[tuple[ResourceKind, LiveObject]] = []
    for kind, objects in ctx.live.objects.items():
        for obj in objects:
            if obj.key is None or id(obj) in matched_ids:
                continue
            addr = address(kind, obj.key)
            if addr in desired_keys:
                continue
            gone.append((kind, obj))
    if not gone:
        return
    prune = ctx.options.prune or ctx.state.project.prune
    if not prune:
        names = ", ".join(sorted(address(k, o.key or "") for k, o in gone))
        ctx.plan.warnings.append(f"in Portkey but no longer in the repository (use --prune to delete): {names}")
        return
    deletes = 0
    for kind, obj in sorted(gone, key=lambda item: -order_of(item[0], item[1].key or "")):
        addr = address(kind, obj.key or "")
        if addr in ctx.state.project.protected:
            ctx.plan.blocked.append(f"{addr} is protected in portkey.yaml and would be deleted; "
                                    "restore its file or remove the protection")
            continue
        if not ctx.live.complete.get(kind, False):
            ctx.plan.blocked.append(f"{addr}: the {kind.value} listing was incomplete, so no delete is planned")
            continue
        action = Action.ARCHIVE if kind is ResourceKind.USAGE_LIMIT else Action.DELETE
        reason = "moved away (see moved:)" if addr in moved_sources else "no longer in the repository"
        ctx.plan.changes.append(Change(
            address=addr, kind=kind.value, key=obj.key or "", actions=[action],
            order=100_000 - order_of(kind, obj.key or ""),
            remote={"id": obj.id, "slug": obj.slug, "name": obj.name},
            before=kinds.live(obj, ctx.collection_keys), reasons=[reason], risks=[Risk.DELETES],
            payload={"id": obj.id, "slug": obj.slug},
        ))
        deletes += 1
    threshold = ctx.state.project.mass_delete_threshold
    if deletes > threshold and not ctx.options.allow_mass_delete:
        ctx.plan.blocked.append(
            f"{deletes} deletes exceed the mass-delete threshold of {threshold}; "
            "re-run with --allow-mass-delete if this is intended"
        )


def _risks(ctx: _Context) -> None:
    """Plain-language risk lines: publishes, deletes and partial blast radius."""
    plan = ctx.plan
    publishing_partials = {
        c.address for c in plan.changes if c.kind == "partial" and Action.PUBLISH in c.actions
    }
    for partial in sorted(publishing_partials):
        users = sorted(
            r.address for r in ctx.state.resources.values()
            if r.kind is ResourceKind.PROMPT and partial in r.refs
        )
        if users:
            shown = ", ".join(users[:10]) + (", …" if len(users) > 10 else "")
            plan.risk_summary.append(
                f"publishing {partial} changes {len(users)} prompt{'s' if len(users) != 1 else ''}: {shown}"
            )
            for change in plan.changes:
                if change.address == partial:
                    change.risks.append(Risk.AFFECTS_PROMPTS)
    plan.changes.sort(key=lambda c: c.order)
