"""Desired state + live state → :class:`Plan`. Pure: no I/O."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.gitops import kinds
from engine.gitops.behaviour import DEFAULT, Behaviour
from engine.gitops.canonical import SECRET_MARK, content_hash, field_diffs, redact, text_diff
from engine.gitops.canonical import value_at as _at
from engine.gitops.kinds import HOLDERS, INCLUDED, KINDS, VERSION_LABELS
from engine.gitops.live import LiveObject, LiveState, remote_name
from engine.gitops.lock import Lock
from engine.gitops.model import DesiredState, Resource, ResourceKind, address, split_address
from engine.gitops.plan import (
    Action,
    Change,
    DiagnosticCode,
    FieldDiff,
    Payload,
    Plan,
    PlanDiagnostic,
    PublishStep,
    Reason,
    ReasonCode,
    Remote,
    Risk,
    RiskNote,
    TextDiff,
    VersionTarget,
    WriteStep,
)

_KIND_RANK = {kind: rank for rank, kind in enumerate(ResourceKind)}


@dataclass
class PlanOptions:
    prune: bool = False
    allow_mass_delete: bool = False
    secrets: Callable[[Resource], dict[str, Any]] | None = None  # spec with secrets resolved
    lock: Lock | None = None  # what the last apply left, for drift of kinds without a content stamp
    adopt: bool = False  # take over an unmarked object with a resource's name instead of creating one
    behaviour: Behaviour = DEFAULT  # how the account behaves where evidence is thin (engine.gitops.behaviour)


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

    # What a kind's planning hooks use (engine.gitops.kinds.base.Planning).

    def drift_entry(self, obj: LiveObject, address_: str, detail: str) -> dict[str, Any]:
        return _drift(obj, address_, detail)

    def add_drift(self, entry: dict[str, Any]) -> None:
        self.plan.drift.append(entry)

    def error(self, address: str, message: str, code: DiagnosticCode) -> None:
        self.failed.add(address)
        self.plan.errors.append(self.diagnostic(address, message, code))

    def block(self, address: str | None, message: str, code: DiagnosticCode) -> None:
        self.plan.blocked.append(self.diagnostic(address, message, code, prefix=False))

    def warn(self, address: str | None, message: str, code: DiagnosticCode, addresses: Iterable[str] = ()) -> None:
        """A plan warning (it stops nothing); ``addresses``: every resource it is about, when there are several."""
        found = self.diagnostic(address, message, code)
        self.plan.warnings.append(PlanDiagnostic(message, code=code, address=address, addresses=list(addresses),
                                                 file=found.file, line=found.line, column=found.column,
                                                 text=str(found)))

    def diagnostic(self, address: str | None, message: str, code: DiagnosticCode, *,
                   prefix: bool = True) -> PlanDiagnostic:
        """A plan problem about ``address``, located at its file when the project has it."""
        resource = self.state.resources.get(address) if address else None
        where = resource.location if resource is not None else None
        return PlanDiagnostic(message, code=code, address=address, file=where.file if where else None,
                              line=where.line if where else None, column=where.column if where else None,
                              text=f"{address}: {message}" if prefix and address else message)


def apply_order(resources: Iterable[Resource]) -> list[str]:
    """Addresses in apply order, from the dependency graph: every resource after the ones it refers to
    (labels, collections and partials before the prompts using them, a parent collection before its
    children, a partial before the partials using it, guardrails before configs); otherwise by kind
    (labels, collections, partials, prompts, guardrails, configs, limits), then key."""
    by_address = {r.address: r for r in resources}
    order: list[str] = []
    placed: set[str] = set()

    def visit(target: str, path: frozenset[str]) -> None:
        if target in placed or target in path or target not in by_address:  # cycles are load errors
            return
        for ref in sorted(by_address[target].refs, key=_rank):
            visit(ref, path | {target})
        placed.add(target)
        order.append(target)

    for target in sorted(by_address, key=_rank):
        visit(target, frozenset())
    return order


def _rank(target: str) -> tuple[int, int, str]:
    kind, key = split_address(target)
    return _KIND_RANK[kind], key.count("/"), key


def live_refs(live: LiveState, matched: Mapping[str, LiveObject]) -> dict[str, str]:
    """Logical address → the identifier other objects use to point at it."""
    refs = {target: KINDS[obj.kind].reference(obj.id, obj.slug) for target, obj in matched.items()}
    for name, label_id in live.labels_by_name.items():
        refs.setdefault(VERSION_LABELS.address_of(name), label_id)
    return refs


def adoption_names(resource: Resource) -> set[str]:
    """Names an unmarked object may carry to be this resource's adoptable twin: its key or display name."""
    return {resource.key, str(resource.spec.get("name") or resource.key)}


def build_plan(state: DesiredState, live: LiveState, options: PlanOptions | None = None) -> Plan:
    """Compare and decide; every decision lands in the plan with its reasons."""
    options = options or PlanOptions()
    plan = Plan(environment=state.project.environment, workspace=state.project.workspace,
                requests=live.requests)
    ctx = _Context(state, live, options, plan)
    plan.incomplete = sorted(k.value for k, ok in live.complete.items() if not ok)
    _match(ctx)
    _fingerprint(ctx)
    ctx.refs = live_refs(live, ctx.matched)
    ctx.collection_keys = {
        obj.id: key for target, obj in ctx.matched.items() if (key := HOLDERS.key_in(target)) is not None
    }
    for target in apply_order(state.resources.values()):
        change = _plan_resource(ctx, state.resources[target])
        if change is not None:
            change.order = len(plan.changes)
            plan.changes.append(change)
    _plan_deletes(ctx)
    _risks(ctx)
    return plan


def _fingerprint(ctx: _Context) -> None:
    """A fingerprint of every remote object the plan depends on: the managed ones, and unmarked ones
    named like a resource (adopted, or adoptable: a saved plan must not create their twin)."""
    candidates = {(r.kind, name) for r in ctx.state.resources.values() for name in adoption_names(r)}
    for kind, objects in ctx.live.objects.items():
        for obj in objects:
            if obj.key is not None or (kind, obj.name) in candidates:
                ctx.plan.fingerprints[f"{kind.value}:{obj.id}"] = obj.fingerprint


def _match(ctx: _Context) -> None:
    """Pair desired resources with live objects by marker, following ``moved`` entries."""
    moved_from = {m.target: m.source for m in ctx.state.project.moved}
    for resource in ctx.state.resources.values():
        found = ctx.live.managed_key(resource.kind, resource.key)
        if len(found) > 1:
            from engine.gitops.adopt import keeper

            entry = ctx.options.lock.entries.get(resource.address) if ctx.options.lock else None
            kept, why = keeper(found, entry)
            named = ", ".join(f"{o.id} ({o.name!r})" for o in found)
            ctx.error(resource.address, f"{len(found)} objects in Portkey carry this key: {named}; keep {kept.id} "
                      f"({why}): `apply --resolve-duplicates` keeps it and releases the others (renamed without "
                      "our marker, nothing deleted)", DiagnosticCode.DUPLICATE_KEY)
            continue
        if not found and resource.address in moved_from:
            _, old_key = split_address(moved_from[resource.address])
            found = ctx.live.managed_key(resource.kind, old_key)
        if found:
            ctx.matched[resource.address] = found[0]
            continue
        unmarked = [
            obj for name in sorted(adoption_names(resource)) for obj in ctx.live.unmarked_named(resource.kind, name)
        ]
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
                      f"`portkey-gitops import <dir> {resource.address} <id>`", DiagnosticCode.ADOPTION_AMBIGUOUS)
        elif unmarked and KINDS[resource.kind].names_unique:
            hint = f"portkey-gitops import <dir> {resource.address} {unmarked[0].id}"
            ctx.error(resource.address, f"an unmanaged label named {unmarked[0].name!r} already exists and label "
                      f"names are unique; adopt it with `{hint}` or plan with --adopt",
                      DiagnosticCode.UNMANAGED_LABEL_EXISTS)


def _resolved(ctx: _Context, resource: Resource) -> Resource:
    """The resource with secret values filled in, for comparison only."""
    if not resource.secrets or ctx.options.secrets is None:
        return resource
    clone = copy.copy(resource)
    clone.spec = ctx.options.secrets(resource)
    return clone


def _plan_resource(ctx: _Context, resource: Resource) -> Change | None:
    if resource.address in ctx.failed or not _account_can_take(ctx, resource):
        return None
    resource = kinds.as_sent(resource, ctx.options.behaviour)
    prefix = ctx.state.project.name_prefix
    name = remote_name(resource.kind, resource.key, prefix, resource.spec, ctx.options.behaviour["name_chars"])
    obj = ctx.matched.get(resource.address)
    compare = _resolved(ctx, resource)
    wanted = kinds.desired(compare, ctx.refs)
    desired = wanted if compare is resource else kinds.desired(resource, ctx.refs)  # one computation without secrets
    kind = KINDS[resource.kind]
    after = redact(desired, kind.masked_paths(resource.secrets, desired))
    change = Change(
        address=resource.address, kind=resource.kind.value, key=resource.key, actions=[], after=after,
        depends_on=sorted(resource.refs), payload=Payload(write=WriteStep(name)),
    )
    if obj is None:
        _lock_drift(ctx, resource, None, None)
        if resource.kind.value in ctx.plan.incomplete:
            ctx.block(resource.address, f"{resource.address}: the {resource.kind.value} listing was incomplete, so "
                      "it may exist in Portkey already; no create is planned (it could duplicate it)",
                      DiagnosticCode.INCOMPLETE_LISTING)
        change.actions.append(Action.CREATE)
        change.reasons.append(Reason(ReasonCode.NOT_IN_PORTKEY, "not in Portkey yet"))
        kind.plan_created(ctx, resource, change)
        return change
    change.remote = {"id": obj.id, "slug": obj.slug, "name": obj.name}
    change.payload = dataclasses.replace(change.payload, remote=Remote(obj.id, obj.slug))
    if resource.address in ctx.adopted:
        change.actions.append(Action.ADOPT)
        change.reasons.append(Reason(
            ReasonCode.ADOPTING, f"adopting the unmanaged {obj.name!r}: it gets our marker (id and slug are kept)"))
    elif obj.name != name:
        change.actions.append(Action.MOVE)
        change.reasons.append(Reason(ReasonCode.RENAMED, f"renamed: {obj.name!r} → {name!r} (id and slug are kept)"))
    have = kinds.live(obj, ctx.collection_keys)
    taken_as_same = kind.match_live(wanted, have, ctx.live)
    if taken_as_same:
        ctx.warn(resource.address, taken_as_same, DiagnosticCode.ASSUMED_SAME)
    for kept in kind.kept_when_omitted:
        if kept not in wanted:
            have.pop(kept, None)
    change.before = redact(have, kind.masked_paths(resource.secrets, have))
    if not kind.stamped:
        _lock_drift(ctx, resource, obj, change.before)
    if kind.versioned:
        _versioned(ctx, resource, obj, desired, wanted, have, change)
    else:
        _in_place(ctx, resource, obj, wanted, have, change)
    if not change.actions:
        change.actions.append(Action.NOOP)
    return change


def _account_can_take(ctx: _Context, resource: Resource) -> bool:
    """False (with a plan error saying why) when this account's behaviour cannot hold the resource."""
    refused = KINDS[resource.kind].refused_by(resource, ctx.options.behaviour)
    if refused:
        ctx.error(resource.address, refused, DiagnosticCode.ACCOUNT_REFUSES)
        return False
    return True


def _diffs(resource: Resource, wanted: dict[str, Any], have: dict[str, Any], change: Change) -> None:
    paths = KINDS[resource.kind].masked_paths(resource.secrets, have, wanted)
    before, after = redact(have, paths), redact(wanted, paths)
    if KINDS[resource.kind].versioned:
        label = KINDS[resource.kind].text_label
        change.text_diffs.extend(_text_diffs(have.get("string"), wanted.get("string"), label))
        before = {k: v for k, v in before.items() if k != "string"}
        after = {k: v for k, v in after.items() if k != "string"}
    change.diff.extend(field_diffs(before, after))
    changed = [p for p in sorted(paths) if _at(have, p) != _at(wanted, p)]
    for path in changed:
        if _at(have, path) is not None and _at(wanted, path) is not None:  # masked on both sides: say so
            change.diff.append(FieldDiff(path=path, op="change", before=SECRET_MARK, after=SECRET_MARK))
    if changed:
        change.risks.append(Risk.CHANGES_SECRET)


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
    ctx: _Context, resource: Resource, obj: LiveObject, sent: dict[str, Any], wanted: dict[str, Any],
    have: dict[str, Any], change: Change,
) -> None:
    """Prompts and partials: new version only when content differs from the LATEST version (or the kind's
    own steps say the latest version settles it). ``sent`` is the content as apply sends it, without secrets."""
    kind = KINDS[resource.kind]
    publish = kind.publish_wanted(resource.spec)
    change.remote.update({"version": obj.version, "published_version": obj.published_version})
    target: VersionTarget | int | None  # the version this change makes, or the live latest version
    settled = kind.plan_latest(ctx, resource, obj, sent, wanted, have, change)
    if wanted != have and not settled:
        change.actions.append(Action.NEW_VERSION)
        _diffs(resource, wanted, have, change)
        change.reasons.append(Reason(ReasonCode.CONTENT_DIFFERS,
                                     f"content differs from the latest version v{obj.version}"))
        change.remote["next_version"] = (obj.version or 0) + 1
        if publish:
            change.actions.append(Action.PUBLISH)
            change.payload = dataclasses.replace(change.payload, publish=PublishStep(VersionTarget.NEW))
            change.risks.append(Risk.PUBLISHES_DEFAULT)
        else:
            change.reasons.append(Reason(ReasonCode.NOT_PUBLISHED,
                                         "release.default is false: the new version is not published"))
        target = VersionTarget.NEW
    else:
        if publish and obj.version is not None and obj.published_version != obj.version:
            change.actions.append(Action.PUBLISH)
            change.payload = dataclasses.replace(change.payload, publish=PublishStep(obj.version))
            change.reasons.append(Reason(ReasonCode.PUBLISH_EXISTING_VERSION,
                                          f"the latest version v{obj.version} already matches but is not the default"))
            change.remote["next_version"] = obj.version
            change.risks.append(Risk.PUBLISHES_DEFAULT)
        target = obj.version
    kind.plan_release(ctx, resource, obj, change, target)


def applied_hash(content: dict[str, Any], resource: Resource) -> str:
    """Hash of comparable content with secrets masked: what the lock file records."""
    return content_hash(redact(content, resource.secrets))


_REASSERT = "apply re-asserts the repository; or export and commit the live version"


def _drift(obj: LiveObject, address_: str, detail: str) -> dict[str, Any]:
    """A drift entry with who changed the object and when, where Portkey says."""
    entry: dict[str, Any] = {"address": address_, "detail": detail, "suggestion": _REASSERT,
                             "remote": {"id": obj.id, "slug": obj.slug}}
    for source in ("updated_by", "last_updated_at"):
        if obj.raw.get(source):
            entry[source] = obj.raw[source]
    return entry


# ``cause`` of the drift entries read against the lock file (read by engine.gitops.drift; the detail is prose for
# people): deleted or changed since the last apply. A kind with a content stamp has causes of its own (prompts:
# engine.gitops.kinds.prompt.STAMP_EDITED, STAMP_SHOWN_OTHERWISE).
LOCK_DELETED, LOCK_CHANGED = "lock_deleted", "lock_changed"


def _lock_drift(ctx: _Context, resource: Resource, obj: LiveObject | None, masked_live: Any) -> None:
    """Objects edited or deleted in Portkey since the last apply that wrote the lock file."""
    entry = ctx.options.lock.entries.get(resource.address) if ctx.options.lock else None
    if not entry:
        return
    if obj is None:
        ctx.plan.drift.append({
            "address": resource.address, "cause": LOCK_DELETED,
            "detail": f"deleted in Portkey outside git (was {entry.get('ref')}); it will be created again",
        })
    elif content_hash(masked_live) != entry.get("hash"):
        item = _drift(obj, resource.address, "changed in Portkey outside git since the last apply")
        ctx.plan.drift.append({**item, "cause": LOCK_CHANGED})


def _in_place(
    ctx: _Context, resource: Resource, obj: LiveObject, wanted: dict[str, Any], have: dict[str, Any],
    change: Change,
) -> None:
    kind = KINDS[resource.kind]
    wanted, have, unchangeable = kind.settle(wanted, have)
    if unchangeable:
        ctx.warn(resource.address, unchangeable, DiagnosticCode.UNCHANGEABLE_FIELD)
    if wanted == have:
        return
    _diffs(resource, wanted, have, change)
    fixed = kind.immutable
    if ctx.options.behaviour["policy_conditions_put"] == "refused":
        fixed += kind.conditions_put
    frozen = [f for f in fixed if wanted.get(f) != have.get(f)]
    if frozen:
        if kind.replace_refused:
            ctx.error(resource.address, kind.replace_refused, DiagnosticCode.IMMUTABLE_PARENT)
            return
        if resource.address in ctx.state.project.protected:
            ctx.block(resource.address, f"{resource.address} is protected and changing {', '.join(frozen)} would "
                      "delete it and create it again; revert the change or remove the protection",
                      DiagnosticCode.PROTECTED_REPLACE)
        change.actions = [Action.REPLACE]
        change.replace_paths = list(frozen)
        refused = " (this account refuses conditions on PUT: policy_conditions_put=refused)" \
            if "conditions" in frozen else ""
        change.reasons.append(Reason(
            ReasonCode.CANNOT_UPDATE,
            f"{', '.join(frozen)} cannot change in Portkey{refused}: the policy will be DELETED and CREATED "
            "again (its id changes; usage counters restart)",
        ))
        change.risks.append(Risk.REPLACES)
        return
    change.actions.append(Action.UPDATE)
    if kind.update_names_changes:
        changed = tuple(sorted(k for k in {*wanted, *have} if wanted.get(k) != have.get(k)))
        write = change.payload.write
        assert write is not None, "a change planned from a file has a write step"
        change.payload = dataclasses.replace(change.payload, write=dataclasses.replace(write, changed=changed))
        if "conditions" in changed:
            change.reasons.append(Reason(ReasonCode.CONDITIONS_IN_PLACE,
                                         "conditions change in place (Portkey takes conditions on PUT since "
                                         "backend v1.16.0): the policy keeps its id and usage counters"))
    if kind.live_at_once:
        change.reasons.append(Reason(ReasonCode.LIVE_AT_ONCE,
                                     "updates are live at once (Portkey has no publish step for this kind)"))
        change.risks.append(Risk.LIVE_AT_ONCE)


def _plan_deletes(ctx: _Context) -> None:
    """Managed objects that left the repository: deleted only with prune, and only when safe."""
    desired_keys = set(ctx.state.resources)
    moved_sources = {m.source for m in ctx.state.project.moved}
    matched_ids = {id(o) for o in ctx.matched.values()}
    gone = [
        obj for objects in ctx.live.objects.values() for obj in objects
        if obj.key is not None and id(obj) not in matched_ids and address(obj.kind, obj.key) not in desired_keys
    ]
    if not gone:
        return
    if not (ctx.options.prune or ctx.state.project.prune):
        names = sorted(address(o.kind, o.key or "") for o in gone)
        ctx.warn(None, f"in Portkey but no longer in the repository (use --prune to delete): {', '.join(names)}",
                 DiagnosticCode.NOT_PRUNED, names)
        return
    if ctx.plan.incomplete:
        ctx.block(
            None, f"the {', '.join(ctx.plan.incomplete)} listing was incomplete, so no delete is planned "
            f"({len(gone)} object(s) left the repository); plan again when Portkey lists everything",
            DiagnosticCode.INCOMPLETE_LISTING,
        )
        return
    deletes = 0
    for obj in sorted(gone, key=_delete_rank):
        addr = address(obj.kind, obj.key or "")
        if addr in ctx.state.project.protected:
            ctx.block(addr, f"{addr} is protected in portkey.yaml and would be deleted; "
                      "restore its file or remove the protection", DiagnosticCode.PROTECTED_DELETE)
            continue
        action = Action.ARCHIVE if KINDS[obj.kind].archived else Action.DELETE
        reason = Reason(ReasonCode.MOVED_AWAY, "moved away (see moved:)") if addr in moved_sources \
            else Reason(ReasonCode.NOT_IN_REPOSITORY, "no longer in the repository")
        before = kinds.live(obj, ctx.collection_keys)
        ctx.plan.changes.append(Change(
            address=addr, kind=obj.kind.value, key=obj.key or "", actions=[action], order=len(ctx.plan.changes),
            remote={"id": obj.id, "slug": obj.slug, "name": obj.name},
            before=redact(before, KINDS[obj.kind].masked_paths((), before)), reasons=[reason], risks=[Risk.DELETES],
            payload=Payload(remote=Remote(obj.id, obj.slug)),
        ))
        deletes += 1
    threshold = ctx.state.project.mass_delete_threshold
    if deletes > threshold and not ctx.options.allow_mass_delete:
        ctx.block(
            None, f"{deletes} deletes exceed the mass-delete threshold of {threshold}; "
            "re-run with --allow-mass-delete if this is intended", DiagnosticCode.MASS_DELETE,
        )


def _delete_rank(obj: LiveObject) -> tuple[int, int, str]:
    """Deletes run in reverse dependency order: limits and configs first, labels last, children first."""
    rank, depth, key = _rank(address(obj.kind, obj.key or ""))
    return -rank, -depth, key


def _partial_users(state: DesiredState) -> dict[str, list[str]]:
    """Partial address → the prompts whose text changes when it is published: those using it without an
    ``@N`` pin, directly or through other partials."""
    uses = {
        r.address: {INCLUDED.address_of(key) for text in kinds.prose(r.spec) for key in kinds.floating_partials(text)}
        for r in state.resources.values() if KINDS[r.kind].versioned
    }
    users: dict[str, list[str]] = {}
    for prompt in sorted(a for a, r in state.resources.items() if KINDS[r.kind].released):
        reached: set[str] = set()
        pending = list(uses[prompt])
        while pending:
            partial = pending.pop()
            if partial not in reached:
                reached.add(partial)
                pending.extend(uses.get(partial, ()))
        for partial in reached:
            users.setdefault(partial, []).append(prompt)
    return users


def _risks(ctx: _Context) -> None:
    """Plain-language risk lines for what the counts do not say: a partial's blast radius."""
    users = _partial_users(ctx.state)
    for change in ctx.plan.changes:
        prompts = users.get(change.address, [])
        if KINDS[ResourceKind(change.kind)].included and Action.PUBLISH in change.actions and prompts:
            shown = ", ".join(prompts[:10]) + (", …" if len(prompts) > 10 else "")
            ctx.plan.risk_summary.append(RiskNote(
                Risk.AFFECTS_PROMPTS,
                f"publishing {change.address} changes {len(prompts)} prompt{'s' if len(prompts) != 1 else ''}: {shown}",
                change.address,
            ))
            change.risks.append(Risk.AFFECTS_PROMPTS)
